/**
 * Call history. A row is written when a call starts (state 'in-progress') and completed when it
 * ends, so a crash in the middle of a call still leaves it; the next opening closes such rows as
 * 'interrupted' at the last time the call was known alive (`last_seen_at`, moved by `answered`
 * and `touch`).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { CallCodec, CallOutcome, HistoryEntry, HistoryFilter } from '../contract/api.ts';
import type { EndCode } from '../contract/end-codes.ts';
import { check, oneOf } from '../contract/schema.ts';
import { historyFilterSchema } from '../contract/schemas.ts';
import { CALL_OUTCOMES } from '../contract/values.ts';
import type { Contacts } from './contacts.ts';
import { peerKey } from './normalize.ts';
import { StoreError } from './store-error.ts';

export interface HistoryStart {
  direction: 'incoming' | 'outgoing';
  peer: { uri: string; displayName?: string };
  accountId?: string;
  /** ms since the epoch (default now). */
  startedAt?: number;
}

export interface HistoryEnd {
  outcome: CallOutcome;
  endReason?: string;
  /** Why, as a code the UI words, and the SIP status behind it. */
  endCode?: EndCode;
  endStatus?: number;
  /** Where the call was transferred to (endCode 'transferred'). */
  endTarget?: string;
  /** The WAV file the call recorded to. */
  recording?: string;
  /** Default now. */
  endedAt?: number;
  answeredAt?: number;
  codec?: CallCodec;
}

interface HistoryRow {
  id: number;
  direction: 'incoming' | 'outgoing';
  peer_uri: string;
  peer_name: string | null;
  contact_id: string | null;
  account_id: string | null;
  state: 'in-progress' | 'ended';
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  outcome: CallOutcome | null;
  end_reason: string | null;
  codec: CallCodec | null;
  end_code: EndCode | null;
  end_status: number | null;
  end_target: string | null;
  recording: string | null;
}

export const INTERRUPTED_REASON = 'Appel stopped during the call; it ended at the time shown or soon after';

function toEntry(r: HistoryRow): HistoryEntry {
  return {
    id: r.id,
    direction: r.direction,
    peer: { uri: r.peer_uri, ...(r.peer_name !== null ? { displayName: r.peer_name } : {}) },
    ...(r.contact_id !== null ? { contactId: r.contact_id } : {}),
    ...(r.account_id !== null ? { accountId: r.account_id } : {}),
    startedAt: r.started_at,
    ...(r.answered_at !== null ? { answeredAt: r.answered_at } : {}),
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
    duration: r.answered_at !== null && r.ended_at !== null ? Math.max(0, Math.round((r.ended_at - r.answered_at) / 1000)) : 0,
    ...(r.outcome !== null ? { outcome: r.outcome } : {}),
    ...(r.end_reason !== null ? { endReason: r.end_reason } : {}),
    ...(r.codec !== null ? { codec: r.codec } : {}),
    ...(r.end_code !== null ? { endCode: r.end_code } : {}),
    ...(r.end_status !== null ? { endStatus: r.end_status } : {}),
    ...(r.end_target !== null ? { endTarget: r.end_target } : {}),
    ...(r.recording !== null ? { recording: r.recording } : {}),
  };
}

/** The boundary check of `history:list`. */
export function checkHistoryFilter(filter: unknown): HistoryFilter {
  check(historyFilterSchema, filter);
  return (filter ?? {}) as HistoryFilter;
}

export class History {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #contacts: Contacts;

  constructor(opts: { db: DatabaseSync; now: () => number; contacts: Contacts }) {
    this.#db = opts.db;
    this.#now = opts.now;
    this.#contacts = opts.contacts;
  }

  /** A call begins: its row is written now, in progress. */
  start(call: HistoryStart): HistoryEntry {
    const startedAt = call.startedAt ?? this.#now();
    const contact = this.#contacts.lookup(call.peer.uri);
    const row = this.#db
      .prepare(
        `INSERT INTO history (direction, peer_uri, peer_name, peer_key, contact_id, account_id, state, started_at, last_seen_at)
         VALUES (:direction, :uri, :name, :key, :contact, :account, 'in-progress', :at, :at) RETURNING *`,
      )
      .get({
        direction: call.direction,
        uri: call.peer.uri,
        name: call.peer.displayName ?? null,
        key: peerKey(call.peer.uri),
        contact: contact?.id ?? null,
        account: call.accountId ?? null,
        at: startedAt,
      }) as unknown as HistoryRow;
    return this.#entry(row);
  }

