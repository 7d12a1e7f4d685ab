/**
 * A stream's UDP sockets: an even RTP port with RTCP on the next one (RFC 3550 §11), or one
 * socket for both with RTP/RTCP multiplexing (RFC 5761).
 *
 * Two kinds: node:dgram sockets, which call `onMessage` as each datagram arrives (video, whose
 * frames are assembled as their packets come), and the addon's polled sockets (`createUdp`,
 * native/udp.ts), which wait in the kernel until the stream's clock calls `drain` (audio, played
 * out only on the clock's tick): one wake-up a tick instead of one more a datagram.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Datagram } from '../../native/udp.ts';
import type { Target } from './rtp-latch.ts';

/** The addon's polled socket (native/udp.ts), as the sockets use it. */
export interface PolledSocket {
  bind(address: string, port: number): void;
  readonly localPort: number;
  send(bytes: Uint8Array, address: string, port: number): string | undefined;
  /** The addon's pacer (native/udp.ts): sends `delayMs` from now. Absent: no sending ahead. */
  sendAt?(bytes: Uint8Array, address: string, port: number, delayMs: number): string | undefined;
  cancelPaced?(): number;
  readonly pacedPending?: number;
  retargetPaced?(address: string, port: number): void;
  pacedFailure?(): string | undefined;
  receive(onDatagram: (d: Datagram) => void): number;
  close(): void;
}

export interface RtpSocketsOptions {
  localAddress: string;
  /** 0 or absent: a free even port from `portRange`. */
  localPort?: number;
  portRange?: { min: number; max: number };
  rtcpMux: boolean;
  /** Random numbers in [0, 1) to pick the port. */
  random: () => number;
  /**
   * A datagram arrived (`drain` found it, with polled sockets); `onRtcpSocket` when on the
   * separate RTCP socket; `ageMs` how long ago the kernel received it (0 from node:dgram).
   */
  onMessage: (msg: Uint8Array, rinfo: RemoteInfo, onRtcpSocket: boolean, ageMs: number) => void;
  onError: (err: Error) => void;
  /** Polled sockets from the addon: datagrams wait for `drain`. Absent: node:dgram's, which call back. */
  createUdp?: (family: 4 | 6) => PolledSocket;
}

/**
 * The sockets' address lookup: an IP literal (what SDP and latching give) is used as it is, at
 * once; a name still goes to dns.lookup. dgram's default hands even literals to dns.lookup,
 * which answers on the next tick — one deferral and a validation per packet sent.
 */
const literalLookup: NonNullable<SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
};

/** One bound socket of either kind, as RtpSockets uses it. */
interface Endpoint {
  readonly port: number;
  /** True when the addon's pacer took it (it leaves `delayMs` later); false when it went now, or never. */
  send(bytes: Uint8Array, to: Target, done?: (err: Error | null) => void, delayMs?: number): boolean;
  close(): Promise<void>;
}

