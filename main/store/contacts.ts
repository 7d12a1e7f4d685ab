/**
 * Contacts and their addresses. Every write goes through one transaction; searches use the
 * columns written beside each value (`name_search` folded, `uri_search` lower case, `digits`).
 */
import type { DatabaseSync } from 'node:sqlite';
import { randomUUID } from 'node:crypto';
import type { AddressLabel, ContactAddress, ContactInput, ContactQuery, ContactSnapshot } from '../contract/api.ts';
import { check } from '../contract/schema.ts';
import { contactInputSchema } from '../contract/schemas.ts';
import { checkAddress } from './check-address.ts';
import { foldText, likeAnywhere, numberDigits, peerKey, queryDigits } from './normalize.ts';
import { StoreError } from './store-error.ts';
import { transaction } from './transaction.ts';


interface ContactRow {
  id: string;
  display_name: string;
  favourite: number;
  notes: string;
  created_at: number;
  updated_at: number;
}

interface AddressRow {
  contact_id: string;
  uri: string;
  label: AddressLabel;
}

/** A checked ContactInput: what the store writes. */
export interface CheckedContact {
  id?: string;
  displayName: string;
  favourite: boolean;
  notes: string;
  addresses: ContactAddress[];
}

/** The boundary check of `contacts:save` (TypeError naming the field). */
export function checkContact(input: unknown): CheckedContact {
  check(contactInputSchema, input);
  const c = input as ContactInput;
  const seen = new Set<string>();
  const addresses: ContactAddress[] = [];
  c.addresses.forEach((a, i) => {
    const { uri, label } = a as ContactAddress;
    const checked = checkAddress(uri, `addresses[${i}].uri`);
    const key = peerKey(checked);
    if (seen.has(key)) return; // the same address twice is kept once
    seen.add(key);
    addresses.push({ uri: checked, label });
  });
  return {
    ...(c.id !== undefined ? { id: c.id } : {}),
    displayName: c.displayName.trim(),
    favourite: c.favourite ?? false,
    notes: c.notes ?? '',
    addresses,
  };
}

export class Contacts {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  constructor(opts: { db: DatabaseSync; now: () => number }) {
    this.#db = opts.db;
    this.#now = opts.now;
  }

