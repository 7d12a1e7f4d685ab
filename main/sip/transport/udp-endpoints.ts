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

export class UdpEndpoints {
  readonly #options: UdpEndpointsOptions;
  #endpoints: UdpEndpoint[] = [];
  readonly #sourceAddressCache = new Map<string, string>();

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

  /** The socket to reach `address` from: one of its family, else a dual-stack `::` for IPv4. */
  endpointFor(address: string): UdpEndpoint {
    const family = net.isIPv6(address) ? 6 : 4;
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
    const probe = dgram.createSocket(net.isIPv6(remote) ? 'udp6' : 'udp4');
    const address = await new Promise<string>((resolve) => {
      probe.once('error', () => resolve(net.isIPv6(remote) ? '::1' : '127.0.0.1'));
      // connect() on UDP sends nothing: it only asks the kernel which source address it would use.
      probe.connect(9, remote, () => resolve(unmapIpv4(probe.address().address)));
    });
    probe.close();
    this.#sourceAddressCache.set(remote, address);
    this.#options.sentBy.add(address, endpoint.port);
    return address;
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
