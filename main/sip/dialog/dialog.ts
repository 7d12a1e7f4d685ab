/**
 * A SIP dialog (RFC 3261 §12): the peer-to-peer relationship an INVITE (or a SUBSCRIBE, a
 * REFER) creates, and what every request inside it is built from.
 *
 *        1xx with a To tag            2xx
 *   ─────────────────────▶ early ───────────▶ confirmed ──BYE / 481 / 408──▶ terminated
 *    (UAC: §12.1.2,          │                   ▲
 *     UAS: ringing, §12.1.1) └───────2xx─────────┘ (route set recomputed from the 2xx, §13.2.2.4)
 *
 * State held (§12): the dialog id (Call-ID, local tag, remote tag), local and remote CSeq,
 * local and remote URI (From/To with tags), remote target (the peer's Contact, changed by target
 * refresh requests and responses, §12.2), route set (Record-Route, reversed for the UAC, in order
 * for the UAS), the secure flag, our Contact, and the flow the dialog arrived on (to reuse a
 * connection, Target.connectionId).
 *
 * Pure: no I/O. `createRequest()` builds an in-dialog request (§12.2.1.1); `nextHop()` says where it
 * goes (first Route, else the remote target); the caller resolves and sends it.
 */
import { createRequest, formatNameAddr, parseNameAddr, parseNameAddrList, parseUri, formatUri } from '../message/index.ts';
import type { NameAddr, SipRequest, SipResponse } from '../message/types.ts';
import type { Target } from '../transport/types.ts';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** One key for a dialog id, for maps. */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}

/**
 * The dialog id of a message as seen by the UA that receives (or sent) it (§12): for a request
 * we received, the local tag is its To tag; for a response we received, the From tag.
 */
export function dialogIdOf(message: SipRequest | SipResponse): DialogId {
  const from = message.from().params.get('tag') ?? '';
  const to = message.to().params.get('tag') ?? '';
  return message.kind === 'request'
    ? { callId: message.callId(), localTag: to, remoteTag: from }
    : { callId: message.callId(), localTag: from, remoteTag: to };
}

export interface DialogRequestOptions {
  /** Extra header lines, in order (Content-Type is set from `body`). */
  headers?: Array<[string, string]>;
  body?: { contentType: string; body: Uint8Array | string };
  /** ACK: the CSeq number of the INVITE it acknowledges (§13.2.2.4); the local CSeq is not used. */
  cseq?: number;
}

/** Methods whose request carries our Contact (target refresh and dialog-creating, §12.2.1.1, RFC 3311, RFC 3515). */
const CONTACT_METHODS = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'ACK']);

function isTargetRefresh(method: string): boolean {
  return method === 'INVITE' || method === 'UPDATE' || method === 'SUBSCRIBE' || method === 'NOTIFY' || method === 'REFER';
}

/** Without its tag: the local and remote URIs of §12 keep their other header parameters. */
function withTag(value: string, tag: string): string {
  const n = parseNameAddr(value);
  n.params.delete('tag');
  n.params.set('tag', tag);
  return formatNameAddr(n);
}

/** Record-Route values of a message, one name-addr text each. */
function recordRoutes(message: SipRequest | SipResponse): string[] {
  return message.headers('Record-Route').flatMap((v) => parseNameAddrList(v).map(formatNameAddr));
}

export interface DialogInit {
  role: 'uac' | 'uas';
  state: DialogState;
  id: DialogId;
  /** Our From (UAC) or To (UAS) value, tag included. */
  local: string;
  /** The peer's, tag included. */
  remote: string;
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  remoteTarget: string;
  routeSet: string[];
  secure: boolean;
  localContact: string;
  flow?: Target;
}

export class Dialog {
  readonly role: 'uac' | 'uas';
  readonly id: DialogId;
  state: DialogState;
  /** Our From (UAC) or To (UAS) header value, with our tag. */
  readonly local: string;
  /** The peer's address with its tag: the To of our requests. */
  readonly remote: string;
  /** The last CSeq number we used; undefined until the first request (UAS, §12.1.1). */
  localSeq: number | undefined;
  /** The last CSeq number the peer used (§12.2.2). */
  remoteSeq: number | undefined;
  /** The peer's Contact URI: where requests go when the route set is empty (§12.2.1.1). */
  remoteTarget: string;
  /** Route header values in the order our requests carry them. */
  routeSet: string[];
  /** SIPS dialog (§12.1.1): requests stay on TLS. */
  readonly secure: boolean;
  /** Our Contact header value (a name-addr) for target refresh requests and 2xx. */
  localContact: string;
  /** The flow (connection) the dialog came on; reused for in-dialog requests when still open. */
  flow: Target | undefined;

  constructor(init: DialogInit) {
    this.role = init.role;
    this.state = init.state;
    this.id = init.id;
    this.local = init.local;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.localContact = init.localContact;
    this.flow = init.flow;
  }

  /**
   * §12.1.2: the UAC's dialog from a 1xx with a To tag (early) or a 2xx (confirmed): route set
   * from Record-Route in reverse order, remote target from Contact, local CSeq = the request's,
   * remote CSeq empty.
   */
  static forUac(request: SipRequest, response: SipResponse, opts: { localContact: string; flow?: Target }): Dialog {
    const contact = response.contacts()[0];
    return new Dialog({
      role: 'uac',
      state: response.status < 200 ? 'early' : 'confirmed',
      id: dialogIdOf(response),
      local: request.header('From') ?? '',
      remote: response.header('To') ?? '',
      localSeq: request.cseq().seq,
      remoteSeq: undefined,
      // A 1xx may come without Contact; the Request-URI stands in until one arrives.
      remoteTarget: contact ? formatUri(contact.uri) : request.uri,
      routeSet: recordRoutes(response).reverse(),
      secure: request.parsedUri().scheme === 'sips',
      localContact: opts.localContact,
      flow: opts.flow,
    });
  }

