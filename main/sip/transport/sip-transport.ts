/**
 * The SIP transport layer (RFC 3261 §18): UDP, TCP and TLS sockets over IPv4 and IPv6, stream
 * framing, connection reuse, RFC 5626 keep-alive, §18.2.2 / RFC 3581 response routing, and the
 * trace hook. It is the only owner of sockets in the SIP stack.
 *
 *   const transport = new SipTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
 *   await transport.start();
 *   transport.onMessage((incoming) => …);
 *   const used = await transport.sendRequest(request, target);   // target from SipResolver
 *   await transport.sendResponse(response, incoming);
 *   await transport.stop();
 *
 * Connections we open (TCP/TLS) are kept by remote address, port and protocol, and by id, and
 * reused; a connection without SIP traffic for `idleTimeout` seconds is closed, unless it is a
 * registration flow. Registration flows (a REGISTER went over them, or `keepAlive()` was called)
 * get keep-alives every `keepAliveInterval` seconds: a CRLFCRLF ping on TCP/TLS, which must be
 * answered by a CRLF pong within `keepAliveTimeout` (else the connection is closed and
 * `onFlowFailed` handlers run, so registration can register again), and a CRLFCRLF on UDP to
 * keep NAT bindings open (RFC 5626 §4.4.1 asks STUN there; CRLF is what many phones send).
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { guardClock, realClock } from '../clock.ts';
import type { Clock } from '../clock.ts';
import { SipParseError, createErrorResponse, createResponse, formatVia, generateBranch, generateTag, parseMessage } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse, Via } from '../message/index.ts';
import { describeConnectError, hostPort } from './describe-connect-error.ts';
import { maskSecrets } from './mask-secrets.ts';
import { routeResponse } from './route-response.ts';
import { canonicalIp, sourceOf, stampVia } from './stamp-via.ts';
import { StreamConnection, unmapIpv4 } from './stream-connection.ts';
import type { SourceLimiter } from './source-limiter.ts';
import { TransportError } from './types.ts';
import type { Incoming, Target, TraceEvent, Transport, TransportProtocol } from './types.ts';

export interface ListenSpec {
  protocol: TransportProtocol;
  /** An IP address; `0.0.0.0` or `::` for every interface. */
  address: string;
  /** 0 = any free port (see `localAddresses()`). */
  port: number;
}

export interface SipTransportTlsOptions {
  /** Extra trusted CA: a PEM file path or PEM text, beside the system's CAs. */
  ca?: string;
  /** Verify server certificates (default true). */
  verify?: boolean;
  /** Our certificate and key for listening (PEM file path or PEM text). */
  cert?: string;
  key?: string;
}

/** Where the transport reports what it drops; never given secrets. */
export interface TransportLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

/** A keep-alive flow that stopped answering (RFC 5626 §4.4.1). */
export interface FlowFailure {
  protocol: TransportProtocol;
  remote: { address: string; port: number };
  local: { address: string; port: number };
  connectionId?: string;
  reason: string;
}

export interface SipTransportOptions {
  listen: ListenSpec[];
  tls?: SipTransportTlsOptions;
  /** A UDP request larger than this goes over TCP (§18.1.1). Default 1300. */
  mtu?: number;
  /** Keep-alive interval for registration flows, seconds; 0 = off (default). */
  keepAliveInterval?: number;
  /** How long to wait for a pong, seconds (RFC 5626 §4.4.1: 10). */
  keepAliveTimeout?: number;
  /** Close a connection after this many seconds without SIP traffic (default 300; 0 never). */
  idleTimeout?: number;
  /** Give up connecting after this many seconds (default 10). */
  connectTimeout?: number;
  /** Requests per source address (SourceLimiter), asked before parsing; none: unlimited. */
  limiter?: SourceLimiter;
  /**
   * Connections we accept (TCP/TLS), at most: in all (default 256) and from one address (default
   * 16). One more from the same address is closed at once; one more in all takes the place of the
   * oldest connection that has not delivered a message yet (or is closed when there is none). Our
   * own connections (registration flows) never count.
   */
  maxAcceptedConnections?: number;
  maxConnectionsPerAddress?: number;
  /** An accepted connection's time to deliver a complete message, seconds (default 32, 64·T1). */
  messageDeadline?: number;
  /**
   * Per server: its own CA file and whether to verify it (an account's `ca` and `tlsVerify`),
   * asked before each TLS connection with the name and address connected to; undefined falls
   * back to `tls`. Verification is on unless a policy or `tls.verify` turns it off.
   */
  tlsPolicy?: (server: { serverName: string; address: string }) => { ca?: string; verify?: boolean } | undefined;
  /** Stream framing limits (defaults 64 KiB of headers, 1 MiB of body). */
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  trace?: (event: TraceEvent) => void;
  logger?: TransportLogger;
  /** Timers (keep-alive, idle, connect timeout, message deadline); the stack's one Clock. */
  clock?: Clock;
  /** For the RFC 5626 keep-alive jitter. */
  random?: () => number;
}

