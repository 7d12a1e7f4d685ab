/**
 * Open (or create) the SQLite file and bring its schema up to date.
 *
 * Before anything is written, a read-only look at the file decides:
 * - written by a newer Appel (`user_version` above ours): refuse with words, change nothing;
 * - not a database, or damaged (SQLITE_NOTADB / SQLITE_CORRUPT, or `PRAGMA quick_check` finds
 *   a fault): rename it (and its -wal/-shm) aside with a timestamp, start an empty one, and say so
 *   in `damaged` — never a silent replacement.
 *
 * Then: WAL journal, foreign keys on, `busy_timeout`, and the missing migration steps.
 */
import { DatabaseSync } from 'node:sqlite';
import { existsSync, renameSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LATEST_VERSION, migrate, schemaVersion } from './migrations.ts';
import { StoreError } from './store-error.ts';

export interface OpenDatabaseOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /** How long a writer waits for another one's lock, ms (default 5000). */
  busyTimeout?: number;
  /** Clock for the backup's timestamp (default Date.now). */
  now?: () => number;
  /** Stop migrating at this version (tests building an old database). */
  migrateTo?: number;
}

export interface OpenedDatabase {
  db: DatabaseSync;
  /** Migration steps applied by this opening. */
  migrated: number[];
  /** Set when the file was damaged: where the copy is, and the sentence to show. */
  damaged?: { backup: string; message: string };
}

/** SQLITE_CORRUPT and SQLITE_NOTADB (primary codes; extended ones carry them in the low byte). */
const DAMAGE_CODES = new Set([11, 26]);

function isDamage(err: unknown): boolean {
  const code = (err as { errcode?: unknown })?.errcode;
  return typeof code === 'number' && DAMAGE_CODES.has(code & 0xff);
}

type Probe = { kind: 'absent' } | { kind: 'ok'; version: number } | { kind: 'damaged'; why: string };

/** A read-only look: the schema version, or why the file is not a usable database. */
function probe(path: string): Probe {
  if (path === ':memory:' || !existsSync(path) || statSync(path).size === 0) return { kind: 'absent' };
  let db: DatabaseSync | undefined;
  try {
    // Without a -wal beside it, everything is in the file: read it as immutable, so the look
    // creates no -wal/-shm either. With one, SQLite must read it (committed pages may be there).
    let target: string | URL = path;
    if (!existsSync(`${path}-wal`)) {
      target = pathToFileURL(path);
      target.searchParams.set('immutable', '1');
    }
    db = new DatabaseSync(target, { readOnly: true });
    const version = schemaVersion(db);
    const check = db.prepare('PRAGMA quick_check(1)').get() as { quick_check: string };
    if (check.quick_check !== 'ok') return { kind: 'damaged', why: check.quick_check };
    return { kind: 'ok', version };
  } catch (err) {
    if (isDamage(err)) return { kind: 'damaged', why: (err as Error).message };
    throw err;
  } finally {
    db?.close();
  }
}

function newerRefusal(path: string, version: number): StoreError {
  return new StoreError(
    'newer-schema',
    `the database ${path} was written by a newer version of Appel (schema ${version}; this version knows up to ${LATEST_VERSION}); ` +
      'it was left unchanged — please use the newer Appel, or move the file away to start afresh',
  );
}

/** Rename the damaged file and its WAL companions to `<path>.damaged-<time>[-n]`. */
function setAside(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  let backup = `${path}.damaged-${stamp}`;
  for (let n = 1; existsSync(backup); n++) backup = `${path}.damaged-${stamp}-${n}`;
  renameSync(path, backup);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, backup + suffix);
  }
  return backup;
}

export function openDatabase(opts: OpenDatabaseOptions): OpenedDatabase {
  const { path } = opts;
  const busyTimeout = opts.busyTimeout ?? 5000;
  let damaged: OpenedDatabase['damaged'];

  const found = probe(path);
  if (found.kind === 'ok' && found.version > LATEST_VERSION) throw newerRefusal(path, found.version);
  if (found.kind === 'damaged') {
    const backup = setAside(path, (opts.now ?? Date.now)());
    damaged = {
      backup,
      message: `the database of contacts, history and settings (${path}) was damaged (${found.why}); a copy was kept at ${backup}, and a new, empty one was started`,
    };
  }

  const db = new DatabaseSync(path, { timeout: busyTimeout, enableForeignKeyConstraints: true });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeout))}`);
    // Another process may have upgraded the file since the probe.
    const version = schemaVersion(db);
    if (version > LATEST_VERSION) throw newerRefusal(path, version);
    const migrated = migrate(db, opts.migrateTo !== undefined ? { to: opts.migrateTo } : {});
    return { db, migrated, ...(damaged ? { damaged } : {}) };
  } catch (err) {
    db.close();
    throw err;
  }
}
