/**
 * The whole engine behind a UI, composed once for both boundaries (Electron's IPC in main/app/,
 * the loopback WebSocket bridge in main/bridge/): the Phone, the Store, the recorder that writes
 * calls and messages into the store, the saved accounts with their passwords in a SecretStore,
 * and the settings applied to the phone.
 *
 *     const engine = await createEngine({ dataDir, secrets: (store) => safeStorageSecrets(store) });
 *     const result = await dispatch(engine.handlers, channel, req);   // every ApiCalls channel
 *     engine.events.on('call:incoming', …);                           // every ApiEvents event
 *     await engine.close();
 *
 * Account ids the UI sees are the store's (stable across restarts); the phone's own ids are
 * translated on the way in (requests) and out (snapshots, events, history rows).
 *
 * Nothing here crashes on a bad database: a damaged file is set aside by the store and reported
 * as a notice (`app:status`); a file that cannot be opened at all (written by a newer Appel, a
 * disk that refuses) leaves the engine running on an in-memory store, with a notice saying so.
 */
import { AppelError } from '../contract/errors.ts';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { AccountConfig, AccountSnapshot, AccountUpdate, ApiEvents, ApiHandlers, AppNotice, AppStatus, CallSnapshot } from '../contract/api.ts';
import { Phone, type PhoneOptions } from './phone.ts';
import { callSettingsOf, createStoreApi, recordPhone, toApiError, type PhoneEventMap, type StoreHandlers } from './store-api.ts';
import { mergeAccountUpdate, splitAccountConfig, Store, StoreError, type SecretStore, type StoredAccount, type StoredAccountConfig } from '../store/index.ts';

export interface EngineOptions {
  /** Folder of the database (`appel.db`); created when missing. */
  dataDir: string;
  /** Another database file instead of `<dataDir>/appel.db`, or ':memory:' (the dev page, tests). */
  database?: string;
  /**
   * Where passwords go. A function receives the opened store (the app's safeStorage adapter keeps
   * its ciphertext in the database: `store.encryptedSecrets(cipher)`).
   */
  secrets: SecretStore | ((store: Store) => SecretStore);
  /** The phone's options; the stored settings fill in incoming-call behaviour and RTP ports. */
  phone?: PhoneOptions;
  /** Clock for notices and the store (default Date.now). */
  now?: () => number;
}

export type EngineEvents = EventEmitter<PhoneEventMap>;

export interface Engine {
  /** Every ApiCalls channel: give them to `dispatch()` (main/bridge/dispatch.ts). */
  readonly handlers: ApiHandlers;
  /** Every ApiEvents event, with the store's account ids. Listeners' exceptions stay theirs. */
  readonly events: EngineEvents;
  readonly phone: Phone;
  readonly store: Store;
  readonly secrets: SecretStore;
  /** Add or replace (same id) a notice; pushes `app:status`. */
  notify(notice: Omit<AppNotice, 'time'>): void;
  status(): AppStatus;
  /** Push an event to every UI (the shell's `app:link`, for one). */
  publish<K extends keyof ApiEvents>(event: K, payload: ApiEvents[K]): void;
  /** Stop recording, end calls, unregister, close sockets and the database. */
  close(): Promise<void>;
}

/** Events the engine itself produces; every other event name comes from the phone. */
const OWN_EVENTS: ReadonlySet<string> = new Set(['contacts:changed', 'history:changed', 'settings:changed', 'app:status', 'app:link']);

/** The media worker beside the engine, in source (.ts, Node strips types) or compiled (.js, dist/). */
export function defaultWorkerUrl(base: string = import.meta.url): URL {
  return new URL(`../media/worker-host.${base.endsWith('.ts') ? 'ts' : 'js'}`, base);
}

/** A store failure as the UI hears it: `{ code, message }` in words (TypeError stays bad-request). */
function storeFailure(err: unknown): Error {
  if (err instanceof TypeError || err instanceof AppelError) return err;
  const { code, message } = toApiError(err);
  return new AppelError(code, message);
}

/** The store's handlers, with each failure in words (SQLite damage → 'corrupt'). */
function wrapStore(handlers: StoreHandlers): StoreHandlers {
  const wrapped: Record<string, (req: unknown) => unknown> = {};
  for (const [channel, handler] of Object.entries(handlers) as Array<[string, (req: unknown) => unknown]>) {
    wrapped[channel] = (req) => {
      try {
        return handler(req);
      } catch (err) {
        throw storeFailure(err);
      }
    };
  }
  return wrapped as StoreHandlers;
}

