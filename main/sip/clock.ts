/**
 * The one source of time for the whole SIP stack: transactions (Timers A–M), usages (refresh,
 * session timers), and the transport (keep-alive, idle close, connect timeout, message deadline,
 * per-source rate limits). Injected everywhere, so tests drive every timer without waiting.
 *
 *   realClock            the process's clock: performance.now() and unref'd global timers
 *   new FakeClock()      time moves only in advance(): deterministic tests
 *   guardClock(clock)    the same clock, where clearing an unset timer (undefined) is a no-op
 */

/** Opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/** The only source of time in `sip/`. Callbacks run once, never re-entrantly. */
export interface Clock {
  /** Milliseconds on a monotonic scale (only differences are meaningful). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The wall clock of the process: `performance.now()` and the global timers (unref'd). */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retransmission or keep-alive must not keep a finished process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The same clock, but clearing an unset timer (undefined) is a no-op whatever the clock does:
 * code that keeps `handle | undefined` may clear it without checking first.
 */
export function guardClock(clock: Clock): Clock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => {
      if (handle !== undefined) clock.clearTimeout(handle);
    },
  };
}

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A deterministic clock for tests: time only moves in `advance()`, and timers due at the
 * same instant fire in the order they were set.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, FakeTimer>();

  constructor(opts: { start?: number } = {}) {
    this.#now = opts.start ?? 0;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in due order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > until) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = until;
  }

  /** Advance to the next pending timer and fire it (and any due at the same instant). */
  next(): boolean {
    const next = this.#earliest();
    if (next === undefined) return false;
    this.advance(next.at - this.#now);
    return true;
  }

  /** Fire timers until none is left (bounded, so a timer that re-arms forever cannot hang a test). */
  runAll(limit = 10_000): void {
    for (let i = 0; i < limit; i++) if (!this.next()) return;
    throw new Error(`FakeClock.runAll: still ${this.#timers.size} timers after ${limit} steps`);
  }

  #earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers.values()) if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    return best;
  }
}
