/**
 * INVITE sessions (RFC 3261 §13–§15, RFC 3262 PRACK, RFC 3311 UPDATE, RFC 4028 session timers,
 * RFC 3326 Reason): one call, as the UAC (`usage.invite(…)`) or the UAS (`usage.onIncoming`).
 * Bodies are opaque here: `{ contentType, body }`. The layer above (main/phone/) makes offers
 * and answers (SDP) and hears them back through events and the delegate.
 *
 * States:
 *
 *   UAC:  Initial ─invite()─▶ Calling ─1xx with To tag─▶ Early ─2xx (ACK sent)─▶ Confirmed
 *                               │ 3xx: next Contact ("redirected"); 401/407, 422: retried once
 *                               │ cancel(): Terminating ─487─▶ Terminated (200 after CANCEL: ACK + BYE)
 *                               └──── 3xx-6xx, 408, 503 ───────────────────────────▶ Terminated
 *   UAS:  Incoming ─ringing()/progress()─▶ Early ─accept()─▶ Accepted ─ACK─▶ Confirmed
 *            │  reject(), CANCEL (487), no PRACK in 64·T1 (504)                 │
 *            └───────────────────────────────────────────▶ Terminated          │
 *   Both: Confirmed ─bye() / BYE received / session expired / no ACK (64·T1) / 408, 481─▶ Terminated
 *
 * API (see InviteUsage for creating sessions):
 *
 *   session.role: 'uac' | 'uas'          session.state: InviteSessionState
 *   session.id                           a local identifier (Call-ID + our tag)
 *   session.callId / session.localTag
 *   session.remoteIdentity / localIdentity   { displayName?, uri } of the peer / of us
 *   session.request                      the initial INVITE (the one received, or the last sent)
 *   session.offer                        UAS: the offer the INVITE carried (undefined: none)
 *   session.dialog                       the Dialog once there is one (id, remoteTarget, routeSet…)
 *   session.delegate = { onOffer?, onOfferRequest?, onRequest? }
 *       onOffer(offer, ctx) → answer          the peer's offer: 2xx to an offerless INVITE (answer
 *                                             goes in the ACK), re-INVITE, UPDATE, reliable 1xx.
 *                                             A throw or rejection answers 488.
 *       onOfferRequest(ctx) → offer           an offerless re-INVITE (default: our last body).
 *       onRequest(request, reply)             in-dialog requests this layer does not handle
 *                                             (REFER, NOTIFY, MESSAGE…); reply(status, {headers, body}).
 *   UAS:  ringing(opts?) / progress(body?, opts?)   180 / 183 (reliable when the INVITE Requires 100rel)
 *         accept(body?, opts?)                      200 with Contact, retransmitted until ACK (§13.3.1.4)
 *         reject(status = 486, opts?) / redirect(contacts, status = 302)
 *   UAC:  cancel(reason?)                           §9.1 CANCEL
 *   Both: bye(opts?)             BYE (with an optional Reason, RFC 3326); Promise of its response
 *         terminate(opts?)       whatever ends the call in the current state (cancel/reject/bye)
 *         reinvite({ body?, headers? }) → Promise<ModifyResult>   §14; 491 → back-off and retry
 *         update({ body?, headers? })   → Promise<ModifyResult>   RFC 3311
 *         info(body, headers?) / sendRequest(method, { headers?, body? }) → Promise<SipResponse>
 *
 * Events (typed EventEmitter, InviteSessionEvents): state, trying, progress, ringing, answer,
 * redirected, accepted, confirmed, info, refreshed, terminated ({ cause, by, status?, reason,
 * reasonHeader? } — `reason` in words a person understands: "busy", "declined", …).
 *
 * Every timer runs on the injected Clock; callbacks never throw into the stack.
 *
 * Split by verb, as baresip's re splits sipsess: this class is the public face and composes the
 * parts, each owning its own fields:
 *   invite-core.ts            states, the dialog, events, sending in the dialog, the end (shared)
 *   invite-caller.ts          UAC: the INVITE client (challenges, 422, redirects, forks, CANCEL)
 *   invite-callee.ts          UAS: provisionals and 100rel, 2xx until ACK, reject, CANCEL received
 *   invite-modify.ts          re-INVITE and UPDATE, both ways, with glare (§14.1)
 *   invite-refresh.ts         RFC 4028 session timers
 *   invite-dialog-routing.ts  the peer's requests in the dialog, BYE, sendRequest/info
 */