function openStore(path: string, now: () => number, notices: AppNotice[]): Store {
  try {
    const store = Store.open({ path, now });
    if (store.opened.damaged) notices.push({ id: 'database-damaged', level: 'warning', message: store.opened.damaged.message, time: now() });
    const n = store.opened.interrupted.length;
    if (n > 0) {
      notices.push({
        id: 'calls-interrupted',
        level: 'info',
        message: `${n === 1 ? 'A call was' : `${n} calls were`} still going on when Appel last stopped; the history keeps ${n === 1 ? 'it' : 'them'} as interrupted`,
        time: now(),
      });
    }
    return store;
  } catch (err) {
    const why = err instanceof StoreError ? err.message : `the database ${path} could not be opened (${(err as Error).message})`;
    notices.push({
      id: 'database-unavailable',
      level: 'error',
      message: `${why}. Appel runs without it: contacts, history, settings and accounts made now will not be kept`,
      time: now(),
    });
    return Store.open({ path: ':memory:', now });
  }
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const now = opts.now ?? Date.now;
  const notices: AppNotice[] = [];
  const store = openStore(opts.database ?? join(opts.dataDir, 'appel.db'), now, notices);
  const secrets = typeof opts.secrets === 'function' ? opts.secrets(store) : opts.secrets;
  const settings = store.settings.get();

  const phoneOpts = opts.phone ?? {};
  const phone = new Phone({
    // The app's calls speak through its microphone and speaker (Phone.connectAudio).
    localAudio: true,
    ...phoneOpts,
    calls: { ...callSettingsOf(settings), ...phoneOpts.calls },
    media: {
      portRange: { min: settings.network.rtpPortMin, max: settings.network.rtpPortMax },
      stun: settings.network.stunServer,
      workerUrl: defaultWorkerUrl(),
      ...phoneOpts.media,
    },
  });
  try {
    await phone.start();
  } catch (err) {
    store.close();
    throw err;
  }

  const events: EngineEvents = new EventEmitter<PhoneEventMap>();
  const publish = <K extends keyof ApiEvents>(event: K, payload: ApiEvents[K]): void => {
    try {
      (events.emit as (e: K, p: ApiEvents[K]) => boolean)(event, payload);
    } catch {
      // The listener's bug stays with the listener.
    }
  };

  // ---- account ids: the store's outside, the phone's inside -------------------------------------
  // An update gives an account a new phone id; the old one still maps to the store's id, so the
  // calls it placed keep their account, but its registration's states are no longer shown.
  const toStoreId = new Map<string, string>();
  const toPhoneId = new Map<string, string>();
  /** account:state events that came before their account's ids were paired (the latest of each). */
  const early = new Map<string, AccountSnapshot>();
  /** Each account's saved settings (store id), in its snapshots for a UI that edits them. */
  const configs = new Map<string, StoredAccountConfig>();
  /** The password each account registers with now (store id): an update without one keeps it, whether the keychain kept it or not. */
  const inUse = new Map<string, string>();

  const outAccount = (s: AccountSnapshot): AccountSnapshot | undefined => {
    const id = toStoreId.get(s.id);
    if (id === undefined || toPhoneId.get(id) !== s.id) return undefined;
    const config = configs.get(id);
    return { ...s, id, ...(config ? { config: { ...config } } : {}) };
  };
  const outCall = (s: CallSnapshot): CallSnapshot => {
    if (s.accountId === undefined) return s;
    const id = toStoreId.get(s.accountId);
    return id === undefined ? s : { ...s, accountId: id };
  };
  const inAccount = <T extends { accountId?: string }>(req: T): T => {
    if (req?.accountId === undefined) return req;
    return { ...req, accountId: toPhoneId.get(req.accountId) ?? req.accountId };
  };
  const pair = (storeId: string, phoneId: string): void => {
    toStoreId.set(phoneId, storeId);
    toPhoneId.set(storeId, phoneId);
    const pending = early.get(phoneId);
    early.delete(phoneId);
    const out = pending && outAccount(pending);
    if (out) publish('account:state', out);
  };
  /** Forget an account: every phone id it had, its settings, its password. */
  const unpair = (storeId: string): void => {
    toPhoneId.delete(storeId);
    for (const [phoneId, id] of toStoreId) {
      if (id !== storeId) continue;
      toStoreId.delete(phoneId);
      early.delete(phoneId);
    }
    configs.delete(storeId);
    inUse.delete(storeId);
  };

  // ---- the phone's events, forwarded with store ids ---------------------------------------------
  // Forwarding starts when someone first listens to an event name, so events the phone gains later
  // (transfer, conference…) reach the UI without a change here.
  const forwarded = new Set<string>();
  const translate = (event: string, payload: unknown): unknown => {
    if (event === 'account:state') {
      const s = payload as AccountSnapshot;
      const out = outAccount(s);
      if (!out && !toStoreId.has(s.id)) early.set(s.id, s);
      return out;
    }
    if (event === 'call:state' || event === 'call:incoming') return outCall(payload as CallSnapshot);
    return payload;
  };
  const forward = (event: string): void => {
    if (forwarded.has(event) || OWN_EVENTS.has(event) || event === 'newListener' || event === 'removeListener') return;
    forwarded.add(event);
    (phone.on as (e: string, l: (p: unknown) => void) => Phone)(event, (payload) => {
      const out = translate(event, payload);
      if (out !== undefined) publish(event as keyof ApiEvents, out as never);
    });
  };
  (events as EventEmitter).on('newListener', (event: string | symbol) => {
    if (typeof event === 'string') forward(event);
  });

  const stopRecording = recordPhone({ store, phone: events, publish, now });

  // ---- notices ---------------------------------------------------------------------------------
  const status = (): AppStatus => ({ notices: notices.map((n) => ({ ...n })) });
  const notify = (notice: Omit<AppNotice, 'time'>): void => {
    const full: AppNotice = { id: notice.id, level: notice.level, message: notice.message, time: now() };
    const i = notices.findIndex((n) => n.id === notice.id);
    if (i >= 0) notices[i] = full;
    else notices.push(full);
    publish('app:status', status());
  };
  // A call's media trouble the person should know of (a STUN server that does not answer…):
  // one notice, replaced by the next; the call itself goes on.
  phone.onMediaWarning((w) => notify({ id: 'media-network', level: 'warning', message: `${w.message[0].toUpperCase()}${w.message.slice(1)}` }));

  // ---- accounts: saved in the store, passwords in the SecretStore --------------------------------
  const passwordNotKept = (aor: string, err: StoreError) =>
    notify({ id: 'passwords-not-kept', level: 'warning', message: `The password of ${aor} is used for now but not kept: ${err.message}` });

  /** An account the phone now runs: its ids paired, its settings and password remembered. */
  const started = (id: string, config: StoredAccountConfig, password: string | undefined, snapshot: AccountSnapshot): void => {
    configs.set(id, config);
    if (password) inUse.set(id, password);
    else inUse.delete(id);
    pair(id, snapshot.id);
  };

  const addAccount = async (config: AccountConfig): Promise<AccountSnapshot> => {
    const { stored, password } = splitAccountConfig(config);
    let saved: StoredAccount;
    try {
      saved = await store.accounts.save({ config }, secrets);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'no-secret-storage' && password !== undefined)) throw storeFailure(err);
      // No keychain: keep the account, use the password this session only, and say so.
      saved = await store.accounts.save({ config: stored }, secrets).catch((e: unknown) => Promise.reject(storeFailure(e)));
      passwordNotKept(stored.aor, err);
    }
    let snapshot: AccountSnapshot;
    try {
      snapshot = phone.addAccount({ ...saved.config, ...(password !== undefined ? { password } : {}) });
    } catch (err) {
      await store.accounts.delete(saved.id, secrets).catch(() => undefined);
      throw err;
    }
    started(saved.id, saved.config, password, snapshot);
    return outAccount(snapshot) ?? { ...snapshot, id: saved.id };
  };

  /** One change at a time per account (two quick saves must not interleave their un-REGISTER and REGISTER). */
  const queues = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(id) ?? Promise.resolve()).catch(() => undefined).then(fn);
    queues.set(id, next);
    void next.catch(() => undefined).finally(() => {
      if (queues.get(id) === next) queues.delete(id);
    });
    return next;
  };

  /**
   * `account:update`: everything is checked before anything changes (a bad field: a TypeError
   * naming it, the account as it was). Then the store (a new password to the keychain first), then
   * the phone: the old registration ends (un-REGISTER when registered) and the new one starts.
   */
  const updateAccount = async ({ id, ...change }: AccountUpdate): Promise<AccountSnapshot> => {
    let current: StoredAccount;
    try {
      current = store.accounts.get(id);
    } catch (err) {
      throw storeFailure(err);
    }
    const { stored, password } = mergeAccountUpdate(current.config, change);
    const before = inUse.get(id) ?? (await secrets.get(id).catch(() => undefined));
    const next = password ?? before;
    try {
      await store.accounts.save({ id, config: { ...stored, ...(password !== undefined ? { password } : {}) } }, secrets);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'no-secret-storage' && password !== undefined)) throw storeFailure(err);
      await store.accounts.save({ id, config: stored }, secrets).catch((e: unknown) => Promise.reject(storeFailure(e)));
      passwordNotKept(stored.aor, err);
    }
    const phoneId = toPhoneId.get(id);
    if (phoneId !== undefined) await phone.removeAccount(phoneId).catch(() => undefined);
    let snapshot: AccountSnapshot;
    try {
      snapshot = phone.addAccount({ ...stored, ...(next !== undefined ? { password: next } : {}) });
    } catch (err) {
      // The phone refused what the store took: put the account back as it was, everywhere.
      await store.accounts.save({ id, config: { ...current.config, ...(password !== undefined && before !== undefined ? { password: before } : {}) } }, secrets).catch(() => undefined);
      try {
        started(id, current.config, before, phone.addAccount({ ...current.config, ...(before !== undefined ? { password: before } : {}) }));
      } catch {
        // It did not run before either.
      }
      throw err;
    }
    started(id, stored, next, snapshot);
    return outAccount(snapshot) ?? { ...snapshot, id };
  };

  const removeAccount = async (id: string): Promise<void> => {
    const phoneId = toPhoneId.get(id);
    let known = false;
    try {
      await store.accounts.delete(id, secrets);
      known = true;
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'not-found' && phoneId !== undefined)) throw storeFailure(err);
    }
    unpair(id);
    if (phoneId !== undefined) await phone.removeAccount(phoneId);
    else if (!known) throw new AppelError('not-found', `id: no account '${id}'`);
  };

  // The saved accounts register at start, each with its password from the keychain.
  for (const { id, config: saved } of store.accounts.list()) {
    let config: AccountConfig = saved;
    try {
      config = await store.accounts.config(id, secrets);
    } catch (err) {
      notify({
        id: 'passwords-unavailable',
        level: 'warning',
        message: `The password of ${saved.aor} could not be read (${(err as Error).message}); it registers without one until you enter it again (Settings, Edit)`,
      });
    }
    try {
      started(id, saved, config.password, phone.addAccount(config));
    } catch (err) {
      notify({ id: `account-${id}`, level: 'error', message: `The account ${saved.aor} could not start: ${(err as Error).message}` });
    }
  }

  // ---- handlers --------------------------------------------------------------------------------
  const storeHandlers = wrapStore(createStoreApi({ store, publish }));
  const handlers: ApiHandlers = {
    'account:add': (req) => addAccount(req),
    'account:update': (req) => oneAtATime(req.id, () => updateAccount(req)),
    'account:remove': (req) => oneAtATime(req.id, () => removeAccount(req.id)),
    'account:list': () => phone.listAccounts().flatMap((s) => outAccount(s) ?? []),
    'network:changed': () => phone.networkChanged(),
    'message:send': (req) => phone.sendMessage(inAccount(req)),
    'options:ping': (req) => phone.options(inAccount(req)),
    'call:dial': async (req) => outCall(await phone.dial(inAccount(req))),
    'call:answer': async (req) => outCall(await phone.answer(req)),
    'call:decline': (req) => phone.decline(req),
    'call:hangup': (req) => phone.hangup(req),
    'call:hold': async (req) => outCall(await phone.hold(req)),
    'call:resume': async (req) => outCall(await phone.resume(req)),
    'call:dtmf': (req) => phone.sendDtmf(req),
    'call:codecs': async (req) => outCall(await phone.changeCodecs(req)),
    'call:list': () => phone.listCalls().map(outCall),
    'call:transfer': (req) => phone.transfer(req),
    'call:transfer-answer': (req) => phone.answerTransfer(req),
    'call:attended-transfer': (req) => phone.attendedTransfer(req),
    'conference:merge': (req) => phone.merge(req),
    'conference:split': async (req) => (await phone.split(req)).map(outCall),
    // The running phone only (auto-answer audio, say); `settings:set` is the kept way.
    'call:settings': (req) => phone.callSettings(req ?? {}),
    ...storeHandlers,
    'settings:set': (req) => {
      const next = storeHandlers['settings:set'](req);
      phone.callSettings(callSettingsOf(next));
      // Settings → Network: the next call uses them (no restart).
      if (req?.network) phone.setMediaNetwork({ stun: next.network.stunServer, portRange: { min: next.network.rtpPortMin, max: next.network.rtpPortMax } });
      return next;
    },
    'app:status': () => status(),
  };

  let closed: Promise<void> | undefined;
  return {
    handlers,
    events,
    phone,
    store,
    secrets,
    notify,
    status,
    publish,
    close() {
      closed ??= (async () => {
        try {
          await phone.stop();
        } finally {
          stopRecording();
          store.close();
        }
      })();
      return closed;
    },
  };
}
