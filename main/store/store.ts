/**
 * The store: one SQLite file (node:sqlite, built into Node 24 and Electron 45) holding contacts,
 * call history, messages, settings and accounts, the latter without their passwords (see
 * secret-store.ts). Opening brings the schema up to date, sets a damaged file aside in words,
 * refuses a newer one, and closes the calls a previous run left in progress.
 *
 *     const store = Store.open({ path: join(app.getPath('userData'), 'appel.db') });
 *     if (store.opened.damaged) tell(store.opened.damaged.message);
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ContactSnapshot, HistoryEntry, VCardImportResult } from '../contract/api.ts';
import { Accounts } from './accounts.ts';
import { cardToContact, formatContacts } from './contact-vcard.ts';
import { Contacts } from './contacts.ts';
import { History } from './history.ts';
import { Messages } from './messages.ts';
import { openDatabase, type OpenDatabaseOptions } from './open-database.ts';
import { EncryptedSecretStore, type SecretCipher } from './secret-store.ts';
import { SettingsStore } from './settings-store.ts';
import { transaction } from './transaction.ts';
import { parseVCards } from './vcard.ts';

export type StoreOptions = Omit<OpenDatabaseOptions, 'migrateTo'>;

export interface OpenReport {
  /** Migration steps this opening applied (empty: the file was up to date). */
  migrated: number[];
  /** The file was damaged: the copy's path and the sentence to show the person. */
  damaged?: { backup: string; message: string };
  /** Calls a previous run left in progress, now closed as 'interrupted'. */
  interrupted: HistoryEntry[];
}

/** Most vCard text accepted at once (a large address book is a few MB). */
const MAX_VCARD_TEXT = 50 * 1024 * 1024;

export class Store {
  readonly contacts: Contacts;
  readonly history: History;
  readonly messages: Messages;
  readonly settings: SettingsStore;
  readonly accounts: Accounts;
  readonly opened: OpenReport;
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync, now: () => number, opened: Omit<OpenReport, 'interrupted'>) {
    this.#db = db;
    this.contacts = new Contacts({ db, now });
    this.history = new History({ db, now, contacts: this.contacts });
    this.messages = new Messages({ db, contacts: this.contacts });
    this.settings = new SettingsStore({ db });
    this.accounts = new Accounts({ db, now });
    this.opened = { ...opened, interrupted: this.history.closeInterrupted() };
  }

  /** Open or create the database at `path` (its folder too). Throws StoreError 'newer-schema'. */
  static open(opts: StoreOptions): Store {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    const { db, migrated, damaged } = openDatabase(opts);
    try {
      return new Store(db, opts.now ?? Date.now, { migrated, ...(damaged ? { damaged } : {}) });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Secrets encrypted by `cipher` (Electron's safeStorage in the app), kept in this database. */
  encryptedSecrets(cipher: SecretCipher): EncryptedSecretStore {
    return new EncryptedSecretStore({ db: this.#db, cipher });
  }

  /**
   * Import every card of a vCard text in one transaction. A card whose UID is one of our contact
   * ids replaces that contact; the others are added.
   */
  importVCard(text: string): VCardImportResult {
    if (typeof text !== 'string') throw new TypeError('text: vCard text is needed');
    if (text.length > MAX_VCARD_TEXT) throw new TypeError(`text: at most ${MAX_VCARD_TEXT / 1024 / 1024} MB of vCard text at once`);
    const cards = parseVCards(text);
    if (cards.length === 0) throw new TypeError('text: no vCard in it (BEGIN:VCARD … END:VCARD)');
    const result: VCardImportResult = { imported: 0, ids: [], skipped: [], dropped: [] };
    transaction(this.#db, () => {
      cards.forEach((card, i) => {
        const reading = cardToContact(card);
        const who = reading.name !== undefined ? { name: reading.name } : {};
        for (const reason of reading.dropped) result.dropped.push({ card: i + 1, ...who, reason });
        if (!reading.contact) {
          result.skipped.push({ card: i + 1, ...who, reason: reading.skipped ?? 'nothing to import' });
          return;
        }
        try {
          const saved = transaction(this.#db, () => this.contacts.put(reading.contact!));
          result.imported++;
          result.ids.push(saved.id);
        } catch (err) {
          result.skipped.push({ card: i + 1, ...who, reason: (err as Error).message });
        }
      });
    });
    return result;
  }

  /** vCard 4.0 of these contacts (unknown ids refused), or of all. */
  exportVCard(ids?: string[]): { text: string; count: number } {
    let contacts: ContactSnapshot[];
    if (ids === undefined) contacts = this.contacts.list();
    else {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new TypeError('ids: a list of contact ids is needed');
      contacts = ids.map((id) => this.contacts.get(id));
    }
    return { text: formatContacts(contacts), count: contacts.length };
  }

  /** Checkpoint the WAL into the file and close. */
  close(): void {
    if (!this.#db.isOpen) return;
    try {
      this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // Another connection holds it; SQLite checkpoints later.
    }
    this.#db.close();
  }
}
