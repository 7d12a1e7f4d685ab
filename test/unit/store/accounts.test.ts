/**
 * Saved accounts (main/store/accounts.ts): what an `account:update` leads to, checked before
 * anything is written, and a replaced password given back to the keychain when the database
 * refuses the change.
 */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { Accounts } from '../../../main/store/accounts.ts';
import { mergeAccountUpdate, MemorySecretStore } from '../../../main/store/index.ts';
import { openStore, tempDir } from './helpers.ts';

describe('mergeAccountUpdate', () => {
  const current = { aor: 'sip:alice@lab.test', username: 'al', proxy: 'sip:127.0.0.1:5060', register: false };

  it('lays the change over the saved config; null clears a field; the password comes apart', () => {
    expect(mergeAccountUpdate(current, { displayName: 'Alice', username: null, register: true, password: 'pw' })).toEqual({
      stored: { aor: 'sip:alice@lab.test', proxy: 'sip:127.0.0.1:5060', register: true, displayName: 'Alice' },
      password: 'pw',
    });
  });

  it('no password, or an empty one, keeps the saved one (none in the result)', () => {
    expect(mergeAccountUpdate(current, {})).toEqual({ stored: current });
    expect(mergeAccountUpdate(current, { password: '' })).toEqual({ stored: current });
  });

  it('checks the result as account:add does, naming the field', () => {
    expect(() => mergeAccountUpdate(current, { proxy: 'sip:proxy example' })).toThrow(/^proxy: /);
    expect(() => mergeAccountUpdate(current, { aor: 'tel:+33123' })).toThrow(/^aor: /);
    expect(() => mergeAccountUpdate(current, { aor: null } as never)).toThrow(/^aor: /);
    expect(() => mergeAccountUpdate(current, { keepAlive: -1 })).toThrow(/^keepAlive: /);
    expect(() => mergeAccountUpdate(current, { colour: 'x' } as never)).toThrow(/^colour: unknown field/);
    expect(() => mergeAccountUpdate(current, { password: 42 } as never)).toThrow(/^password: /);
  });
});

describe('Accounts.save', () => {
  it('gives the keychain its previous password back when the database refuses the change', async () => {
    const path = join(tempDir(), 'appel.db');
    openStore({ path }).close(); // the schema
    const db = new DatabaseSync(path);
    try {
      const accounts = new Accounts({ db, now: () => 1 });
      const secrets = new MemorySecretStore();
      const { id } = await accounts.save({ config: { aor: 'sip:alice@lab.test', password: 'old' } }, secrets);
      db.exec("CREATE TRIGGER refuse BEFORE UPDATE ON accounts BEGIN SELECT RAISE(ABORT, 'the disk refuses'); END");
      await expect(accounts.save({ id, config: { aor: 'sip:alice@lab.test', password: 'new' } }, secrets)).rejects.toThrow('the disk refuses');
      expect(await secrets.get(id)).toBe('old');
      expect(accounts.get(id).config).toEqual({ aor: 'sip:alice@lab.test' });
    } finally {
      db.close();
    }
  });
});
