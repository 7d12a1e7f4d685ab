import { CHAR, TOKEN, skipWsAt, trimEndAt } from './chars.ts';
import { ownCodes } from './codes.ts';
import { checkGenericParams, cursor, fail, finishElement, nextElement, quotedEnd, unquote } from './cursor.ts';
import { GENERIC_PARAMS, ParamMap } from './param-map.ts';
import { formatUri, parseUriAt } from './uri.ts';
import type { NameAddr, Uri } from './types.ts';

// name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1):
//   ( name-addr / addr-spec ) *( SEMI generic-param )
//   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
// Without angle brackets, every `;param` belongs to the header, not to the URI.

function wildcardUri(): Uri {
  return { scheme: '', user: '', password: undefined, host: '', port: undefined, params: ParamMap.empty(), headers: ParamMap.empty<string>(), raw: '*' };
}

/**
 * Parse one name-addr starting at `start`. In a list (Contact, Route, …) it stops at the
 * top-level comma that ends the element; `cursor.pos` is left there (or at `end`).
 */
export function parseNameAddrAt(b: Uint8Array, s: string, start: number, end: number, list: boolean, reason: string): NameAddr {
  let i = skipWsAt(b, start, end);
  if (i >= end) fail(reason, 'empty address');
  let c = b[i];
  let displayName: string | undefined;
  let uri: Uri;

  if (c === 0x2a) {
    // Contact: * (§10.2.2)
    const paramsEnd = checkGenericParams(b, i + 1, end, reason);
    finishElement(b, paramsEnd, end, list, reason);
    return { displayName: undefined, uri: wildcardUri(), params: new ParamMap(b, s, i + 1, paramsEnd, GENERIC_PARAMS), wildcard: true };
  }

  if (c === 0x22) {
    const q = quotedEnd(b, i, end, reason);
    displayName = unquote(b, s, i, q);
    i = skipWsAt(b, q, end);
    if (i >= end || b[i] !== 0x3c) fail(reason, 'display name without <addr-spec>');
    c = 0x3c;
  } else if (c !== 0x3c) {
    // *(token LWS) "<" — or, if anything else turns up first, an addr-spec.
    // (Non-ASCII is tolerated in an unquoted display name: phones send it.)
    let j = i;
    while (j < end) {
      const d = b[j];
      if (d === 0x3c || (d < 0x80 && (CHAR[d] & TOKEN) === 0 && d !== 0x20 && d !== 0x09)) break;
      j++;
    }
    if (j < end && b[j] === 0x3c) {
      displayName = s.slice(i, trimEndAt(b, i, j));
      i = j;
      c = 0x3c;
    }
  }

  if (c === 0x3c) {
    const close = s.indexOf('>', i + 1);
    if (close < 0 || close >= end) fail(reason, '< without >');
    uri = parseUriAt(b, s, i + 1, close, reason);
    i = close + 1;
  } else {
    // addr-spec: the URI ends at whitespace, `;` (header params) or, in a list, `,`.
    const uriStart = i;
    while (i < end) {
      const d = b[i];
      if (d === 0x3b || d === 0x20 || d === 0x09 || (list && d === 0x2c)) break;
      i++;
    }
    uri = parseUriAt(b, s, uriStart, i, reason);
    // §20.10: an addr-spec holding `?` or `,` must be enclosed in <>.
    if (uri.headers.size > 0) fail(reason, 'URI with headers must be enclosed in <>');
  }

  const paramsEnd = checkGenericParams(b, i, end, reason);
  finishElement(b, paramsEnd, end, list, reason);
  const params = new ParamMap(b, s, i, paramsEnd, GENERIC_PARAMS).remember('tag', cursor.tagStart, cursor.tagEnd);
  return { displayName, uri, params, wildcard: false };
}

/** Parse a single name-addr or addr-spec header value (From, To, Refer-To, one Contact…). */
export function parseNameAddr(s: string, reason = 'Bad address'): NameAddr {
  return parseNameAddrAt(ownCodes(s), s, 0, s.length, false, reason);
}

/**
 * Parse the comma-separated name-addrs at [start, end) (Contact, Route, Record-Route,
 * Path…), appending to `out` (or, without `out`, into a new array of just the right size).
 */
export function parseNameAddrListAt(b: Uint8Array, s: string, start: number, end: number, reason: string, out?: NameAddr[]): NameAddr[] {
  let i = nextElement(b, start, end);
  if (out === undefined) {
    if (i >= end) return [];
    const first = parseNameAddrAt(b, s, i, end, true, reason);
    i = nextElement(b, cursor.pos, end);
    if (i >= end) return [first];
    out = [first];
  }
  while (i < end) {
    out.push(parseNameAddrAt(b, s, i, end, true, reason));
    i = nextElement(b, cursor.pos, end);
  }
  return out;
}

/** Parse a comma-separated list of name-addrs (Contact, Route, Record-Route, Path…). */
export function parseNameAddrList(s: string, reason = 'Bad address', out?: NameAddr[]): NameAddr[] {
  return parseNameAddrListAt(ownCodes(s), s, 0, s.length, reason, out);
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
