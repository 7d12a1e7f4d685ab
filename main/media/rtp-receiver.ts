/**
 * The receive path of a stream: SRTP (RFC 3711) → RTP → a negotiated payload type → a source we
 * take (the latching rules, rtp-latch.ts) → reception statistics (RFC 3550 A.1, A.8) → the jitter
 * buffer, or the RFC 4733 receiver for events; and, on each media clock tick, one frame out:
 * decoded, concealed (PLC, Opus in-band FEC) or comfort noise (RFC 3389).
 *
 *   socket → SRTP → RTP → jitter buffer → decode/PLC/CN → pcm
 */
import type { MediaStreamStats } from './media-stream.ts';
import type { RemoteInfo } from 'node:dgram';
import type { Codec } from '../../native/index.ts';
import { CodecInfo, COMFORT_NOISE_PT } from './codec-info.ts';
import { ComfortNoise } from './comfort-noise.ts';
import { DtmfReceiver, type DtmfEvent } from './dtmf-receiver.ts';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.ts';
import type { SrtpLike } from './media-native.ts';
import type { NtpTimestamp, ReportBlock } from './rtcp-packet.ts';
import { sourceOf, type RtpLatch } from './rtp-latch.ts';
import { RtpPacket } from './rtp-packet.ts';
import { RtpReceiverStats } from './rtp-receiver-stats.ts';
import { SampleFifo } from './sample-fifo.ts';
import { mediaSlab } from './typed-slab.ts';

/** Datagrams dropped: SRTP failures, not RTP, unknown payload type, foreign source. */
export interface DropCounts {
  srtp: number;
  malformed: number;
  payloadType: number;
  foreignSource: number;
}

export interface RtpReceiverOptions {
  codec: Codec;
  /** The payload types audio arrives with: ours, and the peer's when it numbers the codec differently. */
  payloadType: number;
  receivePayloadType?: number;
  /** RFC 4733 payload type, when negotiated. */
  telephoneEventPt?: number;
  /** Timestamp units per frame of `frameMs`: the duration of a packet whose own is unknown. */
  frameTs: number;
  frameMs: number;
  jitterBuffer?: Omit<JitterBufferOptions, 'clockRate' | 'frameMs'>;
  srtp?: SrtpLike;
  latch: RtpLatch;
  /** Counted here and on the RTCP path. */
  dropped: DropCounts;
  onSsrcChanged: (change: { previous?: number; ssrc: number }) => void;
  onDtmf: (event: DtmfEvent) => void;
}

/** What the receive path tells `stats`: the reception half of MediaStreamStats. */
export type ReceptionFigures = Pick<
  MediaStreamStats,
  'remoteSsrc' | 'packetsReceived' | 'bytesReceived' | 'packetsLost' | 'lossPercent' | 'totalLossPercent' | 'jitterMs' | 'jitterBufferMs' | 'concealedFrames' | 'latePackets'
>;

/** Before the stream starts. */
export const NO_RECEPTION: ReceptionFigures = {
  packetsReceived: 0,
  bytesReceived: 0,
  packetsLost: 0,
  lossPercent: 0,
  totalLossPercent: 0,
  jitterMs: 0,
  jitterBufferMs: 0,
  concealedFrames: 0,
  latePackets: 0,
};

export class RtpReceiver {
  readonly #opts: RtpReceiverOptions;
  readonly #codec: Codec;
  readonly #jb: JitterBuffer;
  #dtmf: DtmfReceiver;
  #rxStats: RtpReceiverStats | undefined;
  #remoteSsrc: number | undefined;
  #packetsReceived = 0;
  #bytesReceived = 0;
  readonly #lossWindow: { expected: number; received: number; late: number }[] = [];
  readonly #outFifo = new SampleFifo();
  readonly #noise = new ComfortNoise();

  constructor(options: RtpReceiverOptions) {
    this.#opts = options;
    this.#codec = options.codec;
    this.#jb = new JitterBuffer({ clockRate: options.codec.clockRate, frameMs: options.frameMs, ...options.jitterBuffer });
    this.#dtmf = new DtmfReceiver({ clockRate: options.codec.clockRate });
  }

