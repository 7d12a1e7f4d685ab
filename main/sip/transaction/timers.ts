/**
 * Time for the transaction layer: the timer values of RFC 3261 §17 / Table 4 and RFC 6026 §8,
 * and `Timer`, one named timer on the injected `Clock` (../clock.ts, so tests drive Timers A–M
 * without waiting).
 */

import type { Clock, TimerHandle } from '../clock.ts';

// The clock is the whole stack's (../clock.ts); re-exported here for the usages and the phone.
export { FakeClock, realClock } from '../clock.ts';
export type { Clock, TimerHandle } from '../clock.ts';

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
