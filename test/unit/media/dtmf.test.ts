import { describe, expect, it } from 'vitest';
import { DtmfSender, type DtmfPacket } from '../../../main/media/dtmf-sender.ts';
import { DtmfReceiver, type DtmfEvent } from '../../../main/media/dtmf-receiver.ts';
import { TelephoneEvent } from '../../../main/media/telephone-event.ts';

/** Polls the sender every 10 ms for `ms`; the media clock is 8 per ms from timestamp 1000. */
function run(sender: DtmfSender, ms: number): { t: number; p: DtmfPacket }[] {
  const out: { t: number; p: DtmfPacket }[] = [];
  for (let t = 0; t <= ms; t += 10) for (const p of sender.poll(t, () => 1000 + t * 8)) out.push({ t, p });
  return out;
}

describe('TelephoneEvent (RFC 4733 §2.3)', () => {
  it('encodes event, E, volume and duration', () => {
    const bytes = TelephoneEvent.encode({ event: 11, end: true, volume: 10, duration: 800 });
    expect([...bytes]).toEqual([11, 0x8a, 0x03, 0x20]);
    expect(TelephoneEvent.decode(bytes)).toEqual({ event: 11, end: true, volume: 10, duration: 800 });
    expect(TelephoneEvent.decode(Uint8Array.of(1, 2))).toBeUndefined();
  });

  it('maps digits to events (§3.2)', () => {
    expect([...'0123456789*#ABCD'].map((d) => TelephoneEvent.eventOf(d))).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(TelephoneEvent.eventOf('d')).toBe(15);
    expect(TelephoneEvent.eventOf('x')).toBeUndefined();
    expect(TelephoneEvent.digitOf(10)).toBe('*');
  });
});

describe('DtmfSender (RFC 4733 §2.5.1)', () => {
  it('sends start with marker, updates every 50 ms on one timestamp, and three end packets', () => {
    const sender = new DtmfSender({ clockRate: 8000 });
    sender.enqueue('5');
    const packets = run(sender, 400);
    const decoded = packets.map(({ t, p }) => ({ t, marker: p.marker, ts: p.timestamp, ...TelephoneEvent.decode(p.payload)! }));
    expect(decoded.map((d) => d.t)).toEqual([0, 50, 100, 150, 200]);
    expect(decoded.map((d) => d.marker)).toEqual([true, false, false, false, false]);
    expect(new Set(decoded.map((d) => d.ts))).toEqual(new Set([1000]));
    expect(decoded.map((d) => d.end)).toEqual([false, false, true, true, true]);
    expect(decoded.map((d) => d.duration)).toEqual([160, 560, 800, 800, 800]);
    expect(decoded.every((d) => d.event === 5 && d.volume === 10)).toBe(true);
    expect(sender.active).toBe(false);
  });

  it('separates digits by the gap and gives each its own timestamp; "," pauses', () => {
    const sender = new DtmfSender({ clockRate: 8000, durationMs: 80, gapMs: 60 });
    sender.enqueue('1,2');
    const packets = run(sender, 2000);
    const starts = packets.filter(({ p }) => p.marker);
    expect(starts.length).toBe(2);
    // Digit 1's tone ends at 80 ms, its last end packet goes at 180 ms (after the 60 ms gap);
    // the pause runs from there for 500 ms.
    expect(starts[0].t).toBe(0);
    expect(starts[1].t).toBe(680);
    expect(starts[1].p.timestamp).toBe(1000 + 680 * 8);
    expect(() => sender.enqueue('1x')).toThrow(/not a DTMF digit/);
  });

  it('catches up when polled late, in order', () => {
    const sender = new DtmfSender({ clockRate: 8000 });
    sender.enqueue('9');
    const first = sender.poll(0, () => 0);
    const late = sender.poll(300, () => 2400); // everything else at once
    expect(first.length).toBe(1);
    // The update due at 50 ms, then the end (due at 100 ms) three times.
    expect(late.map((p) => TelephoneEvent.decode(p.payload)!.end)).toEqual([false, true, true, true]);
  });
});

describe('DtmfReceiver (RFC 4733 §2.5.2)', () => {
  it('reports each digit once, with its duration, despite the repeated end packets', () => {
    const sender = new DtmfSender({ clockRate: 8000 });
    sender.enqueue('12#');
    const receiver = new DtmfReceiver({ clockRate: 8000 });
    const events: DtmfEvent[] = [];
    for (const { t, p } of run(sender, 2000)) events.push(...receiver.push(p, t + 5));
    expect(events.map((e) => e.digit)).toEqual(['1', '2', '#']);
    expect(events.map((e) => e.durationMs)).toEqual([100, 100, 100]);
  });

  it('survives lost end packets: a new event or a timeout closes the open one', () => {
    const sender = new DtmfSender({ clockRate: 8000 });
    sender.enqueue('47');
    const receiver = new DtmfReceiver({ clockRate: 8000, timeoutMs: 300 });
    const events: DtmfEvent[] = [];
    const all = run(sender, 2000).filter(({ p }) => !TelephoneEvent.decode(p.payload)!.end);
    for (const { t, p } of all) events.push(...receiver.push(p, t));
    expect(events.map((e) => e.digit)).toEqual(['4']);
    expect(events[0].durationMs).toBe(70); // the last update said 70 ms
    expect(receiver.poll(all.at(-1)!.t + 100)).toEqual([]);
    const late = receiver.poll(all.at(-1)!.t + 300);
    expect(late.map((e) => e.digit)).toEqual(['7']);
  });

  it('reports at first sight when asked, and ignores reordered old packets', () => {
    const receiver = new DtmfReceiver({ clockRate: 8000, report: 'start' });
    const pkt = (ts: number, end: boolean, duration: number) => ({ timestamp: ts, payload: TelephoneEvent.encode({ event: 3, end, volume: 10, duration }) });
    expect(receiver.push(pkt(100, false, 160), 0).map((e) => [e.digit, e.durationMs])).toEqual([['3', 0]]);
    expect(receiver.push(pkt(100, false, 400), 50)).toEqual([]);
    expect(receiver.push(pkt(100, true, 800), 100)).toEqual([]);
    expect(receiver.push(pkt(100, true, 800), 150)).toEqual([]);
    expect(receiver.push(pkt(100, false, 400), 160)).toEqual([]); // a late update of a finished event
    expect(receiver.push(pkt(900, false, 160), 400).length).toBe(1);
  });
});
