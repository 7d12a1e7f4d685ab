/**
 * Checks every request that comes from the UI before the engine sees it (STYLE.md "Electron":
 * IPC arguments validated in main). One small schema per channel of `ApiCalls`; the map is
 * complete by type, so a new channel does not type-check until it has its validator.
 *
 * A failed check names the field: `{ ok: false, error: { code: 'bad-request', message:
 * 'aor: expected a non-empty string' } }`. File paths (WAV to play or record) are refused from
 * the UI: a page must not make the engine read or write files of its choosing.
 */
import type { ApiCalls, ApiEvents } from '../contract/api.ts';

/** Returns a message naming the field when `value` does not fit, else undefined. */
export type Check = (value: unknown, path: string) => string | undefined;

const at = (path: string, what: string) => `${path || 'request'}: ${what}`;
const show = (v: unknown) => (typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'` : Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v);

export const str =
  (o: { min?: number; max?: number; pattern?: RegExp; patternText?: string } = {}): Check =>
  (v, p) => {
    if (typeof v !== 'string') return at(p, `expected a string, not ${show(v)}`);
    if (v.length < (o.min ?? 0)) return at(p, o.min === 1 ? 'must not be empty' : `at least ${o.min} characters`);
    if (v.length > (o.max ?? 10_000)) return at(p, `at most ${o.max ?? 10_000} characters`);
    if (o.pattern && !o.pattern.test(v)) return at(p, `${o.patternText ?? 'bad format'}, not ${show(v)}`);
    return undefined;
  };

export const num =
  (o: { min?: number; max?: number; integer?: boolean } = {}): Check =>
  (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return at(p, `expected a number, not ${show(v)}`);
    if (o.integer && !Number.isInteger(v)) return at(p, `expected a whole number, not ${v}`);
    if (o.min !== undefined && v < o.min) return at(p, `must be ≥ ${o.min}, not ${v}`);
    if (o.max !== undefined && v > o.max) return at(p, `must be ≤ ${o.max}, not ${v}`);
    return undefined;
  };

export const bool = (): Check => (v, p) => (typeof v === 'boolean' ? undefined : at(p, `expected true or false, not ${show(v)}`));

export const oneOf =
  <T extends string | number>(...values: readonly T[]): Check =>
  (v, p) =>
    values.includes(v as T) ? undefined : at(p, `expected ${values.join(', ')}, not ${show(v)}`);

export const list =
  (item: Check, o: { min?: number; max?: number } = {}): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return at(p, `expected a list, not ${show(v)}`);
    if (v.length < (o.min ?? 0)) return at(p, o.min === 1 ? 'must not be empty' : `at least ${o.min} items`);
    if (v.length > (o.max ?? 1000)) return at(p, `at most ${o.max ?? 1000} items`);
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return undefined;
  };

const OPTIONAL = Symbol('optional');
type Field = Check & { [OPTIONAL]?: true };

export const optional = (c: Check): Field => {
  const f: Field = (v, p) => (v === undefined ? undefined : c(v, p));
  f[OPTIONAL] = true;
  return f;
};

/** `null` (clear the field) or what `c` accepts. */
export const nullable = (c: Check): Check => (v, p) => (v === null ? undefined : c(v, p));

/** An object with exactly these fields (unknown fields are refused: they are typos or probes). */
export const obj =
  (fields: Record<string, Field>): Check =>
  (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return at(p, `expected an object, not ${show(v)}`);
    const rec = v as Record<string, unknown>;
    for (const key of Object.keys(rec)) if (!Object.hasOwn(fields, key)) return at(p ? `${p}.${key}` : key, 'unknown field');
    for (const [key, check] of Object.entries(fields)) {
      const path = p ? `${p}.${key}` : key;
      if (rec[key] === undefined && !check[OPTIONAL]) return at(path, 'is required');
      const e = check(rec[key], path);
      if (e) return e;
    }
    return undefined;
  };

/** `void` requests: nothing, null or an empty object. */
export const none = (): Check => (v, p) =>
  v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) ? undefined : at(p, 'expects no arguments');

/** Refuses any value: a field the UI may not set. */
const refused =
  (why: string): Field =>
    optional((_v, p) => at(p, why));

