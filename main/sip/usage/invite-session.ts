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
 */
import { EventEmitter } from 'node:events';
import { createRequest, createResponse, generateCallId, generateTag, parseNameAddr, parseUri } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { Dialog } from '../dialog/dialog.ts';
import type { DigestAuthenticator } from '../auth/index.ts';
import type { InviteClientTransaction } from '../transaction/invite-client-transaction.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { ClientTransaction, IncomingRequest, ServerTransaction } from '../transaction/transaction-layer.ts';
import { Timer } from '../transaction/timers.ts';
import type { Clock, TimerHandle } from '../transaction/timers.ts';
import type { Target, TransportProtocol } from '../transport/types.ts';
import type { FlowInfo } from './out-of-dialog-sender.ts';
import type { UserAgent } from './user-agent.ts';
import { describeFailure } from './invite-failure.ts';
import { formatReason, reasonOf } from './invite-reason.ts';
import type { ReasonValue } from './invite-reason.ts';
import { RedirectTargets } from './invite-redirect.ts';
import { fromDialogPath } from './dialog-path.ts';
import { canonicalIp } from '../transport/stamp-via.ts';
import { ReliableProvisionalSender, RSeqTracker, readRSeq, requires100rel } from './prack.ts';
import { negotiateAsUas, readAnswer, readMinSE, SessionTimer, uacRequestHeaders } from './session-timer.ts';
import type { SessionTimerConfig } from './session-timer.ts';

export type InviteSessionState =
  | 'Initial'
  | 'Calling'
  | 'Incoming'
  | 'Early'
  | 'Accepted'
  | 'Confirmed'
  | 'Terminating'
  | 'Terminated';

/** A message body: SDP and text types come up as strings, others as bytes. */
export interface Body {
  contentType: string;
  body: Uint8Array | string;
}

export interface Identity {
  displayName?: string;
  uri: string;
}

export type TerminationCause =
  | 'bye'
  | 'cancel'
  | 'rejected'
  | 'failed'
  | 'no-ack'
  | 'no-prack'
  | 'session-expired'
  | 'error';

export interface TerminationInfo {
  cause: TerminationCause;
  by: 'local' | 'remote';
  /** The SIP status behind it, when one: 486, 487, 408… */
  status?: number;
  /** In words a person understands. */
  reason: string;
  /** The peer's Reason header (RFC 3326), when it sent one. */
  reasonHeader?: ReasonValue;
}

export interface ModifyResult {
  ok: boolean;
  status: number;
  reason: string;
  /** The peer's answer (or, for an offerless re-INVITE, the answer we sent in the ACK). */
  answer?: Body;
}

export interface OfferContext {
  method: string;
  /** Before the call is answered (1xx, UPDATE in an early dialog, 2xx to an offerless INVITE). */
  early: boolean;
}

export interface ReplyOptions {
  reason?: string;
  headers?: Array<[string, string]>;
  body?: Body;
}

export interface InviteSessionDelegate {
  onOffer?(offer: Body, context: OfferContext): Body | Promise<Body>;
  onOfferRequest?(context: OfferContext): Body | Promise<Body>;
  onRequest?(request: SipRequest, reply: (status: number, opts?: ReplyOptions) => void): void;
}

export interface InviteSessionEvents {
  state: [state: InviteSessionState];
  trying: [response: SipResponse];
  progress: [info: { status: number; reason: string; response: SipResponse }];
  ringing: [response: SipResponse];
  answer: [body: Body, info: { method: string; early: boolean; refresh: boolean }];
  redirected: [info: { target: string; status: number; reason: string }];
  accepted: [response: SipResponse];
  confirmed: [];
  info: [body: Body | undefined, request: SipRequest];
  refreshed: [info: { interval: number; refresher: 'local' | 'remote' }];
  terminated: [info: TerminationInfo];
}

/** What InviteUsage gives each session: the stack, the config, and the dialog table. */
export interface SessionHost {
  ua: UserAgent;
  clock: Clock;
  userAgent?: string;
  sessionTimer?: SessionTimerConfig;
  random: () => number;
  bindDialog(dialog: Dialog, session: InviteSession): void;
  unbindDialog(dialog: Dialog): void;
  ended(session: InviteSession): void;
  /** In-dialog requests an extension takes before the delegate (REFER and its NOTIFYs); true: taken and answered. */
  dialogRequest?(session: InviteSession, request: SipRequest, reply: (status: number, opts?: ReplyOptions) => void): boolean;
}

export interface InviteOptions {
  /** The callee: Request-URI and To. */
  to: string;
  /** Our address of record (From). */
  from: string;
  displayName?: string;
  /** Contact URI; default: our address on the flow the INVITE leaves on, with the From user. */
  contact?: string;
  /** The offer; none: the offer comes in the 2xx and our answer goes in the ACK (onOffer). */
  offer?: Body;
  /** Outbound proxy URI. */
  proxy?: string;
  transport?: TransportProtocol;
  /** Answer 401/407 once with these. */
  credentials?: DigestAuthenticator;
  headers?: Array<[string, string]>;
  delegate?: InviteSessionDelegate;
  /** Redirections followed at most (§8.1.3.4 loop guard). Default 5. */
  maxRedirects?: number;
}

const TEXTUAL = /^(application\/(sdp|dtmf-relay|dtmf|json|[\w.+-]*\+xml)|text\/)/i;

/** The body of a message as a Body, or undefined when it has none. */
export function bodyOf(message: SipRequest | SipResponse): Body | undefined {
  if (message.body.length === 0) return undefined;
  const contentType = (message.header('Content-Type') ?? 'application/octet-stream').trim();
  return { contentType, body: TEXTUAL.test(contentType) ? new TextDecoder().decode(message.body) : message.body };
}

/** §14.1: the wait after a 491, in 10 ms units: 2.1–4 s for the Call-ID owner, 0–2 s otherwise. */
export function glareBackoff(owner: boolean, random: () => number): number {
  const units = owner ? 210 + Math.floor(random() * 191) : Math.floor(random() * 201);
  return units * 10;
}

function identityOf(value: string): Identity {
  const n = parseNameAddr(value);
  return n.displayName !== undefined ? { displayName: n.displayName, uri: n.uri.raw } : { uri: n.uri.raw };
}

function hostPort(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** A Contact URI for a flow: our address there, the user of our AOR (§8.1.1.8). */
export function contactFor(flow: FlowInfo, user: string, secure: boolean): string {
  const scheme = secure && flow.protocol === 'TLS' ? 'sips' : 'sip';
  const transport = flow.protocol === 'UDP' ? '' : `;transport=${flow.protocol.toLowerCase()}`;
  const u = user ? `${encodeURIComponent(user)}@` : '';
  return `<${scheme}:${u}${hostPort(flow.local.address, flow.local.port)}${transport}>`;
}

function targetOf(flow: FlowInfo): Target {
  return { protocol: flow.protocol, address: flow.remote.address, port: flow.remote.port, connectionId: flow.connectionId };
}

/** The 2xx of an INVITE, retransmitted by the UAS core until the ACK (§13.3.1.4). */
class OkRetransmitter {
  readonly #clock: Clock;
  readonly #T1: number;
  readonly #T2: number;
  readonly #send: () => void;
  readonly #giveUp: () => void;
  readonly #timer: Timer;
  #interval = 0;
  #started = 0;

  constructor(opts: { clock: Clock; T1: number; T2: number; send: () => void; giveUp: () => void }) {
    this.#clock = opts.clock;
    this.#T1 = opts.T1;
    this.#T2 = opts.T2;
    this.#send = opts.send;
    this.#giveUp = opts.giveUp;
    this.#timer = new Timer(opts.clock, () => this.#fire());
  }

  start(): void {
    this.#started = this.#clock.now();
    this.#interval = this.#T1;
    this.#send();
    this.#timer.start(this.#interval);
  }

  stop(): void {
    this.#timer.clear();
  }

  #fire(): void {
    if (this.#clock.now() - this.#started >= 64 * this.#T1) {
      this.#giveUp();
      return;
    }
    this.#send();
    this.#interval = Math.min(2 * this.#interval, this.#T2);
    this.#timer.start(Math.min(this.#interval, this.#started + 64 * this.#T1 - this.#clock.now()));
  }
}

