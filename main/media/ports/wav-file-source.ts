import { readFileSync, statSync } from 'node:fs';
import { frameSamples, type AudioPort } from './audio-port.ts';
import { WavFormat } from './wav-format.ts';
import { SampleFifo } from '../sample-fifo.ts';

/** What a WAV source needs from a resampler (the native Resampler fits). */
export interface ResamplerLike {
  process(pcm: Int16Array): Int16Array;
  close(): void;
}

export type ResamplerFactory = (options: { from: number; to: number }) => ResamplerLike;

export interface WavFileSourceOptions {
  path: string;
  /**
   * The port's rate; the file is resampled to it when it differs. 'file': the file's own rate
   * when it is one a 20 ms frame divides (8, 16, 24, 32, 44.1, 48 kHz…), else `fallbackRate`.
   */
  sampleRate: number | 'file';
  /** With `sampleRate: 'file'`, the port's rate for a file whose own rate is unusual (default 16 kHz). */
  fallbackRate?: number;
  /** Start again at the end (default false: silence after the end). */
  loop?: boolean;
  /** Needed when the file's rate differs from `sampleRate` (the engine passes the native one). */
  createResampler?: ResamplerFactory;
  /** Called once when the file has been played to its end (never with `loop`). */
  onEnd?: () => void;
}

/** A WAV file's samples, mixed down to mono, at its own rate. */
export interface DecodedWav {
  readonly sampleRate: number;
  readonly mono: Int16Array;
}

/**
 * Files being played, shared: a prompt played on a hundred calls is held once. An entry lives
 * while some source holds it (a WeakRef); the key carries the file's size and modification time,
 * so a file rewritten in place is read again.
 */
const decodedFiles = new Map<string, WeakRef<DecodedWav>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (decodedFiles.get(key)?.deref() === undefined) decodedFiles.delete(key);
});

/** The file's samples, read and decoded once for every source that plays it at the same time. */
export function loadWav(path: string): DecodedWav {
  const st = statSync(path);
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const held = decodedFiles.get(key)?.deref();
  if (held) return held;
  const info = WavFormat.parse(readFileSync(path));
  const wav: DecodedWav = { sampleRate: info.sampleRate, mono: WavFormat.toMono(info.samples, info.channels) };
  decodedFiles.set(key, new WeakRef(wav));
  forget.register(wav, key);
  return wav;
}

/**
 * Plays a PCM16 WAV file (any rate, mono or stereo mixed down to mono) as 20 ms frames.
 * The file is read whole at open (fine for prompts and test signals), once for all the calls
 * that play it at the same time (`loadWav`).
 */
export class WavFileSource implements AudioPort {
  readonly sampleRate: number;
  readonly ahead = true;
  /** The file's own rate and length. */
  readonly fileSampleRate: number;
  readonly durationMs: number;
  readonly #frame: number;
  readonly #mono: Int16Array;
  readonly #loop: boolean;
  readonly #resampler: ResamplerLike | undefined;
  readonly #fifo = new SampleFifo();
  readonly #onEnd: (() => void) | undefined;
  #pos = 0;
  #blocks = 0;
  #ended = false;

  constructor(options: WavFileSourceOptions) {
    const info = loadWav(options.path);
    // A 20 ms frame must be a whole number of samples at the port's rate.
    const ownRateFits = info.sampleRate % 50 === 0 && info.sampleRate >= 8000 && info.sampleRate <= 48000;
    this.sampleRate = options.sampleRate !== 'file' ? options.sampleRate : ownRateFits ? info.sampleRate : (options.fallbackRate ?? 16000);
    this.fileSampleRate = info.sampleRate;
    this.#mono = info.mono;
    this.durationMs = (this.#mono.length * 1000) / info.sampleRate;
    this.#frame = frameSamples(this.sampleRate);
    this.#loop = options.loop ?? false;
    this.#onEnd = options.onEnd;
    if (info.sampleRate !== this.sampleRate) {
      if (!options.createResampler) throw new TypeError(`createResampler: needed to play a ${info.sampleRate} Hz file on a ${this.sampleRate} Hz port`);
      this.#resampler = options.createResampler({ from: info.sampleRate, to: this.sampleRate });
    }
  }

  /** True once the whole file has been given out (never with `loop`). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Next `n` samples of the file at its own rate (zeros after the end). */
  #take(n: number): Int16Array {
    const out = new Int16Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.#pos >= this.#mono.length) {
        if (!this.#loop || this.#mono.length === 0) {
          if (!this.#ended) {
            this.#ended = true;
            this.#onEnd?.();
          }
          break;
        }
        this.#pos = 0;
      }
      const k = Math.min(n - filled, this.#mono.length - this.#pos);
      out.set(this.#mono.subarray(this.#pos, this.#pos + k), filled);
      filled += k;
      this.#pos += k;
    }
    return out;
  }

  getFrame(): Int16Array {
    if (!this.#resampler) return this.#take(this.#frame);
    // 20 ms of the file per frame; rates like 11025 Hz give blocks of 220 or 221 samples.
    const rate = this.fileSampleRate;
    const n = Math.floor(((this.#blocks + 1) * rate) / 50) - Math.floor((this.#blocks * rate) / 50);
    this.#blocks++;
    this.#fifo.write(this.#resampler.process(this.#take(n)));
    return this.#fifo.read(this.#frame);
  }

  putFrame(_frame: Int16Array): void {}

  close(): void {
    this.#resampler?.close();
  }
}
