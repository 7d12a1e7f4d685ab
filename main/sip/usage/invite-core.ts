/**
 * The core of an INVITE session: what every part of InviteSession shares (invite-session.ts
 * composes them). The public types of a session, its state, its dialog, its events, the offer/
 * answer bookkeeping, sending inside the dialog (RFC 3261 §12.2.1.1, ACK §13.2.2.4, BYE §15) and
 * the one way a session ends.
 *
 * The parts: invite-caller.ts (UAC: the INVITE client), invite-callee.ts (UAS: answering INVITEs),
 * invite-modify.ts (re-INVITE, UPDATE, glare), invite-refresh.ts (RFC 4028 session timers),
 * invite-dialog-routing.ts (requests from the peer, BYE). Each owns its own fields; the core owns
 * only what several of them read or write.
 */
import { createResponse, parseNameAddr } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Dialog } from '../dialog/dialog.ts';
import type { DigestAuthenticator } from '../auth/index.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { Clock } from '../transaction/timers.ts';
import type { Target, TransportProtocol } from '../transport/types.ts';
import { canonicalIp } from '../transport/stamp-via.ts';
import type { FlowInfo } from './out-of-dialog-sender.ts';
import type { UserAgent } from './user-agent.ts';
import { formatReason } from './invite-reason.ts';
import type { ReasonValue } from './invite-reason.ts';
import { fromDialogPath } from './dialog-path.ts';
import type { SessionTimerConfig } from './session-timer.ts';
import type { InviteSession } from './invite-session.ts';

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

/** Answers a request received in the dialog. */
export type Reply = (status: number, opts?: ReplyOptions) => void;

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

