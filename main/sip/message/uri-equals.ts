import type { Uri } from './types.ts';

/** Parameters that must match when either URI has them (RFC 3261 §19.1.4). */
const STRICT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

function eqi(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.toLowerCase() === b.toLowerCase();
}

/** IPv6 text in one canonical spelling, so [::1] equals [0:0::1] (§19.1.4: hosts compare as addresses). */
function normaliseHost(host: string): string {
  if (host.charCodeAt(0) !== 0x5b || !host.endsWith(']')) return host;
  const inner = host.slice(1, -1).toLowerCase();
  const halves = inner.split('::');
  if (halves.length > 2) return host;
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  // An embedded IPv4 tail counts for two groups.
  const groupsOf = (xs: string[]): string[] =>
    xs.flatMap((x) => {
      if (!x.includes('.')) return [x];
      const o = x.split('.').map(Number);
      return [((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16)];
    });
  const h = groupsOf(head);
  const t = groupsOf(tail);
  const fill = halves.length === 2 ? 8 - h.length - t.length : 0;
  if (fill < 0) return host;
  const groups = [...h, ...new Array<string>(fill).fill('0'), ...t].map((g) => (parseInt(g, 16) || 0).toString(16));
  return `[${groups.join(':')}]`;
}

/** tel numbers compare without visual separators (RFC 3966 §4). */
function telDigits(n: string): string {
  let out = '';
  for (const ch of n) if (ch !== '-' && ch !== '.' && ch !== '(' && ch !== ')') out += ch.toLowerCase();
  return out;
}

/**
 * RFC 3261 §19.1.4: user info compares case-sensitively, everything else
 * case-insensitively, after unescaping (our Uri holds unescaped parts); a port and the
 * user, ttl, method, maddr, transport parameters must be in both or neither; other
 * parameters matter only when both have them; URI headers must all match.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel') {
    if (telDigits(a.user) !== telDigits(b.user)) return false;
    if (a.params.size !== b.params.size) return false;
    for (const [name, value] of a.params) {
      if (!b.params.has(name) || !eqi(value, b.params.get(name))) return false;
    }
    return true;
  }
  if (a.scheme !== 'sip' && a.scheme !== 'sips') {
    const ra = a.raw.slice(a.raw.indexOf(':'));
    const rb = b.raw.slice(b.raw.indexOf(':'));
    return ra === rb;
  }
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host !== b.host && normaliseHost(a.host) !== normaliseHost(b.host)) return false;
  if (a.port !== b.port) return false;
  for (const name of STRICT_PARAMS) {
    if (a.params.has(name) !== b.params.has(name)) return false;
  }
  for (const [name, value] of a.params) {
    if (b.params.has(name) && !eqi(value, b.params.get(name))) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, value] of a.headers) {
    let found = false;
    for (const [otherName, otherValue] of b.headers) {
      if (eqi(name, otherName)) {
        found = value === otherValue;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}