import { EventEmitter } from 'node:events';
import { generateCallId, generateTag } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Dialog } from '../dialog/dialog.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { IncomingRequest, ServerTransaction } from '../transaction/transaction-layer.ts';
import type { Target } from '../transport/types.ts';
import type { ReasonValue } from './invite-reason.ts';
import { identityOf, InviteCore } from './invite-core.ts';
import type {
  Body,
  Identity,
  InviteOptions,
  InviteSessionDelegate,
  InviteSessionEvents,
  InviteSessionState,
  ModifyResult,
  ReplyOptions,
  SessionHost,
  TerminationInfo,
} from './invite-core.ts';
import { InviteCaller } from './invite-caller.ts';
import { InviteCallee } from './invite-callee.ts';
import { InviteModify } from './invite-modify.ts';
import { InviteRefresh } from './invite-refresh.ts';
import { InviteDialogRouting } from './invite-dialog-routing.ts';

export { bodyOf, contactFor } from './invite-core.ts';
export type {
  Body,
  Identity,
  InviteOptions,
  InviteSessionDelegate,
  InviteSessionEvents,
  InviteSessionState,
  ModifyResult,
  OfferContext,
  ReplyOptions,
  SessionHost,
  TerminationCause,
  TerminationInfo,
} from './invite-core.ts';
export { glareBackoff } from './invite-modify.ts';

export class InviteSession extends EventEmitter<InviteSessionEvents> {
  readonly role: 'uac' | 'uas';
  readonly callId: string;
  readonly localTag: string;
  delegate: InviteSessionDelegate;
  readonly #core: InviteCore;
  readonly #refresh: InviteRefresh;
  readonly #callee: InviteCallee;
  readonly #modify: InviteModify;
  readonly #routing: InviteDialogRouting;
  /** UAC only. */
  #caller: InviteCaller | undefined;

  private constructor(host: SessionHost, role: 'uac' | 'uas', callId: string, localTag: string, delegate: InviteSessionDelegate) {
    super();
    this.role = role;
    this.callId = callId;
    this.localTag = localTag;
    this.delegate = delegate;
    const core = new InviteCore({ session: this, host, role, callId, localTag });
    this.#core = core;
    this.#refresh = new InviteRefresh(core, () => this.#modify.refreshSession());
    this.#callee = new InviteCallee(core, this.#refresh);
    this.#modify = new InviteModify(core, this.#refresh, this.#callee);
    this.#routing = new InviteDialogRouting(core, this.#callee, this.#modify);
  }

  /** UAC: a new session; `start()` sends the INVITE. (InviteUsage.invite does both.) */
  static outgoing(host: SessionHost, opts: InviteOptions): InviteSession {
    const s = new InviteSession(host, 'uac', generateCallId(), generateTag(), opts.delegate ?? {});
    s.#caller = new InviteCaller(s.#core, s.#refresh, opts);
    return s;
  }

  /** UAS: a session for an INVITE that passed the checks (InviteUsage calls this). */
  static incoming(host: SessionHost, tx: InviteServerTransaction, incoming: IncomingRequest, localContact: string): InviteSession | { reject: SipResponse } {
    const s = new InviteSession(host, 'uas', incoming.message.callId(), generateTag(), {});
    const reject = s.#callee.answering(tx, incoming, localContact);
    return reject ? { reject } : s;
  }

  // ───────────────────────────── accessors ─────────────────────────────

  get state(): InviteSessionState {
    return this.#core.state;
  }

  get id(): string {
    return `${this.callId};${this.localTag}`;
  }

  get dialog(): Dialog | undefined {
    return this.#core.dialog;
  }

  get request(): SipRequest | undefined {
    return this.role === 'uas' ? this.#callee.initialRequest : this.#caller?.request;
  }

  get offer(): Body | undefined {
    return this.#callee.offer;
  }

  get remoteIdentity(): Identity {
    const dialog = this.#core.dialog;
    if (dialog) return identityOf(dialog.remote);
    const opts = this.#caller?.options;
    return opts ? identityOf(`<${opts.to}>`) : { uri: '' };
  }

  get localIdentity(): Identity {
    const dialog = this.#core.dialog;
    if (dialog) return identityOf(dialog.local);
    const opts = this.#caller?.options;
    return opts ? { displayName: opts.displayName, uri: opts.from } : { uri: '' };
  }

  get termination(): TerminationInfo | undefined {
    return this.#core.termination;
  }

  /** The session-timer interval in force (seconds), and who refreshes; undefined when none. */
  get sessionInterval(): { interval: number; refresher: 'local' | 'remote' } | undefined {
    return this.#refresh.sessionInterval;
  }

  // ───────────────────────────── UAC (invite-caller.ts) ─────────────────────────────

  /** UAC: send the INVITE and follow it to its end (redirects, challenges, 422). */
  async start(): Promise<void> {
    await this.#caller?.start();
  }

  /** §9.1: cancel our pending INVITE. A 200 that crosses the CANCEL is ACKed and BYEd. */
  cancel(): void {
    this.#caller?.cancel();
  }

