/**
 * The media clock over a scheduler that behaves like Node's timers: a timeout may fire up to a
 * millisecond before the monotonic clock reaches it (libuv counts whole milliseconds).
 */
import { describe, expect, it } from 'vitest';
import { MediaClock, type Scheduler } from '../../../main/media/media-clock.ts';

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

  it('with a stride of 25, each wake-up runs its 25 frames: only a stall beyond them skips, by maxCatchUpFrames past them', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler, maxCatchUpFrames: 5 });
    clock.stride = 25;
    const frames: number[] = [];
    clock.start((k) => frames.push(k));
    scheduler.advance(2000);
    expect(frames).toEqual(Array.from({ length: 101 }, (_, k) => k));
    expect(clock.skipped).toBe(0);
    expect(scheduler.wakes).toBe(4);
    scheduler.stall(1000); // now 3000: frames 101..150 are due; 25 + 5 − 1 run
    scheduler.advance(0);
    expect(frames.slice(101)).toEqual(Array.from({ length: 29 }, (_, i) => 122 + i));
    expect(clock.skipped).toBe(21);
    clock.stop();
  });

  it('a stride lowered between two wake-ups (a digit, a hold) still runs every frame due under the old one', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler, maxCatchUpFrames: 5 });
    clock.stride = 25;
    const frames: number[] = [];
    clock.start((k) => frames.push(k));
    scheduler.advance(500); // frames 0..25
    scheduler.advance(420); // 21 more due by 920, the next wake-up not before 1000
    clock.stride = 1;
    clock.wakeAt(scheduler.now());
    scheduler.advance(0);
    expect(frames).toEqual(Array.from({ length: 47 }, (_, k) => k));
    expect(clock.skipped).toBe(0);
    scheduler.advance(200);
    expect(frames.at(-1)).toBe(56);
    expect(clock.skipped).toBe(0);
    clock.stop();
  });
});

describe('MediaClock on the thread grid (align)', () => {
  it('starts on a multiple of frameMs, so clocks started apart wake together', () => {
    const scheduler = new EarlyScheduler(0);
    scheduler.stall(1007);
    const a = new MediaClock({ scheduler, align: true });
    const aDue: number[] = [];
    a.start((k, dueMs) => aDue.push(dueMs));
    scheduler.advance(9); // 1016
    const b = new MediaClock({ scheduler, align: true });
    const bDue: number[] = [];
    b.start((k, dueMs) => bDue.push(dueMs));
    const wakesBefore = scheduler.wakes;
    scheduler.advance(100);
    a.stop();
    b.stop();
    // Frame 0 at once (due at the grid point before), the next ones on the grid.
    expect(a.startMs).toBe(1000);
    expect(b.startMs).toBe(1000);
    expect(aDue.slice(0, 3)).toEqual([1000, 1020, 1040]);
    expect(bDue.slice(0, 3)).toEqual([1000, 1020, 1040]);
    // From 1016 to 1116 each clock wakes at 1020, 1040 … 1100: the same instants.
    expect(scheduler.wakes - wakesBefore).toBe(10);
  });

  it('never runs two frames at once on start, however close to the next grid point', () => {
    const scheduler = new EarlyScheduler(0);
    scheduler.stall(1019.5);
    const clock = new MediaClock({ scheduler, align: true });
    const due: number[] = [];
    clock.start((k, dueMs) => due.push(dueMs));
    expect(due).toEqual([1020]); // within the early-wake millisecond: frame 0 only
    scheduler.advance(21);
    clock.stop();
    expect(due).toEqual([1020, 1040]);
  });

  it('runs beforeFrames first on every wake-up (a polled socket drains before the frames play)', () => {
    const scheduler = new EarlyScheduler(0);
    const clock = new MediaClock({ scheduler });
    const order: string[] = [];
    clock.start(
      (k) => order.push(`frame ${k}`),
      () => order.push('wake'),
      () => order.push('before'),
    );
    scheduler.advance(40);
    clock.stop();
    expect(order).toEqual(['before', 'frame 0', 'wake', 'before', 'frame 1', 'wake', 'before', 'frame 2', 'wake']);
  });
});