/** One open TCP/TLS connection, for diagnostics and tests. */
export interface ConnectionInfo {
  id: string;
  protocol: TransportProtocol;
  remote: { address: string; port: number };
  local: { address: string; port: number };
  /** We opened it (rather than accepted it). */
  outbound: boolean;
  /** RFC 5626 keep-alive runs on it. */
  keepAlive: boolean;
  /** A ping went out and its pong has not come back yet. */
  awaitingPong: boolean;
}

/** A handle on keep-alives started with `keepAlive()`. */
export interface KeepAliveHandle {
  stop(): void;
}

interface UdpEndpoint {
  socket: dgram.Socket;
  family: 4 | 6;
  address: string;
  port: number;
}

interface StreamListener {
  server: net.Server;
  protocol: 'TCP' | 'TLS';
  family: 4 | 6;
  address: string;
  port: number;
}

interface UdpKeepAlive {
  timer: unknown;
  interval: number;
  /** Started by a REGISTER rather than by keepAlive(). */
  auto: boolean;
  handles: number;
}

/** How to answer on the way a message came (same connection, or the same UDP socket). */
interface Arrival {
  protocol: TransportProtocol;
  source: { address: string; port: number };
  local: { address: string; port: number };
  connection?: StreamConnection;
  endpoint?: UdpEndpoint;
}

const defaultLogger: TransportLogger = { warn: (m) => console.warn(`[sip transport] ${m}`) };
const KEEPALIVE = Buffer.from('\r\n\r\n');
const textDecoder = new TextDecoder();

export class SipTransport implements Transport {
  /** Counters for the attack tests and benchmark. */
  readonly stats = { refusedConnections: 0, limitedRequests: 0 };
  readonly #options: SipTransportOptions;
  /** The trace sink; none: nothing is decoded for tracing (traces cost nothing unless someone looks). */
  #traceSink: ((event: TraceEvent) => void) | undefined;
  readonly #clock: Clock;
  readonly #logger: TransportLogger;
  readonly #mtu: number;
  readonly #idleTimeout: number;
  readonly #connectTimeout: number;
  readonly #keepAliveInterval: number;
  readonly #keepAliveTimeout: number;
  #udp: UdpEndpoint[] = [];
  #listeners: StreamListener[] = [];
  readonly #connections = new Map<string, StreamConnection>();
  /** `PROTOCOL|address|port` of the remote end → connection (ours or accepted). */
  readonly #byRemote = new Map<string, StreamConnection>();
  readonly #pending = new Map<string, Promise<StreamConnection>>();
  /** sent-by values we put in Via headers (`host:port`), to recognise our responses (§18.1.2). */
  readonly #ownSentBy = new Set<string>();
  /** Per connection, the sent-by used on it when no listener covers it (ephemeral port). */
  readonly #connectionSentBy = new Map<string, string>();
  readonly #udpKeepAlives = new Map<string, UdpKeepAlive>();
  readonly #sourceAddressCache = new Map<string, string>();
  readonly #handlers: Array<(incoming: Incoming) => void> = [];
  readonly #flowFailedHandlers: Array<(failure: FlowFailure) => void> = [];
  /** Trusted CA lists by the extra CA files they add (a few at most: one per account with its own). */
  readonly #tlsCa = new Map<string, string[]>();
  #nextId = 1;
  #state: 'new' | 'started' | 'stopped' = 'new';

  constructor(options: SipTransportOptions) {
    this.#options = options;
    this.#traceSink = options.trace;
    this.#clock = guardClock(options.clock ?? realClock);
    this.#logger = options.logger ?? defaultLogger;
    this.#mtu = options.mtu ?? 1300;
    this.#idleTimeout = (options.idleTimeout ?? 300) * 1000;
    this.#connectTimeout = (options.connectTimeout ?? 10) * 1000;
    this.#keepAliveInterval = (options.keepAliveInterval ?? 0) * 1000;
    this.#keepAliveTimeout = (options.keepAliveTimeout ?? 10) * 1000;
  }

  /** Bind every listening socket. Rejects with a TransportError when one cannot be bound. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TransportError('transport already started', 'EALREADY');
    this.#state = 'started';
    try {
      for (const spec of this.#options.listen) {
        const family = net.isIPv6(spec.address) ? 6 : 4;
        if (net.isIP(spec.address) === 0) {
          throw new TransportError(`listen address "${spec.address}" is not an IP address`, 'EINVAL');
        }
        if (spec.protocol === 'UDP') this.#udp.push(await this.#bindUdp(spec, family));
        else this.#listeners.push(await this.#listenStream(spec, spec.protocol, family));
      }
    } catch (err) {
      await this.stop();
      throw err instanceof TransportError ? err : describeBindError(err);
    }
    for (const l of [...this.#udp, ...this.#listeners]) {
      if (!isWildcard(l.address)) this.#ownSentBy.add(`${canonicalIp(l.address)}:${l.port}`);
    }
  }

  /** Close every socket, connection and timer. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    for (const ka of this.#udpKeepAlives.values()) this.#clock.clearTimeout(ka.timer);
    this.#udpKeepAlives.clear();
    for (const c of [...this.#connections.values()]) c.destroy();
    const closing: Array<Promise<void>> = [];
    for (const l of this.#listeners) closing.push(new Promise((resolve) => l.server.close(() => resolve())));
    for (const u of this.#udp) closing.push(new Promise((resolve) => u.socket.close(() => resolve())));
    this.#listeners = [];
    this.#udp = [];
    await Promise.all(closing);
  }

  /** The bound listening sockets (with the real ports when 0 was asked for). */
  localAddresses(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return [
      ...this.#udp.map((u) => ({ protocol: 'UDP' as const, address: u.address, port: u.port })),
      ...this.#listeners.map((l) => ({ protocol: l.protocol, address: l.address, port: l.port })),
    ];
  }

