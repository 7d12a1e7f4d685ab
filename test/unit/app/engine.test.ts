/**
 * The engine composition (main/phone/engine.ts) end to end in Node: a Store in a temporary
 * folder, a Phone on 127.0.0.1, the recorder, accounts with their passwords in a SecretStore.
 * A tiny registrar on loopback (UDP, RFC 3261 §10 + RFC 2617 digest) proves that a saved
 * account registers again after a restart with the password from the keychain.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/bridge/dispatch.ts';
import { validators } from '../../../main/bridge/validate.ts';
import type { ApiEvents, ApiResult } from '../../../main/phone/api.ts';
import { createEngine, defaultWorkerUrl, type Engine, type EngineOptions } from '../../../main/phone/engine.ts';
import { MemorySecretStore, type SecretCipher } from '../../../main/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'appel-engine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

let dirs = 0;
const newDir = () => join(root, `d${++dirs}`);

async function start(dataDir: string, secrets: EngineOptions['secrets'] = new MemorySecretStore()): Promise<Engine> {
  const engine = await createEngine({
    dataDir,
    secrets,
    phone: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' }, keepAlive: 0 },
  });
  engines.push(engine);
  return engine;
}

async function call<T = unknown>(engine: Engine, channel: string, req?: unknown): Promise<T> {
  const result = (await dispatch(engine.handlers, channel, req)) as ApiResult<T>;
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function next<K extends keyof ApiEvents>(engine: Engine, event: K, test: (p: ApiEvents[K]) => boolean = () => true, ms = 8000): Promise<ApiEvents[K]> {
  return new Promise((resolve, reject) => {
    const listener = (p: ApiEvents[K]) => {
      if (!test(p)) return;
      clearTimeout(timer);
      engine.events.off(event, listener as never);
      resolve(p);
    };
    const timer = setTimeout(() => {
      engine.events.off(event, listener as never);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    engine.events.on(event, listener as never);
  });
}

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

/** A registrar that challenges every REGISTER once (RFC 2617, qop=auth) and accepts the right answer. */
async function registrar(password: string): Promise<{ port: number; accepted: string[]; close(): void }> {
  const socket: Socket = createSocket('udp4');
  const accepted: string[] = [];
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  socket.on('message', (buf, rinfo) => {
    const text = buf.toString('utf8');
    const [head] = text.split('\r\n\r\n');
    const lines = head.split('\r\n');
    if (!lines[0].startsWith('REGISTER ')) return;
    const all = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    const one = (name: string) => all(name)[0]?.slice(name.length + 1).trim() ?? '';
    const auth = one('Authorization');
    const params = Object.fromEntries([...auth.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
    const reply = (status: string, extra: string[]) => {
      const res = [`SIP/2.0 ${status}`, ...all('Via'), `From: ${one('From')}`, `To: ${one('To')};tag=reg1`, `Call-ID: ${one('Call-ID')}`, `CSeq: ${one('CSeq')}`, ...extra, 'Content-Length: 0', '', ''];
      socket.send(res.join('\r\n'), rinfo.port, rinfo.address);
    };
    const ha1 = md5(`${params.username}:test:${password}`);
    const expected = md5(`${ha1}:${params.nonce}:${params.nc}:${params.cnonce}:${params.qop}:${md5(`REGISTER:${params.uri}`)}`);
    if (auth && params.response === expected) {
      accepted.push(`${params.username} ${/expires=0\b/.test(one('Contact')) || one('Expires') === '0' ? 'off' : 'on'}`);
      reply('200 OK', [`Contact: ${one('Contact')};expires=600`]);
    } else reply('401 Unauthorized', ['WWW-Authenticate: Digest realm="test", nonce="n0nce", qop="auth", algorithm=MD5']);
  });
  await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok));
  return { port: socket.address().port, accepted, close: () => socket.close() };
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
    const reg = await registrar(PASSWORD);
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
      expect(reg.accepted).toEqual(['alice on', 'alice off', 'alice on']);

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
    const engine = await createEngine({ dataDir: newDir(), database: ':memory:', secrets: new MemorySecretStore(), phone: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] } });
    engines.push(engine);
    await call(engine, 'contacts:save', { displayName: 'Ephemeral', addresses: [] });
    expect(await call(engine, 'contacts:list')).toHaveLength(1);
    expect(engine.status()).toEqual({ notices: [] });
  });

  it('finds the media worker beside it, in source and compiled', () => {
    expect(defaultWorkerUrl('file:///app/main/phone/engine.ts').href).toBe('file:///app/main/media/worker-host.ts');
    expect(defaultWorkerUrl('file:///app/dist/main/phone/engine.js').href).toBe('file:///app/dist/main/media/worker-host.js');
  });
});
