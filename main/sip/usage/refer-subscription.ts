/**
 * The transferor's side of a REFER (RFC 3515): the REFER sent in a call's dialog, and the
 * implicit subscription to the refer event package that reports how the referenced call goes.
 *
 *   Sending ─2xx─▶ Active ─NOTIFY with a final sipfrag (2xx–6xx)─▶ Terminated  (done)
 *      │              ├─NOTIFY Subscription-State: terminated─────▶ Terminated  (done)
 *      │              ├─no final NOTIFY within `timeout`──────────▶ Terminated  (done, timeout)
 *      │              └─the call ended──────────────────────────────▶ Terminated  (done, ended)
 *      ├─3xx–6xx─▶ Terminated (rejected, done)
 *      └─2xx with Refer-Sub: false (RFC 4488) ─▶ Terminated (done: no reports asked for)
 *
 * Each NOTIFY is answered 200 (RFC 3515 §2.4.4) before its status is reported. A NOTIFY may
 * come before the 2xx of the REFER (RFC 6665 §4.1.2.4); its report waits for that 2xx so that
 * `accepted` always comes first. The timeout runs on the injected Clock.
 *
 * Events (typed EventEmitter):
 *   accepted  (response)                 the REFER got a 2xx (202 Accepted)
 *   rejected  ({ status, reason })        the REFER got 3xx–6xx; reason in words
 *   progress  ({ status, reason, final }) each NOTIFY's sipfrag Status-Line (100, 180, 200, 486…)
 *   done      (outcome)                   once, last: { ok, cause, status?, reason }
 *
 * ReferUsage.refer() creates it and routes the NOTIFYs here.
 */
import { EventEmitter } from 'node:events';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Clock, TimerHandle } from '../transaction/timers.ts';
import type { InviteSession, ReplyOptions } from './invite-session.ts';
import { parseSipfrag } from './sipfrag.ts';
import { parseSubscriptionState } from './refer-event.ts';
import { describeReferRejection, describeTermination, describeTransferFailure } from './refer-words.ts';

export type ReferSubscriptionState = 'Sending' | 'Active' | 'Terminated';

export type ReferOutcomeCause =
  /** A NOTIFY carried the final status of the referenced call. */
  | 'notify'
  /** The subscription was terminated without a final status. */
  | 'terminated'
  /** No final NOTIFY in time. */
  | 'timeout'
  /** The REFER was answered 3xx–6xx. */
  | 'rejected'
  /** Refer-Sub: false was agreed: acceptance is all we hear (RFC 4488). */
  | 'no-subscription'
  /** The call (its dialog) ended first. */
  | 'ended';

export interface ReferOutcome {
  ok: boolean;
  cause: ReferOutcomeCause;
  /** The referenced call's final status (cause 'notify'), or the REFER's (cause 'rejected'). */
  status?: number;
  /** In words: "transferred", "the transfer target is busy (486)", … */
  reason: string;
}

export interface ReferProgress {
  status: number;
  /** The reason phrase of the sipfrag Status-Line, as sent. */
  reason: string;
  final: boolean;
}

export interface ReferSubscriptionEvents {
  accepted: [response: SipResponse];
  rejected: [info: { status: number; reason: string }];
  progress: [progress: ReferProgress];
  done: [outcome: ReferOutcome];
}

export interface ReferSubscriptionOptions {
  session: InviteSession;
  /** The Refer-To value sent. */
  referTo: string;
  clock: Clock;
  /** Milliseconds to wait for the final NOTIFY, from the moment the REFER is sent. */
  timeout: number;
}

type Reply = (status: number, opts?: ReplyOptions) => void;

export class ReferSubscription extends EventEmitter<ReferSubscriptionEvents> {
  readonly session: InviteSession;
  readonly referTo: string;
  /** The CSeq number of the REFER: the `id` of its NOTIFYs' Event header (RFC 3515 §2.4.6). */
  id: number | undefined;
  readonly #clock: Clock;
  readonly #timeout: number;
  #state: ReferSubscriptionState = 'Sending';
  #outcome: ReferOutcome | undefined;
  #timer: TimerHandle | undefined;
  /** Reports of NOTIFYs that came before the REFER's 2xx. */
  #early: Array<() => void> = [];
  #finished: Promise<ReferOutcome>;
  #resolve!: (o: ReferOutcome) => void;
  readonly #onEnded = (): void => {
    // While the REFER is out its response decides (a 481 ends the call and rejects the REFER).
    if (this.#state !== 'Sending') this.#finish({ ok: false, cause: 'ended', reason: 'the call ended before the transfer was reported' });
  };

  constructor(opts: ReferSubscriptionOptions) {
    super();
    this.session = opts.session;
    this.referTo = opts.referTo;
    this.#clock = opts.clock;
    this.#timeout = opts.timeout;
    this.#finished = new Promise((resolve) => (this.#resolve = resolve));
  }

