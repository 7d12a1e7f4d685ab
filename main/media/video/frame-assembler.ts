/**
 * The receive side of RTP video before the decoder: packets, in any order, become whole frames,
 * given out in order. A video frame spans packets that share one RTP timestamp, the last with
 * the marker bit (RFC 7741 §4.1, RFC 6184 §5.1); a frame is whole when every sequence number from
 * the one after the previous frame's last up to its marked packet is here.
 *
 * A frame that is not whole when `waitMs` has passed (a packet lost, not just late) is dropped,
 * and so is every frame after it until a key frame: they refer to what was lost. Meanwhile
 * `keyFrameNeeded` says to ask the sender for one (RFC 4585 §6.3.1 PLI). Everything the network
 * can grow is bounded: frames waiting, packets per frame.
 */
import { RtpFormatError } from '../rtp-packet.ts';

export interface VideoRtpPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
}

export interface AssembledFrame {
  /** The codec's frame (VP8) or access unit (H.264, Annex B). */
  data: Uint8Array;
  keyFrame: boolean;
  /** RTP timestamp (90 kHz). */
  timestamp: number;
  /** When its last packet arrived (ms, the caller's clock). */
  completedMs: number;
}

export interface FrameAssemblerOptions {
  /**
   * Joins the payloads of one frame, in order; throws RtpFormatError when they do not make one.
   * `selfContained`: its first packet provably starts a key frame a decoder can start from
   * (VP8: the S bit; H.264: parameter sets before the IDR), default `keyFrame`.
   */
  depacketize(payloads: readonly Uint8Array[]): { data: Uint8Array; keyFrame: boolean; selfContained?: boolean };
  /** How long a frame with a gap before or in it may wait for late packets. Default 100 ms. */
  waitMs?: number;
  /** Frames waiting at most (older ones are dropped). Default 32. */
  maxFrames?: number;
  /** Packets one frame may have (a 1080p key frame is some 200). Default 1024. */
  maxPacketsPerFrame?: number;
}

export interface FrameAssemblerStats {
  framesOut: number;
  keyFramesOut: number;
  /** Frames given up: incomplete, unreadable, or waiting for a key frame after a loss. */
  framesDropped: number;
  /** Packets thrown away: duplicates, too old, over the bounds. */
  packetsDiscarded: number;
}

interface Pending {
  timestamp: number;
  packets: Map<number, Uint8Array>;
  /** Extended sequence numbers of the first and marked packets seen. */
  lowest: number;
  markerSeq: number | undefined;
  firstArrivalMs: number;
  lastArrivalMs: number;
}