/** A re-INVITE (or the initial INVITE) we answered, waiting for its ACK. */
interface ServerInvite {
  tx: InviteServerTransaction;
  request: SipRequest;
  cseq: number;
  /** Our 2xx carried an offer: the ACK must carry the answer. */
  expectAnswer: boolean;
  retransmitter?: OkRetransmitter;
  answered: boolean;
}

interface EarlyDialog {
  dialog: Dialog;
  rseq: RSeqTracker;
}

export class InviteSession extends EventEmitter<InviteSessionEvents> {
  readonly role: 'uac' | 'uas';
  readonly callId: string;
  readonly localTag: string;
  delegate: InviteSessionDelegate;
  #state: InviteSessionState = 'Initial';
  readonly #host: SessionHost;
  #dialog: Dialog | undefined;
  /** Addresses our in-dialog requests went to (the dialog's path, dialog-path.ts); a few at most. */
  readonly #sentTo = new Set<string>();
  #terminationInfo: TerminationInfo | undefined;
  readonly #timer: SessionTimer;
  #timerInterval: number | undefined;
  #localBody: Body | undefined;
  #offerPending: 'none' | 'local' | 'remote' = 'none';
  #peerAllow: string[] = [];
  #modifyQueue: Promise<unknown> = Promise.resolve();
  #clientInvite: boolean = false;
  #serverInvite: ServerInvite | undefined;
  readonly #acks = new Map<string, SipRequest>();
  #pendingTimers = new Set<TimerHandle>();

  // UAC
  #opts: InviteOptions | undefined;
  #request: SipRequest | undefined;
  #cseq = 0;
  #inviteTx: InviteClientTransaction | undefined;
  #cancelRequested = false;
  #cancelGuard: Timer | undefined;
  readonly #early = new Map<string, EarlyDialog>();
  #gotAnswer = false;

  // UAS
  #incoming: IncomingRequest | undefined;
  #offer: Body | undefined;
  #reliable: ReliableProvisionalSender | undefined;
  #provisionalBody: Body | undefined;
  #byePending: { reason?: ReasonValue } | undefined;
  #uasTimerHeaders: Array<[string, string]> = [];
  #uasTimer: { interval: number; refresher: 'uac' | 'uas' } | undefined;
  #afterPrack: Array<() => void> = [];
  #bound = false;
  #minSE: number | undefined;
  #pendingRefresh: { interval: number; refresher: 'local' | 'remote' } | undefined;
  #idleWaiters: Array<() => void> = [];

