/**
 * A message that cannot be parsed. `status` is the response a server gives to such a
 * request (400, or 505 for an unsupported SIP-Version, RFC 3261 §8.2.2 / §16.3);
 * `reason` is a short reason phrase fit for the wire ("Bad CSeq", "Missing Call-ID").
 * Neither ever holds header values, so an error may be logged without leaking secrets.
 */
import { AppelError } from '../../contract/errors.ts';
export class SipParseError extends AppelError {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, detail?: string) {
    super('malformed', detail === undefined ? reason : `${reason}: ${detail}`);
    this.name = 'SipParseError';
    this.status = status;
    this.reason = reason;
  }
}

/** Shorthand for the common case: a 400 with this reason phrase. */
export function badRequest(reason: string, detail?: string): SipParseError {
  return new SipParseError(400, reason, detail);
}
