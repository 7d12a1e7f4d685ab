/**
 * The store's side of the API (contract/api.ts): handlers for the `contacts:*`, `history:*`,
 * `messages:*` and `settings:*` calls, and a recorder that writes the phone's calls and messages
 * into the store.
 *
 * Wiring (the engine owner's part):
 *
 *     const store = Store.open({ path });
 *     const handlers = createStoreApi({ store, publish: (e, p) => phone.emit(e, p) });
 *     // IPC: handlers[channel](req) — throws TypeError (bad request) or StoreError; toApiError() maps both.
 *     const stop = recordPhone({ store, phone, publish });   // history rows + messages, live
 *     phone.calls.settings(callSettingsOf(store.settings.get()));
 *
 * Handlers check their request with the contract's schema (a TypeError names the field), call the store,
 * and push `contacts:changed` / `history:changed` / `settings:changed` after a change.
 */
import { AppelError, errorOf, type ErrorCode } from '../contract/errors.ts';
import type { EventEmitter } from 'node:events';
import type { ApiCalls, ApiEvents, CallOutcome, CallSettings, CallSnapshot, MessageSnapshot, Settings } from '../contract/api.ts';
import { check } from '../contract/schema.ts';
import { requestSchemas } from '../contract/schemas.ts';
import type { Store } from '../store/index.ts';
import type { PhoneEventMap } from './phone-events.ts';

export type StoreChannel =
  | 'contacts:list'
  | 'contacts:get'
  | 'contacts:save'
  | 'contacts:delete'
  | 'contacts:favourite'
  | 'contacts:import-vcard'
  | 'contacts:export-vcard'
  | 'history:list'
  | 'history:delete'
  | 'history:clear'
  | 'messages:conversations'
  | 'messages:list'
  | 'messages:mark-read'
  | 'settings:get'
  | 'settings:set';

export type StoreHandlers = { [K in StoreChannel]: (req: ApiCalls[K]['req']) => ApiCalls[K]['res'] };

export type Publish = <K extends keyof ApiEvents>(event: K, payload: ApiEvents[K]) => void;

export interface StoreApiOptions {
  store: Store;
  /** Push an event to every UI; a listener's exception is kept away from the store. */
  publish: Publish;
}

/** Keep a listener's exception away from the store's caller. */
function safe(publish: Publish): Publish {
  return (event, payload) => {
    try {
      publish(event, payload);
    } catch {
      // The listener's bug stays with the listener.
    }
  };
}

/** Each handler checks its request with the contract's schema (a TypeError naming the field). */
function checked<K extends StoreChannel>(channel: K, handler: (req: ApiCalls[K]['req']) => ApiCalls[K]['res']): (req: ApiCalls[K]['req']) => ApiCalls[K]['res'] {
  return (req) => {
    check(requestSchemas[channel], req);
    return handler(req);
  };
}

export function createStoreApi(opts: StoreApiOptions): StoreHandlers {
  const { store } = opts;
  const publish = safe(opts.publish);
  return {
    'contacts:list': checked('contacts:list', (req) => store.contacts.list(req ?? {})),
    'contacts:get': checked('contacts:get', (req) => store.contacts.get(req.id)),
    'contacts:save': checked('contacts:save', (req) => {
      const saved = store.contacts.save(req);
      publish('contacts:changed', { saved: [saved], removed: [] });
      return saved;
    }),
    'contacts:delete': checked('contacts:delete', (req) => {
      store.contacts.delete(req.id);
      publish('contacts:changed', { saved: [], removed: [req.id] });
    }),
    'contacts:favourite': checked('contacts:favourite', (req) => {
      const saved = store.contacts.setFavourite(req.id, req.favourite);
      publish('contacts:changed', { saved: [saved], removed: [] });
      return saved;
    }),
    'contacts:import-vcard': checked('contacts:import-vcard', (req) => {
      const result = store.importVCard(req.text);
      if (result.ids.length > 0) publish('contacts:changed', { saved: result.ids.map((i) => store.contacts.get(i)), removed: [] });
      return result;
    }),
    'contacts:export-vcard': checked('contacts:export-vcard', (req) => store.exportVCard(req?.ids)),
    'history:list': checked('history:list', (req) => store.history.list(req ?? {})),
    'history:delete': checked('history:delete', (req) => {
      store.history.delete(req.id);
      publish('history:changed', { saved: [], removed: [req.id], cleared: false });
    }),
    'history:clear': checked('history:clear', () => {
      const removed = store.history.clear();
      publish('history:changed', { saved: [], removed, cleared: true });
    }),
    'messages:conversations': checked('messages:conversations', () => store.messages.conversations()),
    'messages:list': checked('messages:list', (req) => store.messages.list(req.peer, { ...(req.limit !== undefined ? { limit: req.limit } : {}), ...(req.before !== undefined ? { before: req.before } : {}) })),
    'messages:mark-read': checked('messages:mark-read', (req) => {
      store.messages.markRead(req.peer);
    }),
    'settings:get': checked('settings:get', () => store.settings.get()),
    'settings:set': checked('settings:set', (req) => {
      const settings = store.settings.set(req);
      publish('settings:changed', settings);
      return settings;
    }),
  };
}

const DAMAGED: Record<number, true> = { 11: true, 26: true };