  /**
   * A 2xx to one of our INVITEs outside its transaction (usage.onStray2xx) or after the first.
   * UAC only: InviteUsage routes stray 2xx to the sessions it placed; a re-INVITE's retransmitted
   * 2xx inside its transaction is ACKed again by invite-modify.ts.
   */
  receiveStray2xx(response: SipResponse, request?: SipRequest, localContact?: string, flow?: Target): void {
    this.#caller?.receiveStray2xx(response, request, localContact, flow);
  }

  // ───────────────────────────── UAS (invite-callee.ts) ─────────────────────────────

  /** 180 Ringing (an early dialog with our To tag, §12.1.1). */
  ringing(opts: ReplyOptions = {}): void {
    this.#callee.ringing(opts);
  }

  /** 183 Session Progress, usually with an early answer (early media). */
  progress(body?: Body, opts: ReplyOptions & { status?: number } = {}): void {
    this.#callee.progress(body, opts);
  }

  /**
   * 200 OK with Contact (§13.3.1.4): `body` is the answer to the INVITE's offer, or our offer
   * when the INVITE had none (the answer then comes in the ACK). Retransmitted until the ACK;
   * after 64·T1 without one the session ends with BYE.
   */
  accept(body?: Body, opts: ReplyOptions = {}): void {
    this.#callee.accept(body, opts);
  }

  /** A final failure to the INVITE (486 Busy Here by default). */
  reject(status = 486, opts: ReplyOptions = {}): void {
    this.#callee.reject(status, opts);
  }

  /** 3xx with these Contacts (§21.3): the caller tries them (e.g. `302` to a colleague). */
  redirect(contacts: string[], status = 302, opts: ReplyOptions = {}): void {
    this.#callee.redirect(contacts, status, opts);
  }

  /** §9.2: the caller cancelled. The layer answered the CANCEL; we answer the INVITE with 487. */
  receiveCancel(cancel: SipRequest): void {
    this.#callee.receiveCancel(cancel);
  }

  /** An ACK for a 2xx of ours (the initial INVITE or a re-INVITE). */
  receiveAck(ack: SipRequest): void {
    this.#callee.receiveAck(ack);
  }

  // ───────────────────────────── ending ─────────────────────────────

  /**
   * §15: BYE. The session is Terminated at once (media can stop); the Promise gives the BYE's
   * response. A UAS waiting for the ACK of its 2xx sends the BYE once the ACK came (§15).
   */
  bye(opts: { reason?: ReasonValue; headers?: Array<[string, string]> } = {}): Promise<SipResponse | undefined> {
    return this.#routing.bye(opts);
  }

  /** End the call whatever its state: CANCEL, reject (480 … or `status`), or BYE. */
  terminate(opts: { reason?: ReasonValue; status?: number } = {}): void {
    switch (this.#core.state) {
      case 'Initial':
      case 'Calling':
      case 'Early':
        if (this.role === 'uac') this.cancel();
        else this.reject(opts.status ?? 480);
        return;
      case 'Incoming':
        this.reject(opts.status ?? 480);
        return;
      case 'Accepted':
      case 'Confirmed':
        void this.bye({ reason: opts.reason });
        return;
      default:
        return;
    }
  }

  // ───────────────────────────── modifying the session (invite-modify.ts) ─────────────────────────────

  /** §14: a re-INVITE (hold, resume, codec change). Queued behind any modification in progress. */
  reinvite(opts: { body?: Body; headers?: Array<[string, string]> } = {}): Promise<ModifyResult> {
    return this.#modify.reinvite(opts);
  }

  /** RFC 3311: UPDATE, with an offer or (session refresh) without. */
  update(opts: { body?: Body; headers?: Array<[string, string]> } = {}): Promise<ModifyResult> {
    return this.#modify.update(opts);
  }

  // ───────────────────────────── in the dialog (invite-dialog-routing.ts) ─────────────────────────────

  /** INFO (RFC 6086), e.g. `application/dtmf-relay`. */
  info(body: Body, headers: Array<[string, string]> = []): Promise<SipResponse> {
    return this.#routing.info(body, headers);
  }

  /**
   * Any request inside the dialog (REFER, NOTIFY, INFO, MESSAGE…), routed by §12.2.1.1 and
   * answered once when challenged. A 481 or 408 ends the session (§12.2.1.2).
   */
  sendRequest(method: string, opts: { headers?: Array<[string, string]>; body?: Body } = {}): Promise<SipResponse> {
    return this.#routing.sendRequest(method, opts);
  }

  /** Whether a request in `dialog` came by the dialog's path (dialog-path.ts), our own requests' destinations included. */
  fromPath(dialog: Dialog, arrival: { source: { address: string }; connectionId?: string }): boolean {
    return this.#core.fromPath(dialog, arrival);
  }

  /** A request inside one of our dialogs (InviteUsage routes it here). Never throws. */
  receiveRequest(tx: ServerTransaction, incoming: IncomingRequest, dialog: Dialog): void {
    this.#routing.receiveRequest(tx, incoming, dialog);
  }
}
