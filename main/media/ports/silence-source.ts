import { mediaSlab } from '../typed-slab.ts';
import { frameSamples, type AudioPort } from './audio-port.ts';

/** Gives digital silence and discards what it is given (also a null sink). */
export class SilenceSource implements AudioPort {
  readonly sampleRate: number;
  readonly ahead = true;
  readonly #frame: number;

  constructor(options: { sampleRate: number }) {
    this.sampleRate = options.sampleRate;
    this.#frame = frameSamples(options.sampleRate);
  }

  getFrame(): Int16Array {
    return mediaSlab.int16(this.#frame);
  }

  putFrame(_frame: Int16Array): void {}

  close(): void {}
}
