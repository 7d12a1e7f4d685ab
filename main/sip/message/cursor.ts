import { CHAR, TOKEN, skipWs } from './chars.ts';
import { lowerName } from './interner.ts';
import { SipParseError } from './sip-parse-error.ts';

/**
 * Shared pieces of the header-value scanners: each parses from an index and leaves the
 * index where it stopped in `cursor.pos`, so list headers are parsed in one pass
 * without splitting the line first.
 */
export const cursor = { pos: 0 };

export function fail(reason: string, detail: string): never {
  throw new SipParseError(400, reason, detail);
}

/** End of the token starting at i. */
export function tokenEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (CHAR[c] & TOKEN) === 0) break;
    i++;
  }
  return i;
}

/**
 * A quoted-string starting at the DQUOTE at i (RFC 3261 §25.1): returns the index just
 * after the closing quote. Throws on an unterminated string.
 */
export function quotedEnd(s: string, i: number, end: number, reason: string): number {
  i++;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) i++;
    else if (c < 0x20 && c !== 0x09) fail(reason, 'control character in quoted string');
    i++;
  }
  fail(reason, 'unterminated quoted string');
}

/** The text of a quoted-string (without its quotes), quoted-pairs undone. */
export function unquote(s: string, start: number, end: number): string {
  const inner = s.slice(start + 1, end - 1);
  if (!inner.includes('\\')) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '\\' && i + 1 < inner.length) out += inner[++i];
    else out += ch;
  }
  return out;
}

/** A generic-param value: token, host (IPv6 too) or quoted-string (kept with its quotes). */
function genValueEnd(s: string, i: number, end: number, reason: string): number {
  if (i < end && s.charCodeAt(i) === 0x22) return quotedEnd(s, i, end, reason);
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || ((CHAR[c] & TOKEN) === 0 && c !== 0x3a && c !== 0x5b && c !== 0x5d)) break;
    i++;
  }
  return i;
}

/**
 * `*( SEMI generic-param )` from i (RFC 3261 §25.1, SEMI = SWS ";" SWS, EQUAL = SWS "=" SWS).
 * Names are lower-cased; a flag has value null; quoted values keep their quotes. Stops at
 * the first character that is not `;` after whitespace; returns that index.
 */
export function parseGenericParams(
  s: string,
  i: number,
  end: number,
  params: Map<string, string | null>,
  reason: string,
): number {
  for (;;) {
    const semi = skipWs(s, i, end);
    if (semi >= end || s.charCodeAt(semi) !== 0x3b) return i === semi ? i : semi;
    const nameStart = skipWs(s, semi + 1, end);
    const nameEnd = tokenEnd(s, nameStart, end);
    if (nameEnd === nameStart) fail(reason, 'empty parameter');
    const name = lowerName(s, nameStart, nameEnd);
    i = nameEnd;
    const eq = skipWs(s, i, end);
    let value: string | null = null;
    if (eq < end && s.charCodeAt(eq) === 0x3d) {
      const valueStart = skipWs(s, eq + 1, end);
      const valueEnd = genValueEnd(s, valueStart, end, reason);
      if (valueEnd === valueStart) fail(reason, 'empty parameter value');
      value = s.slice(valueStart, valueEnd);
      i = valueEnd;
    }
    if (!params.has(name)) params.set(name, value);
  }
}

/** After an element: only whitespace, then the end or (in a list) a comma. Sets cursor.pos. */
export function finishElement(s: string, i: number, end: number, list: boolean, reason: string): void {
  i = skipWs(s, i, end);
  if (i < end && !(list && s.charCodeAt(i) === 0x2c)) fail(reason, 'unexpected text after value');
  cursor.pos = i;
}

/** Start of the next list element after the comma at i (skipping empty elements), or end. */
export function nextElement(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x2c && c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}
