/**
 * Character classes of the RFC 3261 §25.1 grammar as bit flags over one byte, so every
 * scanner tests a character with a single table lookup (no regular expressions).
 */

export const TOKEN = 1; // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
export const UNRESERVED = 2; // alphanum / mark
export const USER = 4; // unreserved / user-unreserved ("&" / "=" / "+" / "$" / "," / ";" / "?" / "/")
export const PASSWORD = 8; // unreserved / "&" / "=" / "+" / "$" / ","
export const PARAM = 16; // paramchar: param-unreserved / unreserved ("[" / "]" / "/" / ":" / "&" / "+" / "$")
export const HNV = 32; // hname / hvalue: hnv-unreserved / unreserved ("[" / "]" / "/" / "?" / ":" / "+" / "$")
export const HOST = 64; // hostname / IPv4 / IPv6 characters: alphanum / "-" / "." / ":" (inside [])
export const ALNUM = 128;

export const CHAR = new Uint8Array(256);

function mark(chars: string, flags: number): void {
  for (let i = 0; i < chars.length; i++) CHAR[chars.charCodeAt(i)] |= flags;
}

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
mark(ALPHANUM, TOKEN | UNRESERVED | USER | PASSWORD | PARAM | HNV | HOST | ALNUM);
mark(MARK, UNRESERVED | USER | PASSWORD | PARAM | HNV);
mark("-.!%*_+`'~", TOKEN);
mark('&=+$,;?/', USER);
mark('&=+$,', PASSWORD);
mark('[]/:&+$', PARAM);
mark('[]/?:+$', HNV);
mark('-.', HOST);

export function isToken(c: number): boolean {
  return c < 0x80 && (CHAR[c] & TOKEN) !== 0;
}

/** A whole string of token characters (non-empty). */
export function isTokenString(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (CHAR[c] & TOKEN) === 0) return false;
  }
  return true;
}

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index of the first non-SP/HT character at or after i (up to end). */
export function skipWs(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index just after the last non-SP/HT character before end (down to start). */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Digits only, at most `maxDigits` of them; NaN when anything else is there. */
export function parseDigits(s: string, start: number, end: number, maxDigits: number): number {
  if (end <= start || end - start > maxDigits) return NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

// The same helpers over character codes. The parser scans a byte array (the datagram
// itself, or the codes of a string, see codes.ts) and slices strings out of the decoded
// text at the same offsets: indexing a Uint8Array is several times cheaper than charCodeAt.

/** Index of the first non-SP/HT code at or after i (up to end). */
export function skipWsAt(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index just after the last non-SP/HT code before end (down to start). */
export function trimEndAt(b: Uint8Array, start: number, end: number): number {
  while (end > start) {
    const c = b[end - 1];
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

/** Digits only, at most `maxDigits` of them; NaN when anything else is there. */
export function digitsAt(b: Uint8Array, start: number, end: number, maxDigits: number): number {
  if (end <= start || end - start > maxDigits) return NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] - 0x30;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** End of the run of token characters starting at i. */
export function tokenEndAt(b: Uint8Array, i: number, end: number): number {
  while (i < end && (CHAR[b[i]] & TOKEN) !== 0) i++;
  return i;
}
