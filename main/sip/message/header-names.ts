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

const COMPACT_KEY: Array<string | undefined> = new Array<string | undefined>(128).fill(undefined);
for (const [letter, name] of Object.entries(COMPACT)) COMPACT_KEY[letter.charCodeAt(0)] = name.toLowerCase();
const KNOWN = new Interner(
  [...KEYS.values()].filter((k) => k.length > 1),
  CANONICAL.values(),
);

/** After keyAt(): the name as written when it is a canonical spelling (no need to slice it), else undefined. */
export let keyAtName: string | undefined;

/**
 * headerKey of the name written at text[start, end) (a valid token), without slicing
 * it out first: the parser's hot path.
 */
export function keyAt(text: string, start: number, end: number): string {
  if (end - start === 1) {
    const k = COMPACT_KEY[(text.charCodeAt(start) | 0x20) & 0x7f];
    if (k !== undefined) {
      keyAtName = undefined;
      return k;
    }
  } else {
    const k = KNOWN.find(text, start, end);
    if (k !== undefined) {
      keyAtName = KNOWN.exact;
      return k;
    }
  }
  keyAtName = undefined;
  return text.slice(start, end).toLowerCase();
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
