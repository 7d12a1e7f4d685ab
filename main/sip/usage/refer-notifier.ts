/**
 * The transferee's side of an accepted REFER (RFC 3515 §2.4.4–§2.4.7): the notifier of the
 * implicit refer subscription. Each report is a NOTIFY in the call's dialog with
 *
 *   Event: refer;id=<CSeq of the REFER>        (§2.4.6; the id is always given, which is allowed
 *                                               for the first REFER and needed for later ones)
 *   Subscription-State: active;expires=<s>     or, with a final status,
 *                       terminated;reason=noresource   (RFC 6665 §4.2.2)
 *   Content-Type: message/sipfrag;version=2.0  body: the Status-Line, e.g. `SIP/2.0 180 Ringing`
 *
 * NOTIFYs go one at a time, in order. A final status (2xx–6xx) ends the subscription; so does
 * the subscription's expiry (terminated;reason=timeout, with the last status) and the end of the
 * call. When Refer-Sub: false was agreed (RFC 4488) nothing is sent at all.
 *
 *   const notifier = actions.accept();         // 202, then NOTIFY `SIP/2.0 100 Trying`
 *   notifier.notify('SIP/2.0 180 Ringing');    // or notify(180), notify(486, 'Busy Here')
 *   notifier.follow(newCall);                  // 180 / 200 / failure from the call's own events
 */
import { reasonPhrase } from '../message/index.ts';
import type { Clock, TimerHandle } from '../transaction/timers.ts';
import type { InviteSession } from './invite-session.ts';
import { formatSipfrag, parseSipfrag, SIPFRAG_TYPE } from './sipfrag.ts';

export interface ReferNotifierOptions {
  /** The call the REFER came in. */
  session: InviteSession;
  /** The CSeq number of the REFER. */
  id: number;
  clock: Clock;
  /** Seconds the subscription lasts without a final report. Default 60. */
  expires?: number;
  /** False when Refer-Sub: false was agreed (RFC 4488): no NOTIFY is sent. Default true. */
  subscription?: boolean;
}

export type ReferNotifierState = 'Active' | 'Terminated';

export class ReferNotifier {
  readonly id: number;
  readonly session: InviteSession;
  /** False when no reports are sent (RFC 4488). */
  readonly subscribed: boolean;
  readonly #clock: Clock;
  readonly #deadline: number;
  #state: ReferNotifierState = 'Active';
  #last: { status: number; reason: string } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: TimerHandle | undefined;
  readonly #onEnded = (): void => this.#close();

  constructor(opts: ReferNotifierOptions) {
    this.id = opts.id;
    this.session = opts.session;
    this.subscribed = opts.subscription ?? true;
    this.#clock = opts.clock;
    const expires = opts.expires ?? 60;
    this.#deadline = this.#clock.now() + expires * 1000;
    if (!this.subscribed || this.session.state === 'Terminated') {
      this.#state = 'Terminated';
      return;
    }
    this.session.once('terminated', this.#onEnded);
    // RFC 6665 §4.2.2: a subscription that runs out is ended by the notifier (reason=timeout).
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#state !== 'Active') return;
      const last = this.#last ?? { status: 100, reason: 'Trying' };
      this.#state = 'Terminated';
      this.#enqueue(last.status, last.reason, 'terminated;reason=timeout');
      this.#close();
    }, expires * 1000);
  }

  get state(): ReferNotifierState {
    return this.#state;
  }

  /** The last status reported. */
  get lastStatus(): { status: number; reason: string } | undefined {
    return this.#last;
  }

  /**
   * Report a status of the referenced call: a Status-Line (`SIP/2.0 180 Ringing`) or a status
   * code and optional reason phrase. 2xx–6xx is final: the subscription ends with it. The same
   * provisional status twice in a row is sent once. Resolves with the NOTIFY's response status
   * (undefined when nothing was sent); never rejects.
   */
  notify(status: number | string, reason?: string): Promise<number | undefined> {
    let code: number;
    let phrase: string;
    if (typeof status === 'string') {
      const frag = parseSipfrag(status);
      if (!frag) throw new TypeError(`notify: '${status}' is not a SIP Status-Line`);
      code = frag.status;
      phrase = reason ?? frag.reason;
    } else {
      if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`notify: status must be 100-699, not ${status}`);
      code = status;
      phrase = reason ?? reasonPhrase(status);
    }
    if (this.#state !== 'Active') return Promise.resolve(undefined);
    const final = code >= 200;
    if (!final && this.#last?.status === code) return Promise.resolve(undefined);
    this.#last = { status: code, reason: phrase };
    if (final) {
      this.#state = 'Terminated';
      this.#close();
    }
    return this.#enqueue(code, phrase, final ? 'terminated;reason=noresource' : undefined);
  }

  /**
   * Report on the call the REFER asked for, from its own events: 180 when it rings, its 2xx
   * when answered, its failure status when it does not happen (487 when cancelled, 503 when it
   * could not be placed at all).
   */
  follow(call: InviteSession): void {
    let answered = false;
    const ringing = (): void => void this.notify(180);
    call.on('ringing', ringing);
    call.once('accepted', (response) => {
      answered = true;
      call.off('ringing', ringing);
      void this.notify(response.status, response.reason || undefined);
    });
    call.once('terminated', (info) => {
      call.off('ringing', ringing);
      if (answered) return;
      const status = info.status !== undefined && info.status >= 300 ? info.status : info.cause === 'cancel' ? 487 : 503;
      void this.notify(status);
    });
  }

  /** End the subscription now with the last status (or 100 Trying), reason `noresource`. */
  terminate(): Promise<number | undefined> {
    if (this.#state !== 'Active') return Promise.resolve(undefined);
    const last = this.#last ?? { status: 100, reason: 'Trying' };
    this.#state = 'Terminated';
    this.#close();
    return this.#enqueue(last.status, last.reason, 'terminated;reason=noresource');
  }

  #close(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.session.off('terminated', this.#onEnded);
    if (this.session.state === 'Terminated') this.#state = 'Terminated';
  }

  #enqueue(status: number, reason: string, subscriptionState: string | undefined): Promise<number | undefined> {
    const send = async (): Promise<number | undefined> => {
      if (this.session.state === 'Terminated') return undefined;
      const state = subscriptionState ?? `active;expires=${Math.max(0, Math.ceil((this.#deadline - this.#clock.now()) / 1000))}`;
      try {
        const response = await this.session.sendRequest('NOTIFY', {
          headers: [
            ['Event', `refer;id=${this.id}`],
            ['Subscription-State', state],
          ],
          body: { contentType: SIPFRAG_TYPE, body: formatSipfrag(status, reason) },
        });
        if (response.status === 481) this.#stop(); // RFC 6665 §4.2.2: the subscription is gone
        return response.status;
      } catch {
        this.#stop();
        return undefined;
      }
    };
    const next = this.#queue.then(send, send);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #stop(): void {
    this.#state = 'Terminated';
    this.#close();
  }
}
