/**
 * Test audio made at run time (no committed binaries): sine tones with sox and speech with
 * espeak-ng, as 8 kHz mono 16-bit WAVs — the format baresip's aufile insists on (PEERS.md) and
 * that linphonec plays as it is.
 *
 * baresip hangs up when its microphone file ends, so files default to 60 s: longer than any call
 * in the interop tests. Make them under `ns.dir` when a Linphone will play them (its private
 * /tmp only shows the test's folder; other paths are copied).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (apt-get install sox espeak-ng)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

export interface ToneOptions {
  frequency: number;
  /** Default 60 s. */
  seconds?: number;
  /** Level in dBFS, default -12 (loud and clear, far from clipping after any codec). */
  levelDb?: number;
}

/** `<dir>/tone-<f>Hz-8k.wav` (made once per folder and length). */
export function makeToneWav(dir: string, options: ToneOptions): string {
  const seconds = options.seconds ?? 60;
  const suffix = seconds === 60 ? '' : `-${seconds}s`;
  const path = join(dir, `tone-${options.frequency}Hz-8k${suffix}.wav`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  run('sox', ['-R', '-n', '-r', '8000', '-c', '1', '-b', '16', path, 'synth', String(seconds), 'sine', String(options.frequency), 'vol', `${options.levelDb ?? -12}dB`]);
  return path;
}

export interface SpeechOptions {
  /** What espeak-ng says (English voice). */
  text?: string;
  /** The phrase is repeated until the file lasts at least this long, default 60 s. */
  seconds?: number;
}

/** `<dir>/speech-8k.wav`: espeak-ng's voice resampled to 8 kHz mono and repeated. */
export function makeSpeechWav(dir: string, options: SpeechOptions = {}): string {
  const text = options.text ?? 'The quick brown fox jumps over the lazy dog. Appel calls the lab, one two three four five.';
  const path = join(dir, 'speech-8k.wav');
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const raw = join(dir, 'speech-raw.wav');
  run('espeak-ng', ['-v', 'en', '-s', '150', '-w', raw, text]);
  // espeak-ng's phrase lasts a few seconds at 22.05 kHz: resample, then repeat to the length.
  const probe = spawnSync('soxi', ['-D', raw], { encoding: 'utf8' });
  const phrase = Number(probe.stdout.trim()) || 3;
  const repeats = Math.max(0, Math.ceil((options.seconds ?? 60) / phrase) - 1);
  run('sox', ['-R', raw, '-r', '8000', '-c', '1', '-b', '16', path, 'repeat', String(repeats)]);
  rmSync(raw, { force: true });
  return path;
}

/** The usual set: tones at `frequencies` (default 440 and 1000 Hz) and the speech file. */
export function makeAudioFixtures(dir: string, frequencies: number[] = [440, 1000]): { tone: (frequency: number) => string; speech: string } {
  const tones = new Map(frequencies.map((f) => [f, makeToneWav(dir, { frequency: f })]));
  const speech = makeSpeechWav(dir);
  return {
    tone: (frequency: number) => tones.get(frequency) ?? makeToneWav(dir, { frequency }),
    speech,
  };
}
