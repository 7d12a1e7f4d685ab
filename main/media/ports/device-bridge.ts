import { frameSamples, type AudioPort } from './audio-port.ts';
import { SampleFifo } from '../sample-fifo.ts';

/**
 * The part of a MessagePort the bridge uses: Node's `worker_threads` MessagePort, the DOM's,
 * and Electron's MessagePortMain all fit (the message arrives either bare or as `event.data`).
 */
export interface BridgeMessagePort {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on?(event: 'message', listener: (value: unknown) => void): unknown;
  addEventListener?(event: 'message', listener: (event: unknown) => void): void;
  start?(): void;
  close?(): void;
}

/** Frames (of 20 ms) between two backlog trims. */
const FRAMES_PER_TRIM = 50;

export interface DeviceBridgeOptions {
  port: BridgeMessagePort;
  /** Rate of the frames on both sides (the app's AudioContext rate, e.g. 48000). */
  sampleRate: number;
  /** Capture backlog above which the oldest samples are dropped, bounding latency. Default 100 ms. */
  maxBufferMs?: number;
  /**
   * What the capture FIFO keeps in hand at its lowest point of a second (ms, default 5): any
   * more was delay for nothing (a start-up burst, a stall of the event loop) and is dropped.
   */
  slackMs?: number;
}

export interface DeviceBridgeStats {
  /** Capture frames that had to be completed with silence. */
  underruns: number;
  /** Capture samples dropped because the backlog exceeded `maxBufferMs`, or was never used. */
  droppedSamples: number;
  /** Frames posted to playback. */
  framesOut: number;
}

/**
 * The media engine's end of the audio device link. The app's capture worklet posts Int16Array
 * blocks of any size (e.g. 128-sample render quanta); they queue in a small FIFO that
 * `getFrame` cuts into 20 ms frames, completing an underrun with silence. `putFrame` posts
 * each decoded frame to the playback worklet, transferring its buffer.
 */
export class DeviceBridge implements AudioPort {
  readonly sampleRate: number;
  readonly stats: DeviceBridgeStats = { underruns: 0, droppedSamples: 0, framesOut: 0 };
  readonly #frame: number;
  readonly #maxSamples: number;
  readonly #fifo = new SampleFifo();
  readonly #port: BridgeMessagePort;
  readonly #slack: number;
  /** Lowest FIFO level seen after a frame was taken, in this window of frames. */
  #lowest = Infinity;
  #framesInWindow = 0;
  #closed = false;

  constructor(options: DeviceBridgeOptions) {
    this.sampleRate = options.sampleRate;
    this.#frame = frameSamples(options.sampleRate);
    this.#maxSamples = Math.round(((options.maxBufferMs ?? 100) * options.sampleRate) / 1000);
    this.#slack = Math.round(((options.slackMs ?? 5) * options.sampleRate) / 1000);
    this.#port = options.port;
    const onValue = (value: unknown): void => {
      const data = value instanceof Int16Array ? value : (value as { data?: unknown } | null)?.data;
      if (data instanceof Int16Array) this.#capture(data);
    };
    if (typeof this.#port.addEventListener === 'function') this.#port.addEventListener('message', (e) => onValue((e as { data?: unknown }).data));
    else this.#port.on?.('message', onValue);
    this.#port.start?.();
  }

  #capture(block: Int16Array): void {
    if (this.#closed) return;
    this.#fifo.write(block);
    const over = this.#fifo.length - this.#maxSamples;
    if (over > 0) {
      this.#fifo.discard(over);
      this.stats.droppedSamples += over;
    }
  }

  /** Capture samples waiting. */
  get buffered(): number {
    return this.#fifo.length;
  }

  getFrame(): Int16Array {
    if (this.#fifo.length < this.#frame) this.stats.underruns++;
    const frame = this.#fifo.read(this.#frame);
    this.#trimBacklog();
    return frame;
  }

  /**
   * The capture side posts in real time and each frame takes 20 ms of it, so a backlog, once
   * there, stays: every sample would wait for it. Once a second, whatever the FIFO never dipped
   * below (beyond the slack) is dropped; an underrun (lowest 0) drops nothing.
   */
  #trimBacklog(): void {
    this.#lowest = Math.min(this.#lowest, this.#fifo.length);
    if (++this.#framesInWindow < FRAMES_PER_TRIM) return;
    const surplus = this.#lowest - this.#slack;
    if (surplus > 0) {
      this.#fifo.discard(surplus);
      this.stats.droppedSamples += surplus;
    }
    this.#lowest = Infinity;
    this.#framesInWindow = 0;
  }

  putFrame(frame: Int16Array): void {
    if (this.#closed) return;
    const copy = frame.slice();
    this.#port.postMessage(copy, [copy.buffer]);
    this.stats.framesOut++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close?.();
  }
}
