/**
 * The media clock that paces a stream. Frames are due at start + k·frameMs on a monotonic
 * clock; each wake-up runs every frame due since the last one, in order, so RTP timestamps
 * advance by exactly one frame per frame period however late the event loop was. After a
 * very long stall (a suspended laptop) at most `maxCatchUpFrames` are run and the rest are
 * skipped — the frame index still counts them, so timestamps stay true to elapsed time.
 *
 * One wake-up for both directions: a call wakes the thread twice a frame, once for its own frame
 * (the timer) and once for the peer's packet, and each wake-up of a Node thread costs more than
 * the frame's work (test/bench/node-floor.ts). `peerPacket()` runs a frame due within MERGE_MS
 * on the packet's wake-up, so its timer never fires; where the packets come at a steady phase (a
 * quiet network), the clock's phase moves toward theirs, at most SLEW_MS a frame (a rate within
 * 0.5 % of true for a few seconds, as a sound card's clock may be), so that they meet.
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

/** A frame due within this much after a peer's packet runs on the packet's wake-up (sent this much early at most). */
export const MERGE_MS = 2;
/** How far the phase moves a frame at most, toward the peer's packets (ms). */
export const SLEW_MS = 0.1;
/** Packets that missed the window one after another before the phase starts moving (a second of them). */
const MISSES_BEFORE_SLEW = 50;

export interface MediaClockOptions {
  frameMs?: number;
  scheduler?: Scheduler;
  /** Default 10 (200 ms of 20 ms frames). */
  maxCatchUpFrames?: number;
}

export class MediaClock {
  readonly frameMs: number;
  readonly scheduler: Scheduler;
  readonly #maxCatchUp: number;
  #startMs = 0;
  /** Index of the next frame to run. */
  #next = 0;
  #timer: unknown;
  #running = false;
  #onFrame: ((index: number, dueMs: number) => void) | undefined;
  #onWake: ((nowMs: number) => void) | undefined;
  #extraWakeMs: number | undefined;
  /** Frames skipped after stalls. */
  skipped = 0;
  /** Frames run on a peer's packet's wake-up instead of the timer's. */
  merged = 0;
  #misses = 0;
  /** The last frame index whose phase moved (once a frame at most, however many packets come). */
  #slewedAt = -1;

  constructor(options: MediaClockOptions = {}) {
    this.frameMs = options.frameMs ?? 20;
    this.scheduler = options.scheduler ?? realScheduler;
    this.#maxCatchUp = options.maxCatchUpFrames ?? 10;
  }

  get startMs(): number {
    return this.#startMs;
  }

  /** Starts at once: frame 0 is due now. `onWake` runs on every wake-up, after the frames. */
  start(onFrame: (index: number, dueMs: number) => void, onWake?: (nowMs: number) => void): void {
    if (this.#running) return;
    this.#running = true;
    this.#onFrame = onFrame;
    this.#onWake = onWake;
    this.#startMs = this.scheduler.now();
    this.#next = 0;
    this.#wake();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Asks for a wake-up at `atMs` (e.g. a DTMF update between two frames). */
  wakeAt(atMs: number): void {
    if (!this.#running) return;
    if (this.#extraWakeMs !== undefined && this.#extraWakeMs <= atMs) return;
    this.#extraWakeMs = atMs;
    this.#schedule();
  }

  /**
   * A peer's packet arrived (the thread is awake anyway): the frame due within MERGE_MS runs now;
   * packets that keep missing that window move the phase toward them, SLEW_MS a frame at most.
   */
  peerPacket(): void {
    if (!this.#running) return;
    const lead = this.#startMs + this.#next * this.frameMs - this.scheduler.now(); // until the next frame
    if (lead <= MERGE_MS) {
      this.#misses = 0;
      this.merged++;
      this.#run(MERGE_MS);
      return;
    }
    if (++this.#misses < MISSES_BEFORE_SLEW || this.#slewedAt === this.#next) return;
    this.#slewedAt = this.#next;
    // The shorter way round: frames a little earlier (the packets come well before ours are due)
    // or a little later (they come just after).
    const aim = MERGE_MS / 2;
    const earlier = lead - aim;
    const later = this.frameMs - lead + aim;
    this.#startMs += earlier <= later ? -Math.min(SLEW_MS, earlier) : Math.min(SLEW_MS, later);
  }

  #wake = (): void => {
    this.#timer = undefined;
    if (!this.#running) return;
    this.#run(EARLY_WAKE_MS);
  };

  /** Runs every frame due within `earlyMs` from now, then the wake-up hook, then the next timer. */
  #run(earlyMs: number): void {
    const now = this.scheduler.now();
    const due = Math.floor((now + earlyMs - this.#startMs) / this.frameMs) + 1; // frames 0..due-1 are due
    if (due - this.#next > this.#maxCatchUp) {
      this.skipped += due - this.#maxCatchUp - this.#next;
      this.#next = due - this.#maxCatchUp;
    }
    while (this.#next < due && this.#running) {
      const k = this.#next++;
      this.#onFrame?.(k, this.#startMs + k * this.frameMs);
    }
    if (this.#extraWakeMs !== undefined && this.#extraWakeMs <= now) this.#extraWakeMs = undefined;
    if (this.#running) this.#onWake?.(now);
    if (this.#running) this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    let at = this.#startMs + this.#next * this.frameMs;
    if (this.#extraWakeMs !== undefined) at = Math.min(at, this.#extraWakeMs);
    this.#timer = this.scheduler.setTimeout(this.#wake, Math.max(0, at - this.scheduler.now()));
  }
}