/** A frame's payloads in sequence order. */
function inOrder(frame: Pending): Uint8Array[] {
  return [...frame.packets.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

export class FrameAssembler {
  readonly stats: FrameAssemblerStats = { framesOut: 0, keyFramesOut: 0, framesDropped: 0, packetsDiscarded: 0 };
  readonly #opts: Required<FrameAssemblerOptions>;
  /** By RTP timestamp. */
  readonly #pending = new Map<number, Pending>();
  /** Extended sequence number of the last packet of the last frame given out (or dropped). */
  #lastSeq: number | undefined;
  #highestSeq: number | undefined;
  #lastTimestamp: number | undefined;
  #needKey = true;
  /** When the gap in front of the oldest frame was first seen. */
  #gapSinceMs: number | undefined;

  constructor(options: FrameAssemblerOptions) {
    this.#opts = { waitMs: 100, maxFrames: 32, maxPacketsPerFrame: 1024, ...options };
  }

  /** Whether a key frame is needed: none yet, or one was lost since. Ask the sender (PLI). */
  get keyFrameNeeded(): boolean {
    return this.#needKey;
  }

  /** One packet in; the frames it completes (in order) out. */
  push(packet: VideoRtpPacket, nowMs: number): AssembledFrame[] {
    const seq = this.#extend(packet.sequenceNumber);
    if (this.#lastSeq !== undefined && seq <= this.#lastSeq) {
      this.stats.packetsDiscarded++; // a frame given out or dropped already
      return this.poll(nowMs);
    }
    let frame = this.#pending.get(packet.timestamp);
    if (!frame) {
      if (this.#pending.size >= this.#opts.maxFrames) this.#dropOldest();
      frame = { timestamp: packet.timestamp, packets: new Map(), lowest: seq, markerSeq: undefined, firstArrivalMs: nowMs, lastArrivalMs: nowMs };
      this.#pending.set(packet.timestamp, frame);
    }
    if (frame.packets.has(seq) || frame.packets.size >= this.#opts.maxPacketsPerFrame) {
      this.stats.packetsDiscarded++;
      return this.poll(nowMs);
    }
    frame.packets.set(seq, packet.payload);
    frame.lowest = Math.min(frame.lowest, seq);
    frame.lastArrivalMs = nowMs;
    if (packet.marker) frame.markerSeq = seq;
    return this.poll(nowMs);
  }

  /** Frames ready now, and frames given up after `waitMs` (call it on a timer too). */
  poll(nowMs: number): AssembledFrame[] {
    const out: AssembledFrame[] = [];
    for (;;) {
      const oldest = this.#oldest();
      if (!oldest) {
        this.#gapSinceMs = undefined;
        return out;
      }
      const whole = this.#whole(oldest);
      // Without a frame before it, nothing says where this one starts: only a key frame that
      // reads whole (its first packet is a start) is taken.
      const inOrder = this.#lastSeq !== undefined && oldest.lowest === this.#lastSeq + 1;
      if (whole && (inOrder || this.#startsFresh(oldest))) {
        this.#take(oldest, out);
        this.#gapSinceMs = undefined;
        continue;
      }
      // Something is missing in front of or inside the oldest frame: wait, then give it up.
      this.#gapSinceMs ??= nowMs;
      if (nowMs - this.#gapSinceMs < this.#opts.waitMs && !this.#newerFrameWhole(oldest)) return out;
      this.#drop(oldest);
      this.#gapSinceMs = undefined;
    }
  }

  #take(frame: Pending, out: AssembledFrame[]): void {
    this.#pending.delete(frame.timestamp);
    this.#lastSeq = frame.markerSeq!;
    this.#lastTimestamp = frame.timestamp;
    const payloads = inOrder(frame);
    let joined: { data: Uint8Array; keyFrame: boolean };
    try {
      joined = this.#opts.depacketize(payloads);
    } catch (err) {
      if (!(err instanceof RtpFormatError)) throw err;
      this.stats.framesDropped++;
      this.#needKey = true;
      return;
    }
    if (this.#needKey && !joined.keyFrame) {
      this.stats.framesDropped++; // refers to a frame the decoder does not have
      return;
    }
    this.#needKey = false;
    this.stats.framesOut++;
    if (joined.keyFrame) this.stats.keyFramesOut++;
    out.push({ data: joined.data, keyFrame: joined.keyFrame, timestamp: frame.timestamp, completedMs: frame.lastArrivalMs });
  }

  #drop(frame: Pending): void {
    this.#pending.delete(frame.timestamp);
    this.stats.framesDropped++;
    this.stats.packetsDiscarded += frame.packets.size;
    this.#needKey = true;
    // What was lost ends, at the latest, just before the next frame's first packet.
    const next = this.#oldest();
    const end = frame.markerSeq ?? (next ? next.lowest - 1 : Math.max(...frame.packets.keys()));
    this.#lastSeq = Math.max(this.#lastSeq ?? end, end);
    this.#lastTimestamp = frame.timestamp;
  }

  #dropOldest(): void {
    const oldest = this.#oldest();
    if (oldest) this.#drop(oldest);
  }

  /** The waiting frame that comes first (by sequence number, robust to timestamp wrap). */
  #oldest(): Pending | undefined {
    let best: Pending | undefined;
    for (const f of this.#pending.values()) if (!best || f.lowest < best.lowest) best = f;
    return best;
  }

  #whole(f: Pending): boolean {
    if (f.markerSeq === undefined) return false;
    return f.packets.size === f.markerSeq - f.lowest + 1;
  }

  /**
   * While a key frame is needed (at the start, after a loss), a whole key frame need not wait
   * for the gap in front of it: it starts a new picture chain.
   */
  #startsFresh(f: Pending): boolean {
    if (!this.#needKey) return false;
    try {
      const joined = this.#opts.depacketize(inOrder(f));
      return joined.selfContained ?? joined.keyFrame;
    } catch {
      return false;
    }
  }

  /**
   * Two later frames are whole while the oldest still is not: packets are not that late, they
   * are lost. Saying so now asks for the key frame a few frames sooner than `waitMs` would.
   */
  #newerFrameWhole(oldest: Pending): boolean {
    let whole = 0;
    for (const f of this.#pending.values()) if (f !== oldest && f.lowest > oldest.lowest && this.#whole(f)) whole++;
    return whole >= 2;
  }

  /** 16-bit sequence number → extended, from the highest seen (RFC 3550 A.1). */
  #extend(seq: number): number {
    if (this.#highestSeq === undefined) {
      this.#highestSeq = seq + 0x10000; // room for packets a little older than the first
      return this.#highestSeq;
    }
    const base = this.#highestSeq;
    let ext = (base & ~0xffff) | seq;
    if (ext < base - 0x8000) ext += 0x10000;
    else if (ext > base + 0x8000) ext -= 0x10000;
    if (ext > base) this.#highestSeq = ext;
    return ext;
  }

  /** RTP timestamp of the last frame given out or dropped. */
  get lastTimestamp(): number | undefined {
    return this.#lastTimestamp;
  }
}