export function identityOf(value: string): Identity {
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

export function targetOf(flow: FlowInfo): Target {
  return { protocol: flow.protocol, address: flow.remote.address, port: flow.remote.port, connectionId: flow.connectionId };
}

/** A re-INVITE (or the initial INVITE) we answered, waiting for its ACK. */
export interface ServerInvite {
  tx: InviteServerTransaction;
  request: SipRequest;
  cseq: number;
  /** Our 2xx carried an offer: the ACK must carry the answer. */
  expectAnswer: boolean;
  /** Its 2xx, retransmitted until the ACK (invite-callee.ts). */
  retransmitter?: { stop(): void };
  answered: boolean;
}

export interface InviteCoreOptions {
  session: InviteSession;
  host: SessionHost;
  role: 'uac' | 'uas';
  callId: string;
  localTag: string;
}

export class InviteCore {
  /** The public face: its events, its delegate, what the host is told about. */
  readonly session: InviteSession;
  readonly host: SessionHost;
  readonly role: 'uac' | 'uas';
  readonly callId: string;
  readonly localTag: string;
  /** Digest credentials for requests in the dialog (the caller's; none for a UAS). */
  credentials: DigestAuthenticator | undefined;
  /** The dialog once there is one (a UAS has it from the INVITE, a UAC from the 2xx). */
  dialog: Dialog | undefined;
  termination: TerminationInfo | undefined;
  /** Our last offer or answer: an offerless re-INVITE and a session refresh repeat it. */
  localBody: Body | undefined;
  /** Whose offer waits for its answer (RFC 3264; §14.1 and RFC 3311 §5.1 glare). */
  offerPending: 'none' | 'local' | 'remote' = 'none';
  /** The peer's Allow: a session refresh uses UPDATE when it may (RFC 4028 §10). */
  peerAllow: string[] = [];
  /** Our re-INVITE is in progress (§14.1). */
  clientInvite = false;
  /** The INVITE we answer, until its ACK (the initial one as UAS, a re-INVITE either way). */
  serverInvite: ServerInvite | undefined;
  /** The ACKs of 2xx to our INVITEs, by CSeq and To tag: a retransmitted 2xx gets its ACK again (§13.2.2.4). */
  readonly acks = new Map<string, SipRequest>();
  #state: InviteSessionState = 'Initial';
  /** Addresses our in-dialog requests went to (the dialog's path, dialog-path.ts); a few at most. */
  readonly #sentTo = new Set<string>();
  #idleWaiters: Array<() => void> = [];
  readonly #stops: Array<() => void> = [];

  constructor(opts: InviteCoreOptions) {
    this.session = opts.session;
    this.host = opts.host;
    this.role = opts.role;
    this.callId = opts.callId;
    this.localTag = opts.localTag;
  }

  get state(): InviteSessionState {
    return this.#state;
  }

  /** Read after an await: the state may have moved meanwhile (no narrowing across it). */
  over(): boolean {
    return this.#state === 'Terminated';
  }

  setState(state: InviteSessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'Confirmed' && this.dialog) void this.#learnPath(this.dialog);
    this.emit('state', state);
    this.checkIdle();
  }

  /** A part's timers and bindings, stopped when the session ends. */
  onEnd(stop: () => void): void {
    this.#stops.push(stop);
  }

  // ───────────────────────────── idle: one offer, one INVITE at a time ─────────────────────────────

  /** No INVITE transaction and no offer in progress, either way (§14.1, RFC 3311 §5.1). */
  idle(): boolean {
    return !this.clientInvite && !this.serverInvite && this.offerPending === 'none';
  }

  /** Resolves once the session is idle (or over): a modification waits its turn. */
  waitIdle(): Promise<void> {
    if (this.idle() || this.over()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  checkIdle(): void {
    if (!this.idle() && !this.over()) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  // ───────────────────────────── events and the end ─────────────────────────────

  /** Emit without letting a listener's exception into the stack (STYLE.md: callbacks never throw). */
  emit<K extends keyof InviteSessionEvents>(event: K, ...args: InviteSessionEvents[K]): void {
    try {
      (this.session.emit as (e: K, ...a: InviteSessionEvents[K]) => boolean).call(this.session, event, ...args);
    } catch {
      // A listener's bug must not break the call.
    }
  }

  end(info: TerminationInfo): void {
    if (this.#state === 'Terminated') return;
    this.termination = info;
    for (const stop of this.#stops) stop();
    this.serverInvite?.retransmitter?.stop();
    if (this.dialog) {
      this.dialog.terminate();
      this.host.unbindDialog(this.dialog);
    }
    this.setState('Terminated');
    this.host.ended(this.session);
    this.emit('terminated', info);
  }

  // ───────────────────────────── offer/answer through the delegate ─────────────────────────────

  async askOffer(offer: Body, context: OfferContext): Promise<Body | undefined> {
    const delegate = this.session.delegate;
    const fn = delegate.onOffer;
    if (!fn) return undefined;
    try {
      return await fn.call(delegate, offer, context);
    } catch {
      return undefined;
    }
  }

  async askOfferRequest(context: OfferContext): Promise<Body | undefined> {
    const delegate = this.session.delegate;
    const fn = delegate.onOfferRequest;
    if (!fn) return this.localBody;
    try {
      return await fn.call(delegate, context);
    } catch {
      return undefined;
    }
  }

  // ───────────────────────────── messages ─────────────────────────────

  /** Allow and Allow-Events from the UA's one list (what its usages handle), and Supported. */
  commonHeaders(): Array<[string, string]> {
    return [
      ...this.host.ua.capabilityHeaders(),
      ['Supported', this.host.ua.supportedExtensions().join(', ')],
    ];
  }

  response(request: SipRequest, status: number, opts: ReplyOptions & { contact?: boolean } = {}): SipResponse {
    const fields: Array<[string, string]> = [];
    if (opts.contact && this.dialog) fields.push(['Contact', this.dialog.localContact]);
    // §12.1.1: a dialog-creating response copies the Record-Route of the request.
    if (request.method === 'INVITE' && status > 100 && status < 300) {
      for (const rr of request.headers('Record-Route')) fields.push(['Record-Route', rr]);
    }
    if (this.host.userAgent) fields.push(['Server', this.host.userAgent]);
    if (opts.headers) fields.push(...opts.headers);
    if (opts.body) fields.push(['Content-Type', opts.body.contentType]);
    const toTag = request.to().params.get('tag') ? undefined : this.localTag;
    return createResponse(request, { status, reason: opts.reason, toTag, fields, body: opts.body?.body });
  }

  // ───────────────────────────── the dialog's path (§12.2.1.1) ─────────────────────────────

  /** Whether a request in `dialog` came by the dialog's path (dialog-path.ts), our own requests' destinations included. */
  fromPath(dialog: Dialog, arrival: { source: { address: string }; connectionId?: string }): boolean {
    return fromDialogPath(dialog, arrival, this.#sentTo);
  }

  /**
   * The addresses our in-dialog requests would go to (§12.2.1.1: the first route, else the remote
   * target), resolved once the call is up: the dialog's path when it is written as a name (a
   * Record-Route or Contact with a host name), so that the peer's BYE is known before we send
   * anything ourselves.
   */
  async #learnPath(dialog: Dialog): Promise<void> {
    try {
      const targets = await this.host.ua.resolveNextHop(dialog.nextHop(), { flow: dialog.flow });
      for (const t of targets) if (this.#sentTo.size < 8) this.#sentTo.add(canonicalIp(t.address));
    } catch {
      // Unresolvable: the addresses the dialog was set up with still count.
    }
  }

  /** Send an in-dialog request (§12.2.1.1) and answer one digest challenge; the final response. */
  async send(
    dialog: Dialog,
    request: SipRequest,
    hooks: { onProvisional?: (r: SipResponse) => void; onLateResponse?: (r: SipResponse) => void } = {},
  ): Promise<SipResponse> {
    const auth = this.credentials;
    auth?.preAuthorize(request);
    if (this.host.userAgent && !request.hasHeader('User-Agent')) request.addHeader('User-Agent', this.host.userAgent);
    for (let tries = 0; ; tries++) {
      const { response, flow } = await this.host.ua.send(request, {
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
  async sendAck(dialog: Dialog, ack: SipRequest): Promise<void> {
    try {
      const targets = await this.host.ua.resolveNextHop(dialog.nextHop(), { flow: dialog.flow });
      if (targets.length > 0) await this.host.ua.transactions.sendAck(ack, targets[0]);
    } catch {
      // The peer retransmits its 2xx; a later retransmission is ACKed again.
    }
  }

  buildAck(dialog: Dialog, invite: SipRequest, body?: Body): SipRequest {
    // §13.2.2.4: the ACK carries the INVITE's CSeq number and its credentials (§22.1).
    const headers: Array<[string, string]> = [];
    for (const name of ['Authorization', 'Proxy-Authorization']) for (const v of invite.headers(name)) headers.push([name, v]);
    return dialog.createRequest('ACK', { cseq: invite.cseq().seq, headers, body });
  }

  /** §15: a BYE in the dialog (with a Reason, RFC 3326); its response, or undefined when it could not go. */
  sendBye(dialog: Dialog, reason?: ReasonValue, headers: Array<[string, string]> = []): Promise<SipResponse | undefined> {
    const h = [...headers];
    if (reason) h.push(['Reason', formatReason(reason)]);
    const bye = dialog.createRequest('BYE', { headers: h });
    return this.send(dialog, bye).catch(() => undefined);
  }
}
