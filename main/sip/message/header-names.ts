import { CHAR, TOKEN } from './chars.ts';
import { Interner } from './interner.ts';

/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the extensions that define one),
 * canonical spelling, and which headers are comma-separated lists.
 */

/** Compact form → canonical name. */
const COMPACT: Record<string, string> = {
  a: 'Accept-Contact', // RFC 3841
  b: 'Referred-By', // RFC 3892
  c: 'Content-Type',
  d: 'Request-Disposition', // RFC 3841
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact', // RFC 3841
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  o: 'Event', // RFC 6665
  r: 'Refer-To', // RFC 3515
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events', // RFC 6665
  v: 'Via',
  x: 'Session-Expires', // RFC 4028
  y: 'Identity', // RFC 8224
};

/** Names whose usual spelling is not plain Word-Capitalisation. */
const SPECIAL = [
  'Call-ID', 'CSeq', 'WWW-Authenticate', 'MIME-Version', 'RSeq', 'RAck', 'SIP-ETag', 'SIP-If-Match',
  'P-Asserted-Identity', 'P-Preferred-Identity', 'P-Associated-URI', 'P-Called-Party-ID',
  'P-Access-Network-Info', 'P-Charging-Vector', 'P-Charging-Function-Addresses', 'P-Visited-Network-ID',
  'Min-SE', 'Content-ID', 'Identity-Info', 'History-Info', 'Service-Route', 'Record-Route',
];

/**
 * Lists by grammar (`x *(COMMA x)`): RFC 3261 §20 and common extensions. Everything else,
 * notably WWW-Authenticate, Authorization, Proxy-*, Date and every unknown header, holds
 * commas inside its grammar and is never split.
 */
const LIST = new Set([
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'accept-resource-priority',
  'alert-info', 'allow', 'allow-events', 'call-info', 'contact', 'content-encoding',
  'content-language', 'error-info', 'history-info', 'in-reply-to', 'p-asserted-identity',
  'p-associated-uri', 'p-preferred-identity', 'path', 'proxy-require', 'reason', 'record-route',
  'reject-contact', 'request-disposition', 'require', 'resource-priority', 'route', 'security-client',
  'security-server', 'security-verify', 'service-route', 'supported', 'unsupported', 'via', 'warning',
]);

/** Lower-cased full name → canonical spelling, plus a cache of names seen as written. */
const CANONICAL = new Map<string, string>();
/** Any spelling seen → key (lower-cased full name). Bounded so hostile input cannot grow it. */
const KEYS = new Map<string, string>();
const KEYS_MAX = 2048;
/** Key → compact letter. */
const COMPACT_OF = new Map<string, string>();

function capitalise(lower: string): string {
  let out = '';
  let up = true;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i];
    out += up ? ch.toUpperCase() : ch;
    up = ch === '-';
  }
  return out;
}

function register(canonical: string): void {
  const key = canonical.toLowerCase();
  CANONICAL.set(key, canonical);
  KEYS.set(canonical, key);
  KEYS.set(key, key);
}

for (const [letter, name] of Object.entries(COMPACT)) {
  register(name);
  COMPACT_OF.set(name.toLowerCase(), letter);
  KEYS.set(letter, name.toLowerCase());
  KEYS.set(letter.toUpperCase(), name.toLowerCase());
}
for (const name of SPECIAL) register(name);
for (const key of LIST) if (!CANONICAL.has(key)) register(capitalise(key));
for (const name of ['Authorization', 'Proxy-Authorization', 'Proxy-Authenticate', 'Authentication-Info',
  'Date', 'Expires', 'Max-Forwards', 'Min-Expires', 'Timestamp', 'User-Agent', 'Server', 'Organization',
  'Priority', 'Reply-To', 'Retry-After', 'Content-Disposition', 'Refer-Sub', 'Replaces', 'Privacy',
  'Session-ID', 'Subscription-State']) register(name);

/**
 * Every known header key, by id. The headers the parser checks come first, at fixed ids
 * (H_VIA…), so the parser classifies a line by number, not by string.
 */
