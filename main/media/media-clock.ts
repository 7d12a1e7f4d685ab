/**
 * The media clock that paces a stream. Frames are due at start + k·frameMs on a monotonic
 * clock; each wake-up runs every frame due since the last one, in order, so RTP timestamps
 * advance by exactly one frame per frame period however late the event loop was. After a
 * very long stall (a suspended laptop) at most `maxCatchUpFrames` are run and the rest are
 * skipped — the frame index still counts them, so timestamps stay true to elapsed time.
 */

/** Time and timers, injectable so tests can drive a stream without waiting. */
export interface Scheduler {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Node's timers count whole milliseconds of the event loop's own clock, so a timeout may fire
 * up to a millisecond before `performance.now()` reaches it. A frame due within this much is run
 * on that wake-up instead of costing a second one a fraction of a millisecond later.
 */
const EARLY_WAKE_MS = 1;

export interface MediaClockOptions {
  frameMs?: number;
  scheduler?: Scheduler;
  /** Default 10 (200 ms of 20 ms frames). */
  maxCatchUpFrames?: number;
  /**
   * Start on the thread's frame grid (multiples of frameMs on the scheduler's clock) rather than
   * at the instant `start` is called: every aligned clock of a thread is then due at the same
   * instants, and one wake-up of the event loop serves them all (a media worker carrying many
   * streams). Frame 0 is then due up to one frame before `start`, and runs at once. Default false.
   */
  align?: boolean;
}

export class MediaClock {
  readonly frameMs: number;
  readonly scheduler: Scheduler;
  readonly #maxCatchUp: number;
  readonly #align: boolean;
  #startMs = 0;
  /** Index of the next frame to run. */
  #next = 0;
  #timer: unknown;
  #running = false;
  #onFrame: ((index: number, dueMs: number) => void) | undefined;
  #onWake: ((nowMs: number) => void) | undefined;
  #beforeFrames: (() => void) | undefined;
  #extraWakeMs: number | undefined;
  #stride = 1;
  /** The largest stride since the last wake-up: the frames due now piled up under it. */
  #strideSinceWake = 1;
  /** Frames skipped after stalls. */
  skipped = 0;

  constructor(options: MediaClockOptions = {}) {
    this.frameMs = options.frameMs ?? 20;
    this.scheduler = options.scheduler ?? realScheduler;
    this.#maxCatchUp = options.maxCatchUpFrames ?? 10;
    this.#align = options.align ?? false;
  }

  get startMs(): number {
    return this.#startMs;
  }

  /**
   * Starts at once: frame 0 is due now (aligned: at the grid point, see `align`). On every
   * wake-up, `beforeFrames` runs first (a polled socket's drain), then the frames due, then
   * `onWake`.
   */
  start(onFrame: (index: number, dueMs: number) => void, onWake?: (nowMs: number) => void, beforeFrames?: () => void): void {
    if (this.#running) return;
    this.#running = true;
    this.#onFrame = onFrame;
    this.#onWake = onWake;
    this.#beforeFrames = beforeFrames;
    const now = this.scheduler.now();
    // Aligned: the grid point at or before now, so frame 0 runs at once, unless the next one is
    // within the early-wake margin (then that one: frames 0 and 1 never run back to back).
    this.#startMs = this.#align ? Math.floor((now + EARLY_WAKE_MS) / this.frameMs) * this.frameMs : now;
    this.#next = 0;
    this.#wake();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Frames a wake-up runs: 1 (default), or n to wake only on multiples of n frames (on the
   * scheduler's clock, so aligned clocks of a thread still wake together) and run the frames due
   * since then in one go; a stream that sends ahead (media-stream.ts) uses it. Takes effect from
   * the next wake-up (sooner, when it lowers it).
   */
  get stride(): number {
    return this.#stride;
  }

  set stride(n: number) {
    const stride = Math.max(1, Math.floor(n));
    const sooner = stride < this.#stride;
    this.#stride = stride;
    this.#strideSinceWake = Math.max(this.#strideSinceWake, stride);
    // Fewer frames a wake-up: the next one may be due before the one scheduled.
    if (sooner && this.#running && this.#timer !== undefined) this.#schedule();
  }

  /** When the next wake-up is due, for the frames from the next one on (extra wake-ups aside). */
  get nextWakeMs(): number {
    const at = this.#startMs + this.#next * this.frameMs;
    if (this.#stride === 1) return at;
    const w = this.#stride * this.frameMs;
    return Math.ceil(at / w) * w;
  }

  /** Asks for a wake-up at `atMs` (e.g. a DTMF update between two frames). */
  wakeAt(atMs: number): void {
    if (!this.#running) return;
    if (this.#extraWakeMs !== undefined && this.#extraWakeMs <= atMs) return;
    this.#extraWakeMs = atMs;
    this.#schedule();
  }

  #wake = (): void => {
    this.#timer = undefined;
    if (!this.#running) return;
    try {
      this.#beforeFrames?.();
    } catch {
      // The callback owns its errors (a stream reports them); the clock goes on.
    }
    if (!this.#running) return;
    const now = this.scheduler.now();
    const due = Math.floor((now + EARLY_WAKE_MS - this.#startMs) / this.frameMs) + 1; // frames 0..due-1 are due
    // A stall's backlog is cut to maxCatchUp frames beyond what a wake-up runs anyway (its stride:
    // the largest since the last wake-up, as a stride lowered since, e.g. for a digit, woke it early).
    const catchUp = this.#maxCatchUp + this.#strideSinceWake - 1;
    this.#strideSinceWake = this.#stride;
    if (due - this.#next > catchUp) {
      this.skipped += due - catchUp - this.#next;
      this.#next = due - catchUp;
    }
    while (this.#next < due && this.#running) {
      const k = this.#next++;
      this.#onFrame?.(k, this.#startMs + k * this.frameMs);
    }
    if (this.#extraWakeMs !== undefined && this.#extraWakeMs <= now) this.#extraWakeMs = undefined;
    if (this.#running) this.#onWake?.(now);
    if (this.#running) this.#schedule();
  };

  #schedule(): void {
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    let at = this.nextWakeMs;
    if (this.#extraWakeMs !== undefined) at = Math.min(at, this.#extraWakeMs);
    this.#timer = this.scheduler.setTimeout(this.#wake, Math.max(0, at - this.scheduler.now()));
  }
}
