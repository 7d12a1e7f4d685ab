/**
 * The audio port of the media engine, after pjmedia's get_frame/put_frame model: every source
 * and sink (WAV file, tone, silence, device bridge, mixer slot, recorder) looks alike, and the
 * engine moves one 20 ms mono frame at a time at the port's own sample rate.
 */
export interface AudioPort {
  /** Samples per second of the frames this port gives and takes. */
  readonly sampleRate: number;
  /** The next 20 ms frame (sampleRate / 50 samples). A sink-only port gives silence. */
  getFrame(): Int16Array;
  /** Takes one 20 ms frame. A source-only port ignores it. */
  putFrame(frame: Int16Array): void;
  /** Releases files, timers and message ports. Idempotent. */
  close(): void;
}

/** Samples in one 20 ms frame at `sampleRate`. */
export function frameSamples(sampleRate: number): number {
  return Math.round(sampleRate / 50);
}
