/**
 * Adaptive jitter buffer. Pure: the caller gives arrival and playout times.
 *
 * Timeline. Packets are placed on an extended (unwrapped) RTP timestamp axis. While playing,
 * each `pop(nowMs)` plays the position `playoutTs`; so the playout "offset"
 * (nowMs − playoutTs in ms) maps every timestamp to a play time.
 *
 * Target delay. For each packet the transit d = arrival − timestamp (ms, arbitrary origin)
 * goes into a window of the last `windowMs`. A packet is on time iff d ≤ offset; so the
 * target offset is a high percentile of d (default 98th) plus a small margin, clamped between
 * min(d) + minDelayMs and min(d) + maxDelayMs.
 *   - Grows quickly: whenever offset < target, `pop` inserts one concealment frame (the
 *     timeline does not advance), i.e. +1 frame of delay per pop until on target.
 *   - Shrinks slowly: when offset exceeds the target by more than a frame (+2 ms of
 *     hysteresis, so a drop never calls for an insert), one frame is dropped at most every `shrinkIntervalMs` (a quarter of that when the excess
 *     is above four frames); high transits stay in the window for `windowMs`.
 * Clock drift between the sender's media clock and ours shows up as a slow trend of d; the
 * same loop absorbs it by dropping or inserting one whole frame now and then (no time-scaling:
 * simple and codec-independent, at the price of a 20 ms discontinuity every few seconds when
 * clocks differ by ~0.5 %).
 *
 * Loss: a missing frame with later packets buffered gives `plc` (with `fec` = the next payload
 * when it directly follows, for Opus in-band FEC); an empty buffer gives `plc` for up to
 * `maxConcealMs`, then `silence`. Comfort noise (RFC 3389, PT 13) switches to `cn` until the
 * next audio frame. Duplicates are dropped; reordered packets are sorted back while in time;
 * packets that arrive after their slot was played are dropped as late. A new SSRC or a
 * timestamp jump (a packet whose play time is more than `jumpMs` away from its arrival)
 * resets the timeline, keeping the learned delay.
 */

export interface JitterBufferPacket {
  sequenceNumber: number;
  /** 32-bit RTP timestamp. */
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
  /** Audio in the packet, in timestamp units; default: one frame. Ignored for comfort noise. */
  duration?: number;
  /** RFC 3389 comfort noise: payload[0] is the noise level in −dBov. */
  comfortNoise?: boolean;
}

export type JitterBufferFrame =
  | { kind: 'frame'; payload: Uint8Array; timestamp: number; sequenceNumber: number; duration: number }
  /** A lost or late frame: conceal it. `fec`: the next packet's payload, which may carry it (Opus). */
  | { kind: 'plc'; fec?: Uint8Array }
  /** Comfort noise at `level` −dBov (RFC 3389 §3.1). */
  | { kind: 'cn'; level: number }
  /** Nothing to play: before the first packet, or after a long gap. */
  | { kind: 'silence' };

export interface JitterBufferOptions {
  /** RTP clock rate of the stream. */
  clockRate: number;
  /** Playout frame length (ms); `pop` is called once per frame. Default 20. */
  frameMs?: number;
  /** Delay used until there is a measurement (ms). Default 40. */
  initialDelayMs?: number;
  /** Least buffering delay above the fastest packet of the window (ms). Default 10. */
  minDelayMs?: number;
  /** Most buffering delay above the fastest packet of the window (ms). Default 400. */
  maxDelayMs?: number;
  /** Percentile of transit times that must be on time. Default 0.98. */
  percentile?: number;
  /** Headroom above that percentile (ms). Default 5. */
  marginMs?: number;
  /** Transit measurement window (ms). Default 5000. */
  windowMs?: number;
  /** Least time between two frame drops when shrinking (ms). Default 1000. */
  shrinkIntervalMs?: number;
  /** Concealment on an empty buffer before going silent (ms). Default 100. */
  maxConcealMs?: number;
  /** Timestamp jump threshold (ms). Default 3000. */
  jumpMs?: number;
}

