/**
 * The camera's frames to the link's I420, one after the other: paced to at most the format's
 * rate, converted (i420.ts: copied once, or scaled), every frame closed. The same loop runs in
 * the camera worker (camera-worker.ts, off the page's thread) and, where there is no worker, on
 * the page. No DOM: a worker has none.
 */
import { CanvasScaler, frameToI420, type FrameLike } from './i420.ts';

/** A frame as a MediaStreamTrackProcessor gives it: what i420.ts reads, a timestamp (µs), and close(). */
export type CameraFrame = FrameLike & CanvasImageSource & { readonly timestamp: number; close(): void };

/**
 * Frame pacing: at most `fps` a second. A frame is taken when it is due (a quarter of a period
 * early is still due, so camera jitter does not halve the rate); the next is due one period later.
 */
export class FramePacer {
  readonly #period: number;
  #due = -Infinity;

  /** `fps` frames a second; timestamps in µs. */
  constructor(fps: number) {
    this.#period = 1_000_000 / fps;
  }

  take(timestamp: number): boolean {
    if (timestamp < this.#due - this.#period / 4) return false;
    // After a gap, the cadence starts again from this frame rather than catching up.
    this.#due = timestamp > this.#due + this.#period ? timestamp + this.#period : this.#due + this.#period;
    return true;
  }
}

export interface PumpTarget {
  width: number;
  height: number;
  fps: number;
}

/**
 * Reads `reader` while `live()`, and gives `emit` each paced frame as I420 of the target size
 * (awaiting it: the next frame is read once the last was taken). Ends when the stream does or
 * `live()` turns false; the reader is cancelled then.
 */
export async function pumpFrames(reader: ReadableStreamDefaultReader<CameraFrame>, target: PumpTarget, live: () => boolean, emit: (data: Uint8Array) => unknown): Promise<void> {
  const { width, height, fps } = target;
  const pacer = new FramePacer(fps);
  const scaler = new CanvasScaler();
  try {
    while (live()) {
      const { value: frame, done } = await reader.read();
      if (done || !frame) break;
      try {
        if (!live() || !pacer.take(frame.timestamp)) continue;
        const data = (await frameToI420(frame, width, height)) ?? scaler.scale(frame, frame.displayWidth, frame.displayHeight, width, height);
        if (data && live()) await emit(data);
      } finally {
        frame.close();
      }
    }
  } catch {
    // The track ended under us: nothing more to send.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}
