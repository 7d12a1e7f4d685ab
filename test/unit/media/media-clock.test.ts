/**
 * The media clock over a scheduler that behaves like Node's timers: a timeout may fire up to a
 * millisecond before the monotonic clock reaches it (libuv counts whole milliseconds).
 */
import { describe, expect, it } from 'vitest';
import { MERGE_MS, MediaClock, SLEW_MS, type Scheduler } from '../../../main/media/media-clock.ts';

/** A manual clock whose timers fire `earlyMs` before they are due, as Node's can. */
class EarlyScheduler implements Scheduler {
  #now = 0;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #ids = 0;
  wakes = 0;
  readonly earlyMs: number;
  constructor(earlyMs: number) {
    this.earlyMs = earlyMs;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#ids;
    this.#timers.push({ at: this.#now + Math.max(0, ms - this.earlyMs), fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  /** Time passes and no timer fires (a blocked event loop). */
  stall(ms: number): void {
    this.#now += ms;
  }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, t.at);
      this.wakes++;
      t.fn();
    }
    this.#now = end;
  }
}

describe('MediaClock', () => {
  it('one wake-up per frame when timers fire up to 1 ms early, frames due every 20 ms', () => {
    const scheduler = new EarlyScheduler(0.9);
    const clock = new MediaClock({ scheduler });
    const due: number[] = [];
    clock.start((k, dueMs) => due.push(dueMs));
    scheduler.advance(1000);
    clock.stop();
    expect(due).toHaveLength(51); // frame 0 at start, then one every 20 ms up to 1000 ms
    expect(due.slice(0, 3)).toEqual([0, 20, 40]);
    // Frame 0 runs from start(); each later frame costs exactly one wake-up.
    expect(scheduler.wakes).toBe(50);
  });

  it('after a stall runs at most maxCatchUpFrames and counts the rest as skipped', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler, maxCatchUpFrames: 5 });
    const frames: number[] = [];
    clock.start((k) => frames.push(k));
    scheduler.advance(20);
    expect(frames).toEqual([0, 1]);
    scheduler.stall(1000); // now 1020: frames 2..51 are due
    scheduler.advance(0);
    expect(frames.slice(2)).toEqual([47, 48, 49, 50, 51]);
    expect(clock.skipped).toBe(45);
    clock.stop();
  });

  /** Peer packets every 20 ms from `phaseMs` on, the clock's timers in between, for `ms`. */
  function withPeer(scheduler: EarlyScheduler, clock: MediaClock, phaseMs: number, ms: number): void {
    let next = phaseMs;
    const end = scheduler.now() + ms;
    while (next <= end) {
      scheduler.advance(next - scheduler.now());
      clock.peerPacket();
      next += 20;
    }
    scheduler.advance(end - scheduler.now());
  }

  it('a frame due within MERGE_MS of a peer packet runs on its wake-up, once, and its timer never fires', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler });
    const due: number[] = [];
    const ranAt: number[] = [];
    clock.start((_k, dueMs) => (due.push(dueMs), ranAt.push(scheduler.now())));
    withPeer(scheduler, clock, 20 - MERGE_MS / 2, 1000); // packets 1 ms before each of our frames
    clock.stop();
    expect(due).toHaveLength(51); // not one frame more or less
    expect(due.slice(0, 3)).toEqual([0, 20, 40]);
    expect(clock.merged).toBe(50);
    expect(scheduler.wakes).toBe(0); // every frame after the first went out on a packet's wake-up
    for (let i = 1; i < due.length; i++) expect(due[i] - ranAt[i]).toBeLessThanOrEqual(MERGE_MS); // never later, at most MERGE_MS early
  });

  it('packets at another steady phase: after a second of misses the phase moves at most SLEW_MS a frame until they meet', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler });
    const due: number[] = [];
    clock.start((_k, dueMs) => due.push(dueMs));
    withPeer(scheduler, clock, 10, 990); // packets half a frame from ours
    expect(clock.merged).toBe(0);
    expect(due.at(-1)).toBe(980); // nothing moved in the first second
    withPeer(scheduler, clock, 1010, 5000);
    for (let i = 1; i < due.length; i++) {
      const step = due[i] - due[i - 1];
      expect(Math.abs(step - 20)).toBeLessThanOrEqual(SLEW_MS + 1e-9); // frames keep their pace within 0.5 %
    }
    expect(clock.merged).toBeGreaterThan(100); // they met, and stay met
    const before = scheduler.wakes;
    withPeer(scheduler, clock, Math.ceil(scheduler.now() / 20) * 20 + 10, 1000);
    expect(scheduler.wakes - before).toBe(0);
    clock.stop();
  });

  it('a flood of packets moves the phase no faster than SLEW_MS a frame and runs no frame early by more than MERGE_MS', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler });
    const due: number[] = [];
    const ranAt: number[] = [];
    clock.start((_k, dueMs) => (due.push(dueMs), ranAt.push(scheduler.now())));
    for (let t = 0.25; t < 3000; t += 0.5) {
      scheduler.advance(t - scheduler.now());
      clock.peerPacket(); // 2000 packets a second
    }
    clock.stop();
    // 3 s of frames, give or take the phase's slew (at most SLEW_MS a frame).
    expect(due.length).toBeGreaterThanOrEqual(150);
    expect(due.length).toBeLessThanOrEqual(152);
    for (let i = 0; i < due.length; i++) expect(due[i] - ranAt[i]).toBeLessThanOrEqual(MERGE_MS);
  });
});
