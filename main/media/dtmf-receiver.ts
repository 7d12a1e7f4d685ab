/**
 * RFC 4733 DTMF receiver. Pure: the stream pushes telephone-event packets and polls for
 * timeouts. Packets of one event share a timestamp (§2.5.2.1), so events are told apart and
 * de-duplicated by timestamp; the three end packets and any reordered update report nothing
 * new. Each event is reported once: at its end (E bit, or a newer event, or `timeoutMs`
 * without news, with the last duration seen), or at first sight with `report: 'start'`.
 */
import { TelephoneEvent, type DtmfDigit } from './telephone-event.ts';

export interface DtmfEvent {
  digit: DtmfDigit;
  /** Event code (the digit's, or another RFC 4734 event). */
  event: number;
  /** Duration in ms as the sender last said (0 when reported at first sight). */
  durationMs: number;
  volume: number;
  /** The RTP timestamp that identifies the event. */
  timestamp: number;
}

export interface DtmfReceiverOptions {
  clockRate: number;
  /** 'end' (default): once the duration is known; 'start': as soon as the digit is seen. */
  report?: 'end' | 'start';
  /** An event without its end packet is closed after this long without packets. Default 600 ms. */
  timeoutMs?: number;
}

interface Open {
  timestamp: number;
  event: number;
  duration: number;
  volume: number;
  lastMs: number;
  reported: boolean;
}

export class DtmfReceiver {
  readonly #clockRate: number;
  readonly #report: 'end' | 'start';
  readonly #timeoutMs: number;
  #open: Open | undefined;
  readonly #done: number[] = [];

  constructor(options: DtmfReceiverOptions) {
    this.#clockRate = options.clockRate;
    this.#report = options.report ?? 'end';
    this.#timeoutMs = options.timeoutMs ?? 600;
  }

  /** Takes one telephone-event RTP packet; returns the events it completes (0, 1 or 2). */
  push(packet: { timestamp: number; payload: Uint8Array }, arrivalMs: number): DtmfEvent[] {
    const e = TelephoneEvent.decode(packet.payload);
    const ts = packet.timestamp >>> 0;
    if (!e || this.#done.includes(ts)) return [];
    const out: DtmfEvent[] = [];
    if (this.#open && this.#open.timestamp !== ts) {
      // A new event while the previous never ended: its end packets were lost.
      out.push(...this.#close());
    }
    if (!this.#open) {
      this.#open = { timestamp: ts, event: e.event, duration: e.duration, volume: e.volume, lastMs: arrivalMs, reported: false };
      if (this.#report === 'start') {
        this.#open.reported = true;
        out.push(this.#event(this.#open, 0));
      }
    }
    const open = this.#open;
    open.duration = Math.max(open.duration, e.duration);
    open.lastMs = arrivalMs;
    if (e.end) out.push(...this.#close());
    return out;
  }

  /** Closes an event whose end never came. */
  poll(nowMs: number): DtmfEvent[] {
    if (this.#open && nowMs - this.#open.lastMs >= this.#timeoutMs) return this.#close();
    return [];
  }

  #close(): DtmfEvent[] {
    const open = this.#open!;
    this.#open = undefined;
    this.#done.push(open.timestamp);
    if (this.#done.length > 16) this.#done.shift();
    if (open.reported) return [];
    return [this.#event(open, Math.round((open.duration * 1000) / this.#clockRate))];
  }

  #event(o: Open, durationMs: number): DtmfEvent {
    const digit = TelephoneEvent.digitOf(o.event) ?? ('?' as DtmfDigit);
    return { digit, event: o.event, durationMs, volume: o.volume, timestamp: o.timestamp };
  }
}
