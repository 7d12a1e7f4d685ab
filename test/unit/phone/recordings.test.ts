/**
 * `history:recording`: a history entry's recording, read only from the recordings directory the
 * engine writes to, a bounded piece at a time; what is refused and why (code and words).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../main/contract/api.ts';
import { AppelError } from '../../../main/contract/errors.ts';
import { recordingReader } from '../../../main/phone/recordings.ts';
import { call, engineLab } from '../app/engine-lab.ts';
import { registerIpc, type IpcEventLike } from '../../../main/app/ipc.ts';
import { EventEmitter } from 'node:events';

const root = mkdtempSync(join(tmpdir(), 'appel-recordings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const directory = join(root, 'recordings');
mkdirSync(directory);
const outside = join(root, 'secret.wav');
writeFileSync(outside, 'RIFF-outside');
const wav = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
writeFileSync(join(directory, 'call.wav'), wav);
writeFileSync(join(directory, 'notes.txt'), 'not a recording');
symlinkSync(outside, join(directory, 'link.wav'));

const entries = new Map<number, string | undefined>([
  [1, join(directory, 'call.wav')],
  [2, undefined],
  [3, outside],
  [4, join(directory, '..', 'secret.wav')],
  [5, join(directory, 'link.wav')],
  [6, join(directory, 'gone.wav')],
  [7, join(directory, 'notes.txt')],
]);
const entry = (id: number): HistoryEntry => {
  if (!entries.has(id)) throw new AppelError('not-found', `id: no history entry ${id}`);
  const recording = entries.get(id);
  return { id, direction: 'outgoing', peer: { uri: 'sip:bob@lab.test' }, startedAt: 0, duration: 1, ...(recording ? { recording } : {}) };
};
const read = recordingReader({ entry, directory, chunkBytes: 400, maxBytes: 2000 });

/** The error's code and words. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as AppelError | undefined;
  expect(err, 'refused').toBeInstanceOf(AppelError);
  return { code: err!.code, message: err!.message };
}

describe('history:recording', () => {
  it('serves the file in the recordings directory, a bounded piece at a time, whole and unchanged', async () => {
    const pieces: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const r = await read({ id: 1, offset });
      expect(r).toMatchObject({ mime: 'audio/wav', size: 1000, offset });
      const bytes = Buffer.from(r.data, 'base64');
      expect(bytes.length).toBeLessThanOrEqual(400);
      pieces.push(bytes);
      offset += bytes.length;
      if (offset >= r.size) break;
    }
    expect(pieces).toHaveLength(3);
    expect(Buffer.concat(pieces).equals(wav)).toBe(true);
  });

  it('refuses an entry without a recording, and an unknown entry', async () => {
    expect(await refusal(read({ id: 2 }))).toEqual({ code: 'not-found', message: 'id: history entry 2 has no recording' });
    expect((await refusal(read({ id: 99 }))).code).toBe('not-found');
  });

  it('never reads outside the directory: another path, a climb out, a link leading out, a file that is no WAV', async () => {
    for (const id of [3, 4, 5, 7]) {
      const r = await refusal(read({ id }));
      expect(r.code, `entry ${id}`).toBe('forbidden');
      expect(r.message).not.toContain('RIFF');
    }
  });

  it('says a missing file is no longer there', async () => {
    expect(await refusal(read({ id: 6 }))).toEqual({ code: 'not-found', message: 'the recording gone.wav is no longer there (moved or deleted)' });
  });

  it('refuses a file over the bound, and an offset past the end', async () => {
    const small = recordingReader({ entry, directory, maxBytes: 999 });
    expect((await refusal(small({ id: 1 }))).code).toBe('unavailable');
    expect((await refusal(read({ id: 1, offset: 1001 }))).code).toBe('bad-request');
  });
});

describe('history:recording through the engine', () => {
  const lab = engineLab('recording');

  it('reads from <dataDir>/recordings only, and the request is checked first', async () => {
    const dataDir = lab.newDir();
    const engine = await lab.start(dataDir);
    const dir = join(dataDir, 'recordings');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.wav'), wav);
    const row = (recording: string) => {
      const e = engine.store.history.start({ direction: 'outgoing', peer: { uri: 'sip:bob@lab.test' } });
      return engine.store.history.end(e.id, { outcome: 'answered', recording }).id;
    };
    const inside = row(join(dir, 'a.wav'));
    const elsewhere = row(outside);
    const r = await call<{ size: number; data: string }>(engine, 'history:recording', { id: inside });
    expect(r.size).toBe(1000);
    expect(Buffer.from(r.data, 'base64').equals(wav)).toBe(true);
    await expect(call(engine, 'history:recording', { id: elsewhere })).rejects.toThrow(/^history:recording: forbidden: /);
    await expect(call(engine, 'history:recording', { id: inside, path: outside })).rejects.toThrow(/bad-request/);
    await expect(call(engine, 'history:recording', { id: -1 })).rejects.toThrow(/bad-request/);

    // The same API through Electron's IPC (main/app/ipc.ts, as the preload invokes it): a plain
    // object that structured clone carries, and the refusals as codes.
    const handlers = new Map<string, (event: IpcEventLike, req: unknown) => unknown>();
    const ipcMain = { handle: (c: string, h: (event: IpcEventLike, req: unknown) => unknown) => void handlers.set(c, h), removeHandler: () => undefined, on: () => undefined, removeListener: () => undefined };
    const dispose = registerIpc({ ipcMain, handlers: engine.handlers, events: new EventEmitter(), targets: () => [], origin: 'app://appel' });
    const ipc = (req: unknown) => handlers.get('history:recording')!({ senderFrame: { url: 'app://appel/index.html#/history', parent: null } }, req);
    const answer = structuredClone(await ipc({ id: inside })) as { ok: true; value: { data: string } };
    expect(answer.ok).toBe(true);
    expect(Buffer.from(answer.value.data, 'base64').equals(wav)).toBe(true);
    expect(await ipc({ id: elsewhere })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    dispose();
  });
});
