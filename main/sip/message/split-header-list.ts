import { skipWsAt, trimEndAt } from './chars.ts';
import { codesOf } from './codes.ts';

/**
 * Index of the comma ending the list element that starts at `start` (or `end`): commas
 * inside quoted strings (with quoted-pairs) and inside <…> do not count (RFC 3261 §7.3.1).
 * An unterminated quote or `<` runs to the end; the element parsers report that fault.
 */
export function listElementEnd(b: Uint8Array, s: string, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c === 0x2c) return i; // ,
    if (c === 0x22) {
      // "…": skip to the closing quote, honouring backslash escapes
      i++;
      while (i < end) {
        const q = b[i];
        if (q === 0x5c) i += 2;
        else if (q === 0x22) break;
        else i++;
      }
    } else if (c === 0x3c) {
      const close = s.indexOf('>', i + 1);
      if (close < 0 || close >= end) return end;
      i = close;
    }
    i++;
  }
  return end;
}

/** The elements of the list at [start, end) of `s` (trimmed, empty ones dropped), appended to `out`. */
export function splitListAt(b: Uint8Array, s: string, start: number, end: number, out: string[]): string[] {
  let i = start;
  while (i <= end) {
    const stop = listElementEnd(b, s, i, end);
    const a = skipWsAt(b, i, stop);
    const z = trimEndAt(b, a, stop);
    if (z > a) out.push(a === 0 && z === s.length ? s : s.slice(a, z));
    i = stop + 1;
  }
  return out;
}

/** The first element of the list at [start, end) of `s` (trimmed), or '' when there is none. */
export function firstListElementAt(b: Uint8Array, s: string, start: number, end: number): string {
  let i = start;
  while (i <= end) {
    const stop = listElementEnd(b, s, i, end);
    const a = skipWsAt(b, i, stop);
    const z = trimEndAt(b, a, stop);
    if (z > a) return a === 0 && z === s.length ? s : s.slice(a, z);
    i = stop + 1;
  }
  return '';
}

/**
 * Split a header value at its top-level commas: `a, "b,c" <sip:d>, <sip:e,f>` → 3 items.
 * Items are trimmed; empty items (`a,,b`) are dropped.
 */
export function splitHeaderList(value: string): string[] {
  return splitListAt(codesOf(value), value, 0, value.length, []);
}

/** The first element of a list value (trimmed), or '' when there is none. */
export function firstListElement(value: string): string {
  return firstListElementAt(codesOf(value), value, 0, value.length);
}