  onMessage(handler: (incoming: Incoming) => void): void {
    this.#handlers.push(handler);
  }

  /** A keep-alive flow failed (pong missing, RFC 5626 §4.4.1): register again. */
  onFlowFailed(handler: (failure: FlowFailure) => void): void {
    this.#flowFailedHandlers.push(handler);
  }

  /** Open connections (for diagnostics and tests). */
  connections(): ConnectionInfo[] {
    return [...this.#connections.values()].map((c) => ({
      id: c.id,
      protocol: c.protocol,
      remote: { ...c.remote },
      local: { ...c.local },
      outbound: c.outbound,
      keepAlive: c.keepingAlive,
      awaitingPong: c.awaitingPong,
    }));
  }

  async sendRequest(request: SipRequest, target: Target): Promise<Target> {
    this.#assertStarted();
    if (net.isIP(target.address) === 0) {
      throw new TransportError(`"${target.address}" is not an IP address (resolve it with SipResolver first)`, 'EINVAL');
    }
    let switchedFromUdp = false;
    if (target.protocol === 'UDP') {
      const endpoint = this.#udpEndpointFor(target.address);
      const sentBy = { address: await this.#udpSourceAddress(endpoint, target.address), port: endpoint.port };
      this.#fillVia(request, 'UDP', sentBy);
      const bytes = request.toBytes();
      // §18.1.1: a request larger than the MTU limit must use a congestion-controlled transport.
      if (bytes.length <= this.#mtu) {
        await this.#sendDatagram(endpoint, bytes, target);
        this.#afterRequest(request, { protocol: 'UDP', address: target.address, port: target.port });
        return { protocol: 'UDP', address: target.address, port: target.port, serverName: target.serverName };
      }
      switchedFromUdp = true;
    }
    try {
      const streamTarget: Target = switchedFromUdp ? { ...target, protocol: 'TCP', connectionId: undefined } : target;
      const connection = await this.#connectionFor(streamTarget);
      this.#fillVia(request, connection.protocol, this.#streamSentBy(connection));
      const bytes = request.toBytes();
      await this.#write(connection, bytes);
      const used: Target = {
        protocol: connection.protocol,
        address: connection.remote.address,
        port: connection.remote.port,
        serverName: target.serverName,
        connectionId: connection.id,
      };
      this.#afterRequest(request, used, connection);
      return used;
    } catch (err) {
      const error = err instanceof TransportError ? err : describeConnectError(err, target);
      // §18.1.1: when TCP was only chosen for size and the peer refuses or resets it, use UDP.
      if (switchedFromUdp && (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET')) {
        const endpoint = this.#udpEndpointFor(target.address);
        const sentBy = { address: await this.#udpSourceAddress(endpoint, target.address), port: endpoint.port };
        this.#fillVia(request, 'UDP', sentBy);
        await this.#sendDatagram(endpoint, request.toBytes(), target);
        this.#afterRequest(request, { protocol: 'UDP', address: target.address, port: target.port });
        return { protocol: 'UDP', address: target.address, port: target.port, serverName: target.serverName };
      }
      throw error;
    }
  }

  async sendResponse(response: SipResponse, to: Incoming): Promise<void> {
    this.#assertStarted();
    const bytes = response.toBytes();
    if (to.protocol !== 'UDP') {
      // §18.2.2: the connection the request arrived on, while it is open…
      const open = to.connectionId ? this.#connections.get(to.connectionId) : undefined;
      if (open && !open.closed) {
        await this.#write(open, bytes);
        return;
      }
      // …else a new connection to `received` (or sent-by) and the sent-by port; over TLS the
      // sent-by host, when it is a name, is what the certificate must match.
      const via = response.topVia();
      const destination = routeResponse(via, to);
      const serverName = net.isIP(via.host) === 0 ? via.host : undefined;
      const connection = await this.#connectionFor({ protocol: to.protocol, ...destination, serverName });
      await this.#write(connection, bytes);
      return;
    }
    // UDP: from the socket the request arrived on (RFC 3581 §4), to rport/received/sent-by.
    const destination = routeResponse(response.topVia(), to);
    const endpoint =
      this.#udp.find((u) => u.port === to.local.port && canonicalIp(u.address) === canonicalIp(to.local.address)) ??
      this.#udpEndpointFor(destination.address);
    await this.#sendDatagram(endpoint, bytes, destination);
  }

  /**
   * Keep a flow alive (RFC 5626 §4.4.1): pings on the TCP/TLS connection of `target` (by
   * connectionId, else by address) or CRLFs to a UDP target, every `interval` seconds (default
   * `keepAliveInterval`, else 30 s on UDP and 90 s on streams). The connection is then never
   * closed for idleness. Throws TransportError('ENOTCONN') when no such connection is open.
   */
  keepAlive(target: Target, options: { interval?: number } = {}): KeepAliveHandle {
    this.#assertStarted();
    const fallback = this.#keepAliveInterval || (target.protocol === 'UDP' ? 30_000 : 90_000);
    const interval = options.interval !== undefined ? options.interval * 1000 : fallback;
    if (target.protocol === 'UDP') {
      this.#startUdpKeepAlive(target, interval, false);
      let stopped = false;
      return {
        stop: () => {
          if (stopped) return;
          stopped = true;
          this.#releaseUdpKeepAlive(target, false);
        },
      };
    }
    const connection = this.#openConnection(target);
    if (!connection) {
      throw new TransportError(`no open ${target.protocol} connection to ${hostPort(target.address, target.port)}`, 'ENOTCONN');
    }
    connection.persistent = true;
    connection.startKeepAlive(interval, this.#keepAliveTimeout);
    return {
      stop: () => {
        connection.stopKeepAlive();
        connection.persistent = false;
      },
    };
  }

  // ---- sending ---------------------------------------------------------------------------------

  #assertStarted(): void {
    if (this.#state !== 'started') throw new TransportError('transport is not running', 'ENOTSTARTED');
  }

  /** RFC 3261 §18.1.1 and RFC 3581 §3: our transport and sent-by in the top Via, and `rport`. */
  #fillVia(request: SipRequest, protocol: TransportProtocol, sentBy: { address: string; port: number }): void {
    let top: Via | undefined;
    try {
      top = request.hasHeader('Via') ? request.topVia() : undefined;
    } catch {
      top = undefined;
    }
    const params = new Map<string, string | null>(top?.params ?? []);
    if (!params.get('branch')) params.set('branch', generateBranch());
    params.delete('received');
    if (!params.has('rport')) params.set('rport', null);
    const value = formatVia({ transport: protocol, host: unmapIpv4(sentBy.address), port: sentBy.port, params });
    if (top) {
      const vias = request.headers('Via');
      vias[0] = value;
      request.setHeader('Via', vias);
    } else {
      request.prependHeader('Via', value);
    }
  }

  /** Registration flows: keep-alive starts with a REGISTER and stops with an un-REGISTER. */
  #afterRequest(request: SipRequest, used: Target, connection?: StreamConnection): void {
    if (request.method !== 'REGISTER' || this.#keepAliveInterval <= 0) return;
    const removing = isUnregister(request);
    if (connection) {
      if (removing) {
        connection.persistent = false;
        connection.stopKeepAlive();
      } else {
        connection.persistent = true;
        if (!connection.keepingAlive) connection.startKeepAlive(this.#keepAliveInterval, this.#keepAliveTimeout);
      }
    } else if (removing) {
      this.#releaseUdpKeepAlive(used, true);
    } else {
      this.#startUdpKeepAlive(used, this.#keepAliveInterval, true);
    }
  }

  #udpEndpointFor(address: string): UdpEndpoint {
    const family = net.isIPv6(address) ? 6 : 4;
    const endpoint = this.#udp.find((u) => u.family === family) ?? (family === 4 ? this.#udp.find((u) => u.address === '::') : undefined);
    if (!endpoint) {
      throw new TransportError(`no UDP socket for IPv${family} (listen on UDP ${family === 6 ? '::1 or ::' : '0.0.0.0'} to reach ${address})`, 'ENOTRANSPORT');
    }
    return endpoint;
  }

  /** The address to write in Via: the bound one, or for a wildcard bind the one the route picks. */
  async #udpSourceAddress(endpoint: UdpEndpoint, remote: string): Promise<string> {
    if (!isWildcard(endpoint.address)) return endpoint.address;
    const cached = this.#sourceAddressCache.get(remote);
    if (cached) return cached;
    const probe = dgram.createSocket(net.isIPv6(remote) ? 'udp6' : 'udp4');
    const address = await new Promise<string>((resolve) => {
      probe.once('error', () => resolve(net.isIPv6(remote) ? '::1' : '127.0.0.1'));
      // connect() on UDP sends nothing: it only asks the kernel which source address it would use.
      probe.connect(9, remote, () => resolve(unmapIpv4(probe.address().address)));
    });
    probe.close();
    this.#sourceAddressCache.set(remote, address);
    this.#ownSentBy.add(`${canonicalIp(address)}:${endpoint.port}`);
    return address;
  }

  /** sent-by on a stream: our listener of that protocol when there is one, else the connection's own end. */
  #streamSentBy(connection: StreamConnection): { address: string; port: number } {
    const family = net.isIPv6(connection.local.address) ? 6 : 4;
    const listener =
      this.#listeners.find((l) => l.protocol === connection.protocol && l.family === family) ??
      this.#listeners.find((l) => l.protocol === connection.protocol);
    if (listener) {
      const address = isWildcard(listener.address) || listener.family !== family ? connection.local.address : listener.address;
      this.#ownSentBy.add(`${canonicalIp(address)}:${listener.port}`);
      return { address, port: listener.port };
    }
    this.#connectionSentBy.set(connection.id, `${canonicalIp(connection.local.address)}:${connection.local.port}`);
    return connection.local;
  }

  #sendDatagram(endpoint: UdpEndpoint, bytes: Uint8Array, to: { address: string; port: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      endpoint.socket.send(bytes, to.port, to.address, (err) => {
        if (err) {
          reject(describeConnectError(err, to));
          return;
        }
        this.#trace('sent', 'UDP', { address: endpoint.address, port: endpoint.port }, to, bytes);
        resolve();
      });
    });
  }

  async #write(connection: StreamConnection, bytes: Uint8Array): Promise<void> {
    try {
      await connection.write(bytes);
    } catch (err) {
      throw describeConnectError(err, connection.remote);
    }
    this.#trace('sent', connection.protocol, connection.local, connection.remote, bytes);
  }

  #openConnection(target: Target): StreamConnection | undefined {
    if (target.connectionId) {
      const byId = this.#connections.get(target.connectionId);
      if (byId && !byId.closed) return byId;
    }
    const byRemote = this.#byRemote.get(remoteKey(target.protocol, target.address, target.port));
    return byRemote && !byRemote.closed ? byRemote : undefined;
  }

  /** An open connection to the target, else one being opened, else a new one. */
  #connectionFor(target: Target): Promise<StreamConnection> {
    const open = this.#openConnection(target);
    if (open) return Promise.resolve(open);
    const key = remoteKey(target.protocol, target.address, target.port);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const opening = this.#connect(target).finally(() => this.#pending.delete(key));
    this.#pending.set(key, opening);
    return opening;
  }

  #connect(target: Target): Promise<StreamConnection> {
    const protocol = target.protocol === 'TLS' ? 'TLS' : 'TCP';
    const family = net.isIPv6(target.address) ? 6 : 4;
    // Leave from our listening address when it is a specific one, so sent-by stays true.
    const bound = this.#listeners.find((l) => l.family === family && !isWildcard(l.address)) ??
      this.#udp.find((u) => u.family === family && !isWildcard(u.address));
    const localAddress = bound?.address;
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      const where = { address: target.address, port: target.port, serverName: target.serverName };
      if (protocol === 'TLS') {
        const tlsOptions = this.#options.tls ?? {};
        const serverName = target.serverName ?? target.address;
        const policy = this.#options.tlsPolicy?.({ serverName, address: target.address });
        const connectOptions: tls.ConnectionOptions & { localAddress?: string } = {
          host: target.address,
          port: target.port,
          localAddress,
          // SNI carries names only (RFC 6066 §3); Node warns when given an IP literal.
          servername: net.isIP(serverName) ? undefined : serverName,
          ca: this.#trustedCas(policy?.ca),
          rejectUnauthorized: policy?.verify ?? tlsOptions.verify ?? true,
          // RFC 8996 retired TLS 1.0 and 1.1; SIP over TLS (RFC 5630 §3) wants 1.2 at least.
          minVersion: 'TLSv1.2',
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(serverName, cert),
        };
        socket = tls.connect(connectOptions);
      } else {
        socket = net.connect({ host: target.address, port: target.port, localAddress });
      }
      const timer = this.#clock.setTimeout(() => {
        socket.destroy();
        reject(describeConnectError({ code: 'ETIMEDOUT' }, where));
      }, this.#connectTimeout);
      socket.once(protocol === 'TLS' ? 'secureConnect' : 'connect', () => {
        this.#clock.clearTimeout(timer);
        if (this.#state !== 'started') {
          socket.destroy();
          reject(new TransportError('transport stopped', 'ENOTSTARTED'));
          return;
        }
        resolve(this.#adopt(socket, protocol, true));
      });
      socket.once('error', (err) => {
        this.#clock.clearTimeout(timer);
        socket.destroy();
        reject(describeConnectError(err, where));
      });
    });
  }

  /** System CAs plus the transport's CA file and a server's own (undefined = Node's defaults only). */
  #trustedCas(own?: string): string[] | undefined {
    const extras = [this.#options.tls?.ca, own].filter((c): c is string => c !== undefined && c !== '');
    if (extras.length === 0) return undefined;
    const key = extras.join('\n');
    let cas = this.#tlsCa.get(key);
    if (!cas) {
      const system = new Set<string>(tls.getCACertificates('default'));
      try {
        for (const c of tls.getCACertificates('system')) system.add(c);
      } catch {
        // No readable system store: the bundled roots remain.
      }
      cas = [...system, ...extras.map(pemOrFile)];
      this.#tlsCa.set(key, cas);
    }
    return cas;
  }

  // ---- listening and receiving -----------------------------------------------------------------

  #bindUdp(spec: ListenSpec, family: 4 | 6): Promise<UdpEndpoint> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
      socket.once('error', reject);
      socket.bind(spec.port, spec.address, () => {
        socket.off('error', reject);
        const endpoint: UdpEndpoint = { socket, family, address: spec.address, port: socket.address().port };
        socket.on('error', (err) => this.#logger.warn(`UDP socket ${hostPort(endpoint.address, endpoint.port)}: ${err.message}`));
        socket.on('message', (data, rinfo) => {
          try {
            this.#receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), {
              protocol: 'UDP',
              source: { address: unmapIpv4(rinfo.address), port: rinfo.port },
              local: { address: endpoint.address, port: endpoint.port },
              endpoint,
            });
          } catch (err) {
            this.#logger.warn(`UDP receive failed: ${(err as Error).message}`);
          }
        });
        resolve(endpoint);
      });
    });
  }

  #listenStream(spec: ListenSpec, protocol: 'TCP' | 'TLS', family: 4 | 6): Promise<StreamListener> {
    let server: net.Server;
    if (protocol === 'TLS') {
      const t = this.#options.tls ?? {};
      if (!t.cert || !t.key) {
        return Promise.reject(new TransportError('listening on TLS needs tls.cert and tls.key', 'TLS_CONFIG'));
      }
      // A handshake that does not finish in 10 s holds no descriptor longer (Node's default: 120 s).
      server = tls.createServer({ cert: pemOrFile(t.cert), key: pemOrFile(t.key), minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, (socket) => this.#accept(socket, 'TLS'));
      server.on('tlsClientError', (err, socket) => {
        this.#logger.warn(`TLS handshake from ${hostPort(unmapIpv4(socket.remoteAddress ?? '?'), socket.remotePort ?? 0)} failed: ${err.message}`);
      });
    } else {
      server = net.createServer((socket) => this.#accept(socket, 'TCP'));
    }
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: spec.port, host: spec.address, ipv6Only: family === 6 && isWildcard(spec.address) ? false : undefined }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.#logger.warn(`${protocol} listener: ${err.message}`));
        const address = server.address() as net.AddressInfo;
        resolve({ server, protocol, family, address: spec.address, port: address.port });
      });
    });
  }

  #accept(socket: net.Socket, protocol: 'TCP' | 'TLS'): void {
    if (this.#state !== 'started') {
      socket.destroy();
      return;
    }
    // Bounded descriptors: however many connections a scanner opens, the phone keeps room for its own.
    const from = sourceOf(unmapIpv4(socket.remoteAddress ?? ''));
    let total = 0;
    let same = 0;
    /** The oldest accepted connection that never delivered a message: the first to make room. */
    let idlest: StreamConnection | undefined;
    for (const c of this.#connections.values()) {
      if (c.outbound) continue;
      total++;
      if (sourceOf(c.remote.address) === from) same++;
      if (!idlest && c.messagesReceived === 0) idlest = c;
    }
    if (same >= (this.#options.maxConnectionsPerAddress ?? 16)) {
      this.stats.refusedConnections++;
      socket.destroy();
      return;
    }
    if (total >= (this.#options.maxAcceptedConnections ?? 256)) {
      // Full: a newcomer takes the place of a connection that has said nothing yet (an attacker's
      // idle socket), so that idle sockets cannot lock a real peer out; else it is refused.
      if (!idlest) {
        this.stats.refusedConnections++;
        socket.destroy();
        return;
      }
      this.stats.refusedConnections++;
      idlest.destroy();
    }
    this.#adopt(socket, protocol, false);
  }

  #adopt(socket: net.Socket, protocol: 'TCP' | 'TLS', outbound: boolean): StreamConnection {
    const id = `${protocol.toLowerCase()}-${this.#nextId++}`;
    const connection = new StreamConnection({
      id,
      socket,
      protocol,
      outbound,
      clock: this.#clock,
      idleTimeout: this.#idleTimeout,
      messageDeadline: (this.#options.messageDeadline ?? 32) * 1000,
      maxHeaderBytes: this.#options.maxHeaderBytes,
      maxBodyBytes: this.#options.maxBodyBytes,
      random: this.#options.random,
      hooks: {
        onMessage: (c, data) => {
          try {
            this.#receive(data, { protocol: c.protocol, source: c.remote, local: c.local, connection: c });
          } catch (err) {
            this.#logger.warn(`${c.protocol} receive failed: ${(err as Error).message}`);
          }
        },
        onFramingError: (c, error) => this.#answerFramingError(c, error.status, error.reason, error.head),
        onClose: (c) => this.#forget(c),
        onFlowFailed: (c, reason) => {
          this.#logger.warn(`${c.protocol} flow to ${hostPort(c.remote.address, c.remote.port)} failed: ${reason}`);
          const failure: FlowFailure = { protocol: c.protocol, remote: { ...c.remote }, local: { ...c.local }, connectionId: c.id, reason };
          for (const h of this.#flowFailedHandlers) {
            try {
              h(failure);
            } catch (err) {
              this.#logger.warn(`flow-failed handler threw: ${(err as Error).message}`);
            }
          }
        },
      },
    });
    this.#connections.set(id, connection);
    this.#byRemote.set(remoteKey(protocol, connection.remote.address, connection.remote.port), connection);
    return connection;
  }

  #forget(connection: StreamConnection): void {
    this.#connections.delete(connection.id);
    this.#connectionSentBy.delete(connection.id);
    const key = remoteKey(connection.protocol, connection.remote.address, connection.remote.port);
    if (this.#byRemote.get(key) === connection) this.#byRemote.delete(key);
  }

  /** RFC 3261 §21.5.4: 503 with Retry-After, sent without a transaction (nothing is kept of it). */
  async #refuseOverRate(request: SipRequest, arrival: Arrival, retryAfter: number): Promise<void> {
    try {
      const response = createResponse(request, { status: 503, reason: 'Service Unavailable', toTag: generateTag(), fields: [['Retry-After', String(retryAfter)]] });
      await this.sendResponse(response, { message: request, protocol: arrival.protocol, source: arrival.source, local: arrival.local, connectionId: arrival.connection?.id });
    } catch {
      // Nothing more is owed to a flood.
    }
  }

  /** One datagram or one framed stream message. */
  #receive(data: Uint8Array, arrival: Arrival): void {
    // CRLF keep-alives on UDP (RFC 5626 §3.5.1 uses STUN there; we accept CRLFs and ignore them).
    if (data.every((b) => b === 0x0d || b === 0x0a || b === 0x20)) return;
    // A request over its source's rate is dropped before it costs a parse (a response starts "SIP/").
    const limiter = this.#options.limiter;
    const verdict = limiter && !startsWithSip(data) ? limiter.take(arrival.source.address) : 'ok';

    if (verdict === 'drop') {
      this.stats.limitedRequests++;
      return;
    }
    this.#trace('received', arrival.protocol, arrival.local, arrival.source, data);
    let message: SipMessage;
    try {
      message = parseMessage(data);
      if (verdict === 'refuse') {
        this.stats.limitedRequests++;
        if (message.kind === 'request' && message.method !== 'ACK') void this.#refuseOverRate(message, arrival, limiter!.retryAfter);
        return;
      }
      if (message.kind === 'request') {
        // §18.2.1 and RFC 3581 §4: record where the request really came from.
        const top = message.topVia();
        const stamped = stampVia(top, arrival.source);
        if (stamped) {
          const vias = message.headers('Via');
          vias[0] = formatVia(stamped);
          message.setHeader('Via', vias);
        }
      } else {
        // §18.1.2: a response whose top Via is not ours is discarded.
        const top = message.topVia();
        if (!this.#isOurSentBy(top, arrival.connection)) {
          this.#logger.warn(`dropped a response from ${where(arrival)}: top Via sent-by ${hostPort(top.host, top.port ?? 5060)} is not ours`);
          return;
        }
      }
    } catch (err) {
      this.#malformed(data, err, arrival);
      return;
    }
    const incoming: Incoming = {
      message,
      protocol: arrival.protocol,
      source: { ...arrival.source },
      local: { ...arrival.local },
      connectionId: arrival.connection?.id,
    };
    for (const handler of this.#handlers) {
      try {
        handler(incoming);
      } catch (err) {
        this.#logger.warn(`message handler threw: ${(err as Error).message}`);
      }
    }
  }

  /** Bad input gets a clear answer (DESIGN.md): 400/505 for a request, a log line for a response. */
  #malformed(data: Uint8Array, err: unknown, arrival: Arrival): void {
    const reason = err instanceof SipParseError ? `${err.status} ${err.reason}` : (err as Error).message;
    const start = textDecoder.decode(data.subarray(0, 8));
    if (start.startsWith('SIP/')) {
      this.#logger.warn(`dropped a malformed response from ${where(arrival)}: ${reason}`);
      return;
    }
    if (!(err instanceof SipParseError) || /^ACK\s/i.test(start)) {
      // Never answer an ACK (§17.2.1); an unexpected error is only logged.
      this.#logger.warn(`dropped a malformed request from ${where(arrival)}: ${reason}`);
      return;
    }
    const reply = createErrorResponse(data, err);
    if (!reply) {
      this.#logger.warn(`dropped a malformed request from ${where(arrival)} (${reason}): too broken to answer`);
      return;
    }
    this.#logger.debug?.(`answered a malformed request from ${where(arrival)} with ${reason}`);
    this.#replyRaw(reply, arrival);
  }

  /** A framing error on a stream (oversized header block or body): answer if we can, then it closes. */
  #answerFramingError(connection: StreamConnection, status: number, reason: string, head: Uint8Array): void {
    this.#logger.warn(`closing ${connection.protocol} connection from ${hostPort(connection.remote.address, connection.remote.port)}: ${status} ${reason}`);
    const start = textDecoder.decode(head.subarray(0, 8));
    if (start.startsWith('SIP/') || /^ACK\s/i.test(start)) return;
    try {
      const bytes = createErrorResponse(head, new SipParseError(status, reason));
      if (bytes) {
        connection.socket.write(bytes);
        this.#trace('sent', connection.protocol, connection.local, connection.remote, bytes);
      }
    } catch {
      // Not even a Via to answer to: closing is all that is left.
    }
  }

  /** The same way back, without routing: same connection, or the same UDP socket to the source. */
  #replyRaw(bytes: Uint8Array, arrival: Arrival): void {
    const failed = (err: unknown) => this.#logger.warn(`could not answer ${where(arrival)}: ${(err as Error).message}`);
    if (arrival.connection) {
      this.#write(arrival.connection, bytes).catch(failed);
    } else if (arrival.endpoint) {
      this.#sendDatagram(arrival.endpoint, bytes, arrival.source).catch(failed);
    }
  }

  #isOurSentBy(via: Via, connection?: StreamConnection): boolean {
    const defaultPort = via.transport.toUpperCase() === 'TLS' ? 5061 : 5060;
    const key = `${canonicalIp(via.host)}:${via.port ?? defaultPort}`;
    if (this.#ownSentBy.has(key)) return true;
    if (connection && this.#connectionSentBy.get(connection.id) === key) return true;
    for (const value of this.#connectionSentBy.values()) if (value === key) return true;
    return false;
  }

  /** Set or remove (undefined) the trace sink while running. */
  setTrace(sink: ((event: TraceEvent) => void) | undefined): void {
    this.#traceSink = sink;
  }

  #trace(direction: 'sent' | 'received', protocol: TransportProtocol, local: { address: string; port: number }, remote: { address: string; port: number }, bytes: Uint8Array): void {
    const sink = this.#traceSink;
    if (!sink) return;
    try {
      sink({
        time: Date.now(),
        direction,
        protocol,
        local: { address: local.address, port: local.port },
        remote: { address: remote.address, port: remote.port },
        text: maskSecrets(textDecoder.decode(bytes)),
      });
    } catch (err) {
      this.#logger.warn(`trace sink threw: ${(err as Error).message}`);
    }
  }

  // ---- UDP keep-alive --------------------------------------------------------------------------

  #startUdpKeepAlive(target: Target, interval: number, auto: boolean): void {
    const key = remoteKey('UDP', target.address, target.port);
    const existing = this.#udpKeepAlives.get(key);
    if (existing) {
      if (!auto) existing.handles++;
      existing.interval = interval;
      return;
    }
    const ka: UdpKeepAlive = { timer: undefined, interval, auto, handles: auto ? 0 : 1 };
    const tick = () => {
      if (this.#state !== 'started' || this.#udpKeepAlives.get(key) !== ka) return;
      try {
        const endpoint = this.#udpEndpointFor(target.address);
        endpoint.socket.send(KEEPALIVE, target.port, target.address, () => {});
      } catch (err) {
        this.#logger.warn(`UDP keep-alive to ${hostPort(target.address, target.port)}: ${(err as Error).message}`);
      }
      schedule();
    };
    const schedule = () => {
      const jitter = 0.8 + 0.2 * (this.#options.random ?? Math.random)();
      ka.timer = this.#clock.setTimeout(tick, ka.interval * jitter);
    };
    this.#udpKeepAlives.set(key, ka);
    schedule();
  }

  #releaseUdpKeepAlive(target: Target, auto: boolean): void {
    const key = remoteKey('UDP', target.address, target.port);
    const ka = this.#udpKeepAlives.get(key);
    if (!ka) return;
    if (auto) ka.auto = false;
    else ka.handles = Math.max(0, ka.handles - 1);
    if (!ka.auto && ka.handles === 0) {
      this.#clock.clearTimeout(ka.timer);
      this.#udpKeepAlives.delete(key);
    }
  }
}

function remoteKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol === 'UDP' ? 'UDP' : protocol}|${canonicalIp(address)}|${port}`;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function where(arrival: Arrival): string {
  return `${arrival.protocol} ${hostPort(arrival.source.address, arrival.source.port)}`;
}

function pemOrFile(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/** A REGISTER that removes bindings: `Expires: 0`, or every Contact with expires=0, or `*`. */
function isUnregister(request: SipRequest): boolean {
  const contacts = request.headers('Contact');
  if (contacts.some((c) => c.trim() === '*')) return true;
  const headerExpires = request.header('Expires')?.trim();
  if (contacts.length === 0) return headerExpires === '0';
  return contacts.every((c) => {
    // Header parameters follow the `>` of a name-addr, or the whole addr-spec (§20.10).
    const tail = c.includes('>') ? c.slice(c.lastIndexOf('>') + 1) : c;
    const m = /;\s*expires\s*=\s*(\d+)/i.exec(tail);
    return m ? Number(m[1]) === 0 : headerExpires === '0';
  });
}

function describeBindError(err: unknown): TransportError {
  const e = err as { code?: string; message?: string; address?: string; port?: number };
  if (e.code === 'EADDRINUSE') return new TransportError(`port ${e.port ?? '?'} on ${e.address ?? '?'} is already in use`, 'EADDRINUSE');
  if (e.code === 'EADDRNOTAVAIL') return new TransportError(`${e.address ?? 'that address'} is not an address of this machine`, 'EADDRNOTAVAIL');
  if (e.code === 'EACCES') return new TransportError(`no permission to listen on port ${e.port ?? '?'}`, 'EACCES');
  return new TransportError(`cannot listen: ${e.message ?? String(err)}`, e.code ?? 'ELISTEN');
}

/** Whether a message starts with "SIP/" (a response's status line) rather than a method. */
function startsWithSip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x53 && data[1] === 0x49 && data[2] === 0x50 && data[3] === 0x2f;
}