export interface JitterBufferStats {
  /** Frames played from packets. */
  played: number;
  /** Concealment frames for lost packets (buffer gaps and underruns). */
  concealed: number;
  /** Concealment frames given with FEC data. */
  fec: number;
  /** Frames inserted to grow the delay. */
  inserted: number;
  /** Frames dropped to shrink the delay. */
  dropped: number;
  /** Packets that arrived after their slot. */
  late: number;
  /** Duplicate packets. */
  duplicates: number;
  /** Comfort-noise frames. */
  comfortNoise: number;
  /** Timeline resets (SSRC changes, timestamp jumps). */
  resets: number;
}

/** The first index of `sorted` (ascending) whose value is above `v`. */
function upperBound(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Entry {
  ext: number;
  duration: number;
  packet: JitterBufferPacket;
}

interface Transit {
  arrivalMs: number;
  transitMs: number;
}

export class JitterBuffer {
  readonly clockRate: number;
  readonly frameMs: number;
  readonly #frameTs: number;
  readonly #opts: Required<Omit<JitterBufferOptions, 'clockRate' | 'frameMs'>>;
  #state: 'empty' | 'buffering' | 'playing' = 'empty';
  #ssrc: number | undefined;
  /** Sorted by `ext`. A few dozen entries at most, so a plain array is fine. */
  #entries: Entry[] = [];
  #lastExt = 0;
  #lastRawTs = 0;
  #playoutTs = 0;
  #offsetMs = 0;
  /** Transits of the window in arrival order, and the same values kept sorted ascending. */
  #transits: Transit[] = [];
  #sorted: number[] = [];
  #cnLevel: number | undefined;
  #concealRun = 0;
  #lastDropMs = -Infinity;
  #learnedDelayMs: number;
  #recentSeq = new Set<number>();
  #recentSeqOrder: number[] = [];
  readonly stats: JitterBufferStats = { played: 0, concealed: 0, fec: 0, inserted: 0, dropped: 0, late: 0, duplicates: 0, comfortNoise: 0, resets: 0 };

  constructor(options: JitterBufferOptions) {
    this.clockRate = options.clockRate;
    this.frameMs = options.frameMs ?? 20;
    this.#frameTs = Math.round((this.clockRate * this.frameMs) / 1000);
    this.#opts = {
      initialDelayMs: options.initialDelayMs ?? 40,
      minDelayMs: options.minDelayMs ?? 10,
      maxDelayMs: options.maxDelayMs ?? 400,
      percentile: options.percentile ?? 0.98,
      marginMs: options.marginMs ?? 5,
      windowMs: options.windowMs ?? 5000,
      shrinkIntervalMs: options.shrinkIntervalMs ?? 1000,
      maxConcealMs: options.maxConcealMs ?? 100,
      jumpMs: options.jumpMs ?? 3000,
    };
    this.#learnedDelayMs = this.#opts.initialDelayMs;
  }

  #tsToMs(ext: number): number {
    return (ext * 1000) / this.clockRate;
  }

  /** Forgets the timeline (new source or timestamp jump); keeps the learned delay. */
  reset(): void {
    if (this.#state === 'playing') this.#learnedDelayMs = Math.max(this.#opts.minDelayMs, this.delayMs);
    this.#state = 'empty';
    this.#entries = [];
    this.#transits = [];
    this.#sorted = [];
    this.#cnLevel = undefined;
    this.#concealRun = 0;
    this.#recentSeq.clear();
    this.#recentSeqOrder = [];
  }

  /** Accepts one packet that arrived at `arrivalMs` (same clock as `pop`). */
  push(packet: JitterBufferPacket, arrivalMs: number): void {
    if (this.#ssrc !== packet.ssrc) {
      if (this.#ssrc !== undefined) {
        this.stats.resets++;
        this.reset();
      }
      this.#ssrc = packet.ssrc;
    }
    if (this.#state === 'empty') {
      this.#lastExt = 2 ** 32; // origin far from 0 so backward moves stay positive
      this.#lastRawTs = packet.timestamp >>> 0;
    }
    let ext = this.#lastExt + ((packet.timestamp - this.#lastRawTs) | 0);
    if (this.#state !== 'empty') {
      const playAt = this.#tsToMs(ext) + this.#offsetMs;
      if (Math.abs(playAt - arrivalMs) > this.#opts.jumpMs) {
        // §5.1 allows timestamps to jump (a new talk spurt after a pause with a fresh clock, a
        // re-INVITE to another source): start a new timeline.
        this.stats.resets++;
        this.reset();
        this.#lastExt = 2 ** 32;
        this.#lastRawTs = packet.timestamp >>> 0;
        ext = this.#lastExt;
      }
    }
    if (ext > this.#lastExt) {
      this.#lastExt = ext;
      this.#lastRawTs = packet.timestamp >>> 0;
    }

    const seq = packet.sequenceNumber;
    if (this.#recentSeq.has(seq)) {
      this.stats.duplicates++;
      return;
    }
    this.#rememberSeq(seq);

    const transitMs = arrivalMs - this.#tsToMs(ext);
    this.#transits.push({ arrivalMs, transitMs });
    this.#sorted.splice(upperBound(this.#sorted, transitMs), 0, transitMs);

    const duration = packet.comfortNoise ? 0 : (packet.duration ?? this.#frameTs);
    if (this.#state === 'empty') {
      this.#state = 'buffering';
      this.#offsetMs = transitMs + this.#learnedDelayMs;
    } else if (this.#state === 'playing' && ext + Math.max(duration, 1) <= this.#playoutTs) {
      this.stats.late++;
      return;
    }
    // Insert sorted (usually at the end).
    let i = this.#entries.length;
    while (i > 0 && this.#entries[i - 1].ext > ext) i--;
    if (i > 0 && this.#entries[i - 1].ext === ext) {
      this.stats.duplicates++; // same timestamp, another sequence number: keep the first
      return;
    }
    this.#entries.splice(i, 0, { ext, duration, packet });
    // Bound memory: never hold more than twice the maximum delay.
    const maxTs = ((this.#opts.maxDelayMs * 2) / 1000) * this.clockRate;
    while (this.#entries.length > 1 && this.#entries[this.#entries.length - 1].ext - this.#entries[0].ext > maxTs) {
      this.#entries.shift();
      this.stats.dropped++;
    }
  }

  #rememberSeq(seq: number): void {
    this.#recentSeq.add(seq);
    this.#recentSeqOrder.push(seq);
    if (this.#recentSeqOrder.length > 512) this.#recentSeq.delete(this.#recentSeqOrder.shift()!);
  }

  /**
   * The window's transits, sorted, after forgetting those older than `windowMs` (the newest one
   * always stays). Kept sorted as packets come and go — a binary search and a short move each —
   * rather than sorted on every pop: with a 5 s window at 50 packets/s that was ~250 values
   * sorted per frame per stream, the costliest step of a busy media worker.
   */
  #sortedTransits(nowMs: number): number[] {
    const horizon = nowMs - this.#opts.windowMs;
    let cut = 0;
    while (cut < this.#transits.length - 1 && this.#transits[cut].arrivalMs < horizon) {
      const v = this.#transits[cut].transitMs;
      this.#sorted.splice(upperBound(this.#sorted, v) - 1, 1);
      cut++;
    }
    if (cut > 0) this.#transits.splice(0, cut);
    return this.#sorted;
  }

  /** The playout offset this buffer aims at (ms, same origin as transits). */
  #targetOffset(nowMs: number): number {
    const sorted = this.#sortedTransits(nowMs);
    if (sorted.length === 0) return this.#offsetMs;
    const min = sorted[0];
    const p = sorted[Math.min(sorted.length - 1, Math.floor(this.#opts.percentile * sorted.length))];
    const wanted = p + this.#opts.marginMs;
    return Math.min(min + this.#opts.maxDelayMs, Math.max(min + this.#opts.minDelayMs, wanted));
  }

  /** Mean time packets of the window wait in the buffer (ms). */
  get delayMs(): number {
    if (this.#transits.length === 0) return this.#state === 'empty' ? 0 : this.#learnedDelayMs;
    let sum = 0;
    for (const t of this.#transits) sum += t.transitMs;
    return Math.max(0, this.#offsetMs - sum / this.#transits.length);
  }

  /** Target buffering delay above the fastest packet of the window (ms). */
  get targetDelayMs(): number {
    if (this.#sorted.length === 0) return this.#learnedDelayMs;
    // The fastest packet before the window moves to the newest arrival.
    const min = this.#sorted[0];
    const last = this.#transits[this.#transits.length - 1].arrivalMs;
    return this.#targetOffset(last) - min;
  }

  /** Packets waiting. */
  get length(): number {
    return this.#entries.length;
  }

  /** The RTP timestamp being played now (undefined: not playing). */
  get playingTimestamp(): number | undefined {
    if (this.#state !== 'playing') return undefined;
    return (this.#lastRawTs + (this.#playoutTs - this.#lastExt)) >>> 0;
  }

  /** Gives the next frame to play at `nowMs` (call once per frame, on the playout clock). */
  pop(nowMs: number): JitterBufferFrame {
    if (this.#state === 'empty') return { kind: 'silence' };
    if (this.#state === 'buffering') {
      const first = this.#entries[0];
      if (first === undefined) return { kind: 'silence' };
      if (nowMs + this.frameMs / 2 < this.#tsToMs(first.ext) + this.#offsetMs) return { kind: 'silence' };
      this.#state = 'playing';
      this.#playoutTs = first.ext;
    }
    this.#offsetMs = nowMs - this.#tsToMs(this.#playoutTs);

    // Delay control.
    const target = this.#targetOffset(nowMs);
    if (this.#offsetMs < target - 1e-9) {
      // Grow now: conceal one frame without moving the timeline (its slot plays 1 frame later).
      this.stats.inserted++;
      this.#offsetMs += this.frameMs;
      if (this.#cnLevel !== undefined) return this.#cn();
      return this.#concealRun * this.frameMs < this.#opts.maxConcealMs ? { kind: 'plc' } : { kind: 'silence' };
    }
    const excess = this.#offsetMs - target;
    const interval = excess > 4 * this.frameMs ? this.#opts.shrinkIntervalMs / 4 : this.#opts.shrinkIntervalMs;
    if (excess >= this.frameMs + 2 && nowMs - this.#lastDropMs >= interval) {
      this.#lastDropMs = nowMs;
      this.stats.dropped++;
      this.#skipFrame();
    }
    return this.#next();
  }

  #skipFrame(): void {
    const tol = this.#frameTs / 2;
    const head = this.#entries[0];
    if (head !== undefined && head.ext <= this.#playoutTs + tol) {
      this.#entries.shift();
      this.#playoutTs = Math.max(this.#playoutTs, head.ext + Math.max(head.duration, this.#frameTs));
      if (head.packet.comfortNoise) this.#cnLevel = head.packet.payload[0] ?? 127;
    } else {
      this.#playoutTs += this.#frameTs;
    }
    this.#offsetMs += this.frameMs;
  }

  #cn(): JitterBufferFrame {
    this.stats.comfortNoise++;
    return { kind: 'cn', level: this.#cnLevel ?? 127 };
  }

  #next(): JitterBufferFrame {
    const tol = this.#frameTs / 2;
    // Drop what the timeline has passed (after a frame drop or a misaligned packet).
    while (this.#entries.length > 0 && this.#entries[0].ext + this.#entries[0].duration <= this.#playoutTs - tol) {
      this.#entries.shift();
      this.stats.late++;
    }
    const head = this.#entries[0];
    if (head !== undefined && head.ext <= this.#playoutTs + tol) {
      this.#entries.shift();
      if (head.packet.comfortNoise) {
        // RFC 3389 §4: noise continues until the next speech packet.
        this.#cnLevel = head.packet.payload[0] ?? 127;
        this.#playoutTs = head.ext + this.#frameTs;
        this.#concealRun = 0;
        return this.#cn();
      }
      this.#cnLevel = undefined;
      this.#concealRun = 0;
      this.#playoutTs = head.ext + head.duration;
      this.stats.played++;
      return { kind: 'frame', payload: head.packet.payload, timestamp: head.packet.timestamp, sequenceNumber: head.packet.sequenceNumber, duration: head.duration };
    }
    this.#playoutTs += this.#frameTs;
    if (this.#cnLevel !== undefined) return this.#cn();
    if (head !== undefined) {
      // A gap before a buffered packet: that frame was lost.
      this.#concealRun++;
      this.stats.concealed++;
      if (head.ext - (this.#playoutTs - this.#frameTs) <= this.#frameTs + tol) {
        this.stats.fec++;
        return { kind: 'plc', fec: head.packet.payload };
      }
      return { kind: 'plc' };
    }
    // Underrun: late or lost, or the sender stopped.
    if (this.#concealRun * this.frameMs < this.#opts.maxConcealMs) {
      this.#concealRun++;
      this.stats.concealed++;
      return { kind: 'plc' };
    }
    return { kind: 'silence' };
  }
}
