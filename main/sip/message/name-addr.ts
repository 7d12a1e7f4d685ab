import { CHAR, TOKEN, skipWs } from './chars.ts';
import { cursor, fail, finishElement, nextElement, parseGenericParams, quotedEnd, unquote } from './cursor.ts';
import { formatUri, parseUri } from './uri.ts';
import type { NameAddr, Uri } from './types.ts';

// name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1):
//   ( name-addr / addr-spec ) *( SEMI generic-param )
//   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
// Without angle brackets, every `;param` belongs to the header, not to the URI.

function wildcardUri(): Uri {
  return { scheme: '', user: '', password: undefined, host: '', port: undefined, params: new Map(), headers: new Map(), raw: '*' };
}

/**
 * Parse one name-addr starting at `start`. In a list (Contact, Route, …) it stops at the
 * top-level comma that ends the element; `cursor.pos` is left there (or at `end`).
 */
export function parseNameAddrAt(s: string, start: number, end: number, list: boolean, reason: string): NameAddr {
  let i = skipWs(s, start, end);
  if (i >= end) fail(reason, 'empty address');
  let c = s.charCodeAt(i);
  let displayName: string | undefined;
  let uri: Uri;

  if (c === 0x2a) {
    // Contact: * (§10.2.2)
    const params = new Map<string, string | null>();
    i = parseGenericParams(s, i + 1, end, params, reason);
    finishElement(s, i, end, list, reason);
    return { displayName: undefined, uri: wildcardUri(), params, wildcard: true };
  }

  if (c === 0x22) {
    const q = quotedEnd(s, i, end, reason);
    displayName = unquote(s, i, q);
    i = skipWs(s, q, end);
    if (i >= end || s.charCodeAt(i) !== 0x3c) fail(reason, 'display name without <addr-spec>');
    c = 0x3c;
  } else if (c !== 0x3c) {
    // *(token LWS) "<" — or, if anything else turns up first, an addr-spec.
    // (Non-ASCII is tolerated in an unquoted display name: phones send it.)
    let j = i;
    while (j < end) {
      const d = s.charCodeAt(j);
      if (d === 0x3c || (d < 0x80 && (CHAR[d] & TOKEN) === 0 && d !== 0x20 && d !== 0x09)) break;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 0x3c) {
      let k = j;
      while (k > i && (s.charCodeAt(k - 1) === 0x20 || s.charCodeAt(k - 1) === 0x09)) k--;
      displayName = s.slice(i, k);
      i = j;
      c = 0x3c;
    }
  }

  if (c === 0x3c) {
    const close = s.indexOf('>', i + 1);
    if (close < 0 || close >= end) fail(reason, '< without >');
    uri = parseUri(s.slice(i + 1, close), reason);
    i = close + 1;
  } else {
    // addr-spec: the URI ends at whitespace, `;` (header params) or, in a list, `,`.
    const uriStart = i;
    while (i < end) {
      const d = s.charCodeAt(i);
      if (d === 0x3b || d === 0x20 || d === 0x09 || (list && d === 0x2c)) break;
      i++;
    }
    uri = parseUri(s.slice(uriStart, i), reason);
    // §20.10: an addr-spec holding `?` or `,` must be enclosed in <>.
    if (uri.headers.size > 0) fail(reason, 'URI with headers must be enclosed in <>');
  }

  const params = new Map<string, string | null>();
  i = parseGenericParams(s, i, end, params, reason);
  finishElement(s, i, end, list, reason);
  return { displayName, uri, params, wildcard: false };
}

/** Parse a single name-addr or addr-spec header value (From, To, Refer-To, one Contact…). */
export function parseNameAddr(s: string, reason = 'Bad address'): NameAddr {
  return parseNameAddrAt(s, 0, s.length, false, reason);
}

/** Parse a comma-separated list of name-addrs (Contact, Route, Record-Route, Path…). */
export function parseNameAddrList(s: string, reason = 'Bad address', out: NameAddr[] = []): NameAddr[] {
  const end = s.length;
  let i = nextElement(s, 0, end);
  while (i < end) {
    out.push(parseNameAddrAt(s, i, end, true, reason));
    i = nextElement(s, cursor.pos, end);
  }
  return out;
}

function quoteDisplayName(name: string): string {
  let out = '"';
  for (const ch of name) out += ch === '"' || ch === '\\' ? '\\' + ch : ch;
  return out + '"';
}

/** Write a name-addr: `"Display" <uri>;param=value` (always with <>, so URI params stay in the URI). */
export function formatNameAddr(n: NameAddr): string {
  let out: string;
  if (n.wildcard) out = '*';
  else {
    out = n.displayName !== undefined ? quoteDisplayName(n.displayName) + ' ' : '';
    out += '<' + formatUri(n.uri) + '>';
  }
  for (const [name, value] of n.params) out += value === null ? ';' + name : ';' + name + '=' + value;
  return out;
}
