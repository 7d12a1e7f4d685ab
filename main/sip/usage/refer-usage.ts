/**
 * Call transfer at the SIP layer: REFER (RFC 3515) in a call's dialog, its NOTIFY reports
 * (message/sipfrag), Referred-By (RFC 3892), Refer-Sub (RFC 4488) and Replaces (RFC 3891).
 *
 *   const refers = new ReferUsage({ ua, invite: usage, clock? });   // Allow: REFER, NOTIFY;
 *                                                                    // Supported: replaces, norefersub;
 *                                                                    // Allow-Events: refer
 *   Transferor:
 *     const sub = refers.refer(session, { referTo, referredBy?, noSubscription? });
 *     sub.on('accepted' | 'rejected' | 'progress' | 'done', …)      // see ReferSubscription
 *     await refers.blindTransfer(session, 'sip:carol@example.com')  // → { ok, reason: 'transferred' … }
 *     await refers.attendedTransfer(sessionA, sessionC)             // REFER A to C with Replaces
 *   Transferee:
 *     refers.onRefer((session, refer, { accept, reject }) => {
 *       const notifier = accept();                                  // 202, NOTIFY 100 Trying
 *       const call = usage.invite({ to: refer.target.uri, headers: refer.inviteHeaders, … });
 *       notifier.follow(call);                                      // NOTIFY 180 / 200 / 486 …
 *     });
 *   Transfer target (an incoming INVITE that may carry Replaces):
 *     usage.onIncoming((session) => {
 *       const r = refers.checkReplaces(session);   // 'none' | 'replace' (answer it: the old call
 *       …                                          // gets BYE/CANCEL once it is confirmed) | 'rejected'
 *     });
 *
 * A REFER is checked before the handler sees it: a connected call (603), exactly one Refer-To
 * (400, §2.4.1), a readable one (400), a sip:/sips: URI (603) asking for INVITE (603). With no
 * handler, REFERs get 603.
 * Out of a dialog, REFER gets 403: we only transfer calls.
 */
import { createResponse, generateTag, SipParseError } from '../message/index.ts';
import type { SipRequest } from '../message/types.ts';
import { realClock } from '../transaction/timers.ts';
import type { Clock } from '../transaction/timers.ts';
import type { IncomingRequest, ServerTransaction } from '../transaction/transaction-layer.ts';
import type { InviteSession, ReplyOptions } from './invite-session.ts';
import type { InviteUsage } from './invite-usage.ts';
import type { UserAgent, UserAgentUsage } from './user-agent.ts';
import { parseEvent } from './refer-event.ts';
import { ReferNotifier } from './refer-notifier.ts';
import { ReferSubscription } from './refer-subscription.ts';
import { formatReferredBy, parseReferredBy, parseReferTo } from './refer-to.ts';
import type { ReferTarget } from './refer-to.ts';
import { attendedTransfer, blindTransfer } from './refer-transfer.ts';
import type { TransferOptions, TransferOutcome } from './refer-transfer.ts';
import { checkReplaces } from './replaces-check.ts';
import type { ReplacesCheck } from './replaces-check.ts';
import { formatReplaces } from './replaces-header.ts';

export interface ReferUsageOptions {
  ua: UserAgent;
  /** The INVITE usage whose calls carry the REFERs. */
  invite: InviteUsage;
  /** The clock the UA runs on. */
  clock?: Clock;
  /** Milliseconds a transferor waits for the final NOTIFY. Default 32 000. */
  timeout?: number;
  /** Seconds a transferee's subscription lasts without a final report. Default 60. */
  expires?: number;
}

export interface ReferOptions {
  /** The Refer-To: a URI or name-addr, which may carry `?Replaces=…` (see formatReferTo). */
  referTo: string;
  /** Referred-By (RFC 3892); default our own address in the call; false: none. */
  referredBy?: string | false;
  /** Ask for no reports (Refer-Sub: false, RFC 4488): acceptance is the outcome. */
  noSubscription?: boolean;
  /** Milliseconds to wait for the final NOTIFY (default: the usage's). */
  timeout?: number;
  headers?: Array<[string, string]>;
}

export interface IncomingRefer {
  request: SipRequest;
  /** Whom to call, and the Replaces to send (attended transfer). */
  target: ReferTarget;
  /** Who asked for the transfer (Referred-By, RFC 3892), when given. */
  referredBy?: { displayName?: string; uri: string };
  /**
   * Header fields for the INVITE the REFER asks for: Replaces with `Require: replaces`
   * (RFC 3891 §4) and Referred-By copied from the REFER (RFC 3892 §3).
   */
  inviteHeaders: Array<[string, string]>;
  /** False when the REFER asked for no reports (Refer-Sub: false) — the notifier then sends none. */
  subscription: boolean;
}

