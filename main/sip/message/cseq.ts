import { skipWs, trimEnd } from './chars.ts';
import { fail, tokenEnd } from './cursor.ts';
import { methodAt } from './interner.ts';
import type { CSeq } from './types.ts';

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number must fit in 32 bits (§8.1.1.5). */
export function parseCSeq(s: string, reason = 'Bad CSeq'): CSeq {
  const end = trimEnd(s, 0, s.length);
  let i = skipWs(s, 0, end);
  const start = i;
  let seq = 0;
  while (i < end) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
    i++;
  }
  // Leading zeros are allowed ("0009"); the value is what counts.
  if (i === start) fail(reason, 'no sequence number');
  if (seq > 0xffffffff) fail(reason, 'sequence number over 2**32-1');
  const m = skipWs(s, i, end);
  if (m === i) fail(reason, 'no method');
  const mEnd = tokenEnd(s, m, end);
  if (mEnd === m || mEnd !== end) fail(reason, 'bad method');
  return { seq, method: methodAt(s, m, end) };
}

/** Write a CSeq value. */
export function formatCSeq(c: CSeq): string {
  return c.seq + ' ' + c.method;
}
