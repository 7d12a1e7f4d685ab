/**
 * One video stream of a call (its own m-line and ports): I420 frames in → encoder → RTP payloads
 * (RFC 7741 VP8, RFC 6184 H.264) → packets; packets → whole frames (frame-assembler.ts) →
 * decoder → I420 frames out. RTCP carries the feedback both ways (RFC 4585, RFC 5104):
 *
 *   - a frame lost or undecodable: PLI (or FIR when only that was negotiated), at most every
 *     KEY_REQUEST_GAP_MS; the sender answers a PLI or FIR with a key frame;
 *   - a hole in the sequence numbers: a generic NACK for what is missing, when negotiated; the
 *     sender retransmits from its history of the last HISTORY packets (RFC 4585 §6.2.1);
 *   - a sender report every second while sending, a receiver report otherwise (RFC 3550 §6),
 *     each with a report block on what we receive; the SR's NTP ↔ RTP pair is what a receiver
 *     lines audio and video up with;
 *   - the send rate: capped by the other side's b=TIAS/b=AS and its TMMBR (RFC 5104 §4.2.1,
 *     answered with a TMMBN), lowered when its reports say packets are lost and raised again
 *     when they are not (the loss rule of draft-ietf-rmcat-gcc §6: above 10 % lost the rate
 *     falls by half the fraction, below 2 % it grows by 5 % a report).
 *
 * Everything the network can grow is bounded: the assembler's frames and packets, the NACK list
 * per report, the send history.
 */
import type { RemoteInfo } from 'node:dgram';
import { i420Size, VideoDecoder, VideoEncoder, VideoCodecError, type I420Frame, type VideoEncoderSettings } from '../../../native/video.ts';
import { RtpPacket } from '../rtp-packet.ts';
import { RtcpPacket, type OtherRtcp } from '../rtcp-packet.ts';
import { RtpSockets } from '../rtp-sockets.ts';
import { RtpReceiverStats } from '../rtp-receiver-stats.ts';
import type { SrtpLike } from '../media-native.ts';
import { NtpTime } from '../ntp-time.ts';
import { FrameAssembler, type AssembledFrame } from './frame-assembler.ts';
import type { FramePool } from './frame-pool.ts';
import { packetizeH264 } from './h264-payload.ts';
import { depacketizerFor } from './payload-format.ts';
import { decodeFeedback, encodeFeedback, type Feedback } from './rtcp-feedback.ts';
import { packetizeVp8 } from './vp8-payload.ts';

const CLOCK = 90000;
const HISTORY = 512;
const KEY_REQUEST_GAP_MS = 250;
const MAX_NACKS = 64;
const REPORT_MS = 1000;

export interface VideoStreamOptions {
  localAddress: string;
  localPort?: number;
  remote: { address: string; rtpPort: number; rtcpPort?: number };
  rtcpMux?: boolean;
  codec: { name: 'vp8' | 'h264'; payloadType: number; packetizationMode?: 0 | 1 };
  /** Encoder settings when we send; without them the stream only receives. */
  send?: VideoEncoderSettings;
  /** What the negotiated direction lets us do now (default both); setDirection changes it. */
  direction?: { send: boolean; receive: boolean };
  /** SRTP (RFC 3711) both ways: `outbound` protects what we send, `inbound` unprotects what comes. */
  srtp?: { outbound: SrtpLike; inbound: SrtpLike };
  /** What the other side said it takes (a=rtcp-fb); default all. */
  feedback?: { nack: boolean; pli: boolean; fir: boolean };
  /** Largest RTP payload (default 1200: fits any path's MTU with IP, UDP, RTP and SRTP headers). */
  maxPayload?: number;
  /** The most the other side takes (its b=TIAS / b=AS, kbit/s). */
  remoteMaxBitrateKbps?: number;
  /** The send rate never goes below this when backing off (default 100 kbit/s). */
  minBitrateKbps?: number;
  /**
   * Each decoded frame. With `frames`, its buffer is the callback's to keep or hand back to
   * that pool; nothing here reads it again.
   */
  onFrame?: (frame: I420Frame, info: { timestamp: number; keyFrame: boolean }) => void;
  /** Buffers the decoder writes into (frame-pool.ts); without it each frame gets a new one. */
  frames?: FramePool;
  /** Each whole received frame before decoding (to record it as it came). */
  onEncodedFrame?: (frame: AssembledFrame) => void;
  onWarning?: (message: string) => void;
  random?: () => number;
  /** Our SSRC and first sequence number (default random): a call that stops and restarts its video keeps both going (RFC 3550 §5.1), as some receivers' jitter buffers only follow a sequence forward. */
  ssrc?: number;
  firstSeq?: number;
}