const FIXED = ['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'content-length', 'max-forwards', 'date', 'record-route', 'route', 'www-authenticate'];
export const H_VIA = 0;
export const H_FROM = 1;
export const H_TO = 2;
export const H_CALL_ID = 3;
export const H_CSEQ = 4;
export const H_CONTACT = 5;
export const H_CONTENT_LENGTH = 6;
export const H_MAX_FORWARDS = 7;
export const H_DATE = 8;

const KNOWN = new Interner(
  [...FIXED, ...[...KEYS.values()].filter((k) => k.length > 1)],
  CANONICAL.values(),
);
/** id -> key, and key -> id. */
export const KEY_OF_ID: readonly string[] = KNOWN.words;
const ID_OF_KEY = new Map<string, number>(KNOWN.words.map((k, id) => [k, id]));
/** id -> canonical spelling. */
export const NAME_OF_ID: readonly string[] = KNOWN.spellings;
/** id -> is a list header. */
export const LIST_ID: readonly boolean[] = KNOWN.words.map((k) => LIST.has(k));

const WORDS = KNOWN.words;
/** Spelling of every known name, one after another, and where each starts. */
const SPELLED = Buffer.from(KNOWN.spellings.join(''), 'latin1');
const OFFSET = new Int32Array(WORDS.length);
const LENGTH = new Int32Array(WORDS.length);
for (let id = 0; id < WORDS.length; id++) {
  LENGTH[id] = WORDS[id].length;
  if (id > 0) OFFSET[id] = OFFSET[id - 1] + WORDS[id - 1].length;
}

/**
 * Known names for the parser, recognised while their characters are scanned: a state
 * machine over the token characters (RFC 3261 §25.1), one table step per character,
 * letters of either case alike. A state is a multiple of 64 (the row where its steps
 * start, so a step costs one addition and one load): NAME_START is the start, 0 is "no
 * known name" and stays so. NAME_STEP[state + NAME_COLUMN[c]] is the next state;
 * NAME_COLUMN[c] is 0 for a character that cannot be in a name (the name ends there);
 * NAME_ID[state >> 6] is the id of the header whose name leads to that state, or -1.
 */
export const NAME_COLUMN = new Uint8Array(256);
export const NAME_START = 64;
let columns = 0;
for (let c = 0; c < 128; c++) {
  if ((CHAR[c] & TOKEN) === 0 || (c >= 0x41 && c <= 0x5a)) continue;
  NAME_COLUMN[c] = ++columns;
  if (c >= 0x61 && c <= 0x7a) NAME_COLUMN[c - 0x20] = columns;
}

const steps: number[] = new Array<number>(128).fill(0);
const ids: number[] = [-1, -1];
function addName(word: string, id: number): void {
  let state = NAME_START;
  for (let i = 0; i < word.length; i++) {
    const at = state + NAME_COLUMN[word.charCodeAt(i)];
    if (steps[at] === 0) {
      steps[at] = ids.length * 64;
      ids.push(-1);
      for (let k = 0; k < 64; k++) steps.push(0);
    }
    state = steps[at];
  }
  ids[state >> 6] = id;
}
WORDS.forEach((word, id) => {
  if (word.length > 1) addName(word, id);
});
for (const [letter, name] of Object.entries(COMPACT)) addName(letter, ID_OF_KEY.get(name.toLowerCase())!);
if (steps.length > 0x10000) throw new Error('header-names: too many states for NAME_STEP');
export const NAME_STEP = Uint16Array.from(steps);
export const NAME_ID = Int16Array.from(ids);

/** Id of the header named at b[start, end), or -1 for a header we do not know. */
export function headerIdAt(b: Uint8Array, start: number, end: number): number {
  let state = NAME_START;
  for (let i = start; i < end; i++) {
    const column = NAME_COLUMN[b[i]];
    if (column === 0) return -1;
    state = NAME_STEP[state + column];
  }
  return NAME_ID[state >> 6];
}

/** Is b[start, end) the canonical spelling of header `id` ('Call-ID', not 'call-id')? */
export function isSpelledAt(b: Uint8Array, start: number, end: number, id: number): boolean {
  if (LENGTH[id] !== end - start) return false;
  const at = OFFSET[id] - start;
  for (let k = start; k < end; k++) if (b[k] !== SPELLED[at + k]) return false;
  return true;
}

// Lookups hand out the very strings the ids name, so keys compare by identity.
for (const [name, key] of KEYS) KEYS.set(name, KEY_OF_ID[ID_OF_KEY.get(key)!]);

/** Id of a lookup key (from headerKey), or -1. */
export function idOfKey(key: string): number {
  return ID_OF_KEY.get(key) ?? -1;
}

/**
 * The lookup key of a header name: lower-cased, compact form expanded
 * ('v', 'V', 'VIA', 'via' → 'via'; 'i' → 'call-id').
 */
export function headerKey(name: string): string {
  const known = KEYS.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const key = lower.length === 1 ? (KEYS.get(lower) ?? lower) : lower;
  if (KEYS.size < KEYS_MAX) KEYS.set(name, key);
  return key;
}

/** What a lookup by header name needs: its key, its id (-1 when unknown) and whether it is a list. */
export interface HeaderLookup {
  readonly key: string;
  readonly id: number;
  readonly list: boolean;
}

const LOOKUPS = new Map<string, HeaderLookup>();
/**
 * The last few names looked up and what they gave: code asks for the same handful of
 * names (usually written as constants) over and over, and comparing a constant with
 * itself costs less than hashing it.
 */
const RECENT_NAMES: string[] = ['', '', '', ''];
const RECENT: HeaderLookup[] = new Array<HeaderLookup>(4).fill({ key: '', id: -1, list: false });
let recentNext = 0;

/** headerKey, idOfKey and isListHeader of a name at once (remembered per spelling, bounded). */
export function lookupHeader(name: string): HeaderLookup {
  if (name === RECENT_NAMES[0]) return RECENT[0];
  if (name === RECENT_NAMES[1]) return RECENT[1];
  if (name === RECENT_NAMES[2]) return RECENT[2];
  if (name === RECENT_NAMES[3]) return RECENT[3];
  let found = LOOKUPS.get(name);
  if (found === undefined) {
    const key = headerKey(name);
    found = { key, id: idOfKey(key), list: LIST.has(key) };
    if (LOOKUPS.size < KEYS_MAX) LOOKUPS.set(name, found);
  }
  RECENT_NAMES[recentNext] = name;
  RECENT[recentNext] = found;
  recentNext = (recentNext + 1) & 3;
  return found;
}

/** Canonical spelling: 'v' → 'Via', 'call-id' → 'Call-ID', 'x-foo' → 'X-Foo'. */
export function canonicalName(name: string): string {
  const key = headerKey(name);
  return CANONICAL.get(key) ?? capitalise(key);
}

/**
 * The compact form when the header has one ('Via' → 'v', 'call-id' → 'i'), else the
 * canonical name, so the result can always be written on the wire.
 */
export function compactName(name: string): string {
  const key = headerKey(name);
  return COMPACT_OF.get(key) ?? canonicalName(name);
}

/** True when the header's grammar is a comma-separated list (by key). */
export function isListHeader(key: string): boolean {
  return LIST.has(key);
}
