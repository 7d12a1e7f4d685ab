/**
 * The send path of a stream: one encoded frame per media clock tick, `framesPerPacket` frames to
 * a packet (the ptime), RFC 4733 events in place of audio while a digit plays, RTP headers
 * (RFC 3550 §5.1: sequence number, timestamp on the media clock, the marker at each talkspurt),
 * SRTP protection (RFC 3711), and the counts RTCP's sender report gives (§6.4.1).
 *
 *   pcm → encode → [frames of one packet] → RTP → SRTP → socket
 */
import type { Codec } from '../../native/index.ts';
import { DtmfSender } from './dtmf-sender.ts';
import type { SrtpLike } from './media-native.ts';
import type { RtpLatch } from './rtp-latch.ts';
import { RtpPacket } from './rtp-packet.ts';
import type { RtpSockets } from './rtp-sockets.ts';
import { mediaSlab } from './typed-slab.ts';

/**
 * A send's outcome is asked for on the first packet and then once every this many (1 s at
 * 20 ms): a callback on every packet cost dgram a process.nextTick each, ~10 % of a busy media
 * worker. UDP send errors that matter (no route, an address we may not send to) last, so they
 * still surface within a second, as one `warning` a second rather than fifty.
 */
export const SEND_CHECK_EVERY = 50;

/** The pacer holds at most this many packets of a socket (native/src/udp-pacer.h). */
const MAX_PACED = 64;

/** Packet bytes live until the socket has sent them: from the media slab. */
const allocateBytes = (n: number): Uint8Array => mediaSlab.bytes(n);

export interface RtpSenderOptions {
  /** Our SSRC, first sequence number and timestamp of frame 0 (random, §5.1, §8). */
  ssrc: number;
  sequenceNumber: number;
  timestampBase: number;
  codec: Codec;
  payloadType: number;
  /** Timestamp units per frame of `frameMs`. */
  frameTs: number;
  frameMs: number;
  /** Frames per packet: ptime / frameMs. */
  framesPerPacket: number;
  /** RFC 4733 payload type, when negotiated. */
  telephoneEventPt?: number;
  srtp?: SrtpLike;
  sockets: RtpSockets;
  /** Where RTP goes (its target moves when the stream latches). */
  latch: RtpLatch;
  /** A send failed. */
  onError: (message: string) => void;
}

export class RtpSender {
  readonly ssrc: number;
  readonly framesPerPacket: number;
  readonly #opts: RtpSenderOptions;
  readonly #dtmf: DtmfSender | undefined;
  #seq: number;
  #pendingPayloads: Uint8Array[] = [];
  #pendingTs = 0;
  #marker = true;
  #packetsSent = 0;
  #octetsSent = 0;
  #bytesSent = 0;
  #sentSinceReport = false;
  #sentInLastInterval = false;
  /** The delay of the frame that fills the packet (sending ahead: the pacer's). */
  #pendingDelayMs = 0;
  /** Payload and packet sizes of the last packets handed to the pacer, newest last. */
  readonly #paced: Array<[payload: number, bytes: number]> = [];

  constructor(options: RtpSenderOptions) {
    this.#opts = options;
    this.ssrc = options.ssrc;
    this.framesPerPacket = options.framesPerPacket;
    this.#seq = options.sequenceNumber;
    if (options.telephoneEventPt !== undefined) this.#dtmf = new DtmfSender({ clockRate: options.codec.clockRate, frameMs: options.frameMs });
  }

  /**
   * What has left so far, in one reading (an SR's counts must agree, §6.4.1: "transmitted"):
   * packets, payload octets, and UDP bytes (RTP + SRTP overhead). What the pacer still holds
   * (the last packets numbered) has not left yet.
   */
  sent(): { packets: number; octets: number; bytes: number } {
    let packets = this.#packetsSent;
    let octets = this.#octetsSent;
    let bytes = this.#bytesSent;
    const held = this.#paced.length === 0 ? 0 : Math.min(this.#opts.sockets.pacedPending(), this.#paced.length);
    for (let i = this.#paced.length - held; i < this.#paced.length; i++) {
      packets--;
      octets -= this.#paced[i][0];
      bytes -= this.#paced[i][1];
    }
    return { packets, octets, bytes };
  }

