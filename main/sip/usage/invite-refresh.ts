/**
 * The session timer of one INVITE session (RFC 4028): what our INVITE or refresh request asks
 * for (§7.1), what a 422 teaches (§7.4), what a refresh request we receive gets (§9), the interval
 * a 2xx decided (§7.2), and the clock (§10): when we are the refresher, the refresh itself is a
 * re-INVITE or UPDATE (invite-modify.ts); when the peer is and its refresh never came, BYE.
 *
 * The negotiation rules are pure and live in session-timer.ts; this part keeps the numbers of one
 * session and its SessionTimer.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import { negotiateAsUas, readAnswer, readMinSE, SessionTimer, uacRequestHeaders } from './session-timer.ts';
import type { InviteCore, Reply } from './invite-core.ts';

export class InviteRefresh {
  readonly #core: InviteCore;
  readonly #timer: SessionTimer;
  /** The interval we ask for, seconds: the configured one for a caller, then the one in force. */
  #interval: number | undefined;
  /** The Min-SE a 422 asked for (§7.4). */
  #minSE: number | undefined;
  /** What a refresh request we received settled; it starts with our 2xx. */
  #pending: { interval: number; refresher: 'local' | 'remote' } | undefined;

  /** `refresh`: time for us to refresh the session (we are the refresher). */
  constructor(core: InviteCore, refresh: () => void) {
    this.#core = core;
    this.#timer = new SessionTimer({
      clock: core.host.clock,
      onRefresh: refresh,
      onExpire: () => this.#expired(),
    });
    core.onEnd(() => this.#timer.stop());
  }

  /** The interval our initial INVITE asks for (undefined: none asked). */
  askFor(interval: number | undefined): void {
    this.#interval = interval;
  }

  /** The session-timer interval in force (seconds), and who refreshes; undefined when none. */
  get sessionInterval(): { interval: number; refresher: 'local' | 'remote' } | undefined {
    return this.#timer.running ? { interval: this.#timer.interval, refresher: this.#timer.refresherIsLocal ? 'local' : 'remote' } : undefined;
  }

  /** §7.1: Session-Expires and Min-SE of our initial INVITE (none when session timers are off). */
  inviteHeaders(): Array<[string, string]> {
    const config = this.#core.host.sessionTimer;
    if (this.#interval === undefined || !config) return [];
    return uacRequestHeaders(this.#interval, Math.max(config.minSE, this.#minSE ?? 0));
  }

  /** §7.1: the same for a re-INVITE or UPDATE, while a timer runs or when it is the refresh itself. */
  modifyHeaders(refresh: boolean): Array<[string, string]> {
    const config = this.#core.host.sessionTimer;
    if (!config || (!this.#timer.running && !refresh)) return [];
    return uacRequestHeaders(this.#interval ?? config.expires, Math.max(config.minSE, this.#minSE ?? 0), 'uac');
  }

  /** §7.4: a 422's Min-SE, kept for the retry; false when it has none. */
  learnMinSE(response: SipResponse): boolean {
    const min = readMinSE(response);
    if (min === undefined) return false;
    this.#minSE = min;
    this.#interval = Math.max(min, this.#interval ?? 0);
    return true;
  }

  /**
   * §7.2: the interval a 2xx to our INVITE, re-INVITE or UPDATE decided, started. Without one
   * the session has no timer: `stopWithout` stops a running one (a refresh the peer answered
   * without Session-Expires).
   */
  answered(response: SipResponse, stopWithout: boolean): void {
    const config = this.#core.host.sessionTimer;
    const timer = config ? readAnswer(response) : undefined;
    if (timer) this.start(timer.interval, timer.refresher === 'uac' ? 'local' : 'remote');
    else if (config && stopWithout) this.#timer.stop();
  }

  start(interval: number, refresher: 'local' | 'remote'): void {
    if (this.#core.state === 'Terminated') return;
    this.#timer.start(interval, refresher);
    this.#interval = interval;
    this.#core.emit('refreshed', { interval, refresher });
  }

  /** §9 for a refresh request we received: 422 (answered here, undefined), or the headers for our 2xx. */
  negotiate(request: SipRequest, reply: Reply): Array<[string, string]> | undefined {
    const config = this.#core.host.sessionTimer;
    if (!config) return [];
    const n = negotiateAsUas(request, config);
    if (n.kind === 'reject') {
      reply(422, { headers: [['Min-SE', String(n.minSE)]] });
      return undefined;
    }
    if (n.kind === 'none') return [];
    this.#pending = { interval: n.interval, refresher: n.refresher === 'uas' ? 'local' : 'remote' };
    return n.headers;
  }

  /** Our 2xx to that refresh request went: its interval starts. */
  applyPending(): void {
    const r = this.#pending;
    this.#pending = undefined;
    if (r) this.start(r.interval, r.refresher);
  }

  #expired(): void {
    const core = this.#core;
    if (core.state !== 'Confirmed' || !core.dialog) return;
    // RFC 4028 §10: no refresh came: BYE.
    core.sendBye(core.dialog, { protocol: 'SIP', cause: 408, text: 'Session expired' });
    core.end({ cause: 'session-expired', by: 'remote', status: 408, reason: 'the other side stopped refreshing the call' });
  }
}
