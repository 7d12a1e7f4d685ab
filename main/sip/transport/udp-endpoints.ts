/**
 * The UDP side of the transport (RFC 3261 §18): the bound sockets, the one to send from for a
 * remote address, the source address a wildcard bind really uses (what Via must say), and
 * datagrams out. Each datagram received goes to the owner's `receive` hook.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { isWildcard } from './addresses.ts';
import { describeConnectError, hostPort } from './describe-connect-error.ts';
import type { Arrival } from './inbound.ts';
import type { OwnSentBy } from './own-sent-by.ts';
import type { ListenSpec, TransportLogger } from './sip-transport-options.ts';
import { canonicalIp } from './stamp-via.ts';
import { unmapIpv4 } from './stream-connection.ts';
import { TransportError } from './types.ts';
import type { WireTrace } from './wire-trace.ts';

export interface UdpEndpoint {
  socket: dgram.Socket;
  family: 4 | 6;
  address: string;
  port: number;
}

export interface UdpEndpointsOptions {
  logger: TransportLogger;
  trace: WireTrace;
  sentBy: OwnSentBy;
  /** One datagram arrived (never throws back into the socket: a throw is logged). */
  receive(data: Uint8Array, arrival: Arrival): void;
}

/** How long a probe waits for an ICMP error: one round trip to any reachable host, with room. */
const PROBE_WAIT_MS = 1000;
/** Probes in flight at once; more are not sent (the transaction then waits for Timer B/F as before). */
const MAX_PROBES = 16;
/** RFC 5626 §4.4.1's keep-alive ping: a SIP server that listens ignores it. */
const PROBE_BYTES = new Uint8Array([13, 10, 13, 10]);

export class UdpEndpoints {
  readonly #options: UdpEndpointsOptions;
  #endpoints: UdpEndpoint[] = [];
  readonly #sourceAddressCache = new Map<string, string>();
  readonly #probes = new Map<string, Promise<TransportError | undefined>>();

  constructor(options: UdpEndpointsOptions) {
    this.#options = options;
  }

  /** The bound sockets, in the order they were bound. */
  get all(): readonly UdpEndpoint[] {
    return this.#endpoints;
  }

