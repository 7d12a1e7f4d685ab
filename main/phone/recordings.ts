/**
 * `history:recording`: a history entry's recording, a piece at a time, for the app to play. The
 * file is the one the entry names, and only when it lies inside the recordings directory the
 * engine writes to (symbolic links resolved on both sides): the request names an entry, never a
 * path, and an entry whose file is elsewhere (the CLI's `--record FILE`, a row edited by hand) is
 * refused. The whole file is bounded (RECORDING_PLAY_MAX_BYTES), and so is each answer
 * (RECORDING_CHUNK_BYTES).
 */
import { open, realpath } from 'node:fs/promises';
import { basename, extname, isAbsolute, relative, resolve } from 'node:path';
import type { HistoryEntry, HistoryRecording } from '../contract/api.ts';
import { AppelError } from '../contract/errors.ts';
import { RECORDING_CHUNK_BYTES, RECORDING_PLAY_MAX_BYTES } from '../contract/values.ts';

export interface ReadRecordingOptions {
  /** The history entry by id (the store's `history.get`: throws not-found for an unknown id). */
  entry: (id: number) => HistoryEntry;
  /** The directory the engine records into. */
  directory: string;
  /** Defaults: the contract's bounds (tests pass smaller ones). */
  maxBytes?: number;
  chunkBytes?: number;
}

/** True when `path` is `dir` itself or below it (both already resolved). */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The real path of `path`, or undefined when it does not exist. */
async function real(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export function recordingReader(opts: ReadRecordingOptions): (req: { id: number; offset?: number }) => Promise<HistoryRecording> {
  const maxBytes = opts.maxBytes ?? RECORDING_PLAY_MAX_BYTES;
  const chunkBytes = opts.chunkBytes ?? RECORDING_CHUNK_BYTES;
  return async ({ id, offset = 0 }) => {
    const { recording } = opts.entry(id);
    if (!recording) throw new AppelError('not-found', `id: history entry ${id} has no recording`);
    const named = resolve(recording);
    const directory = resolve(opts.directory);
    if (!inside(directory, named) || extname(named).toLowerCase() !== '.wav') {
      throw new AppelError('forbidden', `the recording of history entry ${id} is not a WAV file in the recordings directory`);
    }
    const file = await real(named);
    const realDirectory = await real(directory);
    if (file === undefined || realDirectory === undefined) throw new AppelError('not-found', `the recording ${basename(named)} is no longer there (moved or deleted)`);
    if (!inside(realDirectory, file)) throw new AppelError('forbidden', `the recording of history entry ${id} leads out of the recordings directory`);
    const handle = await open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new AppelError('forbidden', `the recording of history entry ${id} is not a file`);
      if (stat.size > maxBytes) {
        throw new AppelError('unavailable', `the recording ${basename(file)} is too long to play in the app (${Math.round(stat.size / 1048576)} MB, at most ${Math.round(maxBytes / 1048576)} MB)`);
      }
      if (offset > stat.size) throw new AppelError('bad-request', `offset: ${offset} is past the end of the recording (${stat.size} bytes)`);
      const length = Math.min(chunkBytes, stat.size - offset);
      const bytes = Buffer.alloc(length);
      const { bytesRead } = await handle.read(bytes, 0, length, offset);
      return { mime: 'audio/wav', size: stat.size, offset, data: bytes.subarray(0, bytesRead).toString('base64') };
    } finally {
      await handle.close();
    }
  };
}