class DgramEndpoint implements Endpoint {
  readonly socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(bytes: Uint8Array, to: Target, done?: (err: Error | null) => void): boolean {
    this.socket.send(bytes, to.port, to.address, done);
    return false;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** What one read of a polled socket hands over at most (native/src/udp-socket.cc kMaxPerReceive). */
const MAX_PER_RECEIVE = 256;

/** Host names an endpoint keeps resolved (an SDP's c= may name a host, RFC 8866 §5.7): a few per call. */
const MAX_NAMES = 4;

class PolledEndpoint implements Endpoint {
  readonly socket: PolledSocket;
  readonly port: number;
  readonly #family: 4 | 6;
  readonly #names = new Map<string, string | Error | 'pending'>();
  /** The last address found to be an IP literal: the check is not redone for every packet. */
  #literal = '';
  constructor(socket: PolledSocket, family: 4 | 6) {
    this.socket = socket;
    this.port = socket.localPort;
    this.#family = family;
  }
  /**
   * The kernel takes it or refuses it at once; `done` is still called later, as node:dgram's is.
   * A host name is looked up once (what dgram did on every send); until it is known, datagrams
   * to it are dropped.
   */
  send(bytes: Uint8Array, to: Target, done?: (err: Error | null) => void, delayMs = 0): boolean {
    const address = this.#address(to.address, done);
    if (address === undefined) return false;
    // Refused by the pacer (its queue full: thousands of calls): sent now rather than lost.
    const paced = delayMs > 0 && this.socket.sendAt !== undefined && this.socket.sendAt(bytes, address, to.port, delayMs) === undefined;
    const failed = paced ? undefined : this.socket.send(bytes, address, to.port);
    if (done) setImmediate(done, failed === undefined ? null : new Error(failed));
    return paced;
  }
  /** What the pacer holds goes to `to` now (the peer moved; to another family: it stays, and fails as sends there do). */
  retarget(to: Target): void {
    const address = this.#address(to.address);
    if (address !== undefined && isIP(address) === this.#family) this.socket.retargetPaced?.(address, to.port);
  }
  /** The IP literal to send to; undefined (and `done` told) while a host name is not known. */
  #address(address: string, done?: (err: Error | null) => void): string | undefined {
    if (address !== this.#literal && isIP(address) !== 0) this.#literal = address;
    if (address === this.#literal) return address;
    const known = this.#lookup(address);
    if (known === 'pending' || known instanceof Error) {
      if (done) setImmediate(done, known === 'pending' ? null : known);
      return undefined;
    }
    return known;
  }
  #lookup(name: string): string | Error | 'pending' {
    const known = this.#names.get(name);
    if (known !== undefined) return known;
    if (this.#names.size >= MAX_NAMES) return new Error(`send: more than ${MAX_NAMES} host names to send to`);
    this.#names.set(name, 'pending');
    dnsLookup(name, { family: this.#family }, (err, address) => this.#names.set(name, err ? new Error(`send: ${name}: ${err.message}`) : address));
    return 'pending';
  }
  /** What waits in the socket, each datagram to `onMessage` (one that throws does not lose the rest). */
  /** Up to `rounds` reads of at most 256 datagrams each, while the socket has more. */
  drain(onMessage: RtpSocketsOptions['onMessage'], onRtcpSocket: boolean, onError: (err: Error) => void, rounds = 1): void {
    const family = this.#family === 6 ? 'IPv6' : 'IPv4';
    const each = (d: Datagram): void => {
      try {
        onMessage(d.bytes, { address: d.address, family, port: d.port, size: d.bytes.length }, onRtcpSocket, d.ageMs);
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)));
      }
    };
    for (let i = 0; i < rounds && this.socket.receive(each) >= MAX_PER_RECEIVE; i++);
  }
  close(): Promise<void> {
    this.socket.close();
    return Promise.resolve();
  }
}

export class RtpSockets {
  readonly #rtp: Endpoint;
  readonly #rtcp: Endpoint | undefined;
  readonly #options: Pick<RtpSocketsOptions, 'onMessage' | 'onError'>;
  #open = true;

  private constructor(rtp: Endpoint, rtcp: Endpoint | undefined, options: Pick<RtpSocketsOptions, 'onMessage' | 'onError'>) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#options = options;
  }

  /** Binds the socket(s) and starts listening (or waits for `drain`, polled). */
  static async bind(options: RtpSocketsOptions): Promise<RtpSockets> {
    const family = isIPv6(options.localAddress) ? 6 : 4;
    const { createUdp } = options;
    const bindDgram = (port: number): Promise<Endpoint> =>
      new Promise((resolve, reject) => {
        const s = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup });
        s.once('error', (err) => {
          s.close();
          reject(err);
        });
        s.bind(port, options.localAddress, () => {
          s.removeAllListeners('error');
          resolve(new DgramEndpoint(s));
        });
      });
    const bindPolled = async (port: number): Promise<Endpoint> => {
      const s = createUdp!(family);
      try {
        s.bind(options.localAddress, port);
        return new PolledEndpoint(s, family);
      } catch (err) {
        s.close();
        throw err;
      }
    };
    const bindOne = createUdp ? bindPolled : bindDgram;
    const attempt = async (port: number): Promise<RtpSockets> => {
      const rtp = await bindOne(port);
      if (options.rtcpMux) return new RtpSockets(rtp, undefined, options);
      try {
        return new RtpSockets(rtp, await bindOne(rtp.port + 1), options);
      } catch (err) {
        await rtp.close();
        throw err;
      }
    };
    let sockets: RtpSockets | undefined;
    const wanted = options.localPort ?? 0;
    if (wanted !== 0) {
      sockets = await attempt(wanted);
    } else {
      // §11: an even RTP port, RTCP on the next one.
      const { min, max } = options.portRange ?? { min: 16384, max: 32766 };
      const evens = Math.floor((max - min) / 2) + 1;
      let lastErr: unknown;
      for (let i = 0; i < 64 && !sockets; i++) {
        const port = min + (min % 2) + 2 * Math.floor(options.random() * evens);
        if (port > max) continue;
        try {
          sockets = await attempt(port);
        } catch (err) {
          lastErr = err;
        }
      }
      if (!sockets) throw new Error(`no free RTP port in ${min}-${max}: ${String(lastErr)}`);
    }
    sockets.#listen();
    return sockets;
  }