  bind(spec: ListenSpec, family: 4 | 6): Promise<UdpEndpoint> {
    const { logger } = this.#options;
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
      socket.once('error', reject);
      socket.bind(spec.port, spec.address, () => {
        socket.off('error', reject);
        const endpoint: UdpEndpoint = { socket, family, address: spec.address, port: socket.address().port };
        socket.on('error', (err) => logger.warn(`UDP socket ${hostPort(endpoint.address, endpoint.port)}: ${err.message}`));
        socket.on('message', (data, rinfo) => {
          try {
            this.#options.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), {
              protocol: 'UDP',
              source: { address: unmapIpv4(rinfo.address), port: rinfo.port },
              local: { address: endpoint.address, port: endpoint.port },
              endpoint,
            });
          } catch (err) {
            logger.warn(`UDP receive failed: ${(err as Error).message}`);
          }
        });
        this.#endpoints.push(endpoint);
        resolve(endpoint);
      });
    });
  }

  /** Close every socket; resolves when all are closed. */
  close(): Promise<void> {
    const closing = this.#endpoints.map((u) => new Promise<void>((resolve) => u.socket.close(() => resolve())));
    this.#endpoints = [];
    return Promise.all(closing).then(() => undefined);
  }

  /**
   * The socket to reach `address` from: one of its family, else a dual-stack `::` for IPv4.
   * (`isIP` rather than `isIPv6` here and below: it tries IPv4 first, so an IPv4 peer never runs
   * Node's IPv6 pattern, whose first use compiles it, ~14 ms.)
   */
  endpointFor(address: string): UdpEndpoint {
    const family = net.isIP(address) === 6 ? 6 : 4;
    const endpoint = this.#endpoints.find((u) => u.family === family) ?? (family === 4 ? this.#endpoints.find((u) => u.address === '::') : undefined);
    if (!endpoint) {
      throw new TransportError(`no UDP socket for IPv${family} (listen on UDP ${family === 6 ? '::1 or ::' : '0.0.0.0'} to reach ${address})`, 'ENOTRANSPORT');
    }
    return endpoint;
  }

  /** The socket bound at `local` (where a request arrived), if any. */
  endpointAt(local: { address: string; port: number }): UdpEndpoint | undefined {
    return this.#endpoints.find((u) => u.port === local.port && canonicalIp(u.address) === canonicalIp(local.address));
  }

  /** The address to write in Via: the bound one, or for a wildcard bind the one the route picks. */
  async sourceAddress(endpoint: UdpEndpoint, remote: string): Promise<string> {
    if (!isWildcard(endpoint.address)) return endpoint.address;
    const cached = this.#sourceAddressCache.get(remote);
    if (cached) return cached;
    const probe = dgram.createSocket(net.isIP(remote) === 6 ? 'udp6' : 'udp4');
    const address = await new Promise<string>((resolve) => {
      probe.once('error', () => resolve(net.isIP(remote) === 6 ? '::1' : '127.0.0.1'));
      // connect() on UDP sends nothing: it only asks the kernel which source address it would use.
      probe.connect(9, remote, () => resolve(unmapIpv4(probe.address().address)));
    });
    probe.close();
    this.#sourceAddressCache.set(remote, address);
    this.#options.sentBy.add(address, endpoint.port);
    return address;
  }

  /**
   * Is anything listening at `to`? §18.4: an ICMP port, host or network unreachable is a
   * transport failure. The listening sockets are unconnected and never hear ICMP, so a
   * short-lived socket connected to `to` sends a keep-alive ping and listens for the error
   * the kernel reports on it. Resolves undefined when nothing is heard within PROBE_WAIT_MS.
   */
  probe(to: { address: string; port: number }): Promise<TransportError | undefined> {
    const key = hostPort(canonicalIp(to.address), to.port);
    const running = this.#probes.get(key);
    if (running) return running;
    if (this.#probes.size >= MAX_PROBES) return Promise.resolve(undefined);
    const probe = new Promise<TransportError | undefined>((resolve) => {
      const socket = dgram.createSocket(net.isIP(to.address) === 6 ? 'udp6' : 'udp4');
      const finish = (result: TransportError | undefined) => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        socket.close();
        resolve(result);
      };
      const timer = setTimeout(() => finish(undefined), PROBE_WAIT_MS);
      timer.unref();
      socket.on('error', (err: NodeJS.ErrnoException) => finish(unreachable(err, to)));
      socket.connect(to.port, to.address, () => {
        socket.send(PROBE_BYTES, (err) => {
          if (err) finish(unreachable(err, to));
        });
      });
    }).finally(() => this.#probes.delete(key));
    this.#probes.set(key, probe);
    return probe;
  }

  send(endpoint: UdpEndpoint, bytes: Uint8Array, to: { address: string; port: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      endpoint.socket.send(bytes, to.port, to.address, (err) => {
        if (err) {
          reject(describeConnectError(err, to));
          return;
        }
        this.#options.trace.emit('sent', 'UDP', { address: endpoint.address, port: endpoint.port }, to, bytes);
        resolve();
      });
    });
  }
}

/** What an error on a probe socket means: only "unreachable" answers count, anything else is no news. */
function unreachable(err: NodeJS.ErrnoException, to: { address: string; port: number }): TransportError | undefined {
  const at = hostPort(to.address, to.port);
  switch (err.code) {
    case 'ECONNREFUSED':
      return new TransportError(`nothing listens on UDP ${at} (the host answered "port unreachable")`, 'ECONNREFUSED');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return describeConnectError(err, to);
    default:
      return undefined;
  }
}