  /** The SSRC we hear now, once RTP arrived. */
  get remoteSsrc(): number | undefined {
    return this.#remoteSsrc;
  }

  /** An RTP datagram (not STUN, not RTCP); `playing` when the direction lets us receive. */
  receive(msg: Uint8Array, rinfo: RemoteInfo, now: number, playing: boolean): void {
    const { dropped, srtp } = this.#opts;
    let bytes = msg;
    if (srtp) {
      try {
        bytes = srtp.unprotectRtp(msg);
      } catch {
        dropped.srtp++;
        return;
      }
    }
    let packet: RtpPacket;
    try {
      packet = RtpPacket.decode(bytes);
    } catch {
      dropped.malformed++;
      return;
    }
    const pt = packet.payloadType;
    const isAudio = pt === this.#opts.payloadType || pt === this.#opts.receivePayloadType;
    const isEvent = this.#opts.telephoneEventPt !== undefined && pt === this.#opts.telephoneEventPt;
    const isCn = pt === COMFORT_NOISE_PT && !isAudio;
    if (!isAudio && !isEvent && !isCn) {
      dropped.payloadType++;
      return;
    }
    if (!this.#opts.latch.acceptRtp(sourceOf(rinfo), packet.ssrc, this.#remoteSsrc, now, srtp !== undefined)) {
      dropped.foreignSource++;
      return;
    }
    if (packet.ssrc !== this.#remoteSsrc) {
      const previous = this.#remoteSsrc;
      this.#remoteSsrc = packet.ssrc;
      this.#rxStats = new RtpReceiverStats({ ssrc: packet.ssrc, clockRate: this.#codec.clockRate });
      this.#dtmf = new DtmfReceiver({ clockRate: this.#codec.clockRate });
      this.#lossWindow.length = 0;
      this.#opts.onSsrcChanged(previous === undefined ? { ssrc: packet.ssrc } : { previous, ssrc: packet.ssrc });
    }
    this.#packetsReceived++;
    this.#bytesReceived += msg.length;
    const verdict = this.#rxStats!.update({ sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, payloadBytes: packet.payload.length }, now, { jitter: isAudio });
    if (verdict === 'bad-sequence' || !playing) return;
    if (isEvent) {
      for (const e of this.#dtmf.push(packet, now)) this.#opts.onDtmf(e);
      return;
    }
    const duration = isAudio ? (CodecInfo.payloadDuration(this.#codec.name, packet.payload) ?? this.#opts.frameTs) : 0;
    // The jitter buffer keeps the payload: a copy when it is a view of the datagram's bytes, which
    // a polled socket hands over in a shared slab (native/udp.ts) that a kept view would pin. What
    // SRTP unprotected is already an array of its own.
    const payload = srtp ? packet.payload : packet.payload.slice();
    this.#jb.push(
      { sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, ssrc: packet.ssrc, payload, duration, comfortNoise: isCn },
      now,
    );
  }

  /**
   * The sender's wall-clock time (ms) of the audio going to the sink now: the jitter buffer's
   * playout position, less what waits decoded before it, mapped through the last SR (RFC 3550
   * §6.4.1). Undefined before an SR or while nothing plays. Lip sync lines video up with it.
   */
  playoutSenderTime(): number | undefined {
    const ts = this.#jb.playingTimestamp;
    if (ts === undefined || !this.#rxStats) return undefined;
    const at = this.#rxStats.senderTimeOf(ts);
    if (at === undefined) return undefined;
    const codec = this.#codec;
    return at - ((this.#outFifo.length + codec.frameSamples) * 1000) / codec.sampleRate;
  }

  /** One frame for the sink, at the codec's rate. */
  playout(dueMs: number): Int16Array {
    const codec = this.#codec;
    const n = codec.frameSamples;
    const jb = this.#jb;
    let guard = 0;
    while (this.#outFifo.length < n && guard++ < 8) {
      // The popped audio starts playing once what is queued has played.
      const f = jb.pop(dueMs + (this.#outFifo.length * 1000) / codec.sampleRate);
      let pcm: Int16Array;
      switch (f.kind) {
        case 'frame':
          try {
            pcm = codec.decode(f.payload);
          } catch {
            this.#opts.dropped.malformed++;
            pcm = codec.decode(null);
          }
          break;
        case 'plc':
          pcm = f.fec && codec.decodeFec ? this.#decodeFec(codec, f.fec) : codec.decode(null);
          break;
        case 'cn':
          pcm = this.#noise.frame(f.level, n);
          break;
        case 'silence':
          pcm = mediaSlab.int16(n);
          break;
      }
      // The usual case, one whole frame and nothing queued: played as it is, not copied twice.
      if (pcm.length === n && this.#outFifo.length === 0) return pcm;
      this.#outFifo.write(pcm);
    }
    return this.#outFifo.read(n);
  }

  /** One frame of silence at the codec's rate (what plays while we do not receive). */
  silence(): Int16Array {
    return mediaSlab.int16(this.#codec.frameSamples);
  }

  #decodeFec(codec: Codec, next: Uint8Array): Int16Array {
    try {
      return codec.decodeFec!(next);
    } catch {
      return codec.decode(null);
    }
  }

  /** Closes an event whose end never came. */
  pollDtmf(nowMs: number): void {
    for (const e of this.#dtmf.poll(nowMs)) this.#opts.onDtmf(e);
  }

  /** We stopped receiving (RFC 3264 direction): what was buffered is dropped. */
  pause(): void {
    this.#jb.reset();
    this.#outFifo.clear();
  }

  // ---- for RTCP -------------------------------------------------------------------------------

  /** An SR from `ssrc` (§6.4.1): kept for the LSR/DLSR of our next report when it is the source we hear. */
  onSenderReport(ssrc: number, ntp: NtpTimestamp, rtpTimestamp: number, now: number): void {
    if (ssrc === this.#remoteSsrc) this.#rxStats?.onSenderReport(ntp, rtpTimestamp, now);
  }

  /** The report blocks of our next SR or RR (§6.4): one for the source we hear, once it sent. */
  reportBlocks(now: number): ReportBlock[] {
    return this.#rxStats && this.#rxStats.expected > 0 ? [this.#rxStats.reportBlock(now)] : [];
  }

  // ---- statistics -----------------------------------------------------------------------------

  /** Keeps the counters of the last 5 stats intervals, for the recent loss figure. */
  snapshotLoss(): void {
    this.#lossWindow.push({ expected: this.#rxStats?.expected ?? 0, received: this.#rxStats?.received ?? 0, late: this.#jb.stats.late });
    if (this.#lossWindow.length > 6) this.#lossWindow.shift();
  }

  figures(): ReceptionFigures {
    const rx = this.#rxStats;
    const jb = this.#jb;
    const expected = rx?.expected ?? 0;
    const received = rx?.received ?? 0;
    const late = jb.stats.late;
    const oldest = this.#lossWindow[0] ?? { expected: 0, received: 0, late: 0 };
    const dExpected = expected - oldest.expected;
    const dLost = dExpected - (received - oldest.received) + (late - oldest.late);
    const figures: ReceptionFigures = {
      packetsReceived: this.#packetsReceived,
      bytesReceived: this.#bytesReceived,
      packetsLost: Math.max(0, rx?.cumulativeLost ?? 0),
      lossPercent: dExpected > 0 ? Math.max(0, Math.min(100, (dLost / dExpected) * 100)) : 0,
      totalLossPercent: expected > 0 ? Math.max(0, ((expected - received + late) / expected) * 100) : 0,
      jitterMs: rx?.jitterMs ?? 0,
      jitterBufferMs: jb.delayMs,
      concealedFrames: jb.stats.concealed,
      latePackets: late,
    };
    if (this.#remoteSsrc !== undefined) figures.remoteSsrc = this.#remoteSsrc;
    return figures;
  }
}