export interface VideoStreamStats {
  framesSent: number;
  keyFramesSent: number;
  bytesSent: number;
  packetsSent: number;
  framesReceived: number;
  framesDecoded: number;
  keyFramesReceived: number;
  framesDropped: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Key frames we asked for (PLI/FIR sent), and the other side asked of us. */
  keyFramesAsked: number;
  keyFramesAskedOfUs: number;
  nacksSent: number;
  nacksReceived: number;
  retransmitted: number;
  /** Packets that failed SRTP authentication or could not be parsed. */
  packetsDiscarded: number;
  /** Size of the last decoded frame. */
  width?: number;
  height?: number;
  /** The rate we send at now (kbit/s), and the loss the other side last reported (0..1). */
  sendBitrateKbps?: number;
  remoteFractionLost?: number;
}

export class VideoStream {
  readonly ssrc: number;
  readonly stats: VideoStreamStats = {
    framesSent: 0, keyFramesSent: 0, bytesSent: 0, packetsSent: 0, framesReceived: 0, framesDecoded: 0, keyFramesReceived: 0,
    framesDropped: 0, packetsReceived: 0, bytesReceived: 0, keyFramesAsked: 0, keyFramesAskedOfUs: 0, nacksSent: 0, nacksReceived: 0, retransmitted: 0, packetsDiscarded: 0,
  };
  readonly #opts: VideoStreamOptions;
  readonly #sockets: RtpSockets;
  readonly #encoder: VideoEncoder | undefined;
  readonly #decoder: VideoDecoder;
  readonly #assembler: FrameAssembler;
  readonly #history = new Map<number, Uint8Array>();
  readonly #timer: NodeJS.Timeout;
  #seq: number;
  #pictureId: number;
  readonly #tsBase: number;
  readonly #startMs = performance.now();
  #lastKeyRequestMs = -Infinity;
  #firSeq = 0;
  #remoteSsrc = 0;
  #highestSeq: number | undefined;
  #lastReportMs = 0;
  #stopped = false;
  #undecodable = 0;
  #rx: RtpReceiverStats | undefined;
  /** The rate the encoder was made for, and the caps on it (remote b=, TMMBR). */
  readonly #ceilingKbps: number;
  #tmmbrKbps: number | undefined;
  #targetKbps = 0;
  #direction: { send: boolean; receive: boolean };

