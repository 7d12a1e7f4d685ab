/**
 * The schema, as the list of steps that built it. The database's `PRAGMA user_version` is the
 * number of steps applied; opening runs the missing ones, each in its own `BEGIN IMMEDIATE`
 * transaction together with the new version number, so a crash leaves the file at one version or
 * the next, never between. Steps are never edited once released: a change is a new step.
 *
 *   1  contacts, their addresses, call history, settings
 *   2  messages; history gets a `peer_key` (filled in for the rows already there)
 *   3  accounts (without passwords) and encrypted secrets
 */
import type { DatabaseSync } from 'node:sqlite';
import { peerKey } from './normalize.ts';
import { transaction } from './transaction.ts';

export interface Migration {
  version: number;
  description: string;
  up(db: DatabaseSync): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'contacts, addresses, history, settings',
    up(db) {
      db.exec(`
        CREATE TABLE contacts (
          id           TEXT PRIMARY KEY,
          display_name TEXT NOT NULL,
          name_search  TEXT NOT NULL,              -- display_name folded: no case, no accents
          favourite    INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
          notes        TEXT NOT NULL DEFAULT '',
          created_at   INTEGER NOT NULL,
          updated_at   INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX contacts_by_name ON contacts (name_search);

        CREATE TABLE contact_addresses (
          contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
          position   INTEGER NOT NULL,
          uri        TEXT NOT NULL,
          label      TEXT NOT NULL CHECK (label IN ('work', 'home', 'mobile', 'other')),
          uri_search TEXT NOT NULL,                -- lower case, for LIKE
          peer_key   TEXT NOT NULL,                -- normalize.ts peerKey(), for exact look-ups
          digits     TEXT,                         -- the number's digits when the address is one
          PRIMARY KEY (contact_id, position)
        ) STRICT;
        CREATE INDEX contact_addresses_by_key ON contact_addresses (peer_key);
        CREATE INDEX contact_addresses_by_digits ON contact_addresses (digits) WHERE digits IS NOT NULL;

        CREATE TABLE history (
          id           INTEGER PRIMARY KEY AUTOINCREMENT,
          direction    TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
          peer_uri     TEXT NOT NULL,
          peer_name    TEXT,
          contact_id   TEXT REFERENCES contacts (id) ON DELETE SET NULL,
          account_id   TEXT,
          state        TEXT NOT NULL CHECK (state IN ('in-progress', 'ended')),
          started_at   INTEGER NOT NULL,
          answered_at  INTEGER,
          ended_at     INTEGER,
          last_seen_at INTEGER NOT NULL,           -- the last time the call was known alive
          outcome      TEXT CHECK (outcome IN ('answered', 'missed', 'declined', 'failed', 'cancelled', 'busy', 'interrupted')),
          end_reason   TEXT,
          codec        TEXT
        ) STRICT;
        CREATE INDEX history_in_progress ON history (state) WHERE state = 'in-progress';

        CREATE TABLE settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL                      -- JSON
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    description: 'messages; history peer key',
    up(db) {
      db.exec(`
        CREATE TABLE messages (
          id           TEXT PRIMARY KEY,
          account_id   TEXT,
          peer         TEXT NOT NULL,
          peer_key     TEXT NOT NULL,
          direction    TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
          text         TEXT NOT NULL,
          content_type TEXT NOT NULL,
          time         INTEGER NOT NULL,
          status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'received')),
          error        TEXT,
          read         INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1))
        ) STRICT;
        CREATE INDEX messages_by_peer ON messages (peer_key, time);
        CREATE INDEX messages_unread ON messages (peer_key) WHERE read = 0;

        ALTER TABLE history ADD COLUMN peer_key TEXT NOT NULL DEFAULT '';
      `);
      const rows = db.prepare('SELECT id, peer_uri FROM history').all() as Array<{ id: number; peer_uri: string }>;
      const set = db.prepare('UPDATE history SET peer_key = :key WHERE id = :id');
      for (const r of rows) set.run({ key: peerKey(r.peer_uri), id: r.id });
      db.exec('CREATE INDEX history_by_peer ON history (peer_key, id)');
    },
  },
  {
    version: 3,
    description: 'accounts and secrets',
    up(db) {
      db.exec(`
        CREATE TABLE accounts (
          id         TEXT PRIMARY KEY,
          position   INTEGER NOT NULL,
          aor        TEXT NOT NULL,
          config     TEXT NOT NULL,                -- JSON AccountConfig, never with its password
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;

        -- Ciphertext only (the OS keychain's key encrypts it, see secret-store.ts).
        CREATE TABLE secrets (
          account_id TEXT PRIMARY KEY,
          ciphertext BLOB NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 4,
    description: 'history: the end as a code with its SIP status, and the recording',
    up(db) {
      db.exec(`
        ALTER TABLE history ADD COLUMN end_code TEXT;      -- contract/end-codes.ts
        ALTER TABLE history ADD COLUMN end_status INTEGER; -- the SIP status behind the end
        ALTER TABLE history ADD COLUMN end_target TEXT;    -- where the call was transferred to
        ALTER TABLE history ADD COLUMN recording TEXT;     -- the WAV file the call recorded to
      `);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * Apply the steps after the database's version, up to `to` (default the latest); each step and
 * its version number commit together. Returns the versions applied.
 */
export function migrate(db: DatabaseSync, opts: { to?: number } = {}): number[] {
  const to = opts.to ?? LATEST_VERSION;
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version > to) break;
    transaction(db, () => {
      // Read inside the write lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= m.version) return;
      m.up(db);
      db.exec(`PRAGMA user_version = ${m.version}`);
      applied.push(m.version);
    });
  }
  return applied;
}
