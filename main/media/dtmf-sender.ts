/**
 * RFC 4733 DTMF sender. Pure: the stream polls it on its media clock and sends what it returns.
 *
 * Per digit (§2.5.1): the first packet carries the marker bit; updates follow every
 * `updateIntervalMs` with the same RTP timestamp (the media clock at the start of the event)
 * and a growing duration; the end is sent three times with the E bit and the final duration
 * (§2.5.1.4), at the update interval. Digits are separated by `gapMs` of plain audio; ','
 * queues a 500 ms pause. While an event is on, the stream sends no audio packets (§2.5.1.5
 * leaves this to the sender; most gateways expect it).
 */
import { TelephoneEvent } from './telephone-event.ts';

export interface DtmfSenderOptions {
  /** RTP clock rate of telephone-event (the same as the audio's). */
  clockRate: number;
  /** Tone length per digit (ms). Default 100. */
  durationMs?: number;
  /** Pause between digits (ms). Default 70. */
  gapMs?: number;
  /** Power level in −dBm0. Default 10. */
  volume?: number;
  /** Interval of updates and of the three end packets (ms). Default 50. */
  updateIntervalMs?: number;
  /** Media frame length (ms), the duration claimed by the first packet. Default 20. */
  frameMs?: number;
}

export interface DtmfPacket {
  payload: Uint8Array;
  marker: boolean;
  /** The event's RTP timestamp (constant for all its packets). */
  timestamp: number;
}

interface Current {
  event: number;
  startMs: number;
  timestamp: number;
  durationMs: number;
  nextMs: number;
  sentEnd: number;
}

export class DtmfSender {
  readonly #clockRate: number;
  readonly #durationMs: number;
  readonly #gapMs: number;
  readonly #volume: number;
  readonly #interval: number;
  readonly #frameMs: number;
  readonly #queue: { event: number; pauseMs?: number }[] = [];
  #current: Current | undefined;
  #quietUntil = -Infinity;

  constructor(options: DtmfSenderOptions) {
    this.#clockRate = options.clockRate;
    this.#durationMs = options.durationMs ?? 100;
    this.#gapMs = options.gapMs ?? 70;
    this.#volume = options.volume ?? 10;
    this.#interval = options.updateIntervalMs ?? 50;
    this.#frameMs = options.frameMs ?? 20;
    // The duration field is 16 bits (§2.5.2.3 segments longer events; we simply cap the tone).
    const maxMs = Math.floor((0xffff * 1000) / this.#clockRate);
    this.#durationMs = Math.min(this.#durationMs, maxMs);
  }

  /** Queues digits ('0'–'9', '*', '#', 'A'–'D'; ',' = 500 ms pause). Throws on anything else. */
  enqueue(digits: string): void {
    const parsed: { event: number; pauseMs?: number }[] = [];
    for (const d of digits) {
      if (d === ',') {
        parsed.push({ event: -1, pauseMs: 500 });
        continue;
      }
      const event = TelephoneEvent.eventOf(d);
      if (event === undefined) throw new TypeError(`digits: ${JSON.stringify(d)} is not a DTMF digit (0-9 * # A-D ,)`);
      parsed.push({ event });
    }
    this.#queue.push(...parsed);
  }

  /** An event is being sent (the stream then holds back audio packets). */
  get active(): boolean {
    return this.#current !== undefined;
  }

  /** Digits waiting or being sent. */
  get pending(): number {
    return this.#queue.length + (this.#current ? 1 : 0);
  }

  /** Stops everything queued (the current event still ends properly). */
  cancel(): void {
    this.#queue.length = 0;
  }

  /**
   * Packets due at `nowMs`. `timestampNow` is the RTP timestamp of the media frame being sent at
   * that instant (only read when an event starts).
   */
  poll(nowMs: number, timestampNow: () => number): DtmfPacket[] {
    const out: DtmfPacket[] = [];
    for (;;) {
      if (!this.#current) {
        if (nowMs < this.#quietUntil || this.#queue.length === 0) return out;
        const next = this.#queue.shift()!;
        if (next.pauseMs !== undefined) {
          // From the end of the previous digit's packets when it just ended, else from now.
          const base = this.#quietUntil >= nowMs - this.#interval ? this.#quietUntil : nowMs;
          this.#quietUntil = base + next.pauseMs;
          continue;
        }
        this.#current = { event: next.event, startMs: nowMs, timestamp: timestampNow() >>> 0, durationMs: this.#durationMs, nextMs: nowMs, sentEnd: 0 };
      }
      const c = this.#current;
      if (nowMs < c.nextMs) return out;
      const endMs = c.startMs + c.durationMs;
      if (c.nextMs < endMs) {
        // Start or update (§2.5.1.2): duration so far, counting the frame now being sent.
        const ms = Math.min(c.durationMs, c.nextMs - c.startMs + this.#frameMs);
        out.push({ payload: this.#payload(c.event, false, ms), marker: c.nextMs === c.startMs, timestamp: c.timestamp });
        c.nextMs = Math.min(c.nextMs + this.#interval, endMs);
        if (c.nextMs > nowMs) return out;
        continue;
      }
      // End, three times (§2.5.1.4).
      out.push({ payload: this.#payload(c.event, true, c.durationMs), marker: false, timestamp: c.timestamp });
      c.sentEnd++;
      if (c.sentEnd === 3) {
        this.#current = undefined;
        this.#quietUntil = Math.max(endMs + this.#gapMs, c.nextMs);
        return out;
      }
      c.nextMs += this.#interval;
      if (c.nextMs > nowMs) return out;
    }
  }

  /** When `poll` next has something to do (ms), or undefined when idle. */
  nextDueMs(): number | undefined {
    if (this.#current) return this.#current.nextMs;
    if (this.#queue.length > 0) return Math.max(this.#quietUntil, -1e15);
    return undefined;
  }

  #payload(event: number, end: boolean, ms: number): Uint8Array {
    return TelephoneEvent.encode({ event, end, volume: this.#volume, duration: Math.round((ms * this.#clockRate) / 1000) });
  }
}
