/**
 * The whole engine behind a UI, composed once for both boundaries (Electron's IPC in main/app/,
 * the loopback WebSocket bridge in main/bridge/): the Phone's parts (phone.ts), the Store, the
 * recorder that writes calls and messages into the store, the saved accounts with their passwords
 * in a SecretStore, and the settings applied to the phone.
 *
 *     const engine = await createEngine({ dataDir, secrets: (store) => safeStorageSecrets(store) });
 *     const result = await dispatch(engine.handlers, channel, req);   // every ApiCalls channel
 *     engine.events.on('call:incoming', …);                           // every ApiEvents event
 *     await engine.close();
 *
 * The phone runs each saved account under the store's id (stable across restarts), so the ids the
 * UI sees are the phone's own: requests, snapshots, events and history rows need no translation.
 * The saved settings are the phone's call settings: a dial without codecs or an SRTP mode gets
 * the saved ones, whoever asks, and `settings:set` applies them to the running phone.
 *
 * Nothing here crashes on a bad database: a damaged file is set aside by the store and reported
 * as a notice (`app:status`); a file that cannot be opened at all (written by a newer Appel, a
 * disk that refuses) leaves the engine running on an in-memory store, with a notice saying so.
 */
import { AppelError } from '../contract/errors.ts';
import { join } from 'node:path';
import type { AccountConfig, AccountSnapshot, AccountUpdate, ApiEvents, ApiHandlers, AppNotice, AppStatus } from '../contract/api.ts';
import { Phone, type PhoneOptions } from './phone.ts';
import type { PhoneEvents } from './phone-events.ts';
import { phoneHandlers } from './phone-handlers.ts';
import { recordingReader } from './recordings.ts';
import { callSettingsOf, createStoreApi, recordPhone, toApiError, type StoreHandlers } from './store-api.ts';
import { mergeAccountUpdate, splitAccountConfig, Store, StoreError, type SecretStore, type StoredAccount } from '../store/index.ts';

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

/** The phone's emitter: every ApiEvents event (and the engine-only ones, which no UI is sent). */
export type EngineEvents = PhoneEvents;

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
  /** Where `call:record` writes, and the one place `history:recording` reads from. */
  const recordings = phoneOpts.recordings ?? join(opts.dataDir, 'recordings');
  let phone: Phone;
  try {
    phone = await Phone.create({
      // The app's calls speak through its microphone and speaker (Phone.connectAudio).
      localAudio: true,
      ...phoneOpts,
      recordings,
      calls: { ...callSettingsOf(settings), ...phoneOpts.calls },
      media: {
        portRange: { min: settings.network.rtpPortMin, max: settings.network.rtpPortMax },
        stun: settings.network.stunServer,
        ...phoneOpts.media,
      },
    });
  } catch (err) {
    store.close();
    throw err;
  }
  const { calls } = phone;
  // One emitter for every event: the phone's, and the store's changes and notices said here.
  const events: EngineEvents = phone;
  const publish = <K extends keyof ApiEvents>(event: K, payload: ApiEvents[K]): void => phone.publish(event, payload as never);

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
  phone.on('media:warning', (w) => notify({ id: 'media-network', level: 'warning', message: `${w.message[0].toUpperCase()}${w.message.slice(1)}` }));

  // ---- accounts: saved in the store, passwords in the SecretStore, run under the store's ids -----
  /** The password each account registers with now: an update without one keeps it, whether the keychain kept it or not. */
  const inUse = new Map<string, string>();
  const passwordNotKept = (aor: string, err: StoreError) =>
    notify({ id: 'passwords-not-kept', level: 'warning', message: `The password of ${aor} is used for now but not kept: ${err.message}` });

  /** Run the account under the store's id, with this password; remember the password. */
  const run = (id: string, config: AccountConfig, password: string | undefined): AccountSnapshot => {
    const snapshot = phone.accounts.add(id, { ...config, ...(password !== undefined ? { password } : {}) });
    if (password) inUse.set(id, password);
    else inUse.delete(id);
    return snapshot;
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
    try {
      return run(saved.id, saved.config, password);
    } catch (err) {
      await store.accounts.delete(saved.id, secrets).catch(() => undefined);
      throw err;
    }
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
    if (phone.accounts.has(id)) await phone.accounts.remove(id).catch(() => undefined);
    try {
      return run(id, stored, next);
    } catch (err) {
      // The phone refused what the store took: put the account back as it was, everywhere.
      await store.accounts.save({ id, config: { ...current.config, ...(password !== undefined && before !== undefined ? { password: before } : {}) } }, secrets).catch(() => undefined);
      try {
        run(id, current.config, before);
      } catch {
        // It did not run before either.
      }
      throw err;
    }
  };

  const removeAccount = async (id: string): Promise<void> => {
    const running = phone.accounts.has(id);
    let known = false;
    try {
      await store.accounts.delete(id, secrets);
      known = true;
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'not-found' && running)) throw storeFailure(err);
    }
    inUse.delete(id);
    if (running) await phone.accounts.remove(id);
    else if (!known) throw new AppelError('not-found', `id: no account '${id}'`);
  };

  // The saved accounts register at start, each with its password from the keychain.
  for (const { id, config: saved } of store.accounts.list()) {
    let password: string | undefined;
    try {
      password = (await store.accounts.config(id, secrets)).password;
    } catch (err) {
      notify({
        id: 'passwords-unavailable',
        level: 'warning',
        message: `The password of ${saved.aor} could not be read (${(err as Error).message}); it registers without one until you enter it again (Settings, Edit)`,
      });
    }
    try {
      run(id, saved, password);
    } catch (err) {
      notify({ id: `account-${id}`, level: 'error', message: `The account ${saved.aor} could not start: ${(err as Error).message}` });
    }
  }

  // ---- handlers --------------------------------------------------------------------------------
  const storeHandlers = wrapStore(createStoreApi({ store, publish }));
  const handlers: ApiHandlers = {
    ...phoneHandlers(phone),
    // Accounts are saved too (the password in the keychain), one change at a time per account.
    'account:add': (req) => addAccount(req),
    'account:update': (req) => oneAtATime(req.id, () => updateAccount(req)),
    'account:remove': (req) => oneAtATime(req.id, () => removeAccount(req.id)),
    ...storeHandlers,
    'settings:set': (req) => {
      const next = storeHandlers['settings:set'](req);
      // The saved settings are the running phone's at once: incoming calls, and the codecs and
      // SRTP mode of every dial that names none.
      calls.settings(callSettingsOf(next));
      // Settings → Network: the next call uses them (no restart).
      if (req?.network) phone.network.set({ stun: next.network.stunServer, portRange: { min: next.network.rtpPortMin, max: next.network.rtpPortMax } });
      return next;
    },
    'app:status': () => status(),
    'history:recording': recordingReader({
      entry: (id) => {
        try {
          return store.history.get(id);
        } catch (err) {
          throw storeFailure(err);
        }
      },
      directory: recordings,
    }),
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
