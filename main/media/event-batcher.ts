/**
 * The engine's events on their way to the client, a message per batch rather than per event.
 *
 * Every stream reports its `stats` once a second, each at its own phase: 500 streams made 500
 * messages a second, each a structured clone and a wake-up of the other thread — in a profile
 * of a busy media worker, more than any one step of the audio path. Periodic figures
 * (`stats`, `video-stats`) that come within `holdMs` of the last batch wait for the rest of that
 * time and leave together; those that come later leave at once (one call's stats, once a second,
 * need no timer of their own: a wake-up of the thread for nothing else). Any other event (DTMF,
 * a BYE, a warning) and every reply first sends what waits, so the order the engine emitted
 * things in is the order the client hears them.
 */
import type { MediaEvent } from './media-protocol.ts';

/** How long periodic figures may wait for company (ms): a twentieth of their 1 s period. */
export const EVENT_HOLD_MS = 50;

export interface EventBatcherOptions {
  /** Sends one batch (never empty). */
  send: (events: MediaEvent[]) => void;
  holdMs?: number;
  /** Injected timers (default: setTimeout) and clock (ms; default: performance.now). */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
}

export class EventBatcher {
  readonly #send: (events: MediaEvent[]) => void;
  readonly #holdMs: number;
  readonly #setTimeout: (fn: () => void, ms: number) => unknown;
  readonly #clearTimeout: (handle: unknown) => void;
  readonly #now: () => number;
  #waiting: MediaEvent[] = [];
  #timer: unknown;
  /** When the last batch left. */
  #sentAt = -Infinity;

  constructor(options: EventBatcherOptions) {
    this.#send = options.send;
    this.#holdMs = options.holdMs ?? EVENT_HOLD_MS;
    this.#setTimeout = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimeout = options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.#now = options.now ?? (() => performance.now());
  }

  /** Events waiting to be sent. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Periodic figures wait (at most `holdMs`) when a batch left less than `holdMs` ago; anything else leaves at once, after what waits. */
  event(event: MediaEvent): void {
    this.#waiting.push(event);
    if (event.type === 'stats' || event.type === 'video-stats') {
      if (this.#timer !== undefined) return;
      const since = this.#now() - this.#sentAt;
      if (since < this.#holdMs) {
        this.#timer = this.#setTimeout(this.flush, this.#holdMs - since);
        return;
      }
    }
    this.flush();
  }

  /** Sends what waits (before a reply, so that it cannot overtake an event). */
  readonly flush = (): void => {
    if (this.#timer !== undefined) this.#clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.length === 0) return;
    const events = this.#waiting;
    this.#waiting = [];
    this.#sentAt = this.#now();
    this.#send(events);
  };
}
