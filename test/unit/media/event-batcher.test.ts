// The engine's events batched on their way to the client (main/media/event-batcher.ts).
import { describe, expect, it } from 'vitest';
import { EventBatcher } from '../../../main/media/event-batcher.ts';
import type { MediaEvent } from '../../../main/media/media-protocol.ts';

/** A batcher on a fake clock; `busy` starts it with a batch that has just left (a busy engine). */
function harness(busy = true): { batcher: EventBatcher; sent: MediaEvent[][]; timers: Map<number, { fn: () => void; ms: number }>; fire: () => void; advance: (ms: number) => void } {
  const sent: MediaEvent[][] = [];
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let id = 0;
  let now = 1000;
  const batcher = new EventBatcher({
    now: () => now,
    send: (events) => sent.push(events),
    holdMs: 50,
    setTimeout: (fn, ms) => {
      timers.set(++id, { fn, ms });
      return id;
    },
    clearTimeout: (h) => timers.delete(h as number),
  });
  const fire = (): void => {
    const all = [...timers.entries()];
    timers.clear();
    for (const [, t] of all) t.fn();
  };
  if (busy) {
    batcher.event({ type: 'warning', code: 'x', message: 'a batch that has just left' });
    sent.length = 0;
  }
  return { batcher, sent, timers, fire, advance: (ms) => (now += ms) };
}

const stats = (streamId: string): MediaEvent => ({ type: 'stats', streamId, stats: { jitterMs: 1 } as never });

describe('EventBatcher', () => {
  it('figures that come long after the last batch leave at once: one call needs no timer', () => {
    const { batcher, sent, timers, advance } = harness(false);
    batcher.event(stats('a'));
    expect(sent).toHaveLength(1);
    expect(timers.size).toBe(0);
    // Within the hold time of that batch: they wait, for what is left of it.
    advance(20);
    batcher.event(stats('b'));
    expect(sent).toHaveLength(1);
    expect([...timers.values()][0].ms).toBe(30);
    advance(30);
    [...timers.values()][0].fn();
    expect(sent.map((b) => b.map((e) => ('streamId' in e ? e.streamId : '')))).toEqual([['a'], ['b']]);
    // A second later (one call's next stats): at once again.
    advance(1000);
    batcher.event(stats('a'));
    expect(sent).toHaveLength(3);
  });

  it('holds periodic figures that follow a batch for one hold time and sends them in one batch, in order', () => {
    const { batcher, sent, timers, fire } = harness();
    batcher.event(stats('a'));
    batcher.event(stats('b'));
    batcher.event({ type: 'video-stats', streamId: 'v' } as MediaEvent);
    expect(sent).toEqual([]);
    expect(timers.size).toBe(1); // one timer for the batch, not one per event
    expect([...timers.values()][0].ms).toBe(50);
    fire();
    expect(sent.map((b) => b.map((e) => ('streamId' in e ? e.streamId : '')))).toEqual([['a', 'b', 'v']]);
    expect(batcher.waiting).toBe(0);
  });

  it('sends any other event at once, after the figures that wait, so nothing is reordered', () => {
    const { batcher, sent, timers } = harness();
    batcher.event(stats('a'));
    batcher.event({ type: 'bye', streamId: 'a', ssrc: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0].map((e) => e.type)).toEqual(['stats', 'bye']);
    expect(timers.size).toBe(0);
    batcher.event({ type: 'warning', code: 'x', message: 'y' });
    expect(sent).toHaveLength(2);
    expect(sent[1].map((e) => e.type)).toEqual(['warning']);
  });

  it('flush (before a reply) sends what waits and cancels the timer; with nothing waiting it sends nothing', () => {
    const { batcher, sent, timers } = harness();
    batcher.flush();
    expect(sent).toEqual([]);
    batcher.event(stats('a'));
    batcher.flush();
    expect(sent).toHaveLength(1);
    expect(timers.size).toBe(0);
    batcher.event(stats('b'));
    expect(timers.size).toBe(1); // a new batch starts its own hold
  });
});