  /**
   * §12.1.1: the UAS's dialog from the request: route set from Record-Route in order, remote
   * target from Contact, remote CSeq = the request's, local CSeq empty, our tag in the To.
   */
  static forUas(request: SipRequest, opts: { localTag: string; localContact: string; state?: DialogState; flow?: Target }): Dialog {
    const contact = request.contacts()[0];
    const secure = request.parsedUri().scheme === 'sips';
    return new Dialog({
      role: 'uas',
      state: opts.state ?? 'early',
      id: { callId: request.callId(), localTag: opts.localTag, remoteTag: request.from().params.get('tag') ?? '' },
      local: withTag(request.header('To') ?? '', opts.localTag),
      remote: request.header('From') ?? '',
      localSeq: undefined,
      remoteSeq: request.cseq().seq,
      remoteTarget: contact ? formatUri(contact.uri) : formatUri(request.from().uri),
      routeSet: recordRoutes(request),
      secure,
      localContact: opts.localContact,
      flow: opts.flow,
    });
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /** The peer's address as a parsed name-addr (display name and URI). */
  remoteAddress(): NameAddr {
    return parseNameAddr(this.remote);
  }

  /**
   * §13.2.2.4: a 2xx for the INVITE that made this early dialog confirms it, and the route set
   * is recomputed from the 2xx (§12.2.1.2); its Contact is the new remote target.
   */
  confirm(response?: SipResponse): void {
    if (this.state === 'terminated') return;
    if (response && this.role === 'uac') {
      this.routeSet = recordRoutes(response).reverse();
      this.refreshTarget(response);
    }
    this.state = 'confirmed';
  }

  terminate(): void {
    this.state = 'terminated';
  }

  /** §12.2: a target refresh request or its 2xx replaces the remote target with its Contact. */
  refreshTarget(message: SipRequest | SipResponse): void {
    let contacts: NameAddr[];
    try {
      contacts = message.contacts();
    } catch {
      return;
    }
    if (contacts.length > 0 && !contacts[0].wildcard) this.remoteTarget = formatUri(contacts[0].uri);
  }

  /**
   * §12.2.2: the remote CSeq check for a request received in this dialog. Lower than the last one
   * → the caller answers 500; otherwise the remote CSeq moves on. ACK and CANCEL reuse the
   * CSeq of their INVITE and are not checked.
   */
  receiveRequest(request: SipRequest): { ok: true } | { ok: false; status: 500; reason: string } {
    if (request.method === 'ACK' || request.method === 'CANCEL') return { ok: true };
    const seq = request.cseq().seq;
    if (this.remoteSeq !== undefined && seq < this.remoteSeq) {
      return { ok: false, status: 500, reason: 'CSeq lower than a previous request in this dialog' };
    }
    this.remoteSeq = seq;
    if (isTargetRefresh(request.method)) this.refreshTarget(request);
    return { ok: true };
  }

  /** The CSeq number the next request would carry (without using it). */
  nextSeq(): number {
    // §12.2.1.1: a UAS with no local CSeq yet may start anywhere below 2^31.
    return this.localSeq === undefined ? 1 + Math.floor(Math.random() * 0x7fff) : this.localSeq + 1;
  }

  /**
   * §12.2.1.1: a request inside the dialog. To/From/Call-ID from the dialog, CSeq = local CSeq + 1
   * (ACK: the INVITE's), Request-URI and Route from the route set and remote target:
   * - empty route set: Request-URI = remote target, no Route;
   * - loose router first (`lr`): Request-URI = remote target, Route = the route set;
   * - strict router first: Request-URI = the first route's URI (params not allowed there
   *   stripped), Route = the rest, then the remote target.
   * Contact for target refresh methods. Via is the transaction layer's.
   */
  createRequest(method: string, opts: DialogRequestOptions = {}): SipRequest {
    let seq: number;
    if (method === 'ACK') {
      if (opts.cseq === undefined) throw new TypeError('createRequest: an ACK needs the INVITE CSeq');
      seq = opts.cseq;
    } else {
      seq = this.nextSeq();
      this.localSeq = seq;
    }
    let uri = this.remoteTarget;
    let routes = this.routeSet;
    if (routes.length > 0) {
      const first = parseNameAddr(routes[0]);
      if (!first.uri.params.has('lr')) {
        const u = parseUri(first.uri.raw);
        u.headers.clear();
        u.params.delete('method');
        uri = formatUri(u);
        routes = [...routes.slice(1), `<${this.remoteTarget}>`];
      }
    }
    const fields: Array<[string, string]> = [];
    for (const r of routes) fields.push(['Route', r]);
    fields.push(
      ['Max-Forwards', '70'],
      ['From', this.local],
      ['To', this.remote],
      ['Call-ID', this.id.callId],
      ['CSeq', `${seq} ${method}`],
    );
    if (CONTACT_METHODS.has(method) && method !== 'ACK') fields.push(['Contact', this.localContact]);
    if (opts.headers) fields.push(...opts.headers);
    if (opts.body) fields.push(['Content-Type', opts.body.contentType]);
    return createRequest({ method, uri, fields, body: opts.body?.body });
  }

  /** §12.2.1.1 then §8.1.2: the URI of the next hop (first Route, else the remote target). */
  nextHop(): string {
    if (this.routeSet.length === 0) return this.remoteTarget;
    return formatUri(parseNameAddr(this.routeSet[0]).uri);
  }

  /** The next hop is a proxy (the request carries Route headers): what `send` needs as `proxy`. */
  get hasRouteSet(): boolean {
    return this.routeSet.length > 0;
  }
}
