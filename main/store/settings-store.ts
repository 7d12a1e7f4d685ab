/**
 * Settings: typed values with defaults, one row per key (JSON). A change is checked in full
 * before anything is written, and written in one transaction; a stored value this version cannot
 * read (written by hand, or by an older Appel) reads as its default.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Settings, SettingsChange } from '../contract/api.ts';
import { DEFAULT_SETTINGS } from '../contract/defaults.ts';
import { check, groupsOf, keysOf } from '../contract/schema.ts';
import { settingsChangeSchema, settingsSchema } from '../contract/schemas.ts';
import { transaction } from './transaction.ts';

export { DEFAULT_SETTINGS };

const KEYS = new Set(keysOf(settingsSchema));
const GROUPS = new Set(groupsOf(settingsSchema));

/** Apply a change to settings: the result, checked in full, or a TypeError naming the setting. */
export function applySettingsChange(current: Settings, change: unknown): { settings: Settings; changed: Array<keyof Settings> } {
  check(settingsChangeSchema, change, '');
  const next = { ...current } as Record<keyof Settings, unknown>;
  const changed = Object.keys(change as object) as Array<keyof Settings>;
  for (const key of changed) {
    const v = (change as Record<string, unknown>)[key];
    next[key] = GROUPS.has(key) ? { ...(current[key] as object), ...(v as object) } : structuredClone(v);
  }
  check(settingsSchema, next);
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
      if (!KEYS.has(key)) continue; // a setting of another version
      try {
        const k = key as keyof Settings;
        const parsed: unknown = JSON.parse(value);
        // Groups gain the keys a newer version added, from the defaults.
        // (and drop those it removed).
        const merged = GROUPS.has(k) && typeof parsed === 'object' && parsed !== null ? knownKeys(DEFAULT_SETTINGS[k] as object, parsed) : parsed;
        check(settingsSchema, { ...out, [k]: merged });
        (out as unknown as Record<string, unknown>)[k] = merged;
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
