/**
 * Run `fn` in one write transaction: `BEGIN IMMEDIATE` takes the write lock first (so a second
 * writer waits `busy_timeout` at the start rather than failing half-way), then `COMMIT`; any
 * throw rolls everything back and rethrows. Inside another transaction it nests as a SAVEPOINT.
 */
import type { DatabaseSync } from 'node:sqlite';

let savepoints = 0;

export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) {
    const name = `sp${++savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const value = fn();
      db.exec(`RELEASE ${name}`);
      return value;
    } catch (err) {
      db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    }
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    const value = fn();
    db.exec('COMMIT');
    return value;
  } catch (err) {
    // SQLite may already have rolled back (e.g. SQLITE_FULL); only roll back what is still open.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
