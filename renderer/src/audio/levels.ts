/** Levels for the meters: RMS in dBFS, and the 0..1 a meter shows. */

/** The floor a silent block reports (the meters show nothing below -60 dBFS anyway). */
export const SILENCE_DBFS = -100;

/** RMS level in dBFS of `samples` samples whose squares add up to `energy` (full scale = 1.0). */
export function rmsDbfs(energy: number, samples: number): number {
  if (samples <= 0 || energy <= 0) return SILENCE_DBFS;
  return Math.max(SILENCE_DBFS, 10 * Math.log10(energy / samples));
}

/** -60 dBFS and below → 0, 0 dBFS → 1 (as the settings' microphone test shows it). */
export function meterLevel(dbfs: number): number {
  return Math.max(0, Math.min(1, (dbfs + 60) / 60));
}
