/**
 * DTMF over SIP INFO, for calls where RFC 4733 telephone-event was not negotiated. There is no
 * RFC for the body; `application/dtmf-relay` is the form most PBXs and phones speak:
 *
 *   Signal=5
 *   Duration=160
 *
 * (`Signal` a digit, `*`, `#`, A-D, or 10/11 for * and #; `Duration` in ms). Some peers send
 * `application/dtmf` with the digit alone as the body. Pure functions, and `sendDtmfByInfo`
 * that sends one INFO per digit in a call's session.
 */
import type { InviteSession } from '../sip/index.ts';

export const DTMF_DIGITS = /^[0-9*#A-Da-d]+$/;

/** The body of one INFO for `digit`. */
export function formatDtmfRelay(digit: string, durationMs = 160): string {
  return `Signal=${digit.toUpperCase()}\r\nDuration=${durationMs}\r\n`;
}

/** The digit (and duration) an INFO body carries, or undefined when it carries none. */
export function parseDtmfInfo(contentType: string, body: string): { digit: string; durationMs: number } | undefined {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/dtmf') return toDigit(body.trim(), 0);
  if (type !== 'application/dtmf-relay') return undefined;
  let signal: string | undefined;
  let duration = 0;
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z-]+)\s*=\s*(\S*)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    if (key === 'signal') signal = m[2];
    else if (key === 'duration' && /^\d+$/.test(m[2])) duration = Number(m[2]);
  }
  return signal === undefined ? undefined : toDigit(signal, duration);
}

function toDigit(signal: string, durationMs: number): { digit: string; durationMs: number } | undefined {
  // RFC 4733 §3.2 event codes written as numbers: 10 is *, 11 is #, 12-15 are A-D.
  const byCode: Record<string, string> = { '10': '*', '11': '#', '12': 'A', '13': 'B', '14': 'C', '15': 'D' };
  const digit = byCode[signal] ?? signal.toUpperCase();
  return /^[0-9*#A-D]$/.test(digit) ? { digit, durationMs } : undefined;
}

/** One INFO (dtmf-relay) per digit, each answered before the next; a refusal throws in words. */
export async function sendDtmfByInfo(session: InviteSession, digits: string): Promise<void> {
  for (const digit of digits) {
    const r = await session.info({ contentType: 'application/dtmf-relay', body: formatDtmfRelay(digit) });
    if (r.status >= 300) throw new Error(`the other side refused DTMF by INFO (${r.status} ${r.reason})`);
  }
}
