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
import net from 'node:net';
import { guardClock, realClock } from '../clock.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { isWildcard } from './addresses.ts';
import { describeConnectError, hostPort } from './describe-connect-error.ts';
import { fillVia } from './fill-via.ts';
import { FlowKeepAlive } from './flow-keep-alive.ts';
import { Inbound } from './inbound.ts';
import type { Arrival } from './inbound.ts';
import { OwnSentBy } from './own-sent-by.ts';
import { routeResponse } from './route-response.ts';
import type { ConnectionInfo, FlowFailure, KeepAliveHandle, SipTransportOptions, TransportLogger } from './sip-transport-options.ts';
import type { StreamConnection } from './stream-connection.ts';
import { StreamPool } from './stream-pool.ts';
import { TlsSettings } from './tls-settings.ts';
import { TransportError } from './types.ts';
import type { Incoming, Target, TraceEvent, Transport, TransportProtocol } from './types.ts';
import { UdpEndpoints } from './udp-endpoints.ts';
import { WireTrace } from './wire-trace.ts';

export type {
  ConnectionInfo,
  FlowFailure,
  KeepAliveHandle,
  ListenSpec,
  SipTransportOptions,
  SipTransportTlsOptions,
  TransportLogger,
} from './sip-transport-options.ts';

const defaultLogger: TransportLogger = { warn: (m) => console.warn(`[sip transport] ${m}`) };

/**
 * The transport's face; its parts each own one job: `UdpEndpoints` (UDP sockets), `StreamPool`
 * (TCP/TLS listeners and connections, with their caps), `Inbound` (admission: rate limit, parse,
 * screen), `FlowKeepAlive` (registration flows), `OwnSentBy` (§18.1.2), `WireTrace` (the hook).
 * Target selection and sending (§18.1.1, §18.2.2) stay here.
 */
export class SipTransport implements Transport {
  /** Counters for the attack tests and benchmark. */
  readonly stats = { refusedConnections: 0, limitedRequests: 0 };
  readonly #options: SipTransportOptions;
  readonly #logger: TransportLogger;
  readonly #mtu: number;
  readonly #trace: WireTrace;
  readonly #sentBy = new OwnSentBy();
  readonly #udp: UdpEndpoints;
  readonly #streams: StreamPool;
  readonly #inbound: Inbound;
  readonly #flows: FlowKeepAlive;
  readonly #flowFailedHandlers: Array<(failure: FlowFailure) => void> = [];
  #state: 'new' | 'started' | 'stopped' = 'new';