  private constructor(opts: VideoStreamOptions, sockets: RtpSockets, random: () => number) {
    this.#opts = opts;
    this.#sockets = sockets;
    this.#direction = { ...(opts.direction ?? { send: true, receive: true }) };
    this.ssrc = opts.ssrc !== undefined ? opts.ssrc >>> 0 : Math.floor(random() * 0xffffffff) >>> 0;
    this.#seq = opts.firstSeq !== undefined ? opts.firstSeq & 0xffff : Math.floor(random() * 0x8000);
    this.#pictureId = Math.floor(random() * 0x7fff);
    this.#tsBase = Math.floor(random() * 0xffffffff) >>> 0;
    this.#ceilingKbps = Math.min(opts.send?.bitrateKbps ?? Infinity, opts.remoteMaxBitrateKbps ?? Infinity);
    this.#encoder = opts.send ? new VideoEncoder(opts.codec.name, { ...opts.send, bitrateKbps: Math.max(30, Math.min(opts.send.bitrateKbps, this.#ceilingKbps)) }) : undefined;
    this.#targetKbps = this.#encoder?.settings.bitrateKbps ?? 0;
    if (this.#encoder) this.stats.sendBitrateKbps = this.#targetKbps;
    this.#decoder = new VideoDecoder(opts.codec.name);
    this.#assembler = new FrameAssembler({ depacketize: depacketizerFor(opts.codec.name) });
    this.#timer = setInterval(() => this.#tick(), 20);
  }

  static async start(opts: VideoStreamOptions): Promise<VideoStream> {
    const random = opts.random ?? Math.random;
    // Datagrams may come before the constructor returns: they go to the stream once it exists.
    const holder: { stream?: VideoStream } = {};
    const sockets = await RtpSockets.bind({
      localAddress: opts.localAddress,
      localPort: opts.localPort,
      rtcpMux: opts.rtcpMux ?? false,
      random,
      onMessage: (msg, rinfo, onRtcp) => {
        if (holder.stream) holder.stream.#receive(msg, rinfo, onRtcp);
      },
      onError: (err) => opts.onWarning?.(`video socket: ${err.message}`),
    });
    holder.stream = new VideoStream(opts, sockets, random);
    return holder.stream;
  }

  get localPort(): number {
    return this.#sockets.localPort;
  }

  /** The sender's wall-clock time (ms) of the frame at RTP timestamp `ts`, from its last SR; undefined before one. */
  senderTimeOf(ts: number): number | undefined {
    return this.#rx?.senderTimeOf(ts);
  }

  /** The sequence number our next packet would carry. */
  get nextSeq(): number {
    return this.#seq;
  }

  get encoderSettings(): Readonly<VideoEncoderSettings> | undefined {
    return this.#encoder?.settings;
  }

  /** Bit rate, frame rate or size for what we send next (e.g. after b=AS, TMMBR or loss). */
  configure(changes: Partial<Pick<VideoEncoderSettings, 'width' | 'height' | 'fps' | 'bitrateKbps'>>): void {
    this.#encoder?.configure(changes);
  }

  /** What we may do now (RFC 3264 §6.1: sendonly receives nothing, recvonly sends nothing). */
  setDirection(direction: { send: boolean; receive: boolean }): void {
    const resumed = direction.send && !this.#direction.send;
    this.#direction = { ...direction };
    // A receiver that saw nothing for a while needs a picture to start from.
    if (resumed) this.#encoder?.requestKeyFrame();
  }

  get direction(): { send: boolean; receive: boolean } {
    return { ...this.#direction };
  }

  /** One camera frame (packed I420 at the encoder's size), captured at `captureMs` (default now). */
  pushFrame(frame: Uint8Array, captureMs = performance.now()): void {
    if (this.#stopped || !this.#encoder || !this.#direction.send) return;
    const ts = (this.#tsBase + Math.round(((captureMs - this.#startMs) * CLOCK) / 1000)) >>> 0;
    const max = this.#opts.maxPayload ?? 1200;
    for (const encoded of this.#encoder.encode(frame)) {
      const payloads =
        this.#opts.codec.name === 'vp8' ? packetizeVp8(encoded.data, this.#pictureId, max) : packetizeH264(encoded.data, this.#opts.codec.packetizationMode ?? 1, max);
      this.#pictureId = (this.#pictureId + 1) & 0x7fff;
      payloads.forEach((payload, i) => {
        const plain = RtpPacket.encode({ payloadType: this.#opts.codec.payloadType, marker: i === payloads.length - 1, sequenceNumber: this.#seq, timestamp: ts, ssrc: this.ssrc, csrcs: [], payload });
        // RFC 3711 §3.3: protected once; a retransmission (RFC 4585 NACK) resends the same bytes.
        const bytes = this.#opts.srtp ? this.#opts.srtp.outbound.protectRtp(plain) : plain;
        this.#remember(this.#seq, bytes);
        this.#seq = (this.#seq + 1) & 0xffff;
        this.#sendRtp(bytes);
      });
      this.stats.framesSent++;
      if (encoded.keyFrame) this.stats.keyFramesSent++;
    }
  }

  /** Make the next frame we send a key frame (after a pause, the receiver needs one to start from). */
  sendKeyFrame(): void {
    this.#encoder?.requestKeyFrame();
  }

  /** Ask the other side for a key frame (PLI, or FIR when only that was negotiated). */
  requestKeyFrame(): void {
    const now = performance.now();
    if (now - this.#lastKeyRequestMs < KEY_REQUEST_GAP_MS || this.#remoteSsrc === 0) return;
    this.#lastKeyRequestMs = now;
    const fb = this.#opts.feedback ?? { nack: true, pli: true, fir: true };
    if (fb.pli) this.#sendRtcp([{ kind: 'pli', sender: this.ssrc, media: this.#remoteSsrc }]);
    else if (fb.fir) this.#sendRtcp([{ kind: 'fir', sender: this.ssrc, requests: [{ ssrc: this.#remoteSsrc, seq: this.#firSeq++ & 0xff }] }]);
    else return;
    this.stats.keyFramesAsked++;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#encoder?.close();
    this.#decoder.close();
    await this.#sockets.close();
  }

  #remember(seq: number, bytes: Uint8Array): void {
    this.#history.set(seq, bytes);
    if (this.#history.size > HISTORY) this.#history.delete(this.#history.keys().next().value!);
  }

  #sendRtp(bytes: Uint8Array): void {
    this.stats.packetsSent++;
    this.stats.bytesSent += bytes.length;
    this.#sockets.sendRtp(bytes, { address: this.#opts.remote.address, port: this.#opts.remote.rtpPort }, (err) => {
      if (err) this.#opts.onWarning?.(`video send: ${err.message}`);
    });
  }

  #sendRtcp(feedback: Feedback[]): void {
    const sending = this.#encoder !== undefined && this.stats.packetsSent > 0;
    const now = performance.now();
    const reports = this.#rx ? [this.#rx.reportBlock(now)] : [];
    // §6.4.1: the SR pairs the wallclock with the RTP timestamp of the same instant.
    const rtpNow = (this.#tsBase + Math.round(((now - this.#startMs) * CLOCK) / 1000)) >>> 0;
    const head = sending
      ? RtcpPacket.encodeCompound([{ type: 'sr', ssrc: this.ssrc, ntp: NtpTime.fromUnixMs(Date.now()), rtpTimestamp: rtpNow, packetCount: this.stats.packetsSent, octetCount: this.stats.bytesSent, reports }])
      : RtcpPacket.encodeCompound([{ type: 'rr', ssrc: this.ssrc, reports }]);
    const parts = [head, ...feedback.map(encodeFeedback)];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    const rtcpPort = this.#opts.rtcpMux ? this.#opts.remote.rtpPort : (this.#opts.remote.rtcpPort ?? this.#opts.remote.rtpPort + 1);
    this.#sockets.sendRtcp(this.#opts.srtp ? this.#opts.srtp.outbound.protectRtcp(out) : out, { address: this.#opts.remote.address, port: rtcpPort }, (err) => {
      if (err) this.#opts.onWarning?.(`video RTCP send: ${err.message}`);
    });
  }

  #receive(msg: Uint8Array, _rinfo: RemoteInfo, onRtcpSocket: boolean): void {
    if (this.#stopped) return;
    const rtcp = onRtcpSocket || (this.#opts.rtcpMux && RtcpPacket.isRtcp(msg));
    let plain: Uint8Array;
    try {
      plain = this.#opts.srtp ? (rtcp ? this.#opts.srtp.inbound.unprotectRtcp(msg) : this.#opts.srtp.inbound.unprotectRtp(msg)) : msg;
    } catch {
      // RFC 3711 §3.3: what fails authentication is dropped, quietly (it may come from anyone).
      this.stats.packetsDiscarded++;
      return;
    }
    try {
      if (rtcp) this.#receiveRtcp(plain);
      else if (this.#direction.receive) this.#receiveRtp(plain);
    } catch {
      // A datagram that does not parse changes nothing (it is counted, not reported: anyone can send one).
      this.stats.packetsDiscarded++;
    }
  }

  #receiveRtp(msg: Uint8Array): void {
    const packet = RtpPacket.decode(msg);
    if (packet.payloadType !== this.#opts.codec.payloadType) return;
    if (this.#rx?.ssrc !== packet.ssrc) this.#rx = new RtpReceiverStats({ ssrc: packet.ssrc, clockRate: CLOCK });
    this.#rx.update({ sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, payloadBytes: packet.payload.length }, performance.now());
    this.#remoteSsrc = packet.ssrc;
    this.stats.packetsReceived++;
    this.stats.bytesReceived += msg.length;
    this.#noteGap(packet.sequenceNumber);
    this.#deliver(this.#assembler.push(packet, performance.now()));
  }

  /** A sequence number beyond the next one expected: NACK the ones in between (bounded). */
  #noteGap(seq: number): void {
    if (this.#highestSeq === undefined) {
      this.#highestSeq = seq;
      return;
    }
    const ahead = (seq - this.#highestSeq) & 0xffff;
    if (ahead === 0 || ahead >= 0x8000) return; // a duplicate, or late
    const fb = this.#opts.feedback ?? { nack: true, pli: true, fir: true };
    if (ahead > 1 && fb.nack) {
      const lost: number[] = [];
      for (let d = 1; d < ahead && lost.length < MAX_NACKS; d++) lost.push((this.#highestSeq + d) & 0xffff);
      this.#sendRtcp([{ kind: 'nack', sender: this.ssrc, media: this.#remoteSsrc, lost }]);
      this.stats.nacksSent++;
    }
    this.#highestSeq = seq;
  }

  #deliver(frames: AssembledFrame[]): void {
    for (const f of frames) {
      this.stats.framesReceived++;
      if (f.keyFrame) this.stats.keyFramesReceived++;
      this.#opts.onEncodedFrame?.(f);
      // The picture most likely has the last one's size: a buffer of that size is written again.
      const { width, height } = this.stats;
      const into = width !== undefined && height !== undefined ? this.#opts.frames?.take(i420Size(width, height)) : undefined;
      let picture: I420Frame | null;
      try {
        picture = this.#decoder.decode(f.data, into);
      } catch (err) {
        if (into) this.#opts.frames!.give(into);
        if (!(err instanceof VideoCodecError)) throw err;
        this.#undecodable++;
        this.requestKeyFrame();
        continue;
      }
      if (into && picture?.data !== into) this.#opts.frames!.give(into);
      if (!picture) continue;
      this.stats.framesDecoded++;
      this.stats.width = picture.width;
      this.stats.height = picture.height;
      this.#opts.onFrame?.(picture, { timestamp: f.timestamp, keyFrame: f.keyFrame });
    }
    // Dropped: given up by the assembler, or whole but refused by the decoder.
    this.stats.framesDropped = this.#assembler.stats.framesDropped + this.#undecodable;
    if (this.#assembler.keyFrameNeeded && this.#remoteSsrc !== 0 && this.stats.packetsReceived > 0) this.requestKeyFrame();
  }

  #receiveRtcp(msg: Uint8Array): void {
    for (const p of RtcpPacket.decodeCompound(msg)) {
      if (p.type === 'sr' || p.type === 'rr') {
        if (p.type === 'sr' && p.ssrc === this.#remoteSsrc) this.#rx?.onSenderReport(p.ntp, p.rtpTimestamp, performance.now());
        const mine = p.reports.find((r) => r.ssrc === this.ssrc);
        if (mine) this.#onLossReport(mine.fractionLost / 256);
        continue;
      }
      if (p.type !== 'other') continue;
      const fb = decodeFeedback(p as OtherRtcp);
      if (!fb) continue;
      if (fb.kind === 'tmmbr') {
        const mine = fb.entries.find((e) => e.ssrc === this.ssrc);
        if (mine) {
          // RFC 5104 §4.2.1.2: obey, then say so with a TMMBN naming the bound we follow.
          this.#tmmbrKbps = Math.max(1, Math.floor(mine.bitrate / 1000));
          this.#setRate(this.#targetKbps);
          this.#sendRtcp([{ kind: 'tmmbn', sender: this.ssrc, entries: [{ ssrc: fb.sender, bitrate: mine.bitrate, overhead: mine.overhead }] }]);
        }
        continue;
      }
      if (fb.kind === 'pli' && fb.media === this.ssrc) this.#keyFrameAskedOfUs();
      else if (fb.kind === 'fir' && fb.requests.some((r) => r.ssrc === this.ssrc)) this.#keyFrameAskedOfUs();
      else if (fb.kind === 'nack' && fb.media === this.ssrc) {
        this.stats.nacksReceived++;
        for (const seq of fb.lost) {
          const bytes = this.#history.get(seq);
          if (!bytes) continue;
          this.stats.retransmitted++;
          this.#sendRtp(bytes);
        }
      }
    }
  }

  /** The loss rule (draft-ietf-rmcat-gcc §6) on the fraction the other side reports. */
  #onLossReport(fraction: number): void {
    this.stats.remoteFractionLost = fraction;
    if (!this.#encoder) return;
    if (fraction > 0.1) this.#setRate(this.#targetKbps * (1 - 0.5 * fraction));
    else if (fraction < 0.02) this.#setRate(this.#targetKbps * 1.05);
  }

  /** The new send rate, within the floor and every cap; the encoder follows a change of 5 % or more. */
  #setRate(kbps: number): void {
    if (!this.#encoder) return;
    const ceiling = Math.min(this.#ceilingKbps, this.#tmmbrKbps ?? Infinity);
    const floor = Math.min(this.#opts.minBitrateKbps ?? 100, ceiling);
    const next = Math.max(floor, Math.min(ceiling, kbps));
    this.#targetKbps = next;
    const current = this.#encoder.settings.bitrateKbps;
    if (Math.abs(next - current) / current >= 0.05 || next === ceiling || next === floor) {
      const rounded = Math.max(30, Math.round(next));
      if (rounded !== current) this.#encoder.configure({ bitrateKbps: rounded });
    }
    this.stats.sendBitrateKbps = this.#encoder.settings.bitrateKbps;
  }

  #keyFrameAskedOfUs(): void {
    this.stats.keyFramesAskedOfUs++;
    this.#encoder?.requestKeyFrame();
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = performance.now();
    this.#deliver(this.#assembler.poll(now));
    if (now - this.#lastReportMs >= REPORT_MS && (this.stats.packetsSent > 0 || this.stats.packetsReceived > 0)) {
      this.#lastReportMs = now;
      this.#sendRtcp([]);
    }
  }
}
