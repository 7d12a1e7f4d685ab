/**
 * Reading the WAV files the real phones are still writing: how much audio they hold so far
 * (a readiness signal — "B has heard 2 s" — instead of a sleep), and whether the writer has
 * closed them (its header carries the sizes).
 *
 *   - baresip's sndfile (libsndfile) writes a full header at open, with RIFF size 8 and data
 *     size 0, and the real sizes on close: closed when RIFF size = file size - 8.
 *   - linphonec (mediastreamer) reserves 44 zero bytes and writes the header on close, with
 *     sizes 44 bytes larger than the file: closed when the RIFF tag and a size are there.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** True once the writer has closed the file (see above for `exact` vs `nonzero`). */
export function wavClosed(path: string, sizes: 'exact' | 'nonzero'): boolean {
  if (!existsSync(path)) return false;
  const size = statSync(path).size;
  if (size <= 44) return false;
  const h = head(path, 8);
  if (h.toString('latin1', 0, 4) !== 'RIFF') return false;
  const riff = h.readUInt32LE(4);
  return sizes === 'exact' ? riff === size - 8 : riff > 8;
}

/** The `fmt ` chunk of a finished WAV file (throws when there is none). */
export function wavFormat(path: string): { sampleRate: number; channels: number; bits: number } {
  const h = head(path, 512);
  if (h.length < 12 || h.toString('latin1', 0, 4) !== 'RIFF' || h.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV file`);
  let at = 12;
  while (at + 24 <= h.length) {
    const chunk = h.readUInt32LE(at + 4);
    if (h.toString('latin1', at, at + 4) === 'fmt ') {
      return { channels: h.readUInt16LE(at + 10), sampleRate: h.readUInt32LE(at + 12), bits: h.readUInt16LE(at + 22) };
    }
    at += 8 + chunk + (chunk & 1);
  }
  throw new Error(`${path}: no fmt chunk`);
}

/**
 * Seconds of PCM16 audio in the file so far. The format comes from its `fmt ` chunk when the
 * header is already there, else from `assumed` (a header-less file in progress: 44 bytes skipped).
 */
export function wavSecondsWritten(path: string, assumed: { sampleRate: number; channels: number }): number {
  if (!existsSync(path)) return 0;
  const size = statSync(path).size;
  const h = head(path, 512);
  let format = assumed;
  let dataAt = 44;
  if (h.length >= 12 && h.toString('latin1', 0, 4) === 'RIFF') {
    let at = 12;
    while (at + 8 <= h.length) {
      const tag = h.toString('latin1', at, at + 4);
      const chunk = h.readUInt32LE(at + 4);
      if (tag === 'fmt ' && at + 16 <= h.length) format = { channels: h.readUInt16LE(at + 10), sampleRate: h.readUInt32LE(at + 12) };
      if (tag === 'data') {
        dataAt = at + 8;
        break;
      }
      at += 8 + chunk + (chunk & 1);
    }
  }
  return Math.max(0, size - dataAt) / (2 * format.channels * format.sampleRate);
}
