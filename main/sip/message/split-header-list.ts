import { skipWs, trimEnd } from './chars.ts';

/**
 * Index of the comma ending the list element that starts at `start` (or `end`): commas
 * inside quoted strings (with quoted-pairs) and inside <…> do not count (RFC 3261 §7.3.1).
 * An unterminated quote or `<` runs to the end; the element parsers report that fault.
 */
export function listElementEnd(s: string, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x2c) return i; // ,
    if (c === 0x22) {
      // "…": skip to the closing quote, honouring backslash escapes
      i++;
      while (i < end) {
        const q = s.charCodeAt(i);
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

/**
 * Split a header value at its top-level commas: `a, "b,c" <sip:d>, <sip:e,f>` → 3 items.
 * Items are trimmed; empty items (`a,,b`) are dropped.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  const end = value.length;
  let i = 0;
  while (i <= end) {
    const stop = listElementEnd(value, i, end);
    const a = skipWs(value, i, stop);
    const b = trimEnd(value, a, stop);
    if (b > a) out.push(a === 0 && b === end ? value : value.slice(a, b));
    i = stop + 1;
  }
  return out;
}

/** The first element of a list value (trimmed), or '' when there is none. */
export function firstListElement(value: string): string {
  const end = value.length;
  let i = 0;
  while (i <= end) {
    const stop = listElementEnd(value, i, end);
    const a = skipWs(value, i, stop);
    const b = trimEnd(value, a, stop);
    if (b > a) return a === 0 && b === end ? value : value.slice(a, b);
    i = stop + 1;
  }
  return '';
}
