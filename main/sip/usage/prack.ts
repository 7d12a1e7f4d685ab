/**
 * Reliable provisional responses (RFC 3262): `RSeq` on a 1xx that `Require`s 100rel, answered
 * by a PRACK carrying `RAck: <rseq> <cseq> <method>`.
 *
 * - UAC side: `RSeqTracker` decides for each reliable 1xx of one early dialog whether it is new
 *   (send PRACK), a retransmission or out of order (ignore; §4).
 * - UAS side: `ReliableProvisionalSender` numbers reliable 1xx, retransmits the one in flight
 *   at T1, 2·T1, 4·T1… until its PRACK arrives, sends at most one at a time (§3: the next
 *   waits for the PRACK of the previous), and gives up after 64·T1 (the caller then rejects
 *   the INVITE with a 5xx, §3).
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Clock } from '../transaction/timers.ts';
import { Timer } from '../transaction/timers.ts';

export function requires100rel(message: SipRequest | SipResponse): boolean {
  return message.headers('Require').some((t) => t.trim().toLowerCase() === '100rel');
}

export function supports100rel(message: SipRequest | SipResponse): boolean {
  return [...message.headers('Supported'), ...message.headers('Require')].some((t) => t.trim().toLowerCase() === '100rel');
}

/** RSeq of a reliable provisional (§7.1: 1 to 2^32-1), or undefined. */
export function readRSeq(response: SipResponse): number | undefined {
  const v = response.header('RSeq')?.trim();
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 0xffffffff ? n : undefined;
}

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RAck of a PRACK (§7.2), or undefined when absent or malformed. */
export function readRAck(request: SipRequest): RAck | undefined {
  const parts = request.header('RAck')?.trim().split(/\s+/);
  if (parts?.length !== 3 || !/^\d+$/.test(parts[0]) || !/^\d+$/.test(parts[1])) return undefined;
  return { rseq: Number(parts[0]), cseq: Number(parts[1]), method: parts[2].toUpperCase() };
}

/** §4: the UAC's view of the reliable provisionals of one early dialog. */
export class RSeqTracker {
  #last: number | undefined;

  /** 'new' → PRACK it; 'retransmission' and 'out-of-order' → ignore. */
  accept(rseq: number): 'new' | 'retransmission' | 'out-of-order' {
    if (this.#last === undefined || rseq === this.#last + 1) {
      this.#last = rseq;
      return 'new';
    }
    return rseq <= this.#last ? 'retransmission' : 'out-of-order';
  }
}

export interface ReliableProvisionalSenderOptions {
  clock: Clock;
  T1: number;
  /** Pass a response to the INVITE server transaction (first send and retransmissions). */
  send: (response: SipResponse) => void;
  /** 64·T1 passed without PRACK: the caller rejects the INVITE with a 5xx (§3). */
  onTimeout: () => void;
  /** First RSeq (§3: random, below 2^31); tests fix it. */
  firstRSeq?: number;
}

interface Pending {
  response: SipResponse;
  rseq: number;
  acked: (prackBody: SipRequest) => void;
}

/** §3: the UAS side. */
export class ReliableProvisionalSender {
  readonly #opts: ReliableProvisionalSenderOptions;
  #nextRSeq: number;
  #inFlight: Pending | undefined;
  #queue: Pending[] = [];
  #interval = 0;
  readonly #retransmit: Timer;
  readonly #giveUp: Timer;

  constructor(opts: ReliableProvisionalSenderOptions) {
    this.#opts = opts;
    this.#nextRSeq = opts.firstRSeq ?? 1 + Math.floor(Math.random() * 0x7fffffff);
    this.#retransmit = new Timer(opts.clock, () => this.#fire());
    this.#giveUp = new Timer(opts.clock, () => {
      this.stop();
      opts.onTimeout();
    });
  }

  /** Whether a reliable provisional waits for its PRACK. */
  get pending(): boolean {
    return this.#inFlight !== undefined;
  }

  /**
   * Number `response` (adds `Require: 100rel` and `RSeq`) and send it now, or after the PRACK of
   * the one in flight. `onPrack` runs when its PRACK arrives.
   */
  send(response: SipResponse, onPrack: (prack: SipRequest) => void = () => {}): number {
    const rseq = this.#nextRSeq++;
    response.setHeader('Require', '100rel');
    response.setHeader('RSeq', String(rseq));
    const p: Pending = { response, rseq, acked: onPrack };
    if (this.#inFlight) this.#queue.push(p);
    else this.#start(p);
    return rseq;
  }

  /**
   * A PRACK arrived: true when its RAck names the response in flight (the caller answers 200 and
   * the next queued 1xx goes), false otherwise (the caller answers 481, §3).
   */
  receivePrack(prack: SipRequest, inviteCSeq: number): boolean {
    if (!this.matches(prack, inviteCSeq)) return false;
    const p = this.#inFlight!;
    this.#retransmit.clear();
    this.#giveUp.clear();
    this.#inFlight = undefined;
    try {
      p.acked(prack);
    } catch {
      // The caller's bug must not stop the queue.
    }
    const next = this.#queue.shift();
    if (next) this.#start(next);
    return true;
  }

  /** Whether a PRACK's RAck names the reliable 1xx in flight (§7.2). */
  matches(prack: SipRequest, inviteCSeq: number): boolean {
    const rack = readRAck(prack);
    const p = this.#inFlight;
    return rack !== undefined && p !== undefined && rack.rseq === p.rseq && rack.cseq === inviteCSeq && rack.method === 'INVITE';
  }

  /** The final response went: nothing more is retransmitted or queued. */
  stop(): void {
    this.#retransmit.clear();
    this.#giveUp.clear();
    this.#inFlight = undefined;
    this.#queue = [];
  }

  #start(p: Pending): void {
    this.#inFlight = p;
    this.#interval = this.#opts.T1;
    this.#opts.send(p.response);
    this.#retransmit.start(this.#interval);
    this.#giveUp.start(64 * this.#opts.T1);
  }

  #fire(): void {
    const p = this.#inFlight;
    if (!p) return;
    this.#opts.send(p.response);
    this.#interval *= 2;
    this.#retransmit.start(this.#interval);
  }
}
