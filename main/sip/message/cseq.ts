import { skipWsAt, tokenEndAt, trimEndAt } from './chars.ts';
import { codesOf } from './codes.ts';
import { fail } from './cursor.ts';
import { methodAt } from './interner.ts';
import type { CSeq } from './types.ts';

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number must fit in 32 bits (§8.1.1.5). */
export function parseCSeqAt(b: Uint8Array, s: string, start: number, end: number, reason: string): CSeq {
  end = trimEndAt(b, start, end);
  let i = skipWsAt(b, start, end);
  const first = i;
  let seq = 0;
  while (i < end) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
    i++;
  }
  // Leading zeros are allowed ("0009"); the value is what counts.
  if (i === first) fail(reason, 'no sequence number');
  if (seq > 0xffffffff) fail(reason, 'sequence number over 2**32-1');
  const m = skipWsAt(b, i, end);
  if (m === i) fail(reason, 'no method');
  const mEnd = tokenEndAt(b, m, end);
  if (mEnd === m || mEnd !== end) fail(reason, 'bad method');
  return { seq, method: methodAt(b, s, m, end) };
}

/** Parse a CSeq value. */
export function parseCSeq(s: string, reason = 'Bad CSeq'): CSeq {
  return parseCSeqAt(codesOf(s), s, 0, s.length, reason);
}

/** Write a CSeq value. */
export function formatCSeq(c: CSeq): string {
  return c.seq + ' ' + c.method;
}
