/**
 * The ringback tone a caller hears while the other side rings and sends no early media: one
 * period of the European cadence (ETSI ES 201 970 / CEPT: 425 Hz, 1 s on, 4 s off), to loop.
 * Pure: the samples only; CallAudio plays them through WebAudio.
 */
export interface RingbackOptions {
  sampleRate: number;
  frequency?: number;
  onMs?: number;
  offMs?: number;
  /** Peak amplitude, full scale = 1 (default 0.2, about -14 dBFS: a tone, not an alarm). */
  amplitude?: number;
  /** Fade in and out over this long, so the tone starts and stops without a click. */
  rampMs?: number;
}

export function ringbackPeriod(opts: RingbackOptions): Float32Array<ArrayBuffer> {
  const { sampleRate, frequency = 425, onMs = 1000, offMs = 4000, amplitude = 0.2, rampMs = 5 } = opts;
  const on = Math.round((sampleRate * onMs) / 1000);
  const samples = new Float32Array(on + Math.round((sampleRate * offMs) / 1000));
  const ramp = Math.max(1, Math.round((sampleRate * rampMs) / 1000));
  const step = (2 * Math.PI * frequency) / sampleRate;
  for (let i = 0; i < on; i++) {
    const edge = Math.min(1, i / ramp, (on - 1 - i) / ramp);
    samples[i] = amplitude * edge * Math.sin(step * i);
  }
  return samples;
}
