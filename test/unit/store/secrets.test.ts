/**
 * Passwords: through a SecretStore, never into the database in clear. The last test reads the
 * database files' bytes (the file, its WAL) and looks for the secret in every encoding SQLite
 * could have written it in.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySecretStore, StoreError, type SecretCipher } from '../../../main/store/index.ts';
import { openStore, tempDir } from './helpers.ts';

/** A stand-in for Electron's safeStorage: AES-256-GCM under a key that lives only in memory. */
function testCipher(available = true): SecretCipher & { key: Buffer } {
  const key = randomBytes(32);
  return {
    key,
    isEncryptionAvailable: () => available,
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(data) {
      const b = Buffer.from(data);
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const SECRET = 'Sëcret-p4ss/word;with,punctuation';

/** Every file of the database (main, -wal, -shm) contains none of the secret's encodings. */
function expectNoSecretIn(dir: string, secret: string) {
  const needles = [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'utf16le'), Buffer.from(JSON.stringify(secret)), Buffer.from('p4ss')];
  const files = readdirSync(dir).filter((f) => f.startsWith('appel.db'));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    for (const n of needles) expect(bytes.includes(n), `${f} holds the secret`).toBe(false);
  }
}

describe('secret stores', () => {
  it('the in-memory one keeps, gives back and forgets', async () => {
    const s = new MemorySecretStore();
    expect(await s.get('a')).toBeUndefined();
    await s.set('a', 'x');
    expect(await s.get('a')).toBe('x');
    await s.delete('a');
    expect(await s.get('a')).toBeUndefined();
  });

  it('the encrypted one keeps only ciphertext, readable with the same key only', async () => {
    const store = openStore();
    const cipher = testCipher();
    const secrets = store.encryptedSecrets(cipher);
    await secrets.set('acc', SECRET);
    expect(await secrets.get('acc')).toBe(SECRET);
    const other = store.encryptedSecrets(testCipher());
    await expect(other.get('acc')).rejects.toThrow(); // another key: the GCM tag does not match
    await secrets.delete('acc');
    expect(await secrets.get('acc')).toBeUndefined();
  });

  it('without a keychain the encrypted one refuses in words and keeps nothing', async () => {
    const store = openStore();
    const secrets = store.encryptedSecrets(testCipher(false));
    const err = await secrets.set('acc', SECRET).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('no-secret-storage');
    expect((err as StoreError).message).toMatch(/^the system keychain is not available, so Appel cannot keep the password safely/);
    expect((err as Error).message).not.toContain(SECRET);
  });
});

describe('accounts', () => {
  it('are stored without their password, which goes to the secret store', async () => {
    const store = openStore();
    const secrets = new MemorySecretStore();
    const saved = await store.accounts.save(
      { config: { aor: 'sip:alice@example.com', username: 'alice', password: SECRET, proxy: 'sip:127.0.0.1:5061;transport=tls', transport: 'tls', expires: 300 } },
      secrets,
    );
    expect(saved.config).toEqual({ aor: 'sip:alice@example.com', username: 'alice', proxy: 'sip:127.0.0.1:5061;transport=tls', transport: 'tls', expires: 300 });
    expect(store.accounts.list()).toEqual([saved]);
    expect(await secrets.get(saved.id)).toBe(SECRET);
    expect(await store.accounts.config(saved.id, secrets)).toEqual({ ...saved.config, password: SECRET });

    // Saving again without a password keeps the one stored.
    await store.accounts.save({ id: saved.id, config: { aor: 'sip:alice@example.com', displayName: 'Alice' } }, secrets);
    expect(await store.accounts.config(saved.id, secrets)).toEqual({ aor: 'sip:alice@example.com', displayName: 'Alice', password: SECRET });

    await store.accounts.delete(saved.id, secrets);
    expect(store.accounts.list()).toEqual([]);
    expect(await secrets.get(saved.id)).toBeUndefined();
  });

  it('bad configs are refused by name; a keychain that refuses leaves no account behind', async () => {
    const store = openStore();
    const secrets = new MemorySecretStore();
    await expect(store.accounts.save({ config: { aor: 'tel:+331' } }, secrets)).rejects.toThrow("aor: expected a sip: or sips: URI, not 'tel:+331'");
    await expect(store.accounts.save({ config: { aor: 'sip:a@example.com', transport: 'sctp' as 'udp' } }, secrets)).rejects.toThrow("transport: expected udp, tcp, tls, not 'sctp'");
    await expect(store.accounts.save({ config: { aor: 'sip:a@example.com', passwd: 'x' } as never }, secrets)).rejects.toThrow('passwd: unknown field');
    const refusing = store.encryptedSecrets(testCipher(false));
    await expect(store.accounts.save({ config: { aor: 'sip:a@example.com', password: SECRET } }, refusing)).rejects.toThrow(StoreError);
    expect(store.accounts.list()).toEqual([]);
  });

  it('the secret is nowhere in the database files, whatever path it took', async () => {
    const dir = tempDir();
    const path = join(dir, 'appel.db');
    const store = openStore({ path });
    const cipher = testCipher();
    const encrypted = store.encryptedSecrets(cipher);
    const memory = new MemorySecretStore();
    const a = await store.accounts.save({ config: { aor: 'sip:alice@example.com', password: SECRET } }, encrypted);
    await store.accounts.save({ config: { aor: 'sip:bob@example.com', password: SECRET } }, memory);
    await store.accounts.save({ id: a.id, config: { aor: 'sip:alice@example.com', username: 'alice', password: SECRET } }, encrypted);
    // Paths where a careless store could leak it: a contact's URI, a vCard, history, messages.
    expect(() => store.contacts.save({ displayName: 'X', addresses: [{ uri: `sip:x:${SECRET}@example.com`, label: 'work' }] })).toThrow(/password/);
    store.importVCard(`BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Y\r\nIMPP:sip:y:p4ss@example.com\r\nTEL:tel:+1555\r\nEND:VCARD\r\n`);
    expect(await encrypted.get(a.id)).toBe(SECRET);

    // While open (the WAL holds the latest pages) and after closing (checkpointed into the file).
    expect(existsSync(`${path}-wal`)).toBe(true);
    expectNoSecretIn(dir, SECRET);
    store.close();
    expectNoSecretIn(dir, SECRET);
  });

  it('(control) the byte search does find text written in clear, in the WAL and in the file', () => {
    const dir = tempDir();
    const store = openStore({ path: join(dir, 'appel.db') });
    store.contacts.save({ displayName: 'Z', notes: SECRET, addresses: [] });
    expect(() => expectNoSecretIn(dir, SECRET)).toThrow(/holds the secret/);
    store.close();
    expect(() => expectNoSecretIn(dir, SECRET)).toThrow(/appel\.db holds the secret/);
  });
});
