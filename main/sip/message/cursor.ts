import { CHAR, TOKEN, skipWsAt } from './chars.ts';
import { lowerName } from './interner.ts';
import { SipParseError } from './sip-parse-error.ts';

/**
 * Shared pieces of the header-value scanners. Each reads character codes `b` (see
 * codes.ts) and slices values out of the text `s` at the same offsets; each parses from
 * an index and leaves the index where it stopped in `cursor.pos`, so list headers are
 * parsed in one pass without splitting the line first.
 */
export const cursor = { pos: 0 };

export function fail(reason: string, detail: string): never {
  throw new SipParseError(400, reason, detail);
}

/**
 * A quoted-string starting at the DQUOTE at i (RFC 3261 §25.1): returns the index just
 * after the closing quote. Throws on an unterminated string.
 */
export function quotedEnd(b: Uint8Array, i: number, end: number, reason: string): number {
  i++;
  while (i < end) {
    const c = b[i];
    if (c === 0x22) return i + 1;
    if (c === 0x5c) i++;
    else if (c < 0x20 && c !== 0x09) fail(reason, 'control character in quoted string');
    i++;
  }
  fail(reason, 'unterminated quoted string');
}

/** The text of the quoted-string at [start, end) (without its quotes), quoted-pairs undone. */
export function unquote(b: Uint8Array, s: string, start: number, end: number): string {
  let i = start + 1;
  while (i < end - 1 && b[i] !== 0x5c) i++;
  if (i >= end - 1) return s.slice(start + 1, end - 1);
  let out = s.slice(start + 1, i);
  for (; i < end - 1; i++) {
    if (b[i] === 0x5c && i + 1 < end - 1) i++;
    out += s[i];
  }
  return out;
}

/** A generic-param value: token, host (IPv6 too) or quoted-string (kept with its quotes). */
function genValueEnd(b: Uint8Array, i: number, end: number, reason: string): number {
  if (i < end && b[i] === 0x22) return quotedEnd(b, i, end, reason);
  while (i < end) {
    const c = b[i];
    if ((CHAR[c] & TOKEN) === 0 && c !== 0x3a && c !== 0x5b && c !== 0x5d) break;
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
  b: Uint8Array,
  s: string,
  i: number,
  end: number,
  params: Map<string, string | null>,
  reason: string,
): number {
  for (;;) {
    let semi = i;
    while (semi < end && (b[semi] === 0x20 || b[semi] === 0x09)) semi++;
    if (semi >= end || b[semi] !== 0x3b) return semi;
    let nameStart = semi + 1;
    while (nameStart < end && (b[nameStart] === 0x20 || b[nameStart] === 0x09)) nameStart++;
    let nameEnd = nameStart;
    while (nameEnd < end && (CHAR[b[nameEnd]] & TOKEN) !== 0) nameEnd++;
    if (nameEnd === nameStart) fail(reason, 'empty parameter');
    const name = lowerName(b, s, nameStart, nameEnd);
    i = nameEnd;
    let eq = i;
    while (eq < end && (b[eq] === 0x20 || b[eq] === 0x09)) eq++;
    let value: string | null = null;
    if (eq < end && b[eq] === 0x3d) {
      const valueStart = skipWsAt(b, eq + 1, end);
      const valueEnd = genValueEnd(b, valueStart, end, reason);
      if (valueEnd === valueStart) fail(reason, 'empty parameter value');
      value = s.slice(valueStart, valueEnd);
      i = valueEnd;
    }
    if (!params.has(name)) params.set(name, value);
  }
}

/** After an element: only whitespace, then the end or (in a list) a comma. Sets cursor.pos. */
export function finishElement(b: Uint8Array, i: number, end: number, list: boolean, reason: string): void {
  i = skipWsAt(b, i, end);
  if (i < end && !(list && b[i] === 0x2c)) fail(reason, 'unexpected text after value');
  cursor.pos = i;
}

/** Start of the next list element after the comma at i (skipping empty elements), or end. */
export function nextElement(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 0x2c && c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}