  get state(): ReferSubscriptionState {
    return this.#state;
  }

  /** How it ended; undefined until `done`. */
  get outcome(): ReferOutcome | undefined {
    return this.#outcome;
  }

  /** Resolves with the outcome once done (never rejects). */
  finished(): Promise<ReferOutcome> {
    return this.#finished;
  }

  /** Waiting for the REFER's final response (NOTIFYs with an unknown id may belong here). */
  get awaitingResponse(): boolean {
    return this.#state === 'Sending';
  }

  /**
   * Send the REFER through the session (answered once when challenged) and follow it.
   * The CSeq the REFER carries is known as soon as the request is built.
   */
  start(headers: Array<[string, string]>): void {
    if (this.session.state !== 'Confirmed' || !this.session.dialog) {
      // Done on the next tick, so that listeners attached after refer() hear it.
      const reason = `the call is not connected (${this.session.state}), so it cannot be transferred`;
      queueMicrotask(() => this.#finish({ ok: false, cause: 'ended', reason }));
      return;
    }
    this.session.once('terminated', this.#onEnded);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#finish({ ok: false, cause: 'timeout', reason: `no final report of the transfer within ${Math.round(this.#timeout / 1000)} s` });
    }, this.#timeout);
    let sent: Promise<SipResponse>;
    try {
      sent = this.session.sendRequest('REFER', { headers });
    } catch (err) {
      this.#finish({ ok: false, cause: 'ended', reason: (err as Error).message });
      return;
    }
    // sendRequest builds the request before its first await: the dialog's local CSeq is the REFER's.
    this.id = this.session.dialog?.localSeq;
    sent.then(
      (response) => this.#responded(response),
      (err: Error) => this.#finish({ ok: false, cause: 'ended', reason: err.message || 'the REFER could not be sent' }),
    );
  }

  #responded(response: SipResponse): void {
    try {
      this.id = response.cseq().seq; // a challenged REFER went again with the next CSeq
    } catch {
      // Keep the id read when it was sent.
    }
    if (this.#state !== 'Sending') return;
    const status = response.status;
    if (status >= 200 && status < 300) {
      this.#state = 'Active';
      this.#emit('accepted', response);
      if ((response.header('Refer-Sub') ?? '').trim().toLowerCase() === 'false') {
        // RFC 4488 §4: no implicit subscription: nothing more will be heard.
        this.#finish({ ok: true, cause: 'no-subscription', status, reason: 'the transfer was accepted (no progress reports were asked for)' });
        return;
      }
      for (const report of this.#early.splice(0)) report();
      if (this.session.state === 'Terminated') this.#onEnded();
      return;
    }
    if (status < 200) return;
    const reason = describeReferRejection(status, response.reason);
    this.#early = [];
    this.#state = 'Terminated';
    this.#emit('rejected', { status, reason });
    this.#finish({ ok: false, cause: 'rejected', status, reason });
  }

  /** A NOTIFY for this subscription (ReferUsage routes it here). Answers it; never throws. */
  receiveNotify(request: SipRequest, reply: Reply): void {
    if (this.#outcome) {
      // A late report for a subscription we closed (e.g. on timeout): acknowledged, not reported.
      reply(200);
      return;
    }
    const subState = parseSubscriptionState(request.header('Subscription-State'));
    const frag = parseSipfrag(request.body);
    const terminated = subState?.state === 'terminated';
    if (!frag && !terminated) {
      // RFC 3515 §2.4.5: the body begins with a Status-Line.
      reply(400, { reason: 'Bad Request (body is not a message/sipfrag Status-Line)' });
      return;
    }
    reply(200);
    const report = (): void => {
      if (this.#outcome) return;
      if (frag) {
        const final = frag.status >= 200;
        this.#emit('progress', { status: frag.status, reason: frag.reason, final });
        if (final) {
          const ok = frag.status < 300;
          this.#finish({ ok, cause: 'notify', status: frag.status, reason: ok ? 'transferred' : describeTransferFailure(frag.status, frag.reason) });
          return;
        }
      }
      if (terminated) this.#finish({ ok: false, cause: 'terminated', reason: describeTermination(subState.reason) });
    };
    if (this.#state === 'Sending') this.#early.push(report);
    else report();
  }

  /** Stop waiting (the layer above gives up); reported as `done` with this reason. */
  cancel(reason = 'the transfer was abandoned'): void {
    this.#finish({ ok: false, cause: 'terminated', reason });
  }

  #finish(outcome: ReferOutcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#state = 'Terminated';
    this.#early = [];
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.session.off('terminated', this.#onEnded);
    this.#resolve(outcome);
    this.#emit('done', outcome);
  }

  #emit<K extends keyof ReferSubscriptionEvents>(event: K, ...args: ReferSubscriptionEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ReferSubscriptionEvents[K]) => boolean)(event, ...args);
    } catch {
      // A listener's bug must not break the stack.
    }
  }
}
