/**
 * The user agent core (RFC 3261 §8): one transport, one transaction layer, one resolver.
 *
 * - UAC side: `send()` resolves the next hop (outbound proxy, else the Request-URI; RFC 3263),
 *   tries each target in turn on a transport error, a timeout or a 503 (§4.3), and returns the
 *   final response, with timeouts and transport failures explained in words.
 *   `sendOutOfDialog()` builds a request (§8.1.1), answers one digest challenge (§22.2), and
 *   sends it.
 * - UAS side: the checks of §8.2 (method, URI scheme, Require), then OPTIONS (§11.2) and
 *   MESSAGE (RFC 3428 §7). Usages added with `addUsage()` (the INVITE usage, …) take their
 *   requests first; an INVITE nobody takes gets 480.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import {
  createRequest,
  createResponse,
  generateCallId,
  generateTag,
  parseUri,
} from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { DigestAuthenticator } from '../auth/index.ts';
import { TransactionLayer, type ServerTransaction, type IncomingRequest } from '../transaction/transaction-layer.ts';
import { realClock, type Clock, type TimerSettings } from '../transaction/timers.ts';
import type { SipResolver } from '../transport/resolver.ts';
import type { Target, Transport, TransportError, TransportProtocol } from '../transport/types.ts';
import type { FlowInfo, OutOfDialogSender, SendOptions } from './out-of-dialog-sender.ts';

/** What the UA needs of the transport beyond the `Transport` contract. */
export interface LocalTransport extends Transport {
  localAddresses(): Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /**
   * Our end of the TCP/TLS connection to `target` (opened now when there is none yet): the sent-by
   * a request on it carries when no listener of its protocol exists. Undefined when it cannot be opened.
   */
  streamEnd?(target: Target): Promise<{ address: string; port: number } | undefined>;
}

export interface UserAgentOptions {
  transport: LocalTransport;
  resolver: SipResolver;
  clock?: Clock;
  timers?: Partial<TimerSettings>;
  /** `User-Agent` / `Server` header value. */
  userAgent?: string;
}

/**
 * A usage that takes requests from the UA core (INVITE sessions, subscriptions…): its methods join
 * Allow, its option tags join Supported and pass the Require check (§8.2.2.3), and each request
 * that passed the §8.2 checks is offered to it before the core's own handling.
 */
export interface UserAgentUsage {
  readonly methods: readonly string[];
  readonly extensions: readonly string[];
  /**
   * Event packages this usage serves as a notifier (RFC 6665 §8.2.2: Allow-Events); a package
   * whose subscriptions REFER makes implicitly (refer, RFC 3515 §2.4.4) counts.
   */
  readonly events?: readonly string[];
  /** True when the usage took the request (it then responds); false leaves it to the core. */
  handleRequest(tx: ServerTransaction, incoming: IncomingRequest): boolean;
}

export interface ReceivedMessage {
  from: string;
  to: string;
  text: string;
  contentType: string;
}

export interface OutOfDialogRequest {
  method: string;
  /** Request-URI and To. */
  to: string;
  /** From (an AOR); default `sip:anonymous@anonymous.invalid` (RFC 3261 §8.1.1.3). */
  from?: string;
  proxy?: string;
  transport?: TransportProtocol;
  credentials?: { username?: string; password?: string; trust?: (realm: string) => boolean };
  fields?: Array<[string, string]>;
  body?: string | Uint8Array;
}

/** Methods the core itself handles (Allow, §20.5); the usages add theirs. */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'MESSAGE'];
/** Extensions we support (§20.37); anything else in Require gets 420 (§8.2.2.3). */
const SUPPORTED = ['path', 'outbound', 'gruu'];
/** Requests that carry our Allow when the sender gave none: REGISTER (§10.2), OPTIONS (§11.1), INVITE (§13.2.1). */
const ADVERTISING = new Set(['REGISTER', 'OPTIONS', 'INVITE']);

