/**
 * Saved accounts: their `AccountConfig` without the password, which goes to the SecretStore.
 * The config written is built key by key from a list that has no `password`, so no path can
 * write one into the database.
 */
import type { DatabaseSync } from 'node:sqlite';
import { randomUUID } from 'node:crypto';
import type { AccountConfig, AccountUpdate } from '../contract/api.ts';
import { check, keysOf } from '../contract/schema.ts';
import { accountConfigSchema, accountUpdateSchema } from '../contract/schemas.ts';
import { checkAddress } from './check-address.ts';
import type { SecretStore } from './secret-store.ts';
import { StoreError } from './store-error.ts';

export type StoredAccountConfig = Omit<AccountConfig, 'password'>;

export interface StoredAccount {
  id: string;
  config: StoredAccountConfig;
}

/** The AOR and the proxy must be SIP URIs in full (a tel: URI has no server to register with). */
function checkSipUri(v: unknown, name: string): string {
  const uri = checkAddress(v, name);
  if (uri.startsWith('tel:')) throw new TypeError(`${name}: expected a sip: or sips: URI, not '${uri}'`);
  return uri;
}

/** The boundary check (contract/schemas.ts): the config to store (no password) and the password, if one was given. */
export function splitAccountConfig(config: unknown): { stored: StoredAccountConfig; password?: string } {
  check(accountConfigSchema, config);
  const { password, ...rest } = config as AccountConfig;
  // Built key by key from the schema's fields, so nothing else (a password) reaches the database.
  const stored: Record<string, unknown> = {};
  for (const key of keysOf(accountConfigSchema)) {
    const value = (rest as Record<string, unknown>)[key];
    if (key !== 'password' && value !== undefined) stored[key] = value;
  }
  stored.aor = checkSipUri(stored.aor, 'aor');
  if (stored.proxy !== undefined) stored.proxy = checkSipUri(stored.proxy, 'proxy');
  return { stored: stored as unknown as StoredAccountConfig, ...(password !== undefined ? { password } : {}) };
}

/**
 * The config an `account:update` leads to: `change`'s fields over `current`, `null` clearing an
 * optional one, checked as `account:add` is (a TypeError naming the field). The password comes
 * apart: one given replaces the saved one, none or '' keeps it (`password` then absent).
 */
export function mergeAccountUpdate(current: StoredAccountConfig, change: Omit<AccountUpdate, 'id'>): { stored: StoredAccountConfig; password?: string } {
  check(accountUpdateSchema, typeof change === 'object' && change !== null ? { ...change, id: 'update' } : change);
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(change)) {
    if (key === 'password' || value === undefined) continue;
    if (value !== null) merged[key] = value;
    else delete merged[key];
  }
  const { stored } = splitAccountConfig(merged);
  return { stored, ...(change.password ? { password: change.password } : {}) };
}

export class Accounts {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  constructor(opts: { db: DatabaseSync; now: () => number }) {
    this.#db = opts.db;
    this.#now = opts.now;
  }

  list(): StoredAccount[] {
    const rows = this.#db.prepare('SELECT id, config FROM accounts ORDER BY position, created_at').all() as Array<{ id: string; config: string }>;
    return rows.map((r) => ({ id: r.id, config: JSON.parse(r.config) as StoredAccountConfig }));
  }

  get(id: string): StoredAccount {
    const row = this.#db.prepare('SELECT id, config FROM accounts WHERE id = :id').get({ id }) as { id: string; config: string } | undefined;
    if (!row) throw new StoreError('not-found', `id: no account '${id}'`);
    return { id: row.id, config: JSON.parse(row.config) as StoredAccountConfig };
  }

  /**
   * Create (no id) or replace an account. A password in `config` goes to `secrets` first (so a
   * keychain that refuses leaves the database unchanged); none given keeps the one stored. When
   * the database then refuses, the keychain gets its previous secret back.
   */
  async save(req: { id?: string; config: AccountConfig }, secrets: SecretStore): Promise<StoredAccount> {
    const { stored, password } = splitAccountConfig(req.config);
    const exists = req.id !== undefined && this.#db.prepare('SELECT 1 FROM accounts WHERE id = :id').get({ id: req.id }) !== undefined;
    if (req.id !== undefined && !exists) throw new StoreError('not-found', `id: no account '${req.id}'`);
    const id = req.id ?? randomUUID();
    const previous = exists && password !== undefined ? await secrets.get(id).catch(() => undefined) : undefined;
    if (password !== undefined) await secrets.set(id, password);
    const now = this.#now();
    const values = { id, aor: stored.aor, config: JSON.stringify(stored), now };
    try {
      if (exists) {
        this.#db.prepare('UPDATE accounts SET aor = :aor, config = :config, updated_at = :now WHERE id = :id').run(values);
      } else {
        this.#db
          .prepare(
            `INSERT INTO accounts (id, position, aor, config, created_at, updated_at)
             VALUES (:id, (SELECT COALESCE(MAX(position), -1) + 1 FROM accounts), :aor, :config, :now, :now)`,
          )
          .run(values);
      }
    } catch (err) {
      if (password !== undefined) await (previous !== undefined ? secrets.set(id, previous) : secrets.delete(id)).catch(() => undefined);
      throw err;
    }
    return { id, config: stored };
  }

  async delete(id: string, secrets: SecretStore): Promise<void> {
    const { changes } = this.#db.prepare('DELETE FROM accounts WHERE id = :id').run({ id });
    if (changes === 0) throw new StoreError('not-found', `id: no account '${id}'`);
    await secrets.delete(id);
  }

  /** The config the phone registers with: the stored one plus its password from the keychain. */
  async config(id: string, secrets: SecretStore): Promise<AccountConfig> {
    const { config } = this.get(id);
    const password = await secrets.get(id);
    return { ...config, ...(password !== undefined ? { password } : {}) };
  }
}
