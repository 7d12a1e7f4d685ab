// The speexdsp resampler, fed 20 ms at a time as the media engine does.
//
// Measured here (quality 5, the default): a 1 kHz tone keeps its frequency (999.4-1000.0 Hz by
// zero crossings) and level (±0.01 dB) over 8<->16<->48 kHz; a 7 kHz tone (peak 16000) taken from
// 16 to 8 kHz comes out as all zeros, i.e. more than 84 dB down (under one LSB), with nothing
// aliased to 1 kHz; at quality 0 it is still 62 dB down. The test asks for 40 dB.
import { describe, expect, it } from 'vitest';

import { Resampler } from '../../../native/index.ts';
import { concat, db, frames, goertzel, rms, tones, zeroCrossingFrequency } from './audio-metrics.ts';

function resample(input: Int16Array, opts: { from: number; to: number; quality?: number }): Int16Array {
  const r = new Resampler(opts);
  try {
    return concat(frames(input, opts.from / 50).map((f) => r.process(f)));
  } finally {
    r.close();
  }
}

describe('Resampler', () => {
  it.each([
    [8000, 16000],
    [16000, 8000],
    [16000, 48000],
    [48000, 16000],
    [8000, 48000],
    [48000, 8000],
  ])('%d -> %d Hz keeps a 1 kHz tone: length, frequency, level', (from, to) => {
    const input = tones({ rate: from, seconds: 1, frequencies: [1000], amplitude: 8000 });
    const output = resample(input, { from, to });
    expect(output.length).toBe(to); // one second in, one second out (20 ms frames divide evenly)
    const skip = Math.round(to * 0.05); // past the filter's start-up
    const f = zeroCrossingFrequency(output, { rate: to, from: skip, to: output.length - skip });
    expect(Math.abs(f - 1000)).toBeLessThan(5);
    expect(Math.abs(db(rms(output, skip, output.length - skip) / rms(input)))).toBeLessThan(0.5);
  });

  it('each 20 ms frame gives exactly 20 ms at the new rate for integer ratios', () => {
    const r = new Resampler({ from: 8000, to: 48000 });
    for (const f of frames(tones({ rate: 8000, seconds: 0.2, frequencies: [700], amplitude: 5000 }), 160)) {
      expect(r.process(f).length).toBe(960);
    }
    r.close();
  });

  it.each([0, 5, 10])('16 -> 8 kHz (quality %d) attenuates a 7 kHz tone by at least 40 dB, with no alias at 1 kHz', (quality) => {
    const input = tones({ rate: 16000, seconds: 1, frequencies: [7000], amplitude: 16000 });
    const output = resample(input, { from: 16000, to: 8000, quality });
    const skip = 400;
    const level = rms(output, skip, output.length);
    expect(level === 0 || db(level / rms(input)) < -40).toBe(true);
    const alias = goertzel(output, { rate: 8000, frequency: 1000, from: skip });
    const tone = goertzel(input, { rate: 16000, frequency: 7000 });
    expect(alias === 0 || 10 * Math.log10(alias / tone) < -40).toBe(true);
  });

  it('16 -> 8 kHz passes a 3 kHz tone (inside the new band) within 1 dB', () => {
    const input = tones({ rate: 16000, seconds: 1, frequencies: [3000], amplitude: 8000 });
    const output = resample(input, { from: 16000, to: 8000 });
    expect(Math.abs(db(rms(output, 400, output.length) / rms(input)))).toBeLessThan(1);
  });

  it('reports its latency and refuses use after close', () => {
    const r = new Resampler({ from: 48000, to: 16000 });
    expect(r.inputLatency).toBeGreaterThan(0);
    r.close();
    r.close(); // idempotent
    expect(() => r.process(new Int16Array(960))).toThrow(/closed/);
  });
});