  /** The call was answered (and media flows with `codec`). */
  answered(id: number, at: number = this.#now(), codec?: CallCodec): HistoryEntry {
    return this.#update(id, 'answered_at = :at, last_seen_at = MAX(last_seen_at, :at), codec = COALESCE(:codec, codec)', { at, codec: codec ?? null });
  }

  /** The call is still alive at `at`: where an interrupted call will be said to have ended. */
  touch(id: number, at: number = this.#now(), codec?: CallCodec): void {
    this.#db
      .prepare("UPDATE history SET last_seen_at = MAX(last_seen_at, :at), codec = COALESCE(:codec, codec) WHERE id = :id AND state = 'in-progress'")
      .run({ id, at, codec: codec ?? null });
  }

  /** The call ended: its outcome, reason and times. */
  end(id: number, end: HistoryEnd): HistoryEntry {
    check(oneOf(CALL_OUTCOMES), end.outcome, 'outcome');
    const at = end.endedAt ?? this.#now();
    return this.#update(
      id,
      `state = 'ended', ended_at = :at, last_seen_at = MAX(last_seen_at, :at), outcome = :outcome, end_reason = :reason,
       answered_at = COALESCE(:answered, answered_at), codec = COALESCE(:codec, codec), end_code = :code, end_status = :status, end_target = :target, recording = :recording`,
      {
        at,
        outcome: end.outcome,
        reason: end.endReason ?? null,
        answered: end.answeredAt ?? null,
        codec: end.codec ?? null,
        code: end.endCode ?? null,
        status: end.endStatus ?? null,
        target: end.endTarget ?? null,
        recording: end.recording ?? null,
      },
    );
  }

  get(id: number): HistoryEntry {
    const row = this.#db.prepare('SELECT * FROM history WHERE id = :id').get({ id }) as HistoryRow | undefined;
    if (!row) throw new StoreError('not-found', `id: no history entry ${id}`);
    return this.#entry(row);
  }

  /** Newest first. 'missed': incoming calls nobody answered (not those we declined). */
  list(filter: HistoryFilter = {}): HistoryEntry[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    switch (filter.kind ?? 'all') {
      case 'incoming':
        where.push("direction = 'incoming'");
        break;
      case 'outgoing':
        where.push("direction = 'outgoing'");
        break;
      case 'missed':
        where.push("direction = 'incoming' AND outcome = 'missed'");
        break;
    }
    if (filter.peer !== undefined) {
      where.push('peer_key = :key');
      params.key = peerKey(filter.peer);
    }
    if (filter.before !== undefined) {
      where.push('id < :before');
      params.before = filter.before;
    }
    params.limit = filter.limit ?? -1;
    const rows = this.#db
      .prepare(`SELECT * FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT :limit`)
      .all(params) as unknown as HistoryRow[];
    return rows.map((r) => this.#entry(r));
  }

  delete(id: number): void {
    const { changes } = this.#db.prepare('DELETE FROM history WHERE id = :id').run({ id });
    if (changes === 0) throw new StoreError('not-found', `id: no history entry ${id}`);
  }

  /** Everything but calls still going on (they are completed when they end). */
  clear(): number[] {
    const rows = this.#db.prepare("DELETE FROM history WHERE state = 'ended' RETURNING id").all() as Array<{ id: number }>;
    return rows.map((r) => r.id);
  }

  /** Rows a previous run left in progress: ended as 'interrupted' at the last known time. */
  closeInterrupted(): HistoryEntry[] {
    const rows = this.#db
      .prepare(
        `UPDATE history SET state = 'ended', outcome = 'interrupted', ended_at = last_seen_at, end_reason = :reason
         WHERE state = 'in-progress' RETURNING *`,
      )
      .all({ reason: INTERRUPTED_REASON }) as unknown as HistoryRow[];
    return rows.map((r) => this.#entry(r));
  }

  #update(id: number, set: string, params: Record<string, string | number | null>): HistoryEntry {
    const row = this.#db.prepare(`UPDATE history SET ${set} WHERE id = :id RETURNING *`).get({ ...params, id }) as HistoryRow | undefined;
    if (!row) throw new StoreError('not-found', `id: no history entry ${id}`);
    return this.#entry(row);
  }

  /** The row as an entry, with the name of the contact its address belongs to (the contacts keep contact_id current). */
  #entry(r: HistoryRow): HistoryEntry {
    const entry = toEntry(r);
    const contact = r.contact_id !== null ? this.#contacts.find(r.contact_id) : undefined;
    return contact ? { ...entry, contactName: contact.displayName } : entry;
  }
}
