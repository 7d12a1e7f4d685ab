/**
 * The engine composition (main/phone/engine.ts) end to end in Node: a Store in a temporary
 * folder, a Phone on 127.0.0.1, the recorder, accounts with their passwords in a SecretStore.
 * A tiny registrar on loopback (UDP, RFC 3261 §10 + RFC 2617 digest) proves that a saved
 * account registers again after a restart with the password from the keychain.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/bridge/dispatch.ts';
import { requestSchemas as validators } from '../../../main/contract/schemas.ts';
import { defaultWorkerUrl } from '../../../main/phone/engine.ts';
import { MemorySecretStore, type SecretCipher } from '../../../main/store/index.ts';
import { call, engineLab, next } from './engine-lab.ts';

const lab = engineLab('engine');
const { newDir, start } = lab;

const PASSWORD = 'Sëcret-p4ss/word';

/** Every file of the database holds none of the password's encodings. */
function expectNoPasswordIn(dir: string) {
  const files = readdirSync(dir).filter((f) => f.startsWith('appel.db'));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    for (const needle of [Buffer.from(PASSWORD), Buffer.from(PASSWORD, 'utf16le'), Buffer.from('p4ss')]) expect(bytes.includes(needle), `${f} holds the password`).toBe(false);
  }
}

describe('createEngine', () => {
  it('answers every channel of the contract', async () => {
    const engine = await start(newDir());
    const missing = Object.keys(validators).filter((channel) => !(channel in engine.handlers));
    expect(missing).toEqual([]);
    expect(engine.status()).toEqual({ notices: [] });
    expect(await engine.handlers['app:status']!(undefined)).toEqual({ notices: [] });
  });

  it('keeps an account with its password in the SecretStore, never in the database, and registers it again after a restart', async () => {
    const reg = await lab.registrar({ alice: PASSWORD });
    try {
      const dir = newDir();
      const secrets = new MemorySecretStore();
      const first = await start(dir, secrets);
      const config = { aor: 'sip:alice@127.0.0.1', password: PASSWORD, proxy: `sip:127.0.0.1:${reg.port}`, transport: 'udp', outbound: false };
      const registered = next(first, 'account:state', (s) => s.state === 'registered');
      const added = await call<{ id: string; aor: string }>(first, 'account:add', config);
      expect(added.id).toMatch(/^[0-9a-f-]{36}$/); // the store's id, not the phone's
      expect(await registered).toMatchObject({ id: added.id, aor: 'sip:alice@127.0.0.1', state: 'registered' });
      expect(await secrets.get(added.id)).toBe(PASSWORD);
      expect(await call(first, 'account:list')).toEqual([expect.objectContaining({ id: added.id, state: 'registered' })]);
      await first.close();
      expectNoPasswordIn(dir);

      const second = await start(dir, secrets);
      const again = await next(second, 'account:state', (s) => s.state === 'registered');
      expect(again.id).toBe(added.id);
      expect(reg.log.filter((l) => !l.endsWith(' 401'))).toEqual(['alice on', 'alice off', 'alice on']);

      await call(second, 'account:remove', { id: added.id });
      expect(await call(second, 'account:list')).toEqual([]);
      expect(await secrets.get(added.id)).toBeUndefined();
      expect(second.store.accounts.list()).toEqual([]);
      const gone = await dispatch(second.handlers, 'account:remove', { id: added.id });
      expect(gone).toMatchObject({ ok: false, error: { code: 'not-found' } });
    } finally {
      reg.close();
    }
  });

  it('without a keychain keeps the account, uses the password this session only, and says so', async () => {
    const dir = newDir();
    const refusing: SecretCipher = {
      isEncryptionAvailable: () => false,
      encryptString: () => {
        throw new Error('not reached');
      },
      decryptString: () => {
        throw new Error('not reached');
      },
    };
    const engine = await start(dir, (store) => store.encryptedSecrets(refusing));
    const status = next(engine, 'app:status');
    const added = await call<{ id: string }>(engine, 'account:add', { aor: 'sip:bob@127.0.0.1', password: PASSWORD, register: false });
    expect((await status).notices).toEqual([expect.objectContaining({ id: 'passwords-not-kept', level: 'warning', message: expect.stringMatching(/^The password of sip:bob@127\.0\.0\.1 is used for now but not kept: the system keychain is not available/) })]);
    expect(engine.store.accounts.get(added.id).config).toEqual({ aor: 'sip:bob@127.0.0.1', register: false });
    await engine.close();
    expectNoPasswordIn(dir);
  });

  it('refuses a bad account in words and keeps nothing of it', async () => {
    const engine = await start(newDir());
    expect(await dispatch(engine.handlers, 'account:add', { aor: 'sip:', register: false })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await dispatch(engine.handlers, 'account:add', { aor: 'tel:+331234', register: false })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(engine.store.accounts.list()).toEqual([]);
  });

  it('serves contacts, settings and history through the handlers, with their events', async () => {
    const engine = await start(newDir());
    const changed = next(engine, 'contacts:changed');
    const saved = await call<{ id: string }>(engine, 'contacts:save', { displayName: 'Zoé Martin', addresses: [{ uri: 'sip:zoe@example.com', label: 'work' }] });
    expect((await changed).saved[0].id).toBe(saved.id);
    expect(await call(engine, 'contacts:list', { text: 'zoe' })).toEqual([expect.objectContaining({ id: saved.id, displayName: 'Zoé Martin' })]);
    expect(await dispatch(engine.handlers, 'contacts:get', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await dispatch(engine.handlers, 'contacts:save', { displayName: 'X', addresses: [{ uri: 'mailto:x@y', label: 'work' }] })).toMatchObject({ ok: false, error: { code: 'bad-request' } });

    // Settings reach the phone: do-not-disturb and codecs for incoming calls.
    await call(engine, 'settings:set', { doNotDisturb: true, codecs: ['pcmu', 'opus'] });
    expect(engine.phone.callSettings()).toMatchObject({ doNotDisturb: true, codecs: ['pcmu', 'opus'] });
    expect(await call(engine, 'history:list')).toEqual([]);
  });

  it('records a call between two engines over loopback in both histories', async () => {
    const [alice, bob] = await Promise.all([start(newDir()), start(newDir())]);
    const bobPort = bob.phone.localAddresses().find((a) => a.protocol === 'UDP')!.port;
    const incoming = next(bob, 'call:incoming');
    const dialled = await call<{ id: string }>(alice, 'call:dial', { to: `sip:bob@127.0.0.1:${bobPort}`, codecs: ['pcmu'] });
    const ringing = await incoming;
    const aliceUp = next(alice, 'call:state', (s) => s.id === dialled.id && s.state === 'connected');
    await call(bob, 'call:answer', { callId: ringing.id });
    await aliceUp;
    const bobRow = next(bob, 'history:changed', (h) => h.saved.some((e) => e.outcome !== undefined));
    const aliceRow = next(alice, 'history:changed', (h) => h.saved.some((e) => e.outcome !== undefined));
    await call(alice, 'call:hangup', { callId: dialled.id });
    await Promise.all([bobRow, aliceRow]);
    expect(await call(alice, 'history:list')).toEqual([expect.objectContaining({ direction: 'outgoing', outcome: 'answered', codec: 'pcmu', peer: expect.objectContaining({ uri: `sip:bob@127.0.0.1:${bobPort}` }) })]);
    expect(await call(bob, 'history:list')).toEqual([expect.objectContaining({ direction: 'incoming', outcome: 'answered', codec: 'pcmu' })]);
  });

  it('sets a damaged database aside and says so, and runs on', async () => {
    const dir = newDir();
    await (await start(dir)).close();
    writeFileSync(join(dir, 'appel.db'), 'this is not a database, it is a sentence long enough to be read as a header'.repeat(20));
    rmSync(join(dir, 'appel.db-wal'), { force: true });
    rmSync(join(dir, 'appel.db-shm'), { force: true });
    const engine = await start(dir);
    expect(engine.status().notices).toEqual([expect.objectContaining({ id: 'database-damaged', level: 'warning', message: expect.stringMatching(/was damaged .* a copy was kept at .*appel\.db\.damaged-/) })]);
    await call(engine, 'contacts:save', { displayName: 'After', addresses: [] });
    expect(await call(engine, 'contacts:list')).toHaveLength(1);
  });

  it('runs on an in-memory store when the file was written by a newer Appel, and says so', async () => {
    const dir = newDir();
    await (await start(dir)).close();
    const db = new DatabaseSync(join(dir, 'appel.db'));
    db.exec('PRAGMA user_version = 999');
    db.close();
    const engine = await start(dir);
    expect(engine.status().notices).toEqual([
      expect.objectContaining({ id: 'database-unavailable', level: 'error', message: expect.stringMatching(/newer version of Appel.*Appel runs without it/) }),
    ]);
    expect(await call(engine, 'settings:get')).toMatchObject({ doNotDisturb: false });
  });

  it('runs on an in-memory database when asked (the dev page)', async () => {
    const engine = await start(newDir(), new MemorySecretStore(), { database: ':memory:' });
    await call(engine, 'contacts:save', { displayName: 'Ephemeral', addresses: [] });
    expect(await call(engine, 'contacts:list')).toHaveLength(1);
    expect(engine.status()).toEqual({ notices: [] });
  });

  it('finds the media worker beside it, in source and compiled', () => {
    expect(defaultWorkerUrl('file:///app/main/phone/engine.ts').href).toBe('file:///app/main/media/worker-host.ts');
    expect(defaultWorkerUrl('file:///app/dist/main/phone/engine.js').href).toBe('file:///app/dist/main/media/worker-host.js');
  });
});