const id = () => str({ min: 1, max: 200 });
const uriLike = () => str({ min: 1, max: 2000 });
const codec = () => oneOf('opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm');
const codecs = () => list(codec(), { min: 1, max: 6 });
const srtp = () => oneOf('off', 'optional', 'mandatory');
const NO_FILES = 'file paths are not accepted from the UI';

/** What a call sends, without files: a tone or silence. */
const audioSource = (): Check => (v, p) => {
  if (typeof v === 'object' && v !== null && 'wav' in v) return at(`${p}.wav`, NO_FILES);
  if (typeof v === 'object' && v !== null && 'tone' in v) {
    return obj({ tone: list(num({ min: 1, max: 23_999 }), { min: 1, max: 2 }), levelDb: optional(num({ min: -96, max: 0 })) })(v, p);
  }
  return obj({ silence: (s, sp) => (s === true ? undefined : at(sp, `expected true, not ${show(s)}`)) })(v, p);
};

const accountAor = () => str({ min: 1, max: 500, pattern: /^sips?:/i, patternText: 'expected a sip: or sips: URI' });
/** AccountConfig's optional fields (the store checks them again: URIs in full, ranges). */
const ACCOUNT_FIELDS: Record<string, Check> = {
  username: str({ max: 200 }),
  realm: str({ min: 1, max: 200 }),
  displayName: str({ max: 200 }),
  proxy: str({ max: 500, pattern: /^sips?:/i, patternText: 'expected a sip: or sips: URI' }),
  transport: oneOf('udp', 'tcp', 'tls'),
  ca: str({ min: 1, max: 1000 }),
  tlsVerify: bool(),
  expires: num({ min: 1, max: 604_800, integer: true }),
  outbound: bool(),
  keepAlive: num({ min: 0, max: 3600, integer: true }),
  retryBase: num({ min: 1, max: 3600 }),
  register: bool(),
};
const accountFields = (wrap: (c: Check) => Check) => Object.fromEntries(Object.entries(ACCOUNT_FIELDS).map(([k, c]) => [k, optional(wrap(c))]));

const accountConfig = obj({ aor: accountAor(), password: optional(str({ max: 500 })), ...accountFields((c) => c) });
/** `account:update`: the fields to change, `null` clearing an optional one; the AOR and the password cannot be cleared. */
const accountUpdate = obj({ id: id(), aor: optional(accountAor()), password: optional(str({ max: 500 })), ...accountFields(nullable) });

