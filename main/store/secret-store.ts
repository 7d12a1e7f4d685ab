/**
 * Where account passwords live: never in the database in clear, never in a plain file.
 *
 * `SecretStore` is the whole interface the rest of the code sees. Two implementations:
 *
 * - `MemorySecretStore`: a Map, for tests and headless runs (the CLI takes the password on
 *   its command line or from the environment and forgets it at exit).
 * - `EncryptedSecretStore`: ciphertext in the database's `secrets` table, encrypted and decrypted
 *   by a `SecretCipher`. In the desktop app that cipher is Electron's `safeStorage` (main/app/,
 *   the only place that imports 'electron'), whose key the OS keychain holds (macOS Keychain,
 *   Windows DPAPI, libsecret/KWallet on Linux). Keeping the ciphertext as a BLOB in the database is
 *   safe because the key is not there: a copied database file reveals nothing. The app's
 *   implementation is then one line:
 *
 *       const secrets = store.encryptedSecrets({
 *         isEncryptionAvailable: () =>
 *           safeStorage.isEncryptionAvailable() && safeStorage.getSelectedStorageBackend?.() !== 'basic_text',
 *         encryptString: (s) => safeStorage.encryptString(s),
 *         decryptString: (b) => safeStorage.decryptString(Buffer.from(b)),
 *       });
 *
 *   (On Linux without a keyring, Chromium falls back to 'basic_text', a key compiled into the
 *   browser: no better than clear text, so the adapter above reports it as unavailable and
 *   `set` refuses in words instead of pretending.) `isEncryptionAvailable()` is only true after
 *   the app's 'ready' event.
 *
 * Another keychain (keytar, libsecret over D-Bus) implements `SecretStore` directly; the
 * methods are async for them.
 */
import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from './store-error.ts';

export interface SecretStore {
  get(accountId: string): Promise<string | undefined>;
  set(accountId: string, secret: string): Promise<void>;
  delete(accountId: string): Promise<void>;
}

/** Shaped like Electron's `safeStorage`. */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Uint8Array;
  decryptString(cipherText: Uint8Array): string;
}

export class MemorySecretStore implements SecretStore {
  readonly #secrets = new Map<string, string>();

  async get(accountId: string): Promise<string | undefined> {
    return this.#secrets.get(accountId);
  }

  async set(accountId: string, secret: string): Promise<void> {
    this.#secrets.set(accountId, secret);
  }

  async delete(accountId: string): Promise<void> {
    this.#secrets.delete(accountId);
  }
}

export class EncryptedSecretStore implements SecretStore {
  readonly #db: DatabaseSync;
  readonly #cipher: SecretCipher;

  constructor(opts: { db: DatabaseSync; cipher: SecretCipher }) {
    this.#db = opts.db;
    this.#cipher = opts.cipher;
  }

  async get(accountId: string): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT ciphertext FROM secrets WHERE account_id = :id').get({ id: accountId }) as { ciphertext: Uint8Array } | undefined;
    if (!row) return undefined;
    if (!this.#cipher.isEncryptionAvailable()) throw this.#unavailable('read');
    return this.#cipher.decryptString(row.ciphertext);
  }

  async set(accountId: string, secret: string): Promise<void> {
    if (!this.#cipher.isEncryptionAvailable()) throw this.#unavailable('keep');
    const ciphertext = this.#cipher.encryptString(secret);
    this.#db
      .prepare('INSERT INTO secrets (account_id, ciphertext) VALUES (:id, :c) ON CONFLICT (account_id) DO UPDATE SET ciphertext = excluded.ciphertext')
      .run({ id: accountId, c: ciphertext });
  }

  async delete(accountId: string): Promise<void> {
    this.#db.prepare('DELETE FROM secrets WHERE account_id = :id').run({ id: accountId });
  }

  #unavailable(verb: string): StoreError {
    return new StoreError(
      'no-secret-storage',
      `the system keychain is not available, so Appel cannot ${verb} the password safely; it is kept nowhere on disk — set up a keyring (or enter the password each time)`,
    );
  }
}
