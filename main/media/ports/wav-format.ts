/**
 * RIFF/WAVE, PCM 16-bit only: the canonical 44-byte header we write, and a reader that walks
 * the chunks (fmt, data, and skips LIST/fact/…) and accepts WAVE_FORMAT_EXTENSIBLE with a PCM
 * sub-format.
 */

import { AppelError } from '../../contract/errors.ts';
export interface WavInfo {
  sampleRate: number;
  channels: number;
  /** Interleaved samples (a view when the data is aligned, else a copy). */
  samples: Int16Array;
}

/** Bytes that are not a valid packet or file (AppelError 'malformed'). */
export class WavFormatError extends AppelError {
  override readonly name = 'WavFormatError';
  constructor(message: string) {
    super('malformed', message);
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function tag(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

export const WavFormat = {
  /** The 44-byte header of a PCM16 file holding `dataBytes` of samples. */
  header(options: { sampleRate: number; channels: number; dataBytes: number }): Uint8Array {
    const out = new Uint8Array(44);
    const view = new DataView(out.buffer);
    const ascii = (at: number, s: string): void => {
      for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
    };
    const blockAlign = options.channels * 2;
    ascii(0, 'RIFF');
    view.setUint32(4, 36 + options.dataBytes, true);
    ascii(8, 'WAVE');
    ascii(12, 'fmt ');
    view.setUint32(16, 16, true);
    view.setUint16(20, WAVE_FORMAT_PCM, true);
    view.setUint16(22, options.channels, true);
    view.setUint32(24, options.sampleRate, true);
    view.setUint32(28, options.sampleRate * blockAlign, true);
    view.setUint16(32, blockAlign, true);
    view.setUint16(34, 16, true);
    ascii(36, 'data');
    view.setUint32(40, options.dataBytes, true);
    return out;
  },

  /**
   * Parses a whole file. A data chunk whose size overruns the file (a recording cut short, or
   * a streaming writer's 0xFFFFFFFF) is taken up to the end of the file.
   */
  parse(bytes: Uint8Array): WavInfo {
    if (bytes.length < 12 || tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WAVE') throw new WavFormatError('not a RIFF/WAVE file');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 12;
    let fmt: { channels: number; sampleRate: number } | undefined;
    while (at + 8 <= bytes.length) {
      const id = tag(bytes, at);
      const size = view.getUint32(at + 4, true);
      const body = at + 8;
      if (id === 'fmt ') {
        if (size < 16) throw new WavFormatError('fmt chunk too short');
        let format = view.getUint16(body, true);
        const channels = view.getUint16(body + 2, true);
        const sampleRate = view.getUint32(body + 4, true);
        const bits = view.getUint16(body + 14, true);
        if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
        if (format !== WAVE_FORMAT_PCM || bits !== 16) throw new WavFormatError(`only PCM 16-bit WAV is supported (format ${format}, ${bits} bits)`);
        if (channels < 1 || sampleRate < 1000) throw new WavFormatError('bad channel count or sample rate');
        fmt = { channels, sampleRate };
      } else if (id === 'data') {
        if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
        const end = Math.min(bytes.length, body + size);
        const count = Math.floor((end - body) / 2);
        const aligned = (bytes.byteOffset + body) % 2 === 0;
        const samples = aligned ? new Int16Array(bytes.buffer, bytes.byteOffset + body, count) : new Int16Array(bytes.slice(body, body + count * 2).buffer);
        return { ...fmt, samples };
      }
      at = body + size + (size & 1); // chunks are word-aligned
    }
    throw new WavFormatError('no data chunk');
  },

  /** Mixes interleaved channels down to mono (mean of the channels). */
  toMono(samples: Int16Array, channels: number): Int16Array {
    if (channels === 1) return samples;
    const out = new Int16Array(Math.floor(samples.length / channels));
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += samples[i * channels + c];
      out[i] = Math.round(sum / channels);
    }
    return out;
  },
} as const;
