import { CHAR, TOKEN, skipWsAt } from './chars.ts';
import { SipParseError } from './sip-parse-error.ts';

/**
 * Shared pieces of the header-value scanners. Each reads character codes `b` (see
 * codes.ts) and slices values out of the text `s` at the same offsets; each parses from
 * an index and leaves the index where it stopped in `cursor.pos`, so list headers are
 * parsed in one pass without splitting the line first.
 */
export const cursor = { pos: 0, branchStart: -1, branchEnd: -1, tagStart: -1, tagEnd: -1 };

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
 * Check `*( SEMI generic-param )` from i (RFC 3261 §25.1, SEMI = SWS ";" SWS, EQUAL =
 * SWS "=" SWS), building nothing (see ParamMap); returns where they stop: the first
 * character that is not `;` after whitespace. Notes in `cursor` where the values of the
 * first `branch` and the first `tag` parameter lie (start -1: none; -2: a flag).
 */
export function checkGenericParams(b: Uint8Array, i: number, end: number, reason: string): number {
  cursor.branchStart = -1;
  cursor.tagStart = -1;
  for (;;) {
    let semi = i;
    while (semi < end && (b[semi] === 0x20 || b[semi] === 0x09)) semi++;
    if (semi >= end || b[semi] !== 0x3b) return semi;
    let nameStart = semi + 1;
    while (nameStart < end && (b[nameStart] === 0x20 || b[nameStart] === 0x09)) nameStart++;
    let nameEnd = nameStart;
    while (nameEnd < end && (CHAR[b[nameEnd]] & TOKEN) !== 0) nameEnd++;
    if (nameEnd === nameStart) fail(reason, 'empty parameter');
    i = nameEnd;
    let eq = i;
    while (eq < end && (b[eq] === 0x20 || b[eq] === 0x09)) eq++;
    let valueStart = -2; // a flag
    let valueEnd = -2;
    if (eq < end && b[eq] === 0x3d) {
      valueStart = skipWsAt(b, eq + 1, end);
      valueEnd = genValueEnd(b, valueStart, end, reason);
      if (valueEnd === valueStart) fail(reason, 'empty parameter value');
      i = valueEnd;
    }
    // The first `branch` and the first `tag`, in any case, are what every layer reads.
    const len = nameEnd - nameStart;
    if (len === 6 && cursor.branchStart === -1 && isBranch(b, nameStart)) {
      cursor.branchStart = valueStart;
      cursor.branchEnd = valueEnd;
    } else if (len === 3 && cursor.tagStart === -1 && (b[nameStart] | 0x20) === 0x74 && (b[nameStart + 1] | 0x20) === 0x61 && (b[nameStart + 2] | 0x20) === 0x67) {
      cursor.tagStart = valueStart;
      cursor.tagEnd = valueEnd;
    }
  }
}

/** `branch`, in any case, at i. */
function isBranch(b: Uint8Array, i: number): boolean {
  return (
    (b[i] | 0x20) === 0x62 && (b[i + 1] | 0x20) === 0x72 && (b[i + 2] | 0x20) === 0x61 &&
    (b[i + 3] | 0x20) === 0x6e && (b[i + 4] | 0x20) === 0x63 && (b[i + 5] | 0x20) === 0x68
  );
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
