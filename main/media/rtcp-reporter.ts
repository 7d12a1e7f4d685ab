/**
 * RTCP for one stream (RFC 3550 §6): our compound reports on a randomized schedule (§6.2) and
 * BYE when we stop (§6.6); and what the peer's compound packets tell: the round-trip time
 * (§6.4.1), how our stream reaches it (its report block), its SR (for LSR/DLSR in our next
 * report) and its BYE. RTCP moves to where the peer's RTCP comes from (rtp-latch.ts).
 */
import type { RemoteInfo } from 'node:dgram';
import type { MediaClock } from './media-clock.ts';
import type { SrtpLike } from './media-native.ts';
import { NtpTime } from './ntp-time.ts';
import { RtcpPacket, SDES_CNAME, type ReportBlock, type RtcpPacket as Rtcp } from './rtcp-packet.ts';
import { sourceOf, type RtpLatch } from './rtp-latch.ts';
import type { DropCounts, RtpReceiver } from './rtp-receiver.ts';
import type { RtpSender } from './rtp-sender.ts';
import type { RtpSockets } from './rtp-sockets.ts';

/** What the peer reports about our stream (its last report block on it). */
export interface RemoteReport {
  lossPercent: number;
  cumulativeLost: number;
  jitterMs: number;
}

export interface RtcpReporterOptions {
  /** Our SSRC and SDES CNAME (§6.5.1). */
  ssrc: number;
  cname: string;
  /** The codec's RTP clock rate. */
  clockRate: number;
  /** Mean RTCP interval (ms). */
  intervalMs: number;
  /** The stream's media clock: now, and where RTP timestamps start. */
  clock: MediaClock;
  /** Wall clock for NTP timestamps. */
  wallClock: () => number;
  random: () => number;
  sender: RtpSender;
  receiver: RtpReceiver;
  latch: RtpLatch;
  sockets: RtpSockets;
  srtpOut?: SrtpLike;
  srtpIn?: SrtpLike;
  /** Counted here and on the RTP path. */
  dropped: DropCounts;
  onBye: (bye: { ssrc: number; reason?: string }) => void;
  /** A send failed. */
  onError: (message: string) => void;
}

export class RtcpReporter {
  readonly #opts: RtcpReporterOptions;
  #nextMs: number;
  #rttMs: number | undefined;
  #remoteReport: RemoteReport | undefined;

  constructor(options: RtcpReporterOptions) {
    this.#opts = options;
    // §6.2: the first report goes out after half the minimum interval.
    this.#nextMs = options.clock.scheduler.now() + (options.intervalMs / 2) * (0.5 + options.random());
  }

  /** Round-trip time from the last report block on our stream (§6.4.1), once known. */
  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  get remoteReport(): RemoteReport | undefined {
    return this.#remoteReport;
  }

  /** On each media clock tick: a report when one is due. */
  onTick(dueMs: number): void {
    if (dueMs < this.#nextMs) return;
    this.send(undefined);
    this.#nextMs = dueMs + this.#opts.intervalMs * (0.5 + this.#opts.random()); // §6.2: [0.5, 1.5] × interval
  }

  // ---- sending --------------------------------------------------------------------------------

  /**
   * A compound packet (§6.1): SR or RR, SDES CNAME, and BYE when `byeReason` is given. False
   * when the sockets have closed; else `sent` runs once the packet has left.
   */
  send(byeReason: string | undefined, sent?: () => void): boolean {
    const { sockets, sender, clock, ssrc } = this.#opts;
    if (!sockets.open) return false;
    const now = clock.scheduler.now();
    const reports = this.#opts.receiver.reportBlocks(now);
    // §6.4: an SR when we sent data since the report before the last one.
    const counts = sender.sent();
    const first: Rtcp = sender.takeSentFlag()
      ? {
          type: 'sr',
          ssrc,
          ntp: NtpTime.fromUnixMs(this.#opts.wallClock()),
          // The RTP timestamp of this instant on our media clock (§6.4.1).
          rtpTimestamp: sender.timestampAt(now - clock.startMs),
          packetCount: counts.packets >>> 0,
          octetCount: counts.octets >>> 0,
          reports,
        }
      : { type: 'rr', ssrc, reports };
    const packets: Rtcp[] = [first, { type: 'sdes', chunks: [{ ssrc, items: new Map([[SDES_CNAME, this.#opts.cname]]) }] }];
    if (byeReason !== undefined) packets.push(byeReason === '' ? { type: 'bye', ssrcs: [ssrc] } : { type: 'bye', ssrcs: [ssrc], reason: byeReason });
    let bytes = RtcpPacket.encodeCompound(packets);
    if (this.#opts.srtpOut) bytes = this.#opts.srtpOut.protectRtcp(bytes);
    sockets.sendRtcp(bytes, this.#opts.latch.rtcpTarget, (err) => {
      if (err) this.#opts.onError(err.message);
      sent?.();
    });
    return true;
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** An RTCP datagram (on the RTCP socket, or told apart from RTP with rtcp-mux) that arrived at `now`. */
  receive(msg: Uint8Array, rinfo: RemoteInfo, now: number): void {
    const { dropped, srtpIn, receiver } = this.#opts;
    let bytes = msg;
    if (srtpIn) {
      try {
        bytes = srtpIn.unprotectRtcp(msg);
      } catch {
        dropped.srtp++;
        return;
      }
    }
    let packets: Rtcp[];
    try {
      packets = RtcpPacket.decodeCompound(bytes);
    } catch {
      dropped.malformed++;
      return;
    }
    const remoteSsrc = receiver.remoteSsrc;
    const sender = packets[0].type === 'sr' || packets[0].type === 'rr' ? packets[0].ssrc : undefined;
    if (sender !== undefined && sender === remoteSsrc) this.#opts.latch.acceptRtcp(sourceOf(rinfo));
    for (const p of packets) {
      if (p.type === 'sr' || p.type === 'rr') {
        if (p.type === 'sr') receiver.onSenderReport(p.ssrc, p.ntp, p.rtpTimestamp, now);
        for (const block of p.reports) if (block.ssrc === this.#opts.ssrc) this.#onReportBlock(block, now);
      } else if (p.type === 'bye') {
        if (remoteSsrc !== undefined && p.ssrcs.includes(remoteSsrc)) {
          this.#opts.onBye(p.reason === undefined ? { ssrc: remoteSsrc } : { ssrc: remoteSsrc, reason: p.reason });
        }
      }
    }
  }

  /** §6.4.1: RTT = A − LSR − DLSR, A the report's arrival (`arrived`, on the media clock's time). */
  #onReportBlock(block: ReportBlock, arrived: number): void {
    const arrivedWall = this.#opts.wallClock() - (this.#opts.clock.scheduler.now() - arrived);
    const rtt = NtpTime.roundTripMs(block, NtpTime.fromUnixMs(arrivedWall));
    if (rtt !== undefined) this.#rttMs = rtt;
    this.#remoteReport = {
      lossPercent: (block.fractionLost / 256) * 100,
      cumulativeLost: block.cumulativeLost,
      jitterMs: (block.jitter * 1000) / this.#opts.clockRate,
    };
  }
}
