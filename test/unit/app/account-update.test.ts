/**
 * `account:update` through the engine (main/phone/engine.ts) and the bridge's validator, in Node
 * against a tiny digest registrar on loopback (UDP, RFC 3261 §10 + RFC 2617): a password given
 * replaces the saved one, none keeps it; the registration starts again with the new config after
 * the old binding is removed (expires=0); a bad field changes nothing and is named. And the case
 * the end-to-end test found: an engine restarted without the password says it is missing, and an
 * update with it registers.
 */
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/bridge/dispatch.ts';
import type { AccountSnapshot } from '../../../main/contract/api.ts';
import { MemorySecretStore, type SecretStore } from '../../../main/store/index.ts';
import { call, engineLab, next } from './engine-lab.ts';

const lab = engineLab('account-update');
const { newDir, start } = lab;
const registrar = (users: Record<string, string>) => lab.registrar(users);

const settled = (id: string) => (s: AccountSnapshot) => s.id === id && (s.state === 'registered' || s.state === 'failed');

describe('account:update', () => {
  it('without a password keeps the saved one; with one replaces it; un-REGISTERs the old binding first', async () => {
    const reg = await registrar({ alice: 'first-secret' });
    const secrets = new MemorySecretStore();
    const engine = await start(newDir(), secrets);
    const proxy = `sip:127.0.0.1:${reg.port}`;
    const up = next(engine, 'account:state', (s) => s.state === 'registered');
    const added = await call<AccountSnapshot>(engine, 'account:add', { aor: 'sip:alice@lab.test', password: 'first-secret', proxy, outbound: false });
    await up;
    expect(added.config).toEqual({ aor: 'sip:alice@lab.test', proxy, outbound: false });

    // A new display name, no password: the saved one registers again.
    let done = next(engine, 'account:state', settled(added.id));
    const renamed = await call<AccountSnapshot>(engine, 'account:update', { id: added.id, displayName: 'Alice' });
    expect(renamed).toMatchObject({ id: added.id, aor: 'sip:alice@lab.test', config: { aor: 'sip:alice@lab.test', proxy, outbound: false, displayName: 'Alice' } });
    expect(await done).toMatchObject({ id: added.id, state: 'registered', config: expect.objectContaining({ displayName: 'Alice' }) });
    expect(reg.log).toEqual(['alice 401', 'alice on', 'alice off', 'alice 401', 'alice on']);
    expect(await secrets.get(added.id)).toBe('first-secret');
    expect(engine.store.accounts.get(added.id).config).toEqual({ aor: 'sip:alice@lab.test', proxy, outbound: false, displayName: 'Alice' });

    // The registrar's password changes; the new one given replaces the saved one.
    reg.users.alice = 'second-secret';
    done = next(engine, 'account:state', settled(added.id));
    await call(engine, 'account:update', { id: added.id, password: 'second-secret' });
    expect(await done).toMatchObject({ state: 'registered' });
    expect(await secrets.get(added.id)).toBe('second-secret');

    // '' keeps it too; `null` clears a field.
    done = next(engine, 'account:state', settled(added.id));
    await call(engine, 'account:update', { id: added.id, password: '', displayName: null });
    expect(await done).toMatchObject({ state: 'registered' });
    expect(await secrets.get(added.id)).toBe('second-secret');
    expect(engine.store.accounts.get(added.id).config).toEqual({ aor: 'sip:alice@lab.test', proxy, outbound: false });
    expect(await call(engine, 'account:list')).toEqual([expect.objectContaining({ id: added.id, state: 'registered' })]);
  });

  it('may change the AOR: the old binding goes, the new one registers under the same id', async () => {
    const reg = await registrar({ alice: 'pw-a', carol: 'pw-c' });
    const secrets = new MemorySecretStore();
    const engine = await start(newDir(), secrets);
    const proxy = `sip:127.0.0.1:${reg.port}`;
    const up = next(engine, 'account:state', (s) => s.state === 'registered');
    const added = await call<AccountSnapshot>(engine, 'account:add', { aor: 'sip:alice@lab.test', password: 'pw-a', proxy, outbound: false });
    await up;
    const done = next(engine, 'account:state', (s) => s.aor === 'sip:carol@lab.test' && s.state === 'registered');
    const moved = await call<AccountSnapshot>(engine, 'account:update', { id: added.id, aor: 'sip:carol@lab.test', password: 'pw-c' });
    expect(moved).toMatchObject({ id: added.id, aor: 'sip:carol@lab.test' });
    expect((await done).id).toBe(added.id);
    expect(reg.log.filter((l) => !l.endsWith('401'))).toEqual(['alice on', 'alice off', 'carol on']);
    expect(engine.store.accounts.list()).toEqual([{ id: added.id, config: { aor: 'sip:carol@lab.test', proxy, outbound: false } }]);
    expect(await call(engine, 'account:list')).toEqual([expect.objectContaining({ id: added.id, aor: 'sip:carol@lab.test' })]);
  });

  it('a bad field changes nothing: the store, the password and the registration stay as they were, and the error names it', async () => {
    const reg = await registrar({ alice: 'pw' });
    const secrets = new MemorySecretStore();
    const engine = await start(newDir(), secrets);
    const proxy = `sip:127.0.0.1:${reg.port}`;
    const up = next(engine, 'account:state', (s) => s.state === 'registered');
    const added = await call<AccountSnapshot>(engine, 'account:add', { aor: 'sip:alice@lab.test', password: 'pw', proxy, outbound: false });
    await up;
    const before = engine.store.accounts.list();
    const log = [...reg.log];

    const tries: Array<[unknown, RegExp]> = [
      // Past the bridge's shape check, refused by the store's URI check.
      [{ id: added.id, proxy: 'sip:proxy example', password: 'other' }, /^proxy: /],
      [{ id: added.id, proxy: 'http://proxy.example' }, /^proxy: /],
      [{ id: added.id, aor: 'tel:+33123456789' }, /^aor: /],
      [{ id: added.id, aor: null }, /^aor: /],
      [{ id: added.id, password: null }, /^password: /],
      [{ id: added.id, expires: 0 }, /^expires: /],
      [{ id: added.id, colour: 'x' }, /^colour: unknown field/],
      [{ aor: 'sip:bob@lab.test' }, /^id: is required/],
    ];
    for (const [req, message] of tries) {
      const result = await dispatch(engine.handlers, 'account:update', req);
      expect(result, JSON.stringify(req)).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(message) } });
    }
    expect(await dispatch(engine.handlers, 'account:update', { id: 'nope', displayName: 'X' })).toMatchObject({ ok: false, error: { code: 'not-found', message: "id: no account 'nope'" } });

    expect(engine.store.accounts.list()).toEqual(before);
    expect(await secrets.get(added.id)).toBe('pw');
    expect(reg.log).toEqual(log); // no un-REGISTER, no new REGISTER
    expect(await call(engine, 'account:list')).toEqual([expect.objectContaining({ id: added.id, state: 'registered', config: before[0].config })]);
  });

  it('a keychain that refuses the new password leaves the account as it was', async () => {
    const reg = await registrar({ alice: 'pw' });
    const memory = new MemorySecretStore();
    let refuse = false;
    const secrets: SecretStore = {
      get: (id) => memory.get(id),
      set: (id, s) => (refuse ? Promise.reject(new Error('the keychain is locked')) : memory.set(id, s)),
      delete: (id) => memory.delete(id),
    };
    const engine = await start(newDir(), secrets);
    const up = next(engine, 'account:state', (s) => s.state === 'registered');
    const added = await call<AccountSnapshot>(engine, 'account:add', { aor: 'sip:alice@lab.test', password: 'pw', proxy: `sip:127.0.0.1:${reg.port}`, outbound: false });
    await up;
    const before = engine.store.accounts.list();
    refuse = true;
    const result = await dispatch(engine.handlers, 'account:update', { id: added.id, password: 'new', displayName: 'Alice' });
    expect(result).toMatchObject({ ok: false, error: { message: expect.stringContaining('the keychain is locked') } });
    expect(engine.store.accounts.list()).toEqual(before);
    expect(await memory.get(added.id)).toBe('pw');
    expect(await call(engine, 'account:list')).toEqual([expect.objectContaining({ state: 'registered' })]);
  });

  it('restarted without the password (it was only in memory): says it is missing, not wrong; an update with it registers', async () => {
    const reg = await registrar({ alice: 'pw' });
    const dir = newDir();
    const first = await start(dir, new MemorySecretStore());
    const up = next(first, 'account:state', (s) => s.state === 'registered');
    const added = await call<AccountSnapshot>(first, 'account:add', { aor: 'sip:alice@lab.test', password: 'pw', proxy: `sip:127.0.0.1:${reg.port}`, outbound: false });
    await up;
    await first.close();

    const secrets = new MemorySecretStore(); // a new engine's memory: the password is gone
    const second = await start(dir, secrets);
    // The saved account registers once the engine runs (a loopback round trip: after this listener).
    const missing = await next(second, 'account:state', (s) => s.state === 'failed');
    expect(missing).toMatchObject({
      id: added.id,
      state: 'failed',
      error: { status: 401, code: 'no-password', reason: 'no password is saved for alice@lab.test, and the registrar asks for one (401 Unauthorized)' },
    });
    expect(reg.log.at(-1)).toBe('alice 401');

    const done = next(second, 'account:state', settled(added.id));
    await call(second, 'account:update', { id: added.id, password: 'pw' });
    expect(await done).toMatchObject({ id: added.id, state: 'registered' });
    expect((await done).error).toBeUndefined();
    expect(await secrets.get(added.id)).toBe('pw');
  });
});
