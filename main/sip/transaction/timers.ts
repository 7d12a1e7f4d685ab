/**
 * Time for the transaction layer: the `Clock` it runs on (injected, so tests drive Timers A–M
 * without waiting), and the timer values of RFC 3261 §17 / Table 4 and RFC 6026 §8.
 */

/** Opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/** The only source of time for transactions. Callbacks run once, never re-entrantly. */
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
    // A pending retransmission must not keep a finished process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

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

/** The three base values of RFC 3261 Table 4, in milliseconds. */
export interface TimerSettings {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum time a message remains in the network, default 5 s. */
  T4: number;
}

export const DEFAULT_TIMER_SETTINGS: Readonly<TimerSettings> = { T1: 500, T2: 4000, T4: 5000 };

/** Every derived timer of RFC 3261 Table 4 and RFC 6026 §8.11, for one transport kind. */
export interface TimerValues extends TimerSettings {
  /** INVITE request retransmit, initially T1, doubling without cap (§17.1.1.2). */
  A: number;
  /** INVITE transaction timeout: 64·T1. */
  B: number;
  /** Wait time for response retransmits: at least 32 s on unreliable transports, 0 on reliable. */
  D: number;
  /** non-INVITE request retransmit, initially T1, doubling up to T2 (§17.1.2.2). */
  E: number;
  /** non-INVITE transaction timeout: 64·T1. */
  F: number;
  /** INVITE response retransmit, initially T1, doubling up to T2 (§17.2.1). */
  G: number;
  /** Wait time for ACK receipt: 64·T1. */
  H: number;
  /** Wait time for ACK retransmits: T4 on unreliable transports, 0 on reliable. */
  I: number;
  /** Wait time for non-INVITE request retransmits: 64·T1 unreliable, 0 reliable. */
  J: number;
  /** Wait time for response retransmits: T4 unreliable, 0 reliable. */
  K: number;
  /** RFC 6026: wait time for accepted INVITE request retransmits (server), 64·T1. */
  L: number;
  /** RFC 6026: wait time for retransmission of 2xx to INVITE (client), 64·T1. */
  M: number;
  /** §17.2.1: the INVITE server transaction sends 100 Trying after this long without a TU response. */
  trying: number;
}

/** Derive Timers A–M from T1/T2/T4 for a reliable or unreliable transport (RFC 3261 Table 4). */
export function timerValues(settings: Partial<TimerSettings> = {}, reliable = false): TimerValues {
  const { T1, T2, T4 } = { ...DEFAULT_TIMER_SETTINGS, ...settings };
  const long = 64 * T1;
  return {
    T1,
    T2,
    T4,
    A: T1,
    B: long,
    D: reliable ? 0 : Math.max(32_000, long),
    E: T1,
    F: long,
    G: T1,
    H: long,
    I: reliable ? 0 : T4,
    J: reliable ? 0 : long,
    K: reliable ? 0 : T4,
    L: long,
    M: long,
    trying: 200,
  };
}

/**
 * One named timer of a transaction: set, cleared, re-armed; never fires after `clear()`.
 * Keeps the handle bookkeeping out of the state machines.
 */
export class Timer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #handle: TimerHandle | undefined;

  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  get running(): boolean {
    return this.#handle !== undefined;
  }

  /** (Re)arm to fire once after `ms`. */
  start(ms: number): void {
    this.clear();
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = undefined;
      this.#fire();
    }, ms);
  }

  clear(): void {
    if (this.#handle === undefined) return;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
