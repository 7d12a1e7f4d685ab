/**
 * Turns 20 ms frames at one rate into 20 ms frames at another, through a resampler and a FIFO
 * (the resampler's output length varies by a sample and lags by its filter delay). Equal rates
 * pass frames through untouched.
 */
import { SampleFifo } from './sample-fifo.ts';
import type { ResamplerFactory, ResamplerLike } from './ports/wav-file-source.ts';

export class RateAdapter {
  readonly from: number;
  readonly to: number;
  readonly #outFrame: number;
  readonly #resampler: ResamplerLike | undefined;
  readonly #fifo = new SampleFifo();

  constructor(options: { from: number; to: number; createResampler: ResamplerFactory }) {
    this.from = options.from;
    this.to = options.to;
    this.#outFrame = Math.round(options.to / 50);
    if (options.from !== options.to) {
      this.#resampler = options.createResampler({ from: options.from, to: options.to });
      // 2 ms of cushion: the resampler's output length wobbles by a sample around the mean.
      this.#fifo.write(new Int16Array(Math.ceil(options.to / 500)));
    }
  }

  /** One frame in (any length at `from`), one 20 ms frame out at `to`. */
  process(frame: Int16Array): Int16Array {
    if (!this.#resampler) {
      if (frame.length === this.#outFrame) return frame;
      this.#fifo.write(frame);
      return this.#fifo.read(this.#outFrame);
    }
    this.#fifo.write(this.#resampler.process(frame));
    return this.#fifo.read(this.#outFrame);
  }

  close(): void {
    this.#resampler?.close();
  }
}
