/**
 * Opening the database: migrations from nothing and from version 1, a damaged file set aside
 * (with words), a newer file refused (unchanged), and the connection's pragmas.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/open-database.ts';
import { LATEST_VERSION, MIGRATIONS, schemaVersion } from '../../../main/store/migrations.ts';
import { transaction } from '../../../main/store/transaction.ts';
import { Store, StoreError } from '../../../main/store/index.ts';
import { fakeClock, openStore, tempDir } from './helpers.ts';

const tables = (db: DatabaseSync) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);

describe('migrations', () => {
  it('builds the latest schema from an empty file, one version per step', () => {
    const path = join(tempDir(), 'a.db');
    const { db, migrated } = openDatabase({ path });
    expect(migrated).toEqual(MIGRATIONS.map((m) => m.version));
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(tables(db)).toEqual(['accounts', 'contact_addresses', 'contacts', 'history', 'messages', 'secrets', 'settings']);
    db.close();
    const again = openDatabase({ path });
    expect(again.migrated).toEqual([]);
    again.db.close();
  });

  it('upgrades a version 1 file to the latest and keeps its rows (history gains its peer key)', () => {
    const path = join(tempDir(), 'v1.db');
    const v1 = openDatabase({ path, migrateTo: 1 });
    expect(schemaVersion(v1.db)).toBe(1);
    expect(tables(v1.db)).not.toContain('messages');
    v1.db.exec(`
      INSERT INTO contacts VALUES ('c1', 'Élodie Durand', 'elodie durand', 1, 'from v1', 1, 2);
      INSERT INTO contact_addresses VALUES ('c1', 0, 'sip:elodie@example.com', 'work', 'sip:elodie@example.com', 'sip:elodie@example.com', NULL);
      INSERT INTO history (direction, peer_uri, peer_name, contact_id, state, started_at, ended_at, last_seen_at, outcome)
        VALUES ('incoming', '"Élodie" <sip:elodie@EXAMPLE.com;transport=tcp>', 'Élodie', 'c1', 'ended', 10, 20, 20, 'missed');
      INSERT INTO settings VALUES ('theme', '"dark"');
    `);
    v1.db.close();

    const store = openStore({ path });
    expect(store.opened.migrated).toEqual(MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version));
    expect(store.contacts.get('c1')).toMatchObject({ displayName: 'Élodie Durand', favourite: true, notes: 'from v1' });
    expect(store.settings.get().theme).toBe('dark');
    // The v2 step filled the peer key of the row already there, so filtering by peer finds it.
    const byPeer = store.history.list({ peer: 'sip:elodie@example.com' });
    expect(byPeer).toHaveLength(1);
    expect(byPeer[0]).toMatchObject({ outcome: 'missed', contactId: 'c1' });
  });

  it('rolls a failing step back whole, leaving the file at the version before', () => {
    const path = join(tempDir(), 'half.db');
    const v1 = openDatabase({ path, migrateTo: 1 });
    // A table in the way of step 2 makes its CREATE fail half-way.
    v1.db.exec('CREATE TABLE messages (x)');
    v1.db.close();
    expect(() => openDatabase({ path })).toThrow(/already exists/);
    const db = new DatabaseSync(path);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('history') WHERE name = 'peer_key'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('a damaged file', () => {
  it('is renamed aside with a timestamp and reported in words; a new, empty one is started', () => {
    const dir = tempDir();
    const path = join(dir, 'appel.db');
    const garbage = Buffer.alloc(10_000, 'not a database at all ');
    writeFileSync(path, garbage);
    const clock = fakeClock(Date.UTC(2025, 5, 6, 7, 8, 9, 10));
    const store = openStore({ path, now: clock.now });
    const backup = join(dir, 'appel.db.damaged-2025-06-06T07-08-09-010Z');
    expect(store.opened.damaged?.backup).toBe(backup);
    expect(store.opened.damaged?.message).toMatch(/^the database of contacts, history and settings \(.*appel\.db\) was damaged \(file is not a database\); a copy was kept at .*appel\.db\.damaged-2025-06-06T07-08-09-010Z, and a new, empty one was started$/);
    expect(readFileSync(backup)).toEqual(garbage);
    expect(store.contacts.list()).toEqual([]);
    store.close();
    // Opening again finds the new file healthy.
    const again = openStore({ path, now: clock.now });
    expect(again.opened.damaged).toBeUndefined();
  });

  it('with damaged pages behind a valid header is found by quick_check and kept too', () => {
    const dir = tempDir();
    const path = join(dir, 'appel.db');
    const store = openStore({ path });
    const cards = Array.from({ length: 200 }, (_, i) => `BEGIN:VCARD\r\nFN:Person ${i} ${'x'.repeat(60)}\r\nIMPP:sip:p${i}@example.com\r\nEND:VCARD\r\n`);
    expect(store.importVCard(cards.join('')).imported).toBe(200);
    store.close();
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(8 * 4096);
    bytes.fill(0xa5, 2 * 4096, 6 * 4096); // pages 3 to 6
    writeFileSync(path, bytes);
    const reopened = openStore({ path });
    expect(reopened.opened.damaged?.message).toMatch(/was damaged/);
    expect(readFileSync(reopened.opened.damaged!.backup)).toEqual(bytes);
    expect(reopened.contacts.list()).toEqual([]);
  });

  it('two damages the same millisecond get two copies', () => {
    const dir = tempDir();
    const path = join(dir, 'appel.db');
    const clock = fakeClock();
    for (const text of ['first garbage', 'second garbage']) {
      writeFileSync(path, Buffer.alloc(5000, text));
      openStore({ path, now: clock.now }).close();
    }
    const copies = readdirSync(dir).filter((f) => f.includes('.damaged-')).sort();
    expect(copies).toHaveLength(2);
    expect(copies[1]).toMatch(/-1$/);
  });
});

describe('a file from a newer Appel', () => {
  it('is refused in words and left byte for byte as it was', () => {
    const dir = tempDir();
    const path = join(dir, 'appel.db');
    openStore({ path }).close();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${LATEST_VERSION + 4}`);
    db.close(); // still in WAL mode, with nothing beside it now
    expect(readdirSync(dir)).toEqual(['appel.db']);
    const before = readFileSync(path);
    const filesBefore = readdirSync(dir).sort();

    let error: unknown;
    try {
      Store.open({ path });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('newer-schema');
    expect((error as StoreError).message).toBe(
      `the database ${path} was written by a newer version of Appel (schema ${LATEST_VERSION + 4}; this version knows up to ${LATEST_VERSION}); ` +
        'it was left unchanged — please use the newer Appel, or move the file away to start afresh',
    );
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(filesBefore);
  });
});

describe('the connection', () => {
  it('uses WAL, foreign keys and a busy timeout', () => {
    const path = join(tempDir(), 'p.db');
    const { db } = openDatabase({ path, busyTimeout: 1234 });
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA foreign_keys').get()).toEqual({ foreign_keys: 1 });
    expect(db.prepare('PRAGMA busy_timeout').get()).toEqual({ timeout: 1234 });
    expect(existsSync(`${path}-wal`)).toBe(true);
    db.close();
  });

  it('a transaction that throws leaves nothing behind, nested ones too', () => {
    const { db } = openDatabase({ path: ':memory:' });
    db.exec('CREATE TABLE t (x INTEGER)');
    expect(() =>
      transaction(db, () => {
        db.exec('INSERT INTO t VALUES (1)');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    transaction(db, () => {
      db.exec('INSERT INTO t VALUES (2)');
      expect(() =>
        transaction(db, () => {
          db.exec('INSERT INTO t VALUES (3)');
          throw new Error('inner');
        }),
      ).toThrow('inner');
    });
    expect(db.prepare('SELECT x FROM t').all()).toEqual([{ x: 2 }]);
    expect(db.isTransaction).toBe(false);
    db.close();
  });

  it('a second writer waits for the first one\'s lock instead of failing', () => {
    const path = join(tempDir(), 'two.db');
    const a = openDatabase({ path }).db;
    const b = openDatabase({ path, busyTimeout: 0 }).db;
    a.exec('BEGIN IMMEDIATE');
    expect(() => b.exec('BEGIN IMMEDIATE')).toThrow(/locked/);
    a.exec('COMMIT');
    b.exec('BEGIN IMMEDIATE; COMMIT');
    a.close();
    b.close();
  });
});