  private constructor(host: SessionHost, role: 'uac' | 'uas', callId: string, localTag: string, delegate: InviteSessionDelegate) {
    super();
    this.#host = host;
    this.role = role;
    this.callId = callId;
    this.localTag = localTag;
    this.delegate = delegate;
    this.#timer = new SessionTimer({
      clock: host.clock,
      onRefresh: () => this.#refreshSession(),
      onExpire: () => this.#sessionExpired(),
    });
  }

  /** UAC: a new session; `start()` sends the INVITE. (InviteUsage.invite does both.) */
  static outgoing(host: SessionHost, opts: InviteOptions): InviteSession {
    const s = new InviteSession(host, 'uac', generateCallId(), generateTag(), opts.delegate ?? {});
    s.#opts = opts;
    s.#localBody = opts.offer;
    s.#timerInterval = host.sessionTimer?.expires;
    return s;
  }

  /** UAS: a session for an INVITE that passed the checks (InviteUsage calls this). */
  static incoming(host: SessionHost, tx: InviteServerTransaction, incoming: IncomingRequest, localContact: string): InviteSession | { reject: SipResponse } {
    const request = incoming.message;
    const s = new InviteSession(host, 'uas', request.callId(), generateTag(), {});
    s.#incoming = incoming;
    s.#serverInvite = { tx, request, cseq: request.cseq().seq, expectAnswer: false, answered: false };
    s.#offer = bodyOf(request);
    if (s.#offer) s.#offerPending = 'remote';
    s.#peerAllow = request.headers('Allow').map((m) => m.trim().toUpperCase());
    const flow: Target = {
      protocol: incoming.protocol,
      address: incoming.source.address,
      port: incoming.source.port,
      connectionId: incoming.connectionId,
    };
    s.#dialog = Dialog.forUas(request, { localTag: s.localTag, localContact, flow });
    if (host.sessionTimer) {
      const n = negotiateAsUas(request, host.sessionTimer);
      if (n.kind === 'reject') {
        return { reject: s.#response(request, 422, { headers: [['Min-SE', String(n.minSE)]] }) };
      }
      if (n.kind === 'timer') {
        s.#uasTimerHeaders = n.headers;
        s.#uasTimer = { interval: n.interval, refresher: n.refresher };
      }
    }
    if (requires100rel(request)) {
      const T1 = host.ua.transactions.timers.T1;
      s.#reliable = new ReliableProvisionalSender({
        clock: host.clock,
        T1,
        send: (r) => tx.respond(r),
        onTimeout: () => {
          // RFC 3262 §3: no PRACK in 64·T1 → reject the INVITE with a 5xx.
          if (s.#state === 'Terminated') return;
          tx.respond(s.#response(request, 504, { reason: 'No PRACK' }));
          s.#end({ cause: 'no-prack', by: 'remote', status: 504, reason: 'the other side did not acknowledge our ringing' });
        },
      });
    }
    s.#setState('Incoming');
    return s;
  }

  // ───────────────────────────── accessors ─────────────────────────────

  get state(): InviteSessionState {
    return this.#state;
  }

  get id(): string {
    return `${this.callId};${this.localTag}`;
  }

  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  get request(): SipRequest | undefined {
    return this.role === 'uas' ? this.#serverInviteInitial() : this.#request;
  }

  get offer(): Body | undefined {
    return this.#offer;
  }

  get remoteIdentity(): Identity {
    if (this.#dialog) return identityOf(this.#dialog.remote);
    return this.#opts ? identityOf(`<${this.#opts.to}>`) : { uri: '' };
  }

  get localIdentity(): Identity {
    if (this.#dialog) return identityOf(this.#dialog.local);
    return this.#opts ? { displayName: this.#opts.displayName, uri: this.#opts.from } : { uri: '' };
  }

  get termination(): TerminationInfo | undefined {
    return this.#terminationInfo;
  }

  /** The session-timer interval in force (seconds), and who refreshes; undefined when none. */
  get sessionInterval(): { interval: number; refresher: 'local' | 'remote' } | undefined {
    return this.#timer.running ? { interval: this.#timer.interval, refresher: this.#timer.refresherIsLocal ? 'local' : 'remote' } : undefined;
  }

  #serverInviteInitial(): SipRequest | undefined {
    return this.#incoming?.message;
  }

  // ───────────────────────────── common plumbing ─────────────────────────────

  /** Read after an await: the state may have moved meanwhile (no narrowing across it). */
  #over(): boolean {
    return this.#state === 'Terminated';
  }

  #setState(state: InviteSessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'Confirmed' && this.#dialog) void this.#learnPath(this.#dialog);
    this.#emit('state', state);
    this.#checkIdle();
  }

  /**
   * The addresses our in-dialog requests would go to (§12.2.1.1: the first route, else the remote
   * target), resolved once the call is up: the dialog's path when it is written as a name (a
   * Record-Route or Contact with a host name), so that the peer's BYE is known before we send
   * anything ourselves.
   */
  async #learnPath(dialog: Dialog): Promise<void> {
    try {
      const targets = await this.#host.ua.resolveNextHop(dialog.nextHop(), { flow: dialog.flow });
      for (const t of targets) if (this.#sentTo.size < 8) this.#sentTo.add(canonicalIp(t.address));
    } catch {
      // Unresolvable: the addresses the dialog was set up with still count.
    }
  }

  /** No INVITE transaction and no offer in progress, either way (§14.1, RFC 3311 §5.1). */
  #idle(): boolean {
    return !this.#clientInvite && !this.#serverInvite && this.#offerPending === 'none';
  }

  /** Resolves once the session is idle (or over): a modification waits its turn. */
  #waitIdle(): Promise<void> {
    if (this.#idle() || this.#over()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #checkIdle(): void {
    if (!this.#idle() && !this.#over()) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** Emit without letting a listener's exception into the stack (STYLE.md: callbacks never throw). */
  #emit<K extends keyof InviteSessionEvents>(event: K, ...args: InviteSessionEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: InviteSessionEvents[K]) => boolean)(event, ...args);
    } catch {
      // A listener's bug must not break the call.
    }
  }

  #end(info: TerminationInfo): void {
    if (this.#state === 'Terminated') return;
    this.#terminationInfo = info;
    this.#timer.stop();
    this.#cancelGuard?.clear();
    this.#reliable?.stop();
    this.#serverInvite?.retransmitter?.stop();
    for (const h of this.#pendingTimers) this.#host.clock.clearTimeout(h);
    this.#pendingTimers.clear();
    for (const e of this.#early.values()) this.#host.unbindDialog(e.dialog);
    this.#early.clear();
    if (this.#dialog) {
      this.#dialog.terminate();
      this.#host.unbindDialog(this.#dialog);
    }
    this.#setState('Terminated');
    this.#host.ended(this);
    this.#emit('terminated', info);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const h = this.#host.clock.setTimeout(() => {
        this.#pendingTimers.delete(h);
        resolve();
      }, ms);
      this.#pendingTimers.add(h);
    });
  }

  #commonHeaders(): Array<[string, string]> {
    return [
      ['Allow', this.#host.ua.allowedMethods().join(', ')],
      ['Supported', this.#host.ua.supportedExtensions().join(', ')],
    ];
  }

  #response(request: SipRequest, status: number, opts: ReplyOptions & { contact?: boolean } = {}): SipResponse {
    const fields: Array<[string, string]> = [];
    if (opts.contact && this.#dialog) fields.push(['Contact', this.#dialog.localContact]);
    // §12.1.1: a dialog-creating response copies the Record-Route of the request.
    if (request.method === 'INVITE' && status > 100 && status < 300) {
      for (const rr of request.headers('Record-Route')) fields.push(['Record-Route', rr]);
    }
    if (this.#host.userAgent) fields.push(['Server', this.#host.userAgent]);
    if (opts.headers) fields.push(...opts.headers);
    if (opts.body) fields.push(['Content-Type', opts.body.contentType]);
    const toTag = request.to().params.get('tag') ? undefined : this.localTag;
    return createResponse(request, { status, reason: opts.reason, toTag, fields, body: opts.body?.body });
  }

  /** Send an in-dialog request (§12.2.1.1) and answer one digest challenge; the final response. */
  async #send(
    dialog: Dialog,
    request: SipRequest,
    hooks: { onProvisional?: (r: SipResponse) => void; onLateResponse?: (r: SipResponse) => void } = {},
  ): Promise<SipResponse> {
    const auth = this.#opts?.credentials;
    auth?.preAuthorize(request);
    if (this.#host.userAgent && !request.hasHeader('User-Agent')) request.addHeader('User-Agent', this.#host.userAgent);
    for (let tries = 0; ; tries++) {
      const { response, flow } = await this.#host.ua.send(request, {
        proxy: dialog.hasRouteSet ? dialog.nextHop() : undefined,
        flow: dialog.flow,
        onProvisional: hooks.onProvisional,
        onLateResponse: hooks.onLateResponse,
      });
      if (flow.remote.address !== '0.0.0.0' && this.#sentTo.size < 8) this.#sentTo.add(canonicalIp(flow.remote.address));
      if ((response.status === 401 || response.status === 407) && auth && tries === 0 && auth.authorize(request, response) === 'retry') {
        // §22.2: the same request again with the next CSeq (the transaction layer gives a new branch).
        const seq = dialog.nextSeq();
        dialog.localSeq = seq;
        request.setHeader('CSeq', `${seq} ${request.method}`);
        continue;
      }
      return response;
    }
  }

  /** §13.2.2.4: the ACK for a 2xx, its own transaction-less send along the dialog's route. */
  async #sendAck(dialog: Dialog, ack: SipRequest): Promise<void> {
    try {
      const targets = await this.#host.ua.resolveNextHop(dialog.nextHop(), { flow: dialog.flow });
      if (targets.length > 0) await this.#host.ua.transactions.sendAck(ack, targets[0]);
    } catch {
      // The peer retransmits its 2xx; a later retransmission is ACKed again.
    }
  }

  #buildAck(dialog: Dialog, invite: SipRequest, body?: Body): SipRequest {
    // §13.2.2.4: the ACK carries the INVITE's CSeq number and its credentials (§22.1).
    const headers: Array<[string, string]> = [];
    for (const name of ['Authorization', 'Proxy-Authorization']) for (const v of invite.headers(name)) headers.push([name, v]);
    return dialog.createRequest('ACK', { cseq: invite.cseq().seq, headers, body });
  }

  async #askOffer(offer: Body, context: OfferContext): Promise<Body | undefined> {
    const fn = this.delegate.onOffer;
    if (!fn) return undefined;
    try {
      return await fn.call(this.delegate, offer, context);
    } catch {
      return undefined;
    }
  }

  async #askOfferRequest(context: OfferContext): Promise<Body | undefined> {
    const fn = this.delegate.onOfferRequest;
    if (!fn) return this.#localBody;
    try {
      return await fn.call(this.delegate, context);
    } catch {
      return undefined;
    }
  }

  #startTimerFrom(interval: number, refresher: 'local' | 'remote'): void {
    if (this.#state === 'Terminated') return;
    this.#timer.start(interval, refresher);
    this.#timerInterval = interval;
    this.#emit('refreshed', { interval, refresher });
  }

  // ───────────────────────────── UAC: the initial INVITE ─────────────────────────────

  #buildInvite(uri: string): SipRequest {
    const opts = this.#opts!;
    const to = opts.to;
    const display = opts.displayName !== undefined ? `"${opts.displayName.replace(/["\\]/g, '\\$&')}" ` : '';
    const headers: Array<[string, string]> = [...this.#commonHeaders()];
    if (this.#host.userAgent) headers.push(['User-Agent', this.#host.userAgent]);
    if (this.#timerInterval !== undefined && this.#host.sessionTimer) {
      headers.push(...uacRequestHeaders(this.#timerInterval, Math.max(this.#host.sessionTimer.minSE, this.#minSE ?? 0)));
    }
    if (opts.headers) headers.push(...opts.headers);
    const fields: Array<[string, string]> = [
      ['Max-Forwards', '70'],
      ['To', `<${to}>`],
      ['From', `${display}<${opts.from}>;tag=${this.localTag}`],
      ['Call-ID', this.callId],
      ['CSeq', `${++this.#cseq} INVITE`],
      ...(opts.contact ? [['Contact', `<${opts.contact}>`] as [string, string]] : []),
      ...headers,
    ];
    if (opts.offer) fields.push(['Content-Type', opts.offer.contentType]);
    const req = createRequest({ method: 'INVITE', uri, fields, body: opts.offer?.body });
    opts.credentials?.preAuthorize(req);
    return req;
  }

  /** UAC: send the INVITE and follow it to its end (redirects, challenges, 422). */
  async start(): Promise<void> {
    if (this.role !== 'uac' || this.#state !== 'Initial') return;
    const opts = this.#opts!;
    if (opts.offer) this.#offerPending = 'local';
    this.#setState('Calling');
    try {
      await this.#run(opts);
    } catch (err) {
      this.#end({ cause: 'error', by: 'local', reason: (err as Error).message || 'the call could not be placed' });
    }
  }

  async #run(opts: InviteOptions): Promise<void> {
    let uri = opts.to;
    let depth = 0;
    const redirects = new RedirectTargets({ maxDepth: opts.maxRedirects ?? 5, first: parseUri(uri) });
    let challenged = false;
    let refused: string | undefined;
    let timerRetries = 0;
    for (;;) {
      if (this.#cancelRequested) {
        this.#end({ cause: 'cancel', by: 'local', status: 487, reason: describeFailure(487) });
        return;
      }
      const request = this.#buildInvite(uri);
      this.#request = request;
      let localContact = request.header('Contact') ?? '';
      let flow: FlowInfo | undefined;
      const secure = parseUri(uri).scheme === 'sips';
      const { response, flow: used } = await this.#host.ua.send(request, {
        proxy: opts.proxy,
        transport: opts.transport,
        prepare: (f) => {
          flow = f;
          if (!opts.contact) {
            localContact = contactFor(f, parseUri(opts.from).user, secure);
            request.setHeader('Contact', localContact);
          }
        },
        onTransaction: (tx) => this.#onInviteTransaction(tx),
        onProvisional: (r) => this.#onProvisional(request, r, () => localContact, () => flow),
        onLateResponse: (r) => this.#onLateResponse(request, r, localContact, used),
      });
      if (this.#state === 'Terminated') return;
      const status = response.status;
      if (status >= 200 && status < 300) {
        await this.#on2xx(request, response, localContact, targetOf(used));
        return;
      }
      this.#dropEarlyDialogs();
      if (this.#cancelRequested) {
        this.#end({ cause: 'cancel', by: 'local', status, reason: describeFailure(487) });
        return;
      }
      if ((status === 401 || status === 407) && opts.credentials && !challenged) {
        challenged = true;
        const verdict = opts.credentials.authorize(request, response);
        if (verdict === 'retry') continue;
        // §22.1: credentials go only to the account's realm; say so rather than "wrong password".
        if (verdict.kind === 'refused') refused = verdict.reason;
      }
      if (status === 422 && this.#host.sessionTimer && timerRetries++ < 2) {
        // RFC 4028 §7.4: retry with the Min-SE the 422 asks for.
        const min = readMinSE(response);
        if (min !== undefined) {
          this.#minSE = min;
          this.#timerInterval = Math.max(min, this.#timerInterval ?? 0);
          continue;
        }
      }
      if (status >= 300 && status < 400) {
        try {
          redirects.add(response.contacts(), depth);
        } catch {
          // Unreadable Contacts: nothing to follow.
        }
      }
      // §8.1.3.4: a failure from one target moves on to the next Contact (6xx ends it all).
      const next = status < 600 ? redirects.next() : undefined;
      if (next) {
        uri = next.uri;
        depth = next.depth;
        challenged = false;
        refused = undefined;
        this.#emit('redirected', { target: next.uri, status, reason: response.reason });
        continue;
      }
      this.#offerPending = 'none';
      this.#end({
        cause: status === 408 || status === 503 ? 'failed' : 'rejected',
        by: 'remote',
        status,
        reason: refused ?? describeFailure(status, response.reason),
      });
      return;
    }
  }

  #onInviteTransaction(tx: ClientTransaction): void {
    if (tx.kind !== 'invite-client') return;
    this.#inviteTx = tx;
    if (this.#cancelRequested) this.#host.ua.transactions.cancel(tx);
  }

  /** A 1xx to our INVITE: early dialogs (§12.1.2), PRACK (RFC 3262 §4), early answers. */
  #onProvisional(request: SipRequest, response: SipResponse, localContact: () => string, flow: () => FlowInfo | undefined): void {
    if (this.#state === 'Terminated' || request !== this.#request) return;
    if (response.status === 100) {
      this.#emit('trying', response);
      return;
    }
    const toTag = response.to().params.get('tag');
    let early: EarlyDialog | undefined;
    if (toTag) {
      early = this.#early.get(toTag);
      if (!early) {
        const f = flow();
        early = { dialog: Dialog.forUac(request, response, { localContact: localContact(), flow: f ? targetOf(f) : undefined }), rseq: new RSeqTracker() };
        this.#early.set(toTag, early);
        this.#host.bindDialog(early.dialog, this);
      } else {
        early.dialog.refreshTarget(response);
      }
      if (this.#state === 'Calling') this.#setState('Early');
    }
    const rseq = readRSeq(response);
    const reliable = early !== undefined && rseq !== undefined && requires100rel(response);
    if (reliable && early!.rseq.accept(rseq) !== 'new') return;
    this.#emit('progress', { status: response.status, reason: response.reason, response });
    if (response.status === 180) this.#emit('ringing', response);
    const body = bodyOf(response);
    if (body && this.#opts?.offer) {
      // A 1xx with a body is the early answer (early media); the 2xx repeats it.
      this.#gotAnswer = this.#gotAnswer || reliable;
      if (reliable) this.#offerPending = 'none';
      this.#emit('answer', body, { method: 'INVITE', early: true, refresh: false });
    }
    if (reliable) void this.#prack(early!.dialog, request, response, rseq!, body);
  }

  /** RFC 3262 §7.2: PRACK with RAck; an offer in the reliable 1xx is answered in the PRACK. */
  async #prack(dialog: Dialog, invite: SipRequest, response: SipResponse, rseq: number, body: Body | undefined): Promise<void> {
    let answer: Body | undefined;
    if (body && !this.#opts?.offer && !this.#gotAnswer) {
      answer = await this.#askOffer(body, { method: 'INVITE', early: true });
      if (answer) {
        this.#localBody = answer;
        this.#gotAnswer = true;
      }
    }
    if (this.#state === 'Terminated' || dialog.state === 'terminated') return;
    const prack = dialog.createRequest('PRACK', { headers: [['RAck', `${rseq} ${invite.cseq().seq} INVITE`]], body: answer });
    try {
      await this.#send(dialog, prack);
    } catch {
      // A lost PRACK: the UAS retransmits its 1xx, which is then a retransmission for us; it gives up with 5xx.
    }
  }

  /** A 2xx from a second fork (ACK it, then BYE it) or a retransmission (ACK again), §13.2.2.4. */
  #onLateResponse(request: SipRequest, response: SipResponse, localContact: string, used: FlowInfo | undefined): void {
    if (response.status < 200 || response.status >= 300) return;
    this.receiveStray2xx(response, request, localContact, used ? targetOf(used) : undefined);
  }

  /** A 2xx to one of our INVITEs outside its transaction (usage.onStray2xx) or after the first. */
  receiveStray2xx(response: SipResponse, request = this.#request, localContact = this.#dialog?.localContact ?? '', flow?: Target): void {
    const tag = response.to().params.get('tag') ?? '';
    const key = `${response.cseq().seq}\n${tag}`;
    const ack = this.#acks.get(key);
    const dialog = this.#dialog;
    if (ack && dialog) {
      const d = dialog.id.remoteTag === tag ? dialog : undefined;
      if (d) void this.#sendAck(d, ack);
      else void this.#resendForkAck(response, ack, flow);
      return;
    }
    if (!request || (dialog && dialog.id.remoteTag === tag)) return; // ACK not ready yet.
    // Another fork answered: confirm its dialog just long enough to ACK and BYE it.
    const fork = Dialog.forUac(request, response, { localContact, flow: flow ?? dialog?.flow });
    const forkAck = this.#buildAck(fork, request);
    this.#acks.set(key, forkAck);
    void this.#sendAck(fork, forkAck);
    const bye = fork.createRequest('BYE', { headers: [['Reason', 'SIP;cause=200;text="Call completed elsewhere"']] });
    void this.#send(fork, bye).catch(() => {});
  }

  async #resendForkAck(response: SipResponse, ack: SipRequest, flow?: Target): Promise<void> {
    if (!this.#request) return;
    const fork = Dialog.forUac(this.#request, response, { localContact: '', flow });
    await this.#sendAck(fork, ack);
  }

  async #on2xx(request: SipRequest, response: SipResponse, localContact: string, flow: Target): Promise<void> {
    const toTag = response.to().params.get('tag') ?? '';
    const early = this.#early.get(toTag);
    const dialog = early?.dialog ?? Dialog.forUac(request, response, { localContact, flow });
    if (early) this.#early.delete(toTag);
    dialog.flow = flow;
    dialog.confirm(response);
    this.#dialog = dialog;
    this.#host.bindDialog(dialog, this);
    this.#dropEarlyDialogs();
    this.#peerAllow = response.headers('Allow').map((m) => m.trim().toUpperCase());
    const key = `${request.cseq().seq}\n${toTag}`;
    if (this.#cancelRequested) {
      // §9.1: the 200 crossed our CANCEL: the call exists; ACK it and end it with BYE.
      const ack = this.#buildAck(dialog, request);
      this.#acks.set(key, ack);
      void this.#sendAck(dialog, ack);
      this.#sendBye(dialog, { protocol: 'SIP', cause: 487, text: 'Request Terminated' });
      this.#end({ cause: 'cancel', by: 'local', status: 487, reason: describeFailure(487) });
      return;
    }
    const body = bodyOf(response);
    let ackBody: Body | undefined;
    let problem: string | undefined;
    if (this.#opts?.offer) {
      if (body && !this.#gotAnswer) this.#emit('answer', body, { method: 'INVITE', early: false, refresh: false });
      else if (!body && !this.#gotAnswer) problem = 'the answer carried no session description';
      this.#offerPending = 'none';
    } else if (!this.#gotAnswer) {
      // §13.2.1: no offer in the INVITE — the 2xx holds the offer, our answer goes in the ACK.
      if (!body) problem = 'the answer carried no session description';
      else {
        this.#setState('Accepted');
        ackBody = await this.#askOffer(body, { method: 'INVITE', early: false });
        if (!ackBody) problem = 'no common codec/media';
        else this.#localBody = ackBody;
      }
    }
    if (this.#state === 'Terminated') return;
    const ack = this.#buildAck(dialog, request, ackBody);
    this.#acks.set(key, ack);
    void this.#sendAck(dialog, ack);
    if (problem) {
      // §13.2.2.4: ACK, then BYE a session we cannot use.
      this.#sendBye(dialog, { protocol: 'SIP', cause: 488, text: problem });
      this.#end({ cause: 'failed', by: 'local', status: 488, reason: problem });
      return;
    }
    const timer = this.#host.sessionTimer ? readAnswer(response) : undefined;
    if (timer) this.#startTimerFrom(timer.interval, timer.refresher === 'uac' ? 'local' : 'remote');
    this.#setState('Confirmed');
    this.#emit('accepted', response);
    this.#emit('confirmed');
  }

  #dropEarlyDialogs(): void {
    for (const e of this.#early.values()) {
      e.dialog.terminate();
      this.#host.unbindDialog(e.dialog);
    }
    this.#early.clear();
  }

  /** §9.1: cancel our pending INVITE. A 200 that crosses the CANCEL is ACKed and BYEd. */
  cancel(): void {
    if (this.role !== 'uac' || (this.#state !== 'Calling' && this.#state !== 'Early' && this.#state !== 'Initial')) return;
    this.#cancelRequested = true;
    if (this.#state === 'Initial') {
      this.#end({ cause: 'cancel', by: 'local', reason: describeFailure(487) });
      return;
    }
    this.#setState('Terminating');
    if (this.#inviteTx) this.#host.ua.transactions.cancel(this.#inviteTx);
    // §9.1: no final response 64·T1 after the CANCEL: consider the INVITE cancelled.
    this.#cancelGuard = new Timer(this.#host.clock, () => this.#end({ cause: 'cancel', by: 'local', status: 487, reason: describeFailure(487) }));
    this.#cancelGuard.start(64 * this.#host.ua.transactions.timers.T1);
  }

  // ───────────────────────────── UAS: answering ─────────────────────────────

  #ensureUasEarly(): void {
    if (this.#dialog && !this.#bound) {
      this.#bound = true;
      this.#host.bindDialog(this.#dialog, this);
    }
  }

  #provisional(status: number, opts: ReplyOptions = {}): void {
    if (this.role !== 'uas' || (this.#state !== 'Incoming' && this.#state !== 'Early')) return;
    const inv = this.#serverInvite!;
    this.#ensureUasEarly();
    const response = this.#response(inv.request, status, { ...opts, contact: true });
    if (opts.body) this.#provisionalBody = opts.body;
    if (this.#reliable) {
      const offered = opts.body !== undefined && this.#offer === undefined;
      if (opts.body && this.#offer) this.#offerPending = 'none';
      this.#reliable.send(response, (prack) => {
        const answer = bodyOf(prack);
        if (offered && answer) {
          this.#offerPending = 'none';
          this.#emit('answer', answer, { method: 'PRACK', early: true, refresh: false });
        }
        const after = this.#afterPrack.splice(0);
        for (const fn of after) fn();
      });
      if (offered) this.#offerPending = 'local';
    } else {
      inv.tx.respond(response);
    }
    this.#setState('Early');
  }

  /** 180 Ringing (an early dialog with our To tag, §12.1.1). */
  ringing(opts: ReplyOptions = {}): void {
    this.#provisional(180, opts);
  }

  /** 183 Session Progress, usually with an early answer (early media). */
  progress(body?: Body, opts: ReplyOptions & { status?: number } = {}): void {
    this.#provisional(opts.status ?? 183, { ...opts, body: body ?? opts.body });
  }

  /**
   * 200 OK with Contact (§13.3.1.4): `body` is the answer to the INVITE's offer, or our offer
   * when the INVITE had none (the answer then comes in the ACK). Retransmitted until the ACK;
   * after 64·T1 without one the session ends with BYE.
   */
  accept(body?: Body, opts: ReplyOptions = {}): void {
    if (this.role !== 'uas' || (this.#state !== 'Incoming' && this.#state !== 'Early')) return;
    // RFC 3262 §3: no 2xx while a reliable 1xx holding a session description waits for its PRACK.
    if (this.#reliable?.pending) {
      this.#afterPrack.push(() => this.accept(body, opts));
      return;
    }
    const inv = this.#serverInvite!;
    this.#reliable?.stop();
    this.#ensureUasEarly();
    const dialog = this.#dialog!;
    dialog.confirm();
    let answer = body;
    if (this.#offer) {
      // The answer; after an unreliable 1xx that carried it, the 2xx must carry it again (§13.3.1).
      if (!answer && !this.#reliable) answer = this.#provisionalBody;
      this.#offerPending = 'none';
    } else if (this.#reliable && this.#provisionalBody && this.#offerPending === 'none') {
      // Our offer went in a reliable 1xx and the PRACK answered it: nothing more to say.
      answer = undefined;
    } else if (answer) {
      // No offer in the INVITE: this is ours, and the ACK must answer it (§13.2.1).
      inv.expectAnswer = true;
      this.#offerPending = 'local';
    }
    const headers = [...this.#commonHeaders(), ...this.#uasTimerHeaders, ...(opts.headers ?? [])];
    const response = this.#response(inv.request, 200, { ...opts, headers, body: answer, contact: true });
    if (answer) this.#localBody = answer;
    inv.answered = true;
    this.#startOk(inv, response);
    this.#setState('Accepted');
    if (this.#uasTimer) this.#startTimerFrom(this.#uasTimer.interval, this.#uasTimer.refresher === 'uas' ? 'local' : 'remote');
    this.#emit('accepted', response);
  }

  #startOk(inv: ServerInvite, response: SipResponse): void {
    const T = this.#host.ua.transactions.timers;
    inv.retransmitter = new OkRetransmitter({
      clock: this.#host.clock,
      T1: T.T1,
      T2: T.T2,
      send: () => inv.tx.respond(response),
      giveUp: () => this.#noAck(inv),
    });
    inv.retransmitter.start();
  }

  /** §13.3.1.4: no ACK for our 2xx within 64·T1: confirm and end the session with BYE. */
  #noAck(inv: ServerInvite): void {
    if (this.#serverInvite !== inv || this.#state === 'Terminated') return;
    this.#serverInvite = undefined;
    const dialog = this.#dialog;
    if (dialog) this.#sendBye(dialog, { protocol: 'SIP', cause: 408, text: 'ACK not received' });
    this.#end({ cause: 'no-ack', by: 'remote', status: 408, reason: 'the other side never confirmed the call' });
  }

  /** A final failure to the INVITE (486 Busy Here by default). */
  reject(status = 486, opts: ReplyOptions = {}): void {
    if (this.role !== 'uas' || (this.#state !== 'Incoming' && this.#state !== 'Early')) return;
    if (status < 300 || status > 699) throw new RangeError(`reject: status must be 300-699, not ${status}`);
    const inv = this.#serverInvite!;
    this.#reliable?.stop();
    const headers = [...(opts.headers ?? [])];
    if (status === 405) headers.push(['Allow', this.#host.ua.allowedMethods().join(', ')]);
    inv.tx.respond(this.#response(inv.request, status, { ...opts, headers }));
    this.#end({ cause: 'rejected', by: 'local', status, reason: describeFailure(status, opts.reason) });
  }

  /** 3xx with these Contacts (§21.3): the caller tries them (e.g. `302` to a colleague). */
  redirect(contacts: string[], status = 302, opts: ReplyOptions = {}): void {
    const headers: Array<[string, string]> = contacts.map((c) => ['Contact', c.includes('<') ? c : `<${c}>`]);
    this.reject(status, { ...opts, headers: [...headers, ...(opts.headers ?? [])] });
  }

  /** §9.2: the caller cancelled. The layer answered the CANCEL; we answer the INVITE with 487. */
  receiveCancel(cancel: SipRequest): void {
    if (this.#state !== 'Incoming' && this.#state !== 'Early') return;
    const inv = this.#serverInvite!;
    this.#reliable?.stop();
    inv.tx.respond(this.#response(inv.request, 487));
    const reasonHeader = reasonOf(cancel);
    const completedElsewhere = reasonHeader?.cause === 200;
    this.#end({
      cause: 'cancel',
      by: 'remote',
      status: 487,
      reason: completedElsewhere ? 'answered elsewhere' : 'the caller hung up',
      ...(reasonHeader ? { reasonHeader } : {}),
    });
  }

  /** An ACK for a 2xx of ours (the initial INVITE or a re-INVITE). */
  receiveAck(ack: SipRequest): void {
    const inv = this.#serverInvite;
    if (!inv || !inv.answered || ack.cseq().seq !== inv.cseq) return;
    inv.retransmitter?.stop();
    this.#serverInvite = undefined;
    queueMicrotask(() => this.#checkIdle());
    const body = bodyOf(ack);
    const initial = this.#state === 'Accepted' || (this.#state === 'Terminating' && this.#byePending !== undefined);
    if (inv.expectAnswer) {
      this.#offerPending = 'none';
      if (body) this.#emit('answer', body, { method: 'ACK', early: false, refresh: false });
      else if (this.#dialog) {
        // §13.3.1.4 (and RFC 3264): our offer went unanswered: the session cannot work.
        this.#sendBye(this.#dialog, { protocol: 'SIP', cause: 488, text: 'no answer in the ACK' });
        this.#end({ cause: 'failed', by: 'remote', status: 488, reason: 'the other side did not answer our session description' });
        return;
      }
    }
    if (initial) {
      if (this.#byePending) {
        const reason = this.#byePending.reason;
        this.#byePending = undefined;
        if (this.#dialog) this.#sendBye(this.#dialog, reason);
        this.#end({ cause: 'bye', by: 'local', reason: 'call ended' });
        return;
      }
      this.#setState('Confirmed');
      this.#emit('confirmed');
    }
  }

  // ───────────────────────────── ending ─────────────────────────────

  #sendBye(dialog: Dialog, reason?: ReasonValue, headers: Array<[string, string]> = []): Promise<SipResponse | undefined> {
    const h = [...headers];
    if (reason) h.push(['Reason', formatReason(reason)]);
    const bye = dialog.createRequest('BYE', { headers: h });
    return this.#send(dialog, bye).catch(() => undefined);
  }

  /**
   * §15: BYE. The session is Terminated at once (media can stop); the Promise gives the BYE's
   * response. A UAS waiting for the ACK of its 2xx sends the BYE once the ACK came (§15).
   */
  bye(opts: { reason?: ReasonValue; headers?: Array<[string, string]> } = {}): Promise<SipResponse | undefined> {
    const dialog = this.#dialog;
    if (this.#state === 'Accepted' && this.role === 'uas') {
      this.#byePending = { reason: opts.reason };
      this.#setState('Terminating');
      return Promise.resolve(undefined);
    }
    if (!dialog || (this.#state !== 'Confirmed' && this.#state !== 'Accepted')) return Promise.resolve(undefined);
    const sent = this.#sendBye(dialog, opts.reason, opts.headers);
    this.#end({ cause: 'bye', by: 'local', reason: 'call ended' });
    return sent;
  }

  /** End the call whatever its state: CANCEL, reject (480 … or `status`), or BYE. */
  terminate(opts: { reason?: ReasonValue; status?: number } = {}): void {
    switch (this.#state) {
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

  #sessionExpired(): void {
    if (this.#state !== 'Confirmed' || !this.#dialog) return;
    // RFC 4028 §10: no refresh came: BYE.
    this.#sendBye(this.#dialog, { protocol: 'SIP', cause: 408, text: 'Session expired' });
    this.#end({ cause: 'session-expired', by: 'remote', status: 408, reason: 'the other side stopped refreshing the call' });
  }

  #refreshSession(): void {
    if (this.#state !== 'Confirmed') return;
    // RFC 4028 §10: UPDATE when the peer allows it (no body needed), else re-INVITE with our last body.
    const useUpdate = this.#peerAllow.includes('UPDATE');
    const p = this.#enqueue(() => (useUpdate ? this.#modify('UPDATE', {}, true) : this.#modify('INVITE', { body: this.#localBody }, true)));
    void p.then((r) => {
      if (!r.ok && this.#state === 'Confirmed' && (r.status === 408 || r.status === 481 || r.status >= 500)) {
        if (this.#dialog && r.status !== 481) this.#sendBye(this.#dialog, { protocol: 'SIP', cause: r.status, text: 'Session refresh failed' });
        this.#end({ cause: 'session-expired', by: 'remote', status: r.status, reason: 'the call could not be refreshed' });
      }
    });
  }

  // ───────────────────────────── modifying the session ─────────────────────────────

  /** §14: a re-INVITE (hold, resume, codec change). Queued behind any modification in progress. */
  reinvite(opts: { body?: Body; headers?: Array<[string, string]> } = {}): Promise<ModifyResult> {
    return this.#enqueue(() => this.#modify('INVITE', opts, false));
  }

  /** RFC 3311: UPDATE, with an offer or (session refresh) without. */
  update(opts: { body?: Body; headers?: Array<[string, string]> } = {}): Promise<ModifyResult> {
    return this.#enqueue(() => this.#modify('UPDATE', opts, false));
  }

  #enqueue(fn: () => Promise<ModifyResult>): Promise<ModifyResult> {
    const next = this.#modifyQueue.then(fn, fn);
    this.#modifyQueue = next.catch(() => undefined);
    return next;
  }

  async #modify(method: 'INVITE' | 'UPDATE', opts: { body?: Body; headers?: Array<[string, string]> }, refresh: boolean): Promise<ModifyResult> {
    let timerRetried = false;
    for (let attempt = 0; ; attempt++) {
      const dialog = this.#dialog;
      const usable = this.#state === 'Confirmed' || (method === 'UPDATE' && this.#state === 'Early');
      if (!dialog || !usable) return { ok: false, status: 0, reason: `no call to modify (${this.#state})` };
      if (!this.#idle()) {
        // §14.1: never while another INVITE or offer is in progress: wait for it to end.
        await this.#waitIdle();
        continue;
      }
      const headers: Array<[string, string]> = [...this.#commonHeaders()];
      if (this.#host.sessionTimer && (this.#timer.running || refresh)) {
        headers.push(...uacRequestHeaders(this.#timerInterval ?? this.#host.sessionTimer.expires, Math.max(this.#host.sessionTimer.minSE, this.#minSE ?? 0), 'uac'));
      }
      if (opts.headers) headers.push(...opts.headers);
      const request = dialog.createRequest(method, { headers, body: opts.body });
      if (opts.body) this.#offerPending = 'local';
      if (method === 'INVITE') this.#clientInvite = true;
      let response: SipResponse;
      try {
        response = await this.#send(dialog, request, {
          onLateResponse: (r) => {
            // A retransmitted 2xx to our re-INVITE: the same ACK again (§13.2.2.4).
            const ack = this.#acks.get(`${r.cseq().seq}\n${dialog.id.remoteTag}`);
            if (ack && r.status >= 200 && r.status < 300) void this.#sendAck(dialog, ack);
          },
        });
      } finally {
        this.#clientInvite = false;
        if (this.#offerPending === 'local') this.#offerPending = 'none';
        this.#checkIdle();
      }
      if (this.#state === 'Terminated') return { ok: false, status: response.status, reason: describeFailure(response.status, response.reason) };
      const status = response.status;
      if (status >= 200 && status < 300) {
        dialog.refreshTarget(response);
        const remote = bodyOf(response);
        let answer = remote;
        if (method === 'INVITE') {
          let ackBody: Body | undefined;
          if (!opts.body && remote) {
            // An offerless re-INVITE: the 2xx holds the offer, the ACK our answer.
            ackBody = await this.#askOffer(remote, { method: 'INVITE', early: false });
            answer = ackBody;
            if (ackBody) this.#localBody = ackBody;
          }
          const ack = this.#buildAck(dialog, request, ackBody);
          this.#acks.set(`${request.cseq().seq}\n${dialog.id.remoteTag}`, ack);
          void this.#sendAck(dialog, ack);
        }
        if (opts.body) {
          this.#localBody = opts.body;
          if (remote) this.#emit('answer', remote, { method, early: this.#state === 'Early', refresh });
        }
        const timer = this.#host.sessionTimer ? readAnswer(response) : undefined;
        if (timer) this.#startTimerFrom(timer.interval, timer.refresher === 'uac' ? 'local' : 'remote');
        else if (this.#host.sessionTimer) this.#timer.stop();
        return { ok: true, status, reason: response.reason, ...(answer ? { answer } : {}) };
      }
      if (status === 491 && attempt < 5) {
        await this.#sleep(glareBackoff(this.role === 'uac', this.#host.random));
        continue;
      }
      if (status === 422 && !timerRetried) {
        const min = readMinSE(response);
        if (min !== undefined) {
          timerRetried = true;
          this.#minSE = min;
          this.#timerInterval = Math.max(min, this.#timerInterval ?? 0);
          continue;
        }
      }
      if (status === 481 || status === 408) {
        // §12.2.1.2: the dialog is gone (481) or the peer is (408).
        if (status === 408 && !refresh) this.#sendBye(dialog, { protocol: 'SIP', cause: 408, text: 'Request Timeout' });
        if (!refresh) this.#end({ cause: 'failed', by: 'remote', status, reason: describeFailure(status, response.reason) });
      }
      // §14.1: any other failure leaves the session as it was.
      return { ok: false, status, reason: describeFailure(status, response.reason) };
    }
  }

  /** INFO (RFC 6086), e.g. `application/dtmf-relay`. */
  info(body: Body, headers: Array<[string, string]> = []): Promise<SipResponse> {
    return this.sendRequest('INFO', { headers, body });
  }

  /**
   * Any request inside the dialog (REFER, NOTIFY, INFO, MESSAGE…), routed by §12.2.1.1 and
   * answered once when challenged. A 481 or 408 ends the session (§12.2.1.2).
   */
  async sendRequest(method: string, opts: { headers?: Array<[string, string]>; body?: Body } = {}): Promise<SipResponse> {
    const dialog = this.#dialog;
    if (!dialog || this.#state === 'Terminated') throw new Error(`${method}: the call has no dialog (${this.#state})`);
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL' || method === 'BYE' || method === 'PRACK') {
      throw new TypeError(`sendRequest: use the session's own method for ${method}`);
    }
    const response = await this.#send(dialog, dialog.createRequest(method, opts));
    if ((response.status === 481 || response.status === 408) && !this.#over()) {
      if (response.status === 408) this.#sendBye(dialog, { protocol: 'SIP', cause: 408, text: 'Request Timeout' });
      this.#end({ cause: 'failed', by: 'remote', status: response.status, reason: describeFailure(response.status, response.reason) });
    }
    return response;
  }

  // ───────────────────────────── requests from the peer ─────────────────────────────

  /** Whether a request in `dialog` came by the dialog's path (dialog-path.ts), our own requests' destinations included. */
  fromPath(dialog: Dialog, arrival: { source: { address: string }; connectionId?: string }): boolean {
    return fromDialogPath(dialog, arrival, this.#sentTo);
  }

  /** A request inside one of our dialogs (InviteUsage routes it here). Never throws. */
  receiveRequest(tx: ServerTransaction, incoming: IncomingRequest, dialog: Dialog): void {
    const request = incoming.message;
    const reply = (status: number, opts: ReplyOptions = {}): void => {
      try {
        tx.respond(this.#response(request, status, opts));
      } catch {
        // Nothing more can be said to this request.
      }
    };
    // Only from the dialog's path (dialog-path.ts): from elsewhere, 403 and nothing changes.
    if (!this.fromPath(dialog, incoming)) {
      reply(403, { reason: 'Forbidden (not from this call\'s path)' });
      return;
    }
    const check = dialog.receiveRequest(request);
    if (!check.ok) {
      reply(check.status, { reason: check.reason });
      return;
    }
    switch (request.method) {
      case 'BYE':
        this.#receiveBye(request, reply);
        return;
      case 'INVITE':
        void this.#receiveReinvite(tx as InviteServerTransaction, request, dialog, reply);
        return;
      case 'UPDATE':
        void this.#receiveUpdate(request, dialog, reply);
        return;
      case 'PRACK':
        // RFC 3262 §3: 200 to a PRACK that matches the reliable 1xx in flight (then what waited for it), else 481.
        if (this.#reliable && this.#serverInvite && this.#reliable.matches(request, this.#serverInvite.cseq)) {
          reply(200);
          this.#reliable.receivePrack(request, this.#serverInvite.cseq);
        } else {
          reply(481, { reason: 'No matching reliable provisional response' });
        }
        return;
      case 'INFO':
        reply(200);
        this.#emit('info', bodyOf(request), request);
        return;
      case 'OPTIONS':
        reply(200, { headers: [...this.#commonHeaders(), ['Accept', 'application/sdp, application/dtmf-relay, text/plain']] });
        return;
      default: {
        if (this.#host.dialogRequest?.(this, request, reply)) return;
        const hook = this.delegate.onRequest;
        if (!hook) {
          reply(501);
          return;
        }
        try {
          hook.call(this.delegate, request, reply);
        } catch {
          reply(500);
        }
      }
    }
  }

  #receiveBye(request: SipRequest, reply: (status: number, opts?: ReplyOptions) => void): void {
    reply(200);
    if (this.role === 'uas' && (this.#state === 'Incoming' || this.#state === 'Early')) {
      // §15.1.2: a BYE in an early dialog: the INVITE gets 487.
      const inv = this.#serverInvite!;
      this.#reliable?.stop();
      inv.tx.respond(this.#response(inv.request, 487));
    }
    const reasonHeader = reasonOf(request);
    this.#end({
      cause: 'bye',
      by: 'remote',
      reason: reasonHeader?.text ? `the other side hung up (${reasonHeader.text})` : 'the other side hung up',
      ...(reasonHeader ? { reasonHeader } : {}),
    });
  }

  /** RFC 4028 §9 for a refresh request we received: 422, or the headers for our 2xx. */
  #negotiateRefresh(request: SipRequest, reply: (status: number, opts?: ReplyOptions) => void): Array<[string, string]> | undefined {
    if (!this.#host.sessionTimer) return [];
    const n = negotiateAsUas(request, this.#host.sessionTimer);
    if (n.kind === 'reject') {
      reply(422, { headers: [['Min-SE', String(n.minSE)]] });
      return undefined;
    }
    if (n.kind === 'none') return [];
    this.#pendingRefresh = { interval: n.interval, refresher: n.refresher === 'uas' ? 'local' : 'remote' };
    return n.headers;
  }

  #applyPendingRefresh(): void {
    const r = this.#pendingRefresh;
    this.#pendingRefresh = undefined;
    if (r) this.#startTimerFrom(r.interval, r.refresher);
  }

  /** §14.2: a re-INVITE. Glare → 491; one still open → 500 with Retry-After. */
  async #receiveReinvite(tx: InviteServerTransaction, request: SipRequest, dialog: Dialog, reply: (status: number, opts?: ReplyOptions) => void): Promise<void> {
    if (this.#state !== 'Confirmed' || dialog !== this.#dialog) {
      reply(this.#serverInvite ? 500 : 491, this.#serverInvite ? { headers: [['Retry-After', String(Math.floor(this.#host.random() * 11))]] } : {});
      return;
    }
    if (this.#serverInvite) {
      reply(500, { headers: [['Retry-After', String(Math.floor(this.#host.random() * 11))]] });
      return;
    }
    if (this.#clientInvite || this.#offerPending === 'local') {
      reply(491);
      return;
    }
    const timerHeaders = this.#negotiateRefresh(request, reply);
    if (!timerHeaders) return;
    const inv: ServerInvite = { tx, request, cseq: request.cseq().seq, expectAnswer: false, answered: false };
    this.#serverInvite = inv;
    this.#peerAllow = request.hasHeader('Allow') ? request.headers('Allow').map((m) => m.trim().toUpperCase()) : this.#peerAllow;
    const offer = bodyOf(request);
    let body: Body | undefined;
    if (offer) {
      this.#offerPending = 'remote';
      body = await this.#askOffer(offer, { method: 'INVITE', early: false });
      this.#offerPending = 'none';
      if (!body) {
        this.#serverInvite = undefined;
        reply(488);
        this.#checkIdle();
        return;
      }
    } else {
      body = await this.#askOfferRequest({ method: 'INVITE', early: false });
      if (body) {
        inv.expectAnswer = true;
        this.#offerPending = 'local';
      }
    }
    if (this.#over() || this.#serverInvite !== inv) return;
    this.#localBody = body ?? this.#localBody;
    const headers = [...this.#commonHeaders(), ...timerHeaders];
    const response = this.#response(request, 200, { headers, body, contact: true });
    inv.answered = true;
    this.#startOk(inv, response);
    this.#applyPendingRefresh();
  }

  /** RFC 3311 §5.2: an UPDATE, with an offer or without (a session refresh). */
  async #receiveUpdate(request: SipRequest, dialog: Dialog, reply: (status: number, opts?: ReplyOptions) => void): Promise<void> {
    const offer = bodyOf(request);
    if (offer && this.#offerPending === 'local') {
      reply(491);
      return;
    }
    if (offer && this.#offerPending === 'remote') {
      reply(500, { headers: [['Retry-After', String(Math.floor(this.#host.random() * 11))]] });
      return;
    }
    const timerHeaders = this.#negotiateRefresh(request, reply);
    if (!timerHeaders) return;
    let body: Body | undefined;
    if (offer) {
      this.#offerPending = 'remote';
      body = await this.#askOffer(offer, { method: 'UPDATE', early: dialog.state === 'early' });
      this.#offerPending = 'none';
      this.#checkIdle();
      if (!body) {
        reply(488);
        return;
      }
      this.#localBody = body;
    }
    if (this.#state === 'Terminated') return;
    reply(200, { headers: [...this.#commonHeaders(), ...timerHeaders, ['Contact', dialog.localContact]], body });
    this.#applyPendingRefresh();
  }
}
