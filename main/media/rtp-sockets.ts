/**
 * A stream's UDP sockets: an even RTP port with RTCP on the next one (RFC 3550 §11), or one
 * socket for both with RTP/RTCP multiplexing (RFC 5761).
 */
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Target } from './rtp-latch.ts';

export interface RtpSocketsOptions {
  localAddress: string;
  /** 0 or absent: a free even port from `portRange`. */
  localPort?: number;
  portRange?: { min: number; max: number };
  rtcpMux: boolean;
  /** Random numbers in [0, 1) to pick the port. */
  random: () => number;
  /** A datagram arrived; `onRtcpSocket` when on the separate RTCP socket. */
  onMessage: (msg: Buffer, rinfo: RemoteInfo, onRtcpSocket: boolean) => void;
  onError: (err: Error) => void;
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

export class RtpSockets {
  readonly #rtp: Socket;
  readonly #rtcp: Socket | undefined;
  #open = true;

  private constructor(rtp: Socket, rtcp: Socket | undefined) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
  }

  /** Binds the socket(s) and starts listening. */
  static async bind(options: RtpSocketsOptions): Promise<RtpSockets> {
    const type = isIPv6(options.localAddress) ? 'udp6' : 'udp4';
    const bindOne = (port: number): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = createSocket({ type, reuseAddr: false, lookup: literalLookup });
        s.once('error', (err) => {
          s.close();
          reject(err);
        });
        s.bind(port, options.localAddress, () => {
          s.removeAllListeners('error');
          resolve(s);
        });
      });
    const attempt = async (port: number): Promise<RtpSockets> => {
      const rtp = await bindOne(port);
      if (options.rtcpMux) return new RtpSockets(rtp, undefined);
      try {
        return new RtpSockets(rtp, await bindOne(rtp.address().port + 1));
      } catch (err) {
        rtp.close();
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
    sockets.#listen(options);
    return sockets;
  }

  #listen(options: Pick<RtpSocketsOptions, 'onMessage' | 'onError'>): void {
    this.#rtp.on('message', (msg, rinfo) => options.onMessage(msg, rinfo, false));
    this.#rtp.on('error', options.onError);
    this.#rtcp?.on('message', (msg, rinfo) => options.onMessage(msg, rinfo, true));
    this.#rtcp?.on('error', options.onError);
  }

  /** Until `close`. */
  get open(): boolean {
    return this.#open;
  }

  get localPort(): number {
    return this.#rtp.address().port;
  }

  /** The RTP port with rtcp-mux. */
  get localRtcpPort(): number {
    return (this.#rtcp ?? this.#rtp).address().port;
  }

  /** Without `done`, dgram reports no error (rtp-sender.ts asks now and then). */
  sendRtp(bytes: Uint8Array, to: Target, done?: (err: Error | null) => void): void {
    this.#rtp.send(bytes, to.port, to.address, done);
  }

  sendRtcp(bytes: Uint8Array, to: Target, done: (err: Error | null) => void): void {
    (this.#rtcp ?? this.#rtp).send(bytes, to.port, to.address, done);
  }

  async close(): Promise<void> {
    this.#open = false;
    const close = (s: Socket | undefined): Promise<void> => new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
    await Promise.all([close(this.#rtp), close(this.#rtcp)]);
  }
}
