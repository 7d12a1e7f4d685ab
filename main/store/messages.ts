/**
 * Instant messages (RFC 3428 MESSAGE), one conversation per peer. A message is saved as the
 * phone reports it (`message:received`, `message:state`): the same id again updates its status.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { ConversationSummary, MessageSnapshot } from '../contract/api.ts';
import type { Contacts } from './contacts.ts';
import { peerKey } from './normalize.ts';

interface MessageRow {
  id: string;
  account_id: string | null;
  peer: string;
  peer_key: string;
  direction: 'incoming' | 'outgoing';
  text: string;
  content_type: string;
  time: number;
  status: MessageSnapshot['status'];
  error: string | null;
  read: number;
}

function toSnapshot(r: MessageRow): MessageSnapshot {
  return {
    id: r.id,
    direction: r.direction,
    peer: r.peer,
    text: r.text,
    contentType: r.content_type,
    time: r.time,
    status: r.status,
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

export class Messages {
  readonly #db: DatabaseSync;
  readonly #contacts: Contacts;

  constructor(opts: { db: DatabaseSync; contacts: Contacts }) {
    this.#db = opts.db;
    this.#contacts = opts.contacts;
  }

  /** Save a message, or its new status (an outgoing one goes sending → sent | failed). Ours are read. */
  save(message: MessageSnapshot, opts: { accountId?: string } = {}): void {
    this.#db
      .prepare(
        `INSERT INTO messages (id, account_id, peer, peer_key, direction, text, content_type, time, status, error, read)
         VALUES (:id, :account, :peer, :key, :direction, :text, :type, :time, :status, :error, :read)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error`,
      )
      .run({
        id: message.id,
        account: opts.accountId ?? null,
        peer: message.peer,
        key: peerKey(message.peer),
        direction: message.direction,
        text: message.text,
        type: message.contentType,
        time: message.time,
        status: message.status,
        error: message.error ?? null,
        read: message.direction === 'outgoing' ? 1 : 0,
      });
  }

  /** One conversation, oldest first: the `limit` newest messages before `before` (ms). */
  list(peer: string, opts: { limit?: number; before?: number } = {}): MessageSnapshot[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM (SELECT rowid AS seq, * FROM messages WHERE peer_key = :key AND time < :before ORDER BY time DESC, rowid DESC LIMIT :limit)
         ORDER BY time, seq`,
      )
      .all({ key: peerKey(peer), before: opts.before ?? Number.MAX_SAFE_INTEGER, limit: opts.limit ?? -1 }) as unknown as MessageRow[];
    return rows.map(toSnapshot);
  }

  /** The last message with each peer, newest conversation first, with its unread count. */
  conversations(): ConversationSummary[] {
    const rows = this.#db
      .prepare(
        `SELECT m.*, (SELECT COUNT(*) FROM messages u WHERE u.peer_key = m.peer_key AND u.read = 0) AS unread
         FROM messages m
         WHERE m.rowid = (SELECT l.rowid FROM messages l WHERE l.peer_key = m.peer_key ORDER BY l.time DESC, l.rowid DESC LIMIT 1)
         ORDER BY m.time DESC, m.rowid DESC`,
      )
      .all() as unknown as Array<MessageRow & { unread: number }>;
    return rows.map((r) => {
      const contact = this.#contacts.lookup(r.peer_key);
      return {
        peer: r.peer_key,
        ...(contact ? { contactId: contact.id, displayName: contact.displayName } : {}),
        last: toSnapshot(r),
        unread: r.unread,
      };
    });
  }

  /** Everything received from `peer` so far has been seen. Returns how many changed. */
  markRead(peer: string): number {
    return Number(this.#db.prepare('UPDATE messages SET read = 1 WHERE peer_key = :key AND read = 0').run({ key: peerKey(peer) }).changes);
  }
}