  #listen(): void {
    const { onMessage, onError } = this.#options;
    for (const [endpoint, onRtcpSocket] of [[this.#rtp, false], [this.#rtcp, true]] as const) {
      if (!(endpoint instanceof DgramEndpoint)) continue;
      endpoint.socket.on('message', (msg, rinfo) => onMessage(msg, rinfo, onRtcpSocket, 0));
      endpoint.socket.on('error', onError);
    }
  }

  /** Whether datagrams wait for `drain` (the addon's sockets) rather than call back. */
  get polled(): boolean {
    return this.#rtp instanceof PolledEndpoint;
  }

  /**
   * Polled sockets: hands what waits in them to `onMessage`, RTP's socket first, the separate
   * RTCP socket only when `rtcpToo`; up to `rounds` reads of 256 datagrams while a read comes back
   * full (a wake-up for several frames reads as much more). A socket error goes to `onError` and
   * the drain goes on. Nothing to do for node:dgram's.
   */
  drain(rtcpToo: boolean, rounds = 1): void {
    if (!this.#open) return;
    for (const [endpoint, onRtcpSocket] of [[this.#rtp, false], [this.#rtcp, true]] as const) {
      if (!(endpoint instanceof PolledEndpoint) || (onRtcpSocket && !rtcpToo)) continue;
      try {
        endpoint.drain(this.#options.onMessage, onRtcpSocket, this.#options.onError, rounds);
      } catch (err) {
        this.#options.onError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /** Until `close`. */
  get open(): boolean {
    return this.#open;
  }

  get localPort(): number {
    return this.#rtp.port;
  }

  /** The RTP port with rtcp-mux. */
  get localRtcpPort(): number {
    return (this.#rtcp ?? this.#rtp).port;
  }

  /**
   * Without `done`, no error is reported (rtp-sender.ts asks now and then). With `delayMs` > 0
   * (only when `canPace`), the addon's pacer sends it that much later.
   */
  /** True when the pacer holds it (`delayMs` > 0 and room in its queue); else it was sent now. */
  sendRtp(bytes: Uint8Array, to: Target, done?: (err: Error | null) => void, delayMs = 0): boolean {
    return this.#rtp.send(bytes, to, done, delayMs);
  }

  /** Whether RTP can be handed to the addon's pacer (polled sockets of a build that has it). */
  get canPace(): boolean {
    return this.#rtp instanceof PolledEndpoint && this.#rtp.socket.sendAt !== undefined;
  }

  /** Drops the RTP the pacer still holds; returns how many packets. */
  cancelPaced(): number {
    return this.#open && this.#rtp instanceof PolledEndpoint ? (this.#rtp.socket.cancelPaced?.() ?? 0) : 0;
  }

  /** RTP packets the pacer still holds (not sent yet). */
  pacedPending(): number {
    return this.#open && this.#rtp instanceof PolledEndpoint ? (this.#rtp.socket.pacedPending ?? 0) : 0;
  }

  /** The RTP the pacer still holds goes to `to` instead. */
  retargetPaced(to: Target): void {
    if (this.#open && this.#rtp instanceof PolledEndpoint) this.#rtp.retarget(to);
  }

  /** Undefined, or the paced sends the kernel refused since the last call, in words. */
  pacedFailure(): string | undefined {
    return this.#open && this.#rtp instanceof PolledEndpoint ? this.#rtp.socket.pacedFailure?.() : undefined;
  }

  sendRtcp(bytes: Uint8Array, to: Target, done: (err: Error | null) => void): void {
    (this.#rtcp ?? this.#rtp).send(bytes, to, done);
  }

  async close(): Promise<void> {
    this.#open = false;
    await Promise.all([this.#rtp.close(), this.#rtcp?.close()]);
  }
}
