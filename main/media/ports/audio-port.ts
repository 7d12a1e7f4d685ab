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
  /**
   * True when frames may be taken before their time and given after it: a file, a generated
   * signal, a recorder. A stream whose source and sink both are may then encode a few frames
   * ahead and wake once for them (media-stream.ts). Live ports (a device, a conference's mixer)
   * leave it out: their frames are taken and given on time.
   */
  readonly ahead?: boolean;
  /** Releases files, timers and message ports. Idempotent. */
  close(): void;
}

/** Samples in one 20 ms frame at `sampleRate`. */
export function frameSamples(sampleRate: number): number {
  return Math.round(sampleRate / 50);
}