/** The `{ code, message }` of an ApiResult for what a handler threw. */
export function toApiError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof AppelError || err instanceof TypeError) return errorOf(err);
  // SQLITE_CORRUPT / SQLITE_NOTADB while running: the next opening sets the file aside (open-database.ts).
  const sqlite = (err as { errcode?: unknown } | null)?.errcode;
  if (typeof sqlite === 'number' && (sqlite & 0xff) in DAMAGED) {
    return { code: 'corrupt', message: 'the database of contacts, history and settings is damaged; restart Appel: it will keep a copy and start a new one' };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/**
 * How a call ended, for the history. Incoming: answered, else declined (we refused it: 486/603
 * from our side), else missed (480/487 from our side too: it rang until its time ran out). Outgoing: answered, busy (486/600), declined (603), cancelled
 * (487, or ended on our side with no answer at all), else failed.
 */
export function callOutcome(s: CallSnapshot): CallOutcome {
  if (s.answeredAt !== undefined) return 'answered';
  if (s.direction === 'incoming') {
    // 480/487 from our side: it rang until its time ran out (nobody answered), not a refusal.
    const refused = s.endedBy === 'local' && s.endStatus !== undefined && s.endStatus >= 400 && s.endStatus !== 480 && s.endStatus !== 487;
    return refused ? 'declined' : 'missed';
  }
  if (s.endStatus === 486 || s.endStatus === 600) return 'busy';
  if (s.endStatus === 603) return 'declined';
  if (s.endStatus === 487 || (s.endStatus === undefined && s.endedBy === 'local')) return 'cancelled';
  return 'failed';
}

/** The part of the settings the phone applies to incoming calls. */
export function callSettingsOf(s: Settings): Partial<CallSettings> {
  return { autoAnswer: s.autoAnswer.enabled, autoAnswerDelay: s.autoAnswer.delay, doNotDisturb: s.doNotDisturb, codecs: s.codecs, srtp: s.srtp, directCalls: s.network.directCalls, transferRequests: s.transferRequests, videoResolution: s.video.resolution };
}

/** The phone's events as an EventEmitter map (the Phone is one): phone-events.ts. */
export type { PhoneEventMap };

/** What `recordPhone` listens to: the Phone, or any emitter of its events. */
export type PhoneEvents = Pick<EventEmitter<PhoneEventMap>, 'on' | 'off'>;

export interface RecordPhoneOptions {
  store: Store;
  phone: PhoneEvents;
  publish: Publish;
  /** Clock for the keep-alive marks (default Date.now). */
  now?: () => number;
  /** At most one "still alive" write per call per this many ms (default 15 000). */
  touchEvery?: number;
}

/**
 * Write the phone's calls and messages into the store as they happen: a history row when a call
 * appears (its first `call:state` or `call:incoming`), its answer, a mark on `call:stats` now and
 * then (where a crash will be said to have ended it), its end; every message received or sent.
 * Returns the function that stops recording. Store failures are kept from the phone's events.
 */
export function recordPhone(opts: RecordPhoneOptions): () => void {
  const { store, phone } = opts;
  const publish = safe(opts.publish);
  const now = opts.now ?? Date.now;
  const touchEvery = opts.touchEvery ?? 15_000;
  const rows = new Map<string, { id: number; answered: boolean; touchedAt: number }>();
  const guard =
    <T>(fn: (p: T) => void) =>
    (p: T) => {
      try {
        fn(p);
      } catch {
        // A store failure (disk full, locked) must not break the call; the row stays as it was.
      }
    };

  const onCall = guard((s: CallSnapshot) => {
    let row = rows.get(s.id);
    if (!row) {
      const entry = store.history.start({
        direction: s.direction,
        peer: s.peer,
        ...(s.accountId !== undefined ? { accountId: s.accountId } : {}),
        startedAt: s.startedAt,
      });
      row = { id: entry.id, answered: false, touchedAt: now() };
      rows.set(s.id, row);
      publish('history:changed', { saved: [entry], removed: [], cleared: false });
    }
    if (s.state === 'ended') {
      rows.delete(s.id);
      const entry = store.history.end(row.id, {
        outcome: callOutcome(s),
        ...(s.endReason !== undefined ? { endReason: s.endReason } : {}),
        ...(s.endCode !== undefined ? { endCode: s.endCode } : {}),
        ...(s.endStatus !== undefined ? { endStatus: s.endStatus } : {}),
        ...(s.endTarget !== undefined ? { endTarget: s.endTarget } : {}),
        ...(s.record !== undefined ? { recording: s.record } : {}),
        ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
        ...(s.answeredAt !== undefined ? { answeredAt: s.answeredAt } : {}),
        ...(s.codec !== undefined ? { codec: s.codec } : {}),
      });
      publish('history:changed', { saved: [entry], removed: [], cleared: false });
    } else if (s.answeredAt !== undefined && !row.answered) {
      row.answered = true;
      const entry = store.history.answered(row.id, s.answeredAt, s.codec);
      publish('history:changed', { saved: [entry], removed: [], cleared: false });
    }
  });
  const onStats = guard((st: ApiEvents['call:stats']) => {
    const row = rows.get(st.callId);
    const t = now();
    if (!row || t - row.touchedAt < touchEvery) return;
    row.touchedAt = t;
    store.history.touch(row.id, t, st.codec);
  });
  const onMessage = guard((m: MessageSnapshot) => store.messages.save(m));

  phone.on('call:incoming', onCall);
  phone.on('call:state', onCall);
  phone.on('call:stats', onStats);
  phone.on('message:received', onMessage);
  phone.on('message:state', onMessage);
  return () => {
    phone.off('call:incoming', onCall);
    phone.off('call:state', onCall);
    phone.off('call:stats', onStats);
    phone.off('message:received', onMessage);
    phone.off('message:state', onMessage);
  };
}
