import { closeSync, openSync, writeSync } from 'node:fs';
import { frameSamples, type AudioPort } from './audio-port.ts';
import { WavFormat } from './wav-format.ts';

export interface WavRecorderOptions {
  path: string;
  sampleRate: number;
  /** 1: mono (`putFrame`); 2: stereo (`putStereo`, e.g. local left, remote right). Default 1. */
  channels?: 1 | 2;
  /**
   * Frames kept in memory before they are written with an updated header. Default 25 (0.5 s):
   * a crash loses at most that much, and the file on disk is always a valid WAV.
   */
  flushEveryFrames?: number;
}

/**
 * Records PCM16 WAV. The header is rewritten with the true sizes at every flush, not only
 * at close, so the file stays readable if the process dies mid-call.
 */
export class WavRecorder implements AudioPort {
  readonly sampleRate: number;
  readonly ahead = true;
  readonly channels: 1 | 2;
  readonly path: string;
  readonly #frame: number;
  readonly #flushEvery: number;
  #fd: number | undefined;
  #pending: Int16Array[] = [];
  #dataBytes = 0;

  constructor(options: WavRecorderOptions) {
    this.sampleRate = options.sampleRate;
    this.channels = options.channels ?? 1;
    this.path = options.path;
    this.#frame = frameSamples(options.sampleRate);
    this.#flushEvery = Math.max(1, options.flushEveryFrames ?? 25);
    this.#fd = openSync(options.path, 'w');
    writeSync(this.#fd, WavFormat.header({ sampleRate: this.sampleRate, channels: this.channels, dataBytes: 0 }), 0, 44, 0);
  }

  /** Samples written so far per channel. */
  get samplesWritten(): number {
    return this.#dataBytes / 2 / this.channels + this.#pending.reduce((n, b) => n + b.length / this.channels, 0);
  }

  getFrame(): Int16Array {
    return new Int16Array(this.#frame);
  }

  /** A mono frame; on a stereo recorder it goes to both channels. */
  putFrame(frame: Int16Array): void {
    if (this.channels === 2) this.putStereo(frame, frame);
    else this.#queue(frame.slice());
  }

  /** One frame per side, interleaved; the shorter side is padded with silence. */
  putStereo(left: Int16Array, right: Int16Array): void {
    if (this.channels === 1) throw new TypeError('putStereo: this recorder is mono');
    const n = Math.max(left.length, right.length);
    const out = new Int16Array(n * 2);
    for (let i = 0; i < n; i++) {
      out[2 * i] = left[i] ?? 0;
      out[2 * i + 1] = right[i] ?? 0;
    }
    this.#queue(out);
  }

  #queue(block: Int16Array): void {
    if (this.#fd === undefined) return;
    this.#pending.push(block);
    if (this.#pending.length >= this.#flushEvery) this.flush();
  }

  /** Writes pending samples, then the header with the sizes so far. */
  flush(): void {
    if (this.#fd === undefined || this.#pending.length === 0) return;
    const total = this.#pending.reduce((n, b) => n + b.length, 0);
    const joined = new Int16Array(total);
    let at = 0;
    for (const b of this.#pending) {
      joined.set(b, at);
      at += b.length;
    }
    this.#pending = [];
    // WAV is little-endian, and so is every machine Node runs on that we ship to.
    const bytes = new Uint8Array(joined.buffer, 0, total * 2);
    writeSync(this.#fd, bytes, 0, bytes.length, 44 + this.#dataBytes);
    this.#dataBytes += bytes.length;
    writeSync(this.#fd, WavFormat.header({ sampleRate: this.sampleRate, channels: this.channels, dataBytes: this.#dataBytes }), 0, 44, 0);
  }

  close(): void {
    if (this.#fd === undefined) return;
    this.flush();
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