export interface ReferActions {
  /** 202 Accepted and the first NOTIFY (`SIP/2.0 100 Trying`); the notifier reports the rest. */
  accept(): ReferNotifier;
  /** Refuse the REFER (default 603 Decline) with a reason phrase in words. */
  reject(status?: number, reason?: string): void;
}

export type ReferHandler = (session: InviteSession, refer: IncomingRefer, actions: ReferActions) => void;

type Reply = (status: number, opts?: ReplyOptions) => void;

export class ReferUsage implements UserAgentUsage {
  readonly methods: readonly string[] = ['REFER', 'NOTIFY'];
  readonly extensions: readonly string[] = ['replaces', 'norefersub'];
  /** We notify the refer package: a REFER we accept makes its subscription (RFC 3515 §2.4.4). */
  readonly events: readonly string[] = ['refer'];
  readonly invite: InviteUsage;
  readonly clock: Clock;
  readonly #timeout: number;
  readonly #expires: number;
  #handler: ReferHandler | undefined;
  /** REFERs we sent, per call, in order (the first one answers NOTIFYs without an id). */
  readonly #subs = new Map<InviteSession, ReferSubscription[]>();

  constructor(opts: ReferUsageOptions) {
    this.invite = opts.invite;
    this.clock = opts.clock ?? realClock;
    this.#timeout = opts.timeout ?? 32_000;
    this.#expires = opts.expires ?? 60;
    opts.ua.addUsage(this);
    opts.invite.onDialogRequest((session, request, reply) => this.#dialogRequest(session, request, reply));
  }

  /** Transferee: REFERs received in our calls. Without a handler they are declined (603). */
  onRefer(handler: ReferHandler): void {
    this.#handler = handler;
  }

  /**
   * Transferor: send a REFER in this call and follow its reports. The call must be established
   * (its dialog confirmed); otherwise the subscription is done at once (cause 'ended').
   */
  refer(session: InviteSession, opts: ReferOptions): ReferSubscription {
    const referTo = opts.referTo.includes('<') ? opts.referTo.trim() : `<${opts.referTo.trim()}>`;
    const sub = new ReferSubscription({ session, referTo, clock: this.clock, timeout: opts.timeout ?? this.#timeout });
    const headers: Array<[string, string]> = [['Refer-To', referTo]];
    const by = opts.referredBy === undefined ? session.localIdentity.uri : opts.referredBy;
    if (by) headers.push(['Referred-By', formatReferredBy(by)]);
    if (opts.noSubscription) headers.push(['Refer-Sub', 'false'], ['Supported', 'norefersub']);
    if (opts.headers) headers.push(...opts.headers);
    let list = this.#subs.get(session);
    if (!list) {
      const fresh: ReferSubscription[] = [];
      list = fresh;
      this.#subs.set(session, fresh);
      session.once('terminated', () => {
        if (this.#subs.get(session) === fresh) this.#subs.delete(session);
      });
    }
    list.push(sub);
    sub.start(headers);
    return sub;
  }

  /**
   * Transfer target: look at an incoming call's Replaces (RFC 3891 §3). A bad or unmatched one
   * is rejected here (400, 481, 486, 603); a match says which call it replaces, and unless
   * `endReplaced` is false that call is ended (BYE, or CANCEL for an early call of ours) as
   * soon as the new one is confirmed.
   */
  checkReplaces(session: InviteSession, opts: { endReplaced?: boolean } = {}): ReplacesCheck {
    return checkReplaces(this.invite, session, opts);
  }

  /** RFC 5589 §6: REFER the peer to `target`; on success our leg ends with BYE. */
  blindTransfer(session: InviteSession, target: string, opts: TransferOptions = {}): Promise<TransferOutcome> {
    return blindTransfer(this, session, target, opts);
  }

  /**
   * RFC 5589 §7: REFER the peer of `transferee` to the peer of `target`, replacing our dialog
   * with it; on success our leg with the transferee ends with BYE, and the target ends ours with it.
   */
  attendedTransfer(transferee: InviteSession, target: InviteSession, opts: TransferOptions = {}): Promise<TransferOutcome> {
    return attendedTransfer(this, transferee, target, opts);
  }

  /** UserAgentUsage: a REFER outside any dialog is refused (we transfer calls only). */
  handleRequest(tx: ServerTransaction, incoming: IncomingRequest): boolean {
    const request = incoming.message;
    if (request.method !== 'REFER' || request.to().params.get('tag')) return false;
    tx.respond(createResponse(request, { status: 403, reason: 'REFER outside a call is not accepted', toTag: generateTag() }));
    return true;
  }

  #dialogRequest(session: InviteSession, request: SipRequest, reply: Reply): boolean {
    if (request.method === 'REFER') {
      this.#receiveRefer(session, request, reply);
      return true;
    }
    if (request.method !== 'NOTIFY') return false;
    const event = parseEvent(request.header('Event'));
    if (event?.package !== 'refer') return false;
    const subs = this.#subs.get(session) ?? [];
    // RFC 3515 §2.4.6: the id is the REFER's CSeq; without one, the NOTIFY is for the first REFER.
    let sub: ReferSubscription | undefined;
    if (event.id === undefined) sub = subs[0];
    else sub = subs.find((s) => String(s.id) === event.id) ?? subs.find((s) => s.awaitingResponse);
    if (!sub) {
      reply(481, { reason: 'Subscription does not exist' });
      return true;
    }
    sub.receiveNotify(request, reply);
    return true;
  }

  #receiveRefer(session: InviteSession, request: SipRequest, reply: Reply): void {
    if (session.state !== 'Confirmed' && session.state !== 'Accepted') {
      reply(603, { reason: 'Decline: the call is not connected' });
      return;
    }
    const referTos = request.headers('Refer-To');
    if (referTos.length !== 1) {
      // RFC 3515 §2.4.1: exactly one Refer-To.
      reply(400, { reason: referTos.length === 0 ? 'Missing Refer-To' : 'More than one Refer-To' });
      return;
    }
    let target: ReferTarget;
    let referredBy: { displayName?: string; uri: string } | undefined;
    try {
      target = parseReferTo(referTos[0]);
      const by = request.header('Referred-By');
      if (by !== undefined) referredBy = parseReferredBy(by);
    } catch (err) {
      reply(400, { reason: err instanceof SipParseError ? err.reason : 'Bad Refer-To' });
      return;
    }
    if (target.scheme !== 'sip' && target.scheme !== 'sips') {
      reply(603, { reason: `Decline: only sip: and sips: addresses can be called, not ${target.scheme}:` });
      return;
    }
    if (target.method !== 'INVITE') {
      reply(603, { reason: `Decline: only a call (INVITE) can be referred, not ${target.method}` });
      return;
    }
    const inviteHeaders: Array<[string, string]> = [];
    if (target.replaces) inviteHeaders.push(['Replaces', formatReplaces(target.replaces)], ['Require', 'replaces']);
    const by = request.header('Referred-By');
    if (by !== undefined) inviteHeaders.push(['Referred-By', by.trim()]);
    const subscription = (request.header('Refer-Sub') ?? '').trim().toLowerCase() !== 'false';
    const refer: IncomingRefer = { request, target, ...(referredBy ? { referredBy } : {}), inviteHeaders, subscription };
    const handler = this.#handler;
    if (!handler) {
      reply(603, { reason: 'Decline: transfers are not accepted here' });
      return;
    }
    let answered = false;
    let notifier: ReferNotifier | undefined;
    const actions: ReferActions = {
      accept: () => {
        if (notifier) return notifier;
        if (answered) throw new Error('accept: the REFER was already rejected');
        answered = true;
        // RFC 4488 §4: agreeing to no subscription says so in the 2xx.
        reply(202, subscription ? {} : { headers: [['Refer-Sub', 'false']] });
        notifier = new ReferNotifier({ session, id: request.cseq().seq, clock: this.clock, expires: this.#expires, subscription });
        // RFC 3515 §2.4.4 / RFC 6665 §4.2.1: the first NOTIFY goes at once.
        void notifier.notify(100, 'Trying');
        return notifier;
      },
      reject: (status = 603, reason?: string) => {
        if (answered) return;
        if (!Number.isInteger(status) || status < 300 || status > 699) throw new RangeError(`reject: status must be 300-699, not ${status}`);
        answered = true;
        reply(status, reason !== undefined ? { reason } : {});
      },
    };
    try {
      handler(session, refer, actions);
    } catch {
      if (!answered) {
        answered = true;
        reply(500);
      }
    }
  }
}