function hostPort(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export class UserAgent implements OutOfDialogSender {
  readonly transactions: TransactionLayer;
  private readonly opts: UserAgentOptions;
  private readonly clock: Clock;
  private messageHandlers: Array<(m: ReceivedMessage) => void> = [];
  private readonly usages: UserAgentUsage[] = [];
  #allowed: string[] | undefined;

  constructor(opts: UserAgentOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.transactions = new TransactionLayer({ transport: opts.transport, clock: this.clock, timers: opts.timers });
    this.transactions.onRequest((tx, incoming) => this.handleRequest(tx, incoming));
  }

  onMessage(handler: (m: ReceivedMessage) => void): void {
    this.messageHandlers.push(handler);
  }

  close(): void {
    this.transactions.close();
  }

  /**
   * Who may reach us outside a dialog: asked for every new request without a To tag before any
   * transaction is made for it. A refusal is answered statelessly with its status, and nothing
   * else happens: nothing is kept of it.
   */
  setAdmission(check: (incoming: IncomingRequest) => { status: number; reason: string } | undefined): void {
    this.transactions.setScreen((incoming) => {
      let outOfDialog: boolean;
      try {
        outOfDialog = !incoming.message.to().params.get('tag');
      } catch {
        return undefined; // Malformed: the §8.2 checks answer it.
      }
      return outOfDialog ? check(incoming) : undefined;
    });
  }

  /** Hand requests to a usage (tried in the order added, before the core's own handling). */
  addUsage(usage: UserAgentUsage): void {
    this.usages.push(usage);
    this.#allowed = undefined;
  }

  /** Allow (§20.5): the core's methods and every usage's (worked out once per set of usages: every 180 and 200 carries it). */
  allowedMethods(): string[] {
    this.#allowed ??= [...new Set([...ALLOWED_METHODS, ...this.usages.flatMap((u) => u.methods)])];
    return [...this.#allowed];
  }

  /** Allow-Events (RFC 6665 §8.2.2): the event packages a usage serves; none of the core's. */
  allowedEvents(): string[] {
    return [...new Set(this.usages.flatMap((u) => u.events ?? []))];
  }

  /**
   * What we handle, as header fields: Allow (§20.5) and, when a package is served, Allow-Events
   * (RFC 6665 §4.4.4: in dialog-creating requests, their responses and OPTIONS responses). The one
   * list every request and response that advertises us uses (REGISTER, INVITE, OPTIONS, 405).
   */
  capabilityHeaders(): Array<[string, string]> {
    const fields: Array<[string, string]> = [['Allow', this.allowedMethods().join(', ')]];
    const events = this.allowedEvents();
    if (events.length > 0) fields.push(['Allow-Events', events.join(', ')]);
    return fields;
  }

  /** Supported (§20.37): the core's option tags and every usage's. */
  supportedExtensions(): string[] {
    return [...new Set([...SUPPORTED, ...this.usages.flatMap((u) => u.extensions)])];
  }

  /**
   * Targets of a next-hop URI (RFC 3263). With `flow`, a target of the same protocol and address
   * gets the flow's connection id, so an open connection is reused.
   */
  async resolveNextHop(uri: string, options: { transport?: TransportProtocol; flow?: Target } = {}): Promise<Target[]> {
    const hop = parseUri(uri);
    if (options.transport && !hop.params.has('transport') && hop.scheme !== 'sips') {
      hop.params.set('transport', options.transport.toLowerCase());
    }
    const targets = await this.opts.resolver.resolveUri(hop);
    const flow = options.flow;
    if (flow?.connectionId === undefined) return targets;
    return targets.map((t) => (t.protocol === flow.protocol && t.address === flow.address ? { ...t, connectionId: flow.connectionId } : t));
  }

  /** Targets of the next hop (§8.1.2: the outbound proxy when configured, else the Request-URI). */
  private async targets(request: SipRequest, options: SendOptions): Promise<Target[]> {
    return this.resolveNextHop(options.proxy ?? request.uri, { transport: options.transport, flow: options.flow });
  }

  /** Our address on the flow to a target: the listening socket, with a wildcard made concrete (for a Contact). */
  async flowFor(target: Target): Promise<FlowInfo> {
    const family = isIP(target.address);
    const listening = this.opts.transport.localAddresses();
    // TLS and TCP share nothing but the protocol; a TLS target with no TLS listener still gets a
    // Contact on the TCP port (replies come back over the same connection, §18.2.2).
    const candidates = listening.filter((l) => l.protocol === target.protocol || (target.protocol === 'TLS' && l.protocol === 'TCP'));
    if (candidates.length === 0 && target.protocol !== 'UDP' && this.opts.transport.streamEnd) {
      // A TCP/TLS client with no listener: requests reach us only over this connection, so the
      // Contact names its own end, as Via's sent-by does (§18.1.1, §18.2.2): a proxy reuses the
      // connection it knows by that address (a UDP port under transport=tls reaches nothing).
      const end = await this.opts.transport.streamEnd(target);
      if (end) return { protocol: target.protocol, local: end, remote: { address: target.address, port: target.port }, connectionId: target.connectionId };
    }
    const sameFamily = candidates.find((l) => isIP(l.address) === family || ((l.address === '0.0.0.0' || l.address === '::') && (family === 6) === (l.address === '::')));
    const chosen = sameFamily ?? candidates[0] ?? listening[0];
    let address = chosen?.address ?? (family === 6 ? '::1' : '127.0.0.1');
    if (address === '0.0.0.0' || address === '::') address = await routeSource(target.address, family === 6 ? 'udp6' : 'udp4');
    return {
      protocol: target.protocol,
      local: { address, port: chosen?.port ?? 0 },
      remote: { address: target.address, port: target.port },
      connectionId: target.connectionId,
    };
  }

  async send(request: SipRequest, options: SendOptions = {}): Promise<{ response: SipResponse; flow: FlowInfo; failure?: TransportError }> {
    if (ADVERTISING.has(request.method) && !request.hasHeader('Allow')) {
      // A registrar or a peer learns what we handle from the usages actually added, not from a
      // list written elsewhere (a REGISTER must not promise SUBSCRIBE that gets 405).
      for (const [name, value] of this.capabilityHeaders()) request.addHeader(name, value);
    }
    if (options.proxy && !request.hasHeader('Route')) {
      // §8.1.2: an outbound proxy is a pre-existing route set of one loose-routing URI.
      const proxy = parseUri(options.proxy);
      const lr = proxy.params.has('lr') ? options.proxy : `${options.proxy.replace(/>$/, '')};lr`;
      request.prependHeader('Route', `<${lr.replace(/^<|>$/g, '')}>`);
    }
    let targets: Target[];
    try {
      targets = await this.targets(request, options);
    } catch (err) {
      return { response: this.synthesize(request, 503, (err as Error).message), flow: unknownFlow() };
    }
    if (targets.length === 0) {
      return { response: this.synthesize(request, 503, `no address found for ${options.proxy ?? request.uri}`), flow: unknownFlow() };
    }
    let last: { response: SipResponse; flow: FlowInfo; failure?: TransportError } | undefined;
    for (const target of targets) {
      const flow = await this.flowFor(target);
      options.prepare?.(flow);
      const outcome = await this.once(request, target, options);
      last = { response: outcome.response, flow, ...(outcome.failure ? { failure: outcome.failure } : {}) };
      // RFC 3263 §4.3: a transport error, a timeout or a 503 moves on to the next target.
      if (!(outcome.response.status === 503 || outcome.kind !== 'response')) break;
    }
    return last!;
  }

  /** One client transaction to one target, its final response (provisional ones skipped). */
  private once(
    request: SipRequest,
    target: Target,
    options: SendOptions = {},
  ): Promise<{ kind: 'response' | 'timeout' | 'transport-error'; response: SipResponse; failure?: TransportError }> {
    return new Promise((resolve) => {
      let cause: 'timeout' | 'transport-error' | undefined;
      let transportMessage = '';
      let failure: TransportError | undefined;
      let final = false;
      const tx = this.transactions.request(request, target, {
        onTimeout: () => {
          cause = 'timeout';
        },
        onTransportError: (err) => {
          cause = 'transport-error';
          transportMessage = err.message;
          failure = err;
        },
        onResponse: (response) => {
          if (final) {
            options.onLateResponse?.(response);
            return;
          }
          if (response.status < 200) {
            options.onProvisional?.(response);
            return;
          }
          final = true;
          if (cause === 'timeout') {
            const seconds = (64 * this.transactions.timers.T1) / 1000;
            response.reason = `no answer from ${hostPort(target.address, target.port)} over ${target.protocol} after ${seconds} s`;
          } else if (cause === 'transport-error') {
            response.reason = transportMessage || `could not send to ${hostPort(target.address, target.port)} over ${target.protocol}`;
          }
          resolve({ kind: cause ?? 'response', response, ...(failure ? { failure } : {}) });
        },
      });
      options.onTransaction?.(tx);
    });
  }

  private synthesize(request: SipRequest, status: number, reason: string): SipResponse {
    return createResponse(request, { status, reason });
  }

  /** Build, send, and answer one challenge (§8.1.1, §22.2). */
  async sendOutOfDialog(r: OutOfDialogRequest): Promise<SipResponse> {
    const from = r.from ?? 'sip:anonymous@anonymous.invalid';
    const callId = generateCallId();
    const tag = generateTag();
    let cseq = 1;
    const build = () => {
      const fields: Array<[string, string]> = [
        ['Max-Forwards', '70'],
        ['To', `<${r.to}>`],
        ['From', `<${from}>;tag=${tag}`],
        ['Call-ID', callId],
        ['CSeq', `${cseq++} ${r.method}`],
      ];
      if (this.opts.userAgent) fields.push(['User-Agent', this.opts.userAgent]);
      fields.push(...(r.fields ?? []));
      return createRequest({ method: r.method, uri: r.to, fields, body: r.body });
    };
    const auth = r.credentials?.password !== undefined
      ? new DigestAuthenticator({
          username: r.credentials.username ?? parseUri(from).user,
          password: r.credentials.password,
          ...(r.credentials.trust ? { trust: r.credentials.trust } : {}),
        })
      : undefined;
    let request = build();
    let { response } = await this.send(request, { proxy: r.proxy, transport: r.transport });
    if ((response.status === 401 || response.status === 407) && auth) {
      const retry = build();
      const verdict = auth.authorize(retry, response);
      if (verdict === 'retry') {
        request = retry;
        ({ response } = await this.send(request, { proxy: r.proxy, transport: r.transport }));
      } else if (verdict.kind === 'refused') {
        response.reason = verdict.reason;
      }
    }
    return response;
  }

  private respond(tx: ServerTransaction, req: SipRequest, status: number, fields: Array<[string, string]> = [], body?: string): void {
    const all: Array<[string, string]> = [...fields];
    if (this.opts.userAgent) all.push(['Server', this.opts.userAgent]);
    const toTag = req.to().params.get('tag') ? undefined : generateTag();
    tx.respond(createResponse(req, { status, toTag, fields: all, body }));
  }

  /** §8.2: the UAS checks, in the RFC's order, then the method. Never throws. */
  private handleRequest(tx: ServerTransaction, incoming: IncomingRequest): void {
    const req = incoming.message;
    try {
      // §8.2.1: methods we do not know get 501, with Allow.
      const allowed = this.allowedMethods();
      const known = [...allowed, 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH'];
      if (!known.includes(req.method)) {
        this.respond(tx, req, 501, this.capabilityHeaders());
        return;
      }
      if (!allowed.includes(req.method)) {
        this.respond(tx, req, 405, this.capabilityHeaders());
        return;
      }
      // §8.2.2.1: a Request-URI scheme we cannot handle gets 416.
      const scheme = req.parsedUri().scheme;
      if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
        this.respond(tx, req, 416);
        return;
      }
      // §8.2.2.3: Require with extensions we do not support gets 420 with Unsupported.
      const supported = this.supportedExtensions();
      const unsupported = req.headers('Require').map((s) => s.trim()).filter((ext) => ext && !supported.includes(ext.toLowerCase()));
      if (unsupported.length > 0 && req.method !== 'CANCEL' && req.method !== 'ACK') {
        this.respond(tx, req, 420, [['Unsupported', unsupported.join(', ')]]);
        return;
      }
      for (const usage of this.usages) if (usage.handleRequest(tx, incoming)) return;
      // §12.2.2: a request inside a dialog we do not have.
      if (req.to().params.get('tag')) {
        this.respond(tx, req, 481);
        return;
      }
      switch (req.method) {
        case 'OPTIONS':
          // §11.2: what we would answer to an INVITE now, and our capabilities.
          this.respond(tx, req, 200, [
            ...this.capabilityHeaders(),
            ['Accept', 'application/sdp, text/plain'],
            ['Accept-Encoding', 'identity'],
            ['Accept-Language', 'en, fr'],
            ['Supported', supported.join(', ')],
          ]);
          return;
        case 'MESSAGE':
          this.handleMessage(tx, req);
          return;
        case 'INVITE':
          this.respond(tx, req, 480);
          return;
        default:
          this.respond(tx, req, 481);
      }
    } catch (err) {
      // A header we read was malformed (the parser is lazy): 400 with the reason.
      const e = err as { status?: number; reason?: string };
      try {
        tx.respond(createResponse(req, { status: e.status ?? 500, reason: e.reason ?? 'Server Internal Error', toTag: generateTag() }));
      } catch {
        // Nothing can be answered: the transaction times out by itself.
      }
    }
  }

  /** RFC 3428 §7: a text MESSAGE is answered 200 and handed to the application. */
  private handleMessage(tx: ServerTransaction, req: SipRequest): void {
    const type = (req.header('Content-Type') ?? 'text/plain').trim();
    const mediaType = type.split(';')[0].trim().toLowerCase();
    if (!mediaType.startsWith('text/')) {
      this.respond(tx, req, 415, [['Accept', 'text/plain']]);
      return;
    }
    const charset = /charset="?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase() ?? 'utf-8';
    let text: string;
    try {
      text = new TextDecoder(charset === 'utf8' ? 'utf-8' : charset, { fatal: true }).decode(req.body);
    } catch {
      this.respond(tx, req, 415, [['Accept', 'text/plain;charset=UTF-8']]);
      return;
    }
    this.respond(tx, req, 200);
    const from = req.from();
    const m: ReceivedMessage = { from: from.uri.raw, to: req.to().uri.raw, text, contentType: type };
    for (const h of this.messageHandlers) {
      try {
        h(m);
      } catch {
        // The application's bug must not break SIP.
      }
    }
  }
}

function unknownFlow(): FlowInfo {
  return { protocol: 'UDP', local: { address: '0.0.0.0', port: 0 }, remote: { address: '0.0.0.0', port: 0 } };
}

/** The source address the kernel would use toward `address` (a connected UDP socket sends nothing). */
function routeSource(address: string, type: 'udp4' | 'udp6'): Promise<string> {
  return new Promise((resolve) => {
    const s = createSocket(type);
    const fallback = type === 'udp6' ? '::1' : '127.0.0.1';
    s.once('error', () => {
      s.close();
      resolve(fallback);
    });
    s.connect(9, address, () => {
      const local = s.address().address;
      s.close();
      resolve(local);
    });
  });
}
