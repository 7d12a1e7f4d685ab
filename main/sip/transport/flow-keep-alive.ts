/**
 * Registration flows kept alive (RFC 5626 §4.4.1). A REGISTER starts keep-alives on the flow it
 * went over and an un-REGISTER stops them (when `keepAliveInterval` is set); `keepAlive()` starts
 * them by hand. On TCP/TLS the connection pings and waits for its pong (StreamConnection); on
 * UDP a CRLFCRLF goes out every interval to keep NAT bindings open (RFC 5626 asks STUN there;
 * CRLF is what many phones send). Each ping is sent at 80–100 % of the interval.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { SipRequest } from '../message/index.ts';
import { remoteKey } from './addresses.ts';
import { hostPort } from './describe-connect-error.ts';
import type { KeepAliveHandle, TransportLogger } from './sip-transport-options.ts';
import type { StreamConnection } from './stream-connection.ts';
import type { StreamPool } from './stream-pool.ts';
import { TransportError } from './types.ts';
import type { Target } from './types.ts';
import type { UdpEndpoints } from './udp-endpoints.ts';

export interface FlowKeepAliveOptions {
  /** Guarded (clearing undefined is a no-op). */
  clock: Clock;
  logger: TransportLogger;
  udp: UdpEndpoints;
  streams: StreamPool;
  /** Whether the transport is running: a UDP keep-alive stops sending otherwise. */
  running(): boolean;
  /** Keep-alive interval for registration flows, ms; 0 = only by hand. */
  interval: number;
  /** How long a stream ping waits for its pong, ms. */
  timeout: number;
  random?: () => number;
}

interface UdpKeepAlive {
  timer: TimerHandle;
  interval: number;
  /** Started by a REGISTER rather than by keepAlive(). */
  auto: boolean;
  handles: number;
}

const KEEPALIVE = Buffer.from('\r\n\r\n');

export class FlowKeepAlive {
  readonly #options: FlowKeepAliveOptions;
  readonly #udpKeepAlives = new Map<string, UdpKeepAlive>();

  constructor(options: FlowKeepAliveOptions) {
    this.#options = options;
  }

  /**
   * Keep a flow alive: pings on the TCP/TLS connection of `target` (by connectionId, else by
   * address) or CRLFs to a UDP target, every `interval` ms (default the configured interval, else
   * 30 s on UDP and 90 s on streams). The connection is then never closed for idleness. Throws
   * TransportError('ENOTCONN') when no such connection is open.
   */
  keepAlive(target: Target, interval?: number): KeepAliveHandle {
    const fallback = this.#options.interval || (target.protocol === 'UDP' ? 30_000 : 90_000);
    const every = interval ?? fallback;
    if (target.protocol === 'UDP') {
      this.#startUdp(target, every, false);
      let stopped = false;
      return {
        stop: () => {
          if (stopped) return;
          stopped = true;
          this.#releaseUdp(target, false);
        },
      };
    }
    const connection = this.#options.streams.open(target);
    if (!connection) {
      throw new TransportError(`no open ${target.protocol} connection to ${hostPort(target.address, target.port)}`, 'ENOTCONN');
    }
    connection.persistent = true;
    connection.startKeepAlive(every, this.#options.timeout);
    return {
      stop: () => {
        connection.stopKeepAlive();
        connection.persistent = false;
      },
    };
  }

  /** Registration flows: keep-alive starts with a REGISTER and stops with an un-REGISTER. */
  afterRequest(request: SipRequest, used: Target, connection?: StreamConnection): void {
    const { interval, timeout } = this.#options;
    if (request.method !== 'REGISTER' || interval <= 0) return;
    const removing = isUnregister(request);
    if (connection) {
      if (removing) {
        connection.persistent = false;
        connection.stopKeepAlive();
      } else {
        connection.persistent = true;
        if (!connection.keepingAlive) connection.startKeepAlive(interval, timeout);
      }
    } else if (removing) {
      this.#releaseUdp(used, true);
    } else {
      this.#startUdp(used, interval, true);
    }
  }

  /** Stop every UDP keep-alive (stream ones end with their connections). */
  stop(): void {
    for (const ka of this.#udpKeepAlives.values()) this.#options.clock.clearTimeout(ka.timer);
    this.#udpKeepAlives.clear();
  }

  #startUdp(target: Target, interval: number, auto: boolean): void {
    const { clock, logger, udp } = this.#options;
    const key = remoteKey('UDP', target.address, target.port);
    const existing = this.#udpKeepAlives.get(key);
    if (existing) {
      if (!auto) existing.handles++;
      existing.interval = interval;
      return;
    }
    const ka: UdpKeepAlive = { timer: undefined, interval, auto, handles: auto ? 0 : 1 };
    const tick = () => {
      if (!this.#options.running() || this.#udpKeepAlives.get(key) !== ka) return;
      try {
        const endpoint = udp.endpointFor(target.address);
        endpoint.socket.send(KEEPALIVE, target.port, target.address, () => {});
      } catch (err) {
        logger.warn(`UDP keep-alive to ${hostPort(target.address, target.port)}: ${(err as Error).message}`);
      }
      schedule();
    };
    const schedule = () => {
      const jitter = 0.8 + 0.2 * (this.#options.random ?? Math.random)();
      ka.timer = clock.setTimeout(tick, ka.interval * jitter);
    };
    this.#udpKeepAlives.set(key, ka);
    schedule();
  }

  #releaseUdp(target: Target, auto: boolean): void {
    const key = remoteKey('UDP', target.address, target.port);
    const ka = this.#udpKeepAlives.get(key);
    if (!ka) return;
    if (auto) ka.auto = false;
    else ka.handles = Math.max(0, ka.handles - 1);
    if (!ka.auto && ka.handles === 0) {
      this.#options.clock.clearTimeout(ka.timer);
      this.#udpKeepAlives.delete(key);
    }
  }
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
