/**
 * The body of a NOTIFY for the refer event package (RFC 3515 §2.4.5): a `message/sipfrag`
 * (RFC 3420) that begins with the Status-Line of the response the referenced request got,
 * e.g. `SIP/2.0 180 Ringing`. Only the Status-Line matters to us; headers after it are ignored.
 */
import { reasonPhrase } from '../message/index.ts';

/** The media type of a refer NOTIFY body (RFC 3515 §2.4.5, RFC 3420 §2). */
export const SIPFRAG_TYPE = 'message/sipfrag;version=2.0';

export interface SipfragStatus {
  status: number;
  reason: string;
}

const STATUS_LINE = /^SIP\/2\.0[ \t]+([1-6]\d\d)(?:[ \t]+([^\r\n]*))?$/i;

/** The Status-Line at the start of a sipfrag body; undefined when the body does not begin with one. */
export function parseSipfrag(body: string | Uint8Array): SipfragStatus | undefined {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  // Tolerate blank lines before it; the Status-Line is the first line with text (RFC 3420 §2).
  const line = text.replace(/^(?:\r?\n)+/, '').split(/\r?\n/, 1)[0].trim();
  const m = STATUS_LINE.exec(line);
  if (!m) return undefined;
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() };
}

/** A sipfrag body holding only a Status-Line (`SIP/2.0 200 OK\r\n`). */
export function formatSipfrag(status: number, reason: string = reasonPhrase(status)): string {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`sipfrag: status must be 100-699, not ${status}`);
  return `SIP/2.0 ${status} ${reason.replace(/[\r\n]+/g, ' ')}\r\n`;
}
