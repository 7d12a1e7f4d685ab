/**
 * The stream side of the transport (RFC 3261 §18): TCP and TLS listeners, the connections we
 * accept (within their caps) and open, and their reuse. A connection is found by id or by remote
 * address, port and protocol; one being opened is shared by every sender that wants it.
 *
 * Caps on what we accept: at most `maxAccepted` connections in all and `maxPerAddress` from one
 * source (an IPv4 address or an IPv6 /64). One more from the same address is closed at once; one
 * more in all takes the place of the oldest connection that has not delivered a message yet (or
 * is closed when there is none). Our own connections (registration flows) never count.
 */
import net from 'node:net';
import type { Clock } from '../clock.ts';
import { isWildcard, remoteKey } from './addresses.ts';
import { describeConnectError, hostPort } from './describe-connect-error.ts';
import type { Arrival } from './inbound.ts';
import type { OwnSentBy } from './own-sent-by.ts';
import type { ConnectionInfo, ListenSpec, TransportLogger } from './sip-transport-options.ts';
import { sourceOf } from './stamp-via.ts';
import { StreamConnection, unmapIpv4 } from './stream-connection.ts';
import type { StreamConnectionHooks } from './stream-connection.ts';
import { nodeTls, type TlsSettings } from './tls-settings.ts';
import { TransportError } from './types.ts';
import type { Target } from './types.ts';
import type { WireTrace } from './wire-trace.ts';

export interface StreamListener {
  server: net.Server;
  protocol: 'TCP' | 'TLS';
  family: 4 | 6;
  address: string;
  port: number;
}

export interface StreamPoolOptions {
  /** Guarded (clearing undefined is a no-op), as StreamConnection wants it. */
  clock: Clock;
  logger: TransportLogger;
  trace: WireTrace;
  sentBy: OwnSentBy;
  tls: TlsSettings;
  /** Counts the connections refused or evicted by the caps. */
  stats: { refusedConnections: number };
  /** Whether the transport is running: nothing is accepted or adopted otherwise. */
  running(): boolean;
  /** A specific address of ours of that family to leave from when no listener has one (UDP's). */
  fallbackLocalAddress(family: 4 | 6): string | undefined;
  /** Close after this long without SIP traffic, ms; 0 never. */
  idleTimeout: number;
  /** Give up connecting after this long, ms. */
  connectTimeout: number;
  /** An accepted connection's time to deliver a complete message, ms. */
  messageDeadline: number;
  maxAccepted: number;
  maxPerAddress: number;
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  random?: () => number;
  /** One complete message arrived on a connection. */
  receive(data: Uint8Array, arrival: Arrival): void;
  onFramingError: StreamConnectionHooks['onFramingError'];
  onFlowFailed: StreamConnectionHooks['onFlowFailed'];
}

export class StreamPool {
  readonly #options: StreamPoolOptions;
  #listeners: StreamListener[] = [];
  readonly #connections = new Map<string, StreamConnection>();
  /** `PROTOCOL|address|port` of the remote end → connection (ours or accepted). */
  readonly #byRemote = new Map<string, StreamConnection>();
  readonly #pending = new Map<string, Promise<StreamConnection>>();
  #nextId = 1;

  constructor(options: StreamPoolOptions) {
    this.#options = options;
  }

  /** The listening sockets, in the order they were opened. */
  get listeners(): readonly StreamListener[] {
    return this.#listeners;
  }