  constructor(options: SipTransportOptions) {
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger;
    this.#mtu = options.mtu ?? 1300;
    const clock = guardClock(options.clock ?? realClock);
    const logger = this.#logger;
    const trace = (this.#trace = new WireTrace(options.trace, logger));
    const sentBy = this.#sentBy;
    const running = () => this.#state === 'started';
    // The parts call one another through these closures: each is built before it is first called.
    const receive = (data: Uint8Array, arrival: Arrival) => this.#inbound.receive(data, arrival);
    this.#udp = new UdpEndpoints({ logger, trace, sentBy, receive });
    this.#streams = new StreamPool({
      clock,
      logger,
      trace,
      sentBy,
      tls: new TlsSettings(options),
      stats: this.stats,
      running,
      fallbackLocalAddress: (family) => this.#udp.all.find((u) => u.family === family && !isWildcard(u.address))?.address,
      idleTimeout: (options.idleTimeout ?? 300) * 1000,
      connectTimeout: (options.connectTimeout ?? 10) * 1000,
      messageDeadline: (options.messageDeadline ?? 32) * 1000,
      maxAccepted: options.maxAcceptedConnections ?? 256,
      maxPerAddress: options.maxConnectionsPerAddress ?? 16,
      maxHeaderBytes: options.maxHeaderBytes,
      maxBodyBytes: options.maxBodyBytes,
      random: options.random,
      receive,
      onFramingError: (c, error) => this.#inbound.answerFramingError(c, error.status, error.reason, error.head),
      onFlowFailed: (c, reason) => this.#flowFailed(c, reason),
    });
    this.#inbound = new Inbound({
      limiter: options.limiter,
      sentBy,
      trace,
      logger,
      udp: this.#udp,
      streams: this.#streams,
      stats: this.stats,
      respond: (response, to) => this.sendResponse(response, to),
    });
    this.#flows = new FlowKeepAlive({
      clock,
      logger,
      udp: this.#udp,
      streams: this.#streams,
      running,
      interval: (options.keepAliveInterval ?? 0) * 1000,
      timeout: (options.keepAliveTimeout ?? 10) * 1000,
      random: options.random,
    });
  }

  /** Bind every listening socket. Rejects with a TransportError when one cannot be bound. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TransportError('transport already started', 'EALREADY');
    this.#state = 'started';
    try {
      for (const spec of this.#options.listen) {
        // isIP tries IPv4 first: an IPv4 address never runs Node's IPv6 pattern, whose first use
        // compiles it (~14 ms of the engine's start).
        const family = net.isIP(spec.address) as 0 | 4 | 6;
        if (family === 0) {
          throw new TransportError(`listen address "${spec.address}" is not an IP address`, 'EINVAL');
        }
        if (spec.protocol === 'UDP') await this.#udp.bind(spec, family);
        else await this.#streams.listen(spec, spec.protocol, family);
      }
    } catch (err) {
      await this.stop();
      throw err instanceof TransportError ? err : describeBindError(err);
    }
    for (const l of [...this.#udp.all, ...this.#streams.listeners]) {
      if (!isWildcard(l.address)) this.#sentBy.add(l.address, l.port);
    }
  }

  /** Close every socket, connection and timer. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#flows.stop();
    this.#streams.destroyAll();
    await Promise.all([this.#streams.closeListeners(), this.#udp.close()]);
  }

  /** The bound listening sockets (with the real ports when 0 was asked for). */
  localAddresses(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return [
      ...this.#udp.all.map((u) => ({ protocol: 'UDP' as const, address: u.address, port: u.port })),
      ...this.#streams.listeners.map((l) => ({ protocol: l.protocol, address: l.address, port: l.port })),
    ];
  }

  onMessage(handler: (incoming: Incoming) => void): void {
    this.#inbound.onMessage(handler);
  }

  /** A keep-alive flow failed (pong missing, RFC 5626 §4.4.1): register again. */
  onFlowFailed(handler: (failure: FlowFailure) => void): void {
    this.#flowFailedHandlers.push(handler);
  }

  /** Open connections (for diagnostics and tests). */
  connections(): ConnectionInfo[] {
    return this.#streams.info();
  }

  async sendRequest(request: SipRequest, target: Target): Promise<Target> {
    this.#assertStarted();
    if (net.isIP(target.address) === 0) {
      throw new TransportError(`"${target.address}" is not an IP address (resolve it with SipResolver first)`, 'EINVAL');
    }
    let switchedFromUdp = false;
    if (target.protocol === 'UDP') {
      const endpoint = this.#udp.endpointFor(target.address);
      const sentBy = { address: await this.#udp.sourceAddress(endpoint, target.address), port: endpoint.port };
      fillVia(request, 'UDP', sentBy);
      const bytes = request.toBytes();
      // §18.1.1: a request larger than the MTU limit must use a congestion-controlled transport.
      if (bytes.length <= this.#mtu) {
        await this.#udp.send(endpoint, bytes, target);
        this.#flows.afterRequest(request, { protocol: 'UDP', address: target.address, port: target.port });
        return { protocol: 'UDP', address: target.address, port: target.port, serverName: target.serverName };
      }
      switchedFromUdp = true;
    }
    try {
      const streamTarget: Target = switchedFromUdp ? { ...target, protocol: 'TCP', connectionId: undefined } : target;
      const connection = await this.#streams.connectionFor(streamTarget);
      fillVia(request, connection.protocol, this.#streams.sentByFor(connection));
      const bytes = request.toBytes();
      await this.#streams.write(connection, bytes);
      const used: Target = {
        protocol: connection.protocol,
        address: connection.remote.address,
        port: connection.remote.port,
        serverName: target.serverName,
        connectionId: connection.id,
      };
      this.#flows.afterRequest(request, used, connection);
      return used;
    } catch (err) {
      const error = err instanceof TransportError ? err : describeConnectError(err, target);
      // §18.1.1: when TCP was only chosen for size and the peer refuses or resets it, use UDP.
      if (switchedFromUdp && (error.errno === 'ECONNREFUSED' || error.errno === 'ECONNRESET')) {
        const endpoint = this.#udp.endpointFor(target.address);
        const sentBy = { address: await this.#udp.sourceAddress(endpoint, target.address), port: endpoint.port };
        fillVia(request, 'UDP', sentBy);
        await this.#udp.send(endpoint, request.toBytes(), target);
        this.#flows.afterRequest(request, { protocol: 'UDP', address: target.address, port: target.port });
        return { protocol: 'UDP', address: target.address, port: target.port, serverName: target.serverName };
      }
      throw error;
    }
  }

  /** Our end of the stream connection to `target` as its Via's sent-by names it (opened now if need be); undefined when it cannot be opened. */
  async streamEnd(target: Target): Promise<{ address: string; port: number } | undefined> {
    this.#assertStarted();
    if (target.protocol === 'UDP' || net.isIP(target.address) === 0) return undefined;
    try {
      return { ...this.#streams.sentByFor(await this.#streams.connectionFor(target)) };
    } catch {
      return undefined;
    }
  }

  /** §18.4: whether an ICMP error says a UDP target is dead (see UdpEndpoints.probe). */
  probeUnreachable(target: Target): Promise<TransportError | undefined> {
    if (target.protocol !== 'UDP' || this.#udp.all.length === 0) return Promise.resolve(undefined);
    return this.#udp.probe(target);
  }

  async sendResponse(response: SipResponse, to: Incoming): Promise<void> {
    this.#assertStarted();
    const bytes = response.toBytes();
    if (to.protocol !== 'UDP') {
      // §18.2.2: the connection the request arrived on, while it is open…
      const open = to.connectionId ? this.#streams.byId(to.connectionId) : undefined;
      if (open && !open.closed) {
        await this.#streams.write(open, bytes);
        return;
      }
      // …else a new connection to `received` (or sent-by) and the sent-by port; over TLS the
      // sent-by host, when it is a name, is what the certificate must match.
      const via = response.topVia();
      const destination = routeResponse(via, to);
      const serverName = net.isIP(via.host) === 0 ? via.host : undefined;
      const connection = await this.#streams.connectionFor({ protocol: to.protocol, ...destination, serverName });
      await this.#streams.write(connection, bytes);
      return;
    }
    // UDP: from the socket the request arrived on (RFC 3581 §4), to rport/received/sent-by.
    const destination = routeResponse(response.topVia(), to);
    const endpoint = this.#udp.endpointAt(to.local) ?? this.#udp.endpointFor(destination.address);
    await this.#udp.send(endpoint, bytes, destination);
  }

  /**
   * Keep a flow alive (RFC 5626 §4.4.1): pings on the TCP/TLS connection of `target` (by
   * connectionId, else by address) or CRLFs to a UDP target, every `interval` seconds (default
   * `keepAliveInterval`, else 30 s on UDP and 90 s on streams). The connection is then never
   * closed for idleness. Throws TransportError('ENOTCONN') when no such connection is open.
   */
  keepAlive(target: Target, options: { interval?: number } = {}): KeepAliveHandle {
    this.#assertStarted();
    return this.#flows.keepAlive(target, options.interval !== undefined ? options.interval * 1000 : undefined);
  }

  /** Set or remove (undefined) the trace sink while running. */
  setTrace(sink: ((event: TraceEvent) => void) | undefined): void {
    this.#trace.sink = sink;
  }

  #assertStarted(): void {
    if (this.#state !== 'started') throw new TransportError('transport is not running', 'ENOTSTARTED');
  }

  /** A stream flow failed (RFC 5626 §4.4.1): the connection is already closed; tell the handlers. */
  #flowFailed(c: StreamConnection, reason: string): void {
    this.#logger.warn(`${c.protocol} flow to ${hostPort(c.remote.address, c.remote.port)} failed: ${reason}`);
    const failure: FlowFailure = { protocol: c.protocol, remote: { ...c.remote }, local: { ...c.local }, connectionId: c.id, reason };
    for (const h of this.#flowFailedHandlers) {
      try {
        h(failure);
      } catch (err) {
        this.#logger.warn(`flow-failed handler threw: ${(err as Error).message}`);
      }
    }
  }
}

function describeBindError(err: unknown): TransportError {
  const e = err as { code?: string; message?: string; address?: string; port?: number };
  if (e.code === 'EADDRINUSE') return new TransportError(`port ${e.port ?? '?'} on ${e.address ?? '?'} is already in use`, 'EADDRINUSE');
  if (e.code === 'EADDRNOTAVAIL') return new TransportError(`${e.address ?? 'that address'} is not an address of this machine`, 'EADDRNOTAVAIL');
  if (e.code === 'EACCES') return new TransportError(`no permission to listen on port ${e.port ?? '?'}`, 'EACCES');
  return new TransportError(`cannot listen: ${e.message ?? String(err)}`, e.code ?? 'ELISTEN');
}