export const validators: { [K in keyof ApiCalls]: Check } = {
  'account:add': accountConfig,
  'account:update': accountUpdate,
  'account:remove': obj({ id: id() }),
  'account:list': none(),
  'network:changed': none(),
  'message:send': obj({ accountId: optional(id()), to: uriLike(), text: str({ min: 1, max: 10_000 }), proxy: optional(uriLike()) }),
  'options:ping': obj({ accountId: optional(id()), to: uriLike(), proxy: optional(uriLike()) }),
  'call:dial': obj({
    to: uriLike(),
    accountId: optional(id()),
    codecs: optional(codecs()),
    srtp: optional(srtp()),
    play: optional(audioSource()),
    record: refused(NO_FILES),
    proxy: optional(uriLike()),
    dtmf: optional(oneOf('auto', 'info')),
  }),
  'call:answer': obj({ callId: id(), play: optional(audioSource()), record: refused(NO_FILES) }),
  'call:decline': obj({ callId: id(), status: optional(oneOf(486, 603)) }),
  'call:hangup': obj({ callId: id() }),
  'call:hold': obj({ callId: id() }),
  'call:resume': obj({ callId: id() }),
  // RFC 4733 §3.2 events 0-15: digits, *, #, A-D.
  'call:dtmf': obj({ callId: id(), digits: str({ min: 1, max: 64, pattern: /^[0-9*#A-Da-d]+$/, patternText: 'expected digits 0-9, *, #, A-D' }) }),
  'call:codecs': obj({ callId: id(), codecs: codecs() }),
  'call:list': none(),
  'call:settings': obj({
    autoAnswer: optional(bool()),
    autoAnswerDelay: optional(num({ min: 0, max: 600 })),
    autoAnswerPlay: optional(audioSource()),
    autoAnswerRecord: refused(NO_FILES),
    doNotDisturb: optional(bool()),
    codecs: optional(codecs()),
    srtp: optional(srtp()),
    directCalls: optional(oneOf('auto', 'always', 'never')),
    transferRequests: optional(oneOf('ask', 'always', 'never')),
  }),
  // RFC 5589 §6 (blind) and §7 (attended): the target is any address the dialpad would call.
  'call:transfer': obj({ callId: id(), to: uriLike() }),
  'call:transfer-answer': obj({ callId: id(), accept: bool() }),
  'call:attended-transfer': obj({ callId: id(), targetCallId: id() }),
  'conference:merge': obj({ callIds: list(id(), { min: 2, max: 8 }) }),
  'conference:split': obj({ conferenceId: id() }),
  'app:status': none(),
  'contacts:list': (v, p) =>
    v === undefined || v === null ? undefined : obj({ text: optional(str({ max: 500 })), favourites: optional(bool()), limit: optional(num({ min: 1, max: 10_000, integer: true })) })(v, p),
  'contacts:get': obj({ id: id() }),
  // The store checks each URI's scheme and says which one is wrong; here only the shape.
  'contacts:save': obj({
    id: optional(id()),
    displayName: str({ max: 500 }),
    favourite: optional(bool()),
    notes: optional(str({ max: 10_000 })),
    addresses: list(obj({ uri: str({ min: 1, max: 2000 }), label: oneOf('work', 'home', 'mobile', 'other') }), { max: 100 }),
  }),
  'contacts:delete': obj({ id: id() }),
  'contacts:favourite': obj({ id: id(), favourite: bool() }),
  'contacts:import-vcard': obj({ text: str({ min: 1, max: 5_000_000 }) }),
  'contacts:export-vcard': (v, p) => (v === undefined || v === null ? undefined : obj({ ids: optional(list(id(), { max: 100_000 })) })(v, p)),
  'history:list': (v, p) =>
    v === undefined || v === null
      ? undefined
      : obj({
          kind: optional(oneOf('all', 'incoming', 'outgoing', 'missed')),
          peer: optional(str({ min: 1, max: 2000 })),
          limit: optional(num({ min: 1, max: 100_000, integer: true })),
          before: optional(num({ min: 0, integer: true })),
        })(v, p),
  'history:delete': obj({ id: num({ min: 0, integer: true }) }),
  'history:clear': none(),
  'messages:conversations': none(),
  'messages:list': obj({ peer: str({ min: 1, max: 2000 }), limit: optional(num({ min: 1, max: 10_000, integer: true })), before: optional(num({ min: 0 })) }),
  'messages:mark-read': obj({ peer: str({ min: 1, max: 2000 }) }),
  'settings:get': none(),
  // Values are checked again by the store (ranges, device ids); here the shape of each key.
  'settings:set': obj({
    language: optional(oneOf('system', 'en', 'fr')),
    theme: optional(oneOf('system', 'light', 'dark')),
    doNotDisturb: optional(bool()),
    autoAnswer: optional(obj({ enabled: optional(bool()), delay: optional(num({ min: 0, max: 600 })) })),
    codecs: optional(codecs()),
    srtp: optional(srtp()),
    audio: optional(
      obj({
        inputDeviceId: optional(str({ max: 500 })),
        outputDeviceId: optional(str({ max: 500 })),
        ringingDeviceId: optional(str({ max: 500 })),
        echoCancellation: optional(bool()),
        noiseSuppression: optional(bool()),
        autoGainControl: optional(bool()),
      }),
    ),
    network: optional(obj({ stunServer: optional(str({ max: 500 })), rtpPortMin: optional(num({ min: 1024, max: 65_535, integer: true })), rtpPortMax: optional(num({ min: 1024, max: 65_535, integer: true })), directCalls: optional(oneOf('auto', 'always', 'never')) })),
    transferRequests: optional(oneOf('ask', 'always', 'never')),
    closeToTray: optional(bool()),
    startMinimised: optional(bool()),
  }),
};

export function isChannel(channel: unknown): channel is keyof ApiCalls {
  return typeof channel === 'string' && Object.hasOwn(validators, channel);
}

/** Undefined when the request fits its channel, else the message naming the field. */
export function validateRequest(channel: keyof ApiCalls, req: unknown): string | undefined {
  return validators[channel](req, '');
}

export { EVENT_NAMES } from '../contract/events.ts';