  /** All contacts, or those matching the query; by name. */
  list(query: ContactQuery = {}): ContactSnapshot[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (query.favourites) where.push('c.favourite = 1');
    const text = query.text?.trim() ?? '';
    if (text !== '') {
      // Every word of the query somewhere in the name ("martin eloi" finds "Éloi Martin")…
      const words = foldText(text).split(/\s+/).filter(Boolean);
      const name = words.map((w, i) => {
        params[`w${i}`] = likeAnywhere(w);
        return `c.name_search LIKE :w${i} ESCAPE '\\'`;
      });
      // …or the text in one of its URIs, or the digits of a number in one of its numbers.
      params.uri = likeAnywhere(text.toLowerCase());
      const address = ["a.uri_search LIKE :uri ESCAPE '\\'"];
      const digits = queryDigits(text);
      if (digits) {
        params.digits = likeAnywhere(digits);
        address.push("a.digits LIKE :digits ESCAPE '\\'");
      }
      where.push(
        `((${name.join(' AND ') || '0'}) OR EXISTS (SELECT 1 FROM contact_addresses a WHERE a.contact_id = c.id AND (${address.join(' OR ')})))`,
      );
    }
    const limit = query.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(query.limit))}` : '';
    const rows = this.#db
      .prepare(`SELECT c.* FROM contacts c ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.name_search, c.id ${limit}`)
      .all(params) as unknown as ContactRow[];
    return this.#snapshots(rows);
  }

  get(id: string): ContactSnapshot {
    const found = this.find(id);
    if (!found) throw new StoreError('not-found', `id: no contact '${id}'`);
    return found;
  }

  find(id: string): ContactSnapshot | undefined {
    const row = this.#db.prepare('SELECT * FROM contacts WHERE id = :id').get({ id }) as ContactRow | undefined;
    return row ? this.#snapshots([row])[0] : undefined;
  }

  /** Create (no id) or replace a contact; an unknown id is refused. */
  save(input: ContactInput): ContactSnapshot {
    const c = checkContact(input);
    return transaction(this.#db, () => {
      if (c.id !== undefined && !this.#exists(c.id)) throw new StoreError('not-found', `id: no contact '${c.id}'`);
      return this.put(c);
    });
  }

  /** Write a checked contact: update it if its id exists, else create it (with that id, if given). */
  put(c: CheckedContact): ContactSnapshot {
    const now = this.#now();
    return transaction(this.#db, () => {
      const id = c.id ?? randomUUID();
      const values = { id, name: c.displayName, search: foldText(c.displayName), fav: c.favourite ? 1 : 0, notes: c.notes, now };
      if (c.id !== undefined && this.#exists(c.id)) {
        this.#db
          .prepare('UPDATE contacts SET display_name = :name, name_search = :search, favourite = :fav, notes = :notes, updated_at = :now WHERE id = :id')
          .run(values);
        this.#db.prepare('DELETE FROM contact_addresses WHERE contact_id = :id').run({ id });
      } else {
        this.#db
          .prepare(
            'INSERT INTO contacts (id, display_name, name_search, favourite, notes, created_at, updated_at) VALUES (:id, :name, :search, :fav, :notes, :now, :now)',
          )
          .run(values);
      }
      const add = this.#db.prepare(
        'INSERT INTO contact_addresses (contact_id, position, uri, label, uri_search, peer_key, digits) VALUES (:id, :pos, :uri, :label, :search, :key, :digits)',
      );
      c.addresses.forEach((a, pos) =>
        add.run({ id, pos, uri: a.uri, label: a.label, search: a.uri.toLowerCase(), key: peerKey(a.uri), digits: numberDigits(a.uri) ?? null }),
      );
      // Calls with these addresses now belong to this contact (and no longer to one that lost them).
      this.#db
        .prepare(
          `UPDATE history SET contact_id = (SELECT a.contact_id FROM contact_addresses a WHERE a.peer_key = history.peer_key ORDER BY a.contact_id = :id DESC LIMIT 1)
           WHERE contact_id = :id OR peer_key IN (SELECT peer_key FROM contact_addresses WHERE contact_id = :id)`,
        )
        .run({ id });
      return this.get(id);
    });
  }

  delete(id: string): void {
    const { changes } = this.#db.prepare('DELETE FROM contacts WHERE id = :id').run({ id });
    if (changes === 0) throw new StoreError('not-found', `id: no contact '${id}'`);
  }

  setFavourite(id: string, favourite: boolean): ContactSnapshot {
    if (typeof favourite !== 'boolean') throw new TypeError('favourite: true or false');
    const { changes } = this.#db.prepare('UPDATE contacts SET favourite = :fav, updated_at = :now WHERE id = :id').run({ id, fav: favourite ? 1 : 0, now: this.#now() });
    if (changes === 0) throw new StoreError('not-found', `id: no contact '${id}'`);
    return this.get(id);
  }

  /**
   * The contact an address belongs to: the same URI (normalize.ts peerKey), else the same
   * telephone number by its digits (a `tel:` entry matches a call from `sip:+331…@pbx`).
   */
  lookup(uri: string): ContactSnapshot | undefined {
    const byKey = this.#db.prepare('SELECT contact_id FROM contact_addresses WHERE peer_key = :key ORDER BY contact_id LIMIT 1').get({ key: peerKey(uri) }) as
      | { contact_id: string }
      | undefined;
    const digits = numberDigits(uri);
    const byDigits =
      byKey ??
      (digits && digits.length >= 3
        ? (this.#db.prepare('SELECT contact_id FROM contact_addresses WHERE digits = :digits ORDER BY contact_id LIMIT 1').get({ digits }) as { contact_id: string } | undefined)
        : undefined);
    return byDigits ? this.find(byDigits.contact_id) : undefined;
  }

  #exists(id: string): boolean {
    return this.#db.prepare('SELECT 1 FROM contacts WHERE id = :id').get({ id }) !== undefined;
  }

  #snapshots(rows: ContactRow[]): ContactSnapshot[] {
    if (rows.length === 0) return [];
    const addresses = this.#db
      .prepare('SELECT contact_id, uri, label FROM contact_addresses WHERE contact_id IN (SELECT value FROM json_each(:ids)) ORDER BY contact_id, position')
      .all({ ids: JSON.stringify(rows.map((r) => r.id)) }) as unknown as AddressRow[];
    const byContact = new Map<string, ContactAddress[]>();
    for (const a of addresses) {
      let list = byContact.get(a.contact_id);
      if (!list) byContact.set(a.contact_id, (list = []));
      list.push({ uri: a.uri, label: a.label });
    }
    return rows.map((r) => ({
      id: r.id,
      displayName: r.display_name,
      favourite: r.favourite === 1,
      notes: r.notes,
      addresses: byContact.get(r.id) ?? [],
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }
}
