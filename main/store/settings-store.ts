/**
 * Settings: typed values with defaults, one row per key (JSON). A change is checked in full
 * before anything is written, and written in one transaction; a stored value this version cannot
 * read (written by hand, or by an older Appel) reads as its default.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { AudioSettings, CallCodec, NetworkSettings, Settings, SettingsChange, SrtpMode } from '../contract/api.ts';
import { transaction } from './transaction.ts';
import { DEFAULT_SETTINGS } from '../contract/defaults.ts';
import { CALL_CODECS, SRTP_MODES } from '../contract/values.ts';

export { DEFAULT_SETTINGS };
export const CODECS = CALL_CODECS;

type Check<T> = (value: unknown, name: string) => T;

const oneOf =
  <T extends string>(choices: readonly T[]): Check<T> =>
  (v, name) => {
    if (!choices.includes(v as T)) throw new TypeError(`${name}: one of ${choices.join(', ')}, not ${JSON.stringify(v)}`);
    return v as T;
  };

const bool: Check<boolean> = (v, name) => {
  if (typeof v !== 'boolean') throw new TypeError(`${name}: true or false, not ${JSON.stringify(v)}`);
  return v;
};

const text =
  (max: number): Check<string> =>
  (v, name) => {
    if (typeof v !== 'string') throw new TypeError(`${name}: text is needed, not ${JSON.stringify(v)}`);
    if (v.length > max) throw new TypeError(`${name}: at most ${max} characters`);
    return v;
  };

const integer =
  (min: number, max: number): Check<number> =>
  (v, name) => {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new TypeError(`${name}: a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    return v as number;
  };

/** A group: exactly these keys, each checked. */
function group<T extends object>(fields: { [K in keyof T]: Check<T[K]> }, whole?: (v: T, name: string) => void): Check<T> {
  return (v, name) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${name}: an object is needed`);
    for (const k of Object.keys(v)) if (!(k in fields)) throw new TypeError(`${name}.${k}: no such setting`);
    const out = {} as T;
    for (const k of Object.keys(fields) as Array<keyof T>) out[k] = fields[k]((v as T)[k], `${name}.${String(k)}`);
    whole?.(out, name);
    return out;
  };
}

const codecs: Check<CallCodec[]> = (v, name) => {
  if (!Array.isArray(v) || v.length === 0) throw new TypeError(`${name}: a non-empty list of codecs (${CODECS.join(', ')})`);
  v.forEach((c, i) => oneOf(CODECS)(c, `${name}[${i}]`));
  if (new Set(v).size !== v.length) throw new TypeError(`${name}: each codec once`);
  return [...v] as CallCodec[];
};

/** `host[:port]` or `stun:host[:port]` (RFC 7064), or '' for none. */
const stunServer: Check<string> = (v, name) => {
  const s = text(300)(v, name).trim();
  if (s === '') return s;
  const m = /^(?:stuns?:)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(s);
  if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) throw new TypeError(`${name}: host[:port] of a STUN server, not ${JSON.stringify(v)}`);
  return s;
};

const CHECKS: { [K in keyof Settings]: Check<Settings[K]> } = {
  language: oneOf(['system', 'en', 'fr'] as const),
  theme: oneOf(['system', 'light', 'dark'] as const),
  doNotDisturb: bool,
  autoAnswer: group<Settings['autoAnswer']>({ enabled: bool, delay: integer(0, 600) }),
  codecs,
  srtp: oneOf(SRTP_MODES),
  audio: group<AudioSettings>({
    inputDeviceId: text(500),
    outputDeviceId: text(500),
    ringingDeviceId: text(500),
    echoCancellation: bool,
    noiseSuppression: bool,
    autoGainControl: bool,
  }),
  network: group<NetworkSettings>({ stunServer, rtpPortMin: integer(1024, 65535), rtpPortMax: integer(1024, 65535), directCalls: oneOf(['auto', 'always', 'never'] as const) }, (n, name) => {
    // RTP and RTCP take a pair of ports (RFC 3550 §11): the range must hold at least one pair.
    if (n.rtpPortMax - n.rtpPortMin < 1) throw new TypeError(`${name}: rtpPortMin (${n.rtpPortMin}) must be below rtpPortMax (${n.rtpPortMax})`);
  }),
  transferRequests: oneOf(['ask', 'always', 'never'] as const),
  closeToTray: bool,
  startMinimised: bool,
};

const GROUPS = new Set<keyof Settings>(['autoAnswer', 'audio', 'network']);

/** Apply a change to settings: the result, checked in full, or a TypeError naming the setting. */
export function applySettingsChange(current: Settings, change: unknown): { settings: Settings; changed: Array<keyof Settings> } {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) throw new TypeError('settings: an object of the settings to change is needed');
  const next = { ...current } as Record<keyof Settings, unknown>;
  const changed: Array<keyof Settings> = [];
  for (const [k, v] of Object.entries(change)) {
    if (!(k in CHECKS)) throw new TypeError(`${k}: no such setting`);
    const key = k as keyof Settings;
    const merged = GROUPS.has(key) && typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(current[key] as object), ...v } : v;
    next[key] = CHECKS[key](merged, key);
    changed.push(key);
  }
  return { settings: next as Settings, changed };
}

/** `defaults` with the values of `stored` for the keys `defaults` has. */
function knownKeys(defaults: object, stored: object): object {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(stored)) if (k in defaults) out[k] = v;
  return out;
}

export class SettingsStore {
  readonly #db: DatabaseSync;

  constructor(opts: { db: DatabaseSync }) {
    this.#db = opts.db;
  }

  get(): Settings {
    const out = structuredClone(DEFAULT_SETTINGS) as Settings;
    const rows = this.#db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    for (const { key, value } of rows) {
      if (!(key in CHECKS)) continue; // a setting of another version
      try {
        const k = key as keyof Settings;
        const parsed: unknown = JSON.parse(value);
        // Groups gain the keys a newer version added, from the defaults.
        // (and drop those it removed).
        const merged = GROUPS.has(k) && typeof parsed === 'object' && parsed !== null ? knownKeys(DEFAULT_SETTINGS[k] as object, parsed) : parsed;
        (out as unknown as Record<string, unknown>)[k] = CHECKS[k](merged, k);
      } catch {
        // Unreadable: the default stands.
      }
    }
    return out;
  }

  /** Check the whole change, then write it in one transaction. Returns all settings. */
  set(change: SettingsChange): Settings {
    return transaction(this.#db, () => {
      const { settings, changed } = applySettingsChange(this.get(), change);
      const put = this.#db.prepare('INSERT INTO settings (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      for (const key of changed) put.run({ key, value: JSON.stringify(settings[key]) });
      return settings;
    });
  }
}