  listen(spec: ListenSpec, protocol: 'TCP' | 'TLS', family: 4 | 6): Promise<StreamListener> {
    const { logger } = this.#options;
    let server: net.Server;
    if (protocol === 'TLS') {
      const serverOptions = this.#options.tls.serverOptions();
      if (!serverOptions) {
        return Promise.reject(new TransportError('listening on TLS needs tls.cert and tls.key', 'TLS_CONFIG'));
      }
      server = nodeTls().createServer(serverOptions, (socket) => this.#accept(socket, 'TLS'));
      server.on('tlsClientError', (err, socket) => {
        logger.warn(`TLS handshake from ${hostPort(unmapIpv4(socket.remoteAddress ?? '?'), socket.remotePort ?? 0)} failed: ${err.message}`);
      });
    } else {
      server = net.createServer((socket) => this.#accept(socket, 'TCP'));
    }
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: spec.port, host: spec.address, ipv6Only: family === 6 && isWildcard(spec.address) ? false : undefined }, () => {
        server.off('error', reject);
        server.on('error', (err) => logger.warn(`${protocol} listener: ${err.message}`));
        const address = server.address() as net.AddressInfo;
        const listener: StreamListener = { server, protocol, family, address: spec.address, port: address.port };
        this.#listeners.push(listener);
        resolve(listener);
      });
    });
  }

  /** Destroy every connection at once. */
  destroyAll(): void {
    for (const c of [...this.#connections.values()]) c.destroy();
  }

  /** Close every listener; resolves when all are closed. */
  closeListeners(): Promise<void> {
    const closing = this.#listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    this.#listeners = [];
    return Promise.all(closing).then(() => undefined);
  }

  /** Open connections (for diagnostics and tests). */
  info(): ConnectionInfo[] {
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

  /** The connection with this id, if it is still known. */
  byId(id: string): StreamConnection | undefined {
    return this.#connections.get(id);
  }

  /** An open connection to the target: by connectionId first, else by remote address. */
  open(target: Target): StreamConnection | undefined {
    if (target.connectionId) {
      const byId = this.#connections.get(target.connectionId);
      if (byId && !byId.closed) return byId;
    }
    const byRemote = this.#byRemote.get(remoteKey(target.protocol, target.address, target.port));
    return byRemote && !byRemote.closed ? byRemote : undefined;
  }

  /** An open connection to the target, else one being opened, else a new one. */
  connectionFor(target: Target): Promise<StreamConnection> {
    const open = this.open(target);
    if (open) return Promise.resolve(open);
    const key = remoteKey(target.protocol, target.address, target.port);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const opening = this.#connect(target).finally(() => this.#pending.delete(key));
    this.#pending.set(key, opening);
    return opening;
  }

  /** Write a message on a connection, traced once it is handed to the kernel. */
  async write(connection: StreamConnection, bytes: Uint8Array): Promise<void> {
    try {
      await connection.write(bytes);
    } catch (err) {
      throw describeConnectError(err, connection.remote);
    }
    this.#options.trace.emit('sent', connection.protocol, connection.local, connection.remote, bytes);
  }

  /** sent-by on a stream: our listener of that protocol when there is one, else the connection's own end. */
  sentByFor(connection: StreamConnection): { address: string; port: number } {
    const family = net.isIP(connection.local.address) === 6 ? 6 : 4;
    const listener =
      this.#listeners.find((l) => l.protocol === connection.protocol && l.family === family) ??
      this.#listeners.find((l) => l.protocol === connection.protocol);
    if (listener) {
      const address = isWildcard(listener.address) || listener.family !== family ? connection.local.address : listener.address;
      this.#options.sentBy.add(address, listener.port);
      return { address, port: listener.port };
    }
    this.#options.sentBy.addConnection(connection.id, connection.local.address, connection.local.port);
    return connection.local;
  }

  #connect(target: Target): Promise<StreamConnection> {
    const options = this.#options;
    const protocol = target.protocol === 'TLS' ? 'TLS' : 'TCP';
    const family = net.isIP(target.address) === 6 ? 6 : 4;
    // Leave from our listening address when it is a specific one, so sent-by stays true.
    const localAddress = this.#listeners.find((l) => l.family === family && !isWildcard(l.address))?.address ?? options.fallbackLocalAddress(family);
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      const where = { address: target.address, port: target.port, serverName: target.serverName };
      let verify = false;
      if (protocol === 'TLS') {
        const tlsOptions = options.tls.connectOptions(target, localAddress);
        verify = tlsOptions.rejectUnauthorized !== false;
        // Verified on 'secureConnect' below rather than by Node, which drops a refused server's
        // certificate with the socket: its facts are what a person needs to decide to trust it.
        socket = nodeTls().connect({ ...tlsOptions, rejectUnauthorized: false });
      } else {
        socket = net.connect({ host: target.address, port: target.port, localAddress });
      }
      const timer = options.clock.setTimeout(() => {
        socket.destroy();
        reject(describeConnectError({ code: 'ETIMEDOUT' }, where));
      }, options.connectTimeout);
      socket.once(protocol === 'TLS' ? 'secureConnect' : 'connect', () => {
        options.clock.clearTimeout(timer);
        if (verify && socket instanceof nodeTls().TLSSocket && !socket.authorized) {
          // Nothing was sent yet: the chain or the name (checkServerIdentity) failed.
          const cert = socket.getPeerCertificate();
          const code = String(socket.authorizationError ?? 'TLS_HANDSHAKE');
          socket.destroy();
          reject(describeConnectError({ code, message: code, cert }, where));
          return;
        }
        if (!options.running()) {
          socket.destroy();
          reject(new TransportError('transport stopped', 'ENOTSTARTED'));
          return;
        }
        resolve(this.#adopt(socket, protocol, true));
      });
      socket.once('error', (err) => {
        options.clock.clearTimeout(timer);
        socket.destroy();
        reject(describeConnectError(err, where));
      });
    });
  }

  #accept(socket: net.Socket, protocol: 'TCP' | 'TLS'): void {
    if (!this.#options.running()) {
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
    const { stats } = this.#options;
    if (same >= this.#options.maxPerAddress) {
      stats.refusedConnections++;
      socket.destroy();
      return;
    }
    if (total >= this.#options.maxAccepted) {
      // Full: a newcomer takes the place of a connection that has said nothing yet (an attacker's
      // idle socket), so that idle sockets cannot lock a real peer out; else it is refused.
      if (!idlest) {
        stats.refusedConnections++;
        socket.destroy();
        return;
      }
      stats.refusedConnections++;
      idlest.destroy();
    }
    this.#adopt(socket, protocol, false);
  }

  #adopt(socket: net.Socket, protocol: 'TCP' | 'TLS', outbound: boolean): StreamConnection {
    const options = this.#options;
    const id = `${protocol.toLowerCase()}-${this.#nextId++}`;
    const connection = new StreamConnection({
      id,
      socket,
      protocol,
      outbound,
      clock: options.clock,
      idleTimeout: options.idleTimeout,
      messageDeadline: options.messageDeadline,
      maxHeaderBytes: options.maxHeaderBytes,
      maxBodyBytes: options.maxBodyBytes,
      random: options.random,
      hooks: {
        onMessage: (c, data) => {
          try {
            options.receive(data, { protocol: c.protocol, source: c.remote, local: c.local, connection: c });
          } catch (err) {
            options.logger.warn(`${c.protocol} receive failed: ${(err as Error).message}`);
          }
        },
        onFramingError: options.onFramingError,
        onClose: (c) => this.#forget(c),
        onFlowFailed: options.onFlowFailed,
      },
    });
    this.#connections.set(id, connection);
    this.#byRemote.set(remoteKey(protocol, connection.remote.address, connection.remote.port), connection);
    return connection;
  }

  #forget(connection: StreamConnection): void {
    this.#connections.delete(connection.id);
    this.#options.sentBy.forgetConnection(connection.id);
    const key = remoteKey(connection.protocol, connection.remote.address, connection.remote.port);
    if (this.#byRemote.get(key) === connection) this.#byRemote.delete(key);
  }
}