  /** The RTP timestamp of frame `k` of the media clock. */
  timestampOfFrame(k: number): number {
    return (this.#opts.timestampBase + k * this.#opts.frameTs) >>> 0;
  }

  /** The RTP timestamp of the instant `elapsedMs` after the media clock started (§6.4.1). */
  timestampAt(elapsedMs: number): number {
    return (this.#opts.timestampBase + Math.round((elapsedMs * this.#opts.codec.clockRate) / 1000)) >>> 0;
  }

  /** §6.4: an SR when we sent data since the report before the last one. Call once per report. */
  takeSentFlag(): boolean {
    const weSent = this.#sentSinceReport || this.#sentInLastInterval;
    this.#sentInLastInterval = this.#sentSinceReport;
    this.#sentSinceReport = false;
    return weSent;
  }

  // ---- audio ----------------------------------------------------------------------------------

  /** One frame of the source at the codec's rate, timestamp `ts`; an event in progress replaces audio. */
  /**
   * `delayMs` > 0: the frame is due that much later, and the packet it completes leaves then
   * from the addon's pacer (a stream sending ahead, media-stream.ts).
   */
  pushAudio(ts: number, pcm: Int16Array, delayMs = 0): void {
    if (this.#dtmf?.active) return;
    if (this.#pendingPayloads.length === 0) this.#pendingTs = ts;
    this.#pendingPayloads.push(this.#opts.codec.encode(pcm));
    this.#pendingDelayMs = delayMs;
    if (this.#pendingPayloads.length >= this.framesPerPacket) this.flush();
  }

  /**
   * Takes back what the pacer has not sent yet (we stop sending, or the stream stops): those
   * packets never left, so the counts go back by as many. Their sequence numbers are not used
   * again: SRTP protected them already, and an index is never protected twice (RFC 3711 §9.1,
   * libsrtp refuses it); the peer sees the gap as a few packets lost. Returns how many.
   */
  cancelAhead(): number {
    const n = this.#opts.sockets.cancelPaced();
    for (let i = 0; i < n; i++) {
      const [payload, bytes] = this.#paced.pop() ?? [0, 0];
      this.#packetsSent--;
      this.#octetsSent -= payload;
      this.#bytesSent -= bytes;
    }
    if (n > 0) this.#marker = true;
    return n;
  }

  /** Sends the frames waiting for a full packet. */
  flush(): void {
    if (this.#pendingPayloads.length === 0) return;
    const parts = this.#pendingPayloads;
    this.#pendingPayloads = [];
    let payload: Uint8Array;
    if (parts.length === 1) payload = parts[0];
    else {
      payload = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        payload.set(p, at);
        at += p.length;
      }
    }
    this.#sendRtp(this.#opts.payloadType, this.#pendingTs, this.#marker, payload, this.#pendingDelayMs);
    this.#pendingDelayMs = 0;
    this.#marker = false;
  }

  /** We stopped sending (RFC 3264 direction): what waits for a packet is dropped. */
  pause(): void {
    this.#pendingPayloads = [];
  }

  /** We send again: the next packet starts a talkspurt. */
  resume(): void {
    this.#marker = true;
  }

  // ---- DTMF (RFC 4733) ------------------------------------------------------------------------

  /** Whether telephone-event was negotiated. */
  get hasDtmf(): boolean {
    return this.#dtmf !== undefined;
  }

  /** Digits wait or one is being sent. */
  get dtmfBusy(): boolean {
    return (this.#dtmf?.pending ?? 0) > 0;
  }

  /** Queues digits (throws on a bad one). */
  enqueueDtmf(digits: string): void {
    this.#dtmf!.enqueue(digits);
  }

  /** When the event in progress next needs a packet, if any. */
  nextDtmfDueMs(): number | undefined {
    return this.#dtmf?.nextDueMs();
  }

  /** Sends the event packets due at `nowMs` (with timestamp `ts` for a new event) when `sending`. */
  pollDtmf(nowMs: number, ts: number, sending: boolean): void {
    if (!this.#dtmf || this.#dtmf.pending === 0) return;
    const packets = this.#dtmf.poll(nowMs, () => ts);
    if (packets.length > 0) {
      this.flush();
      if (!sending) return;
      for (const p of packets) this.#sendRtp(this.#opts.telephoneEventPt!, p.timestamp, p.marker, p.payload);
      this.#marker = true; // audio after an event starts a new talkspurt
    }
  }

  #sendRtp(payloadType: number, timestamp: number, marker: boolean, payload: Uint8Array, delayMs = 0): void {
    const { sockets, latch } = this.#opts;
    if (!sockets.open) return;
    let bytes = RtpPacket.encode({ payloadType, marker, sequenceNumber: this.#seq, timestamp, ssrc: this.ssrc, csrcs: [], payload }, allocateBytes);
    this.#seq = (this.#seq + 1) & 0xffff;
    if (this.#opts.srtp) bytes = this.#opts.srtp.protectRtp(bytes);
    this.#packetsSent++;
    this.#octetsSent += payload.length;
    this.#bytesSent += bytes.length;
    this.#sentSinceReport = true;
    // Only what the pacer took is booked as held (one it refused went at once).
    if (sockets.sendRtp(bytes, latch.rtpTarget, this.#packetsSent % SEND_CHECK_EVERY === 1 ? this.#onSent : undefined, delayMs)) {
      this.#paced.push([payload.length, bytes.length]);
      if (this.#paced.length > MAX_PACED) this.#paced.shift();
    }
  }

  /** One callback for every checked packet (no closure made per packet). */
  readonly #onSent = (err: Error | null): void => {
    if (err) this.#opts.onError(err.message);
  };
}
