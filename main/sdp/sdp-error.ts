/**
 * Why an SDP body cannot be used, in words a person understands.
 *
 * - `malformed`: the text is not valid SDP (RFC 8866): a missing v=/o=/c= line, a bad port…
 * - `not-acceptable`: valid SDP that breaks the offer/answer rules (RFC 3264) against the offer
 *   it answers: a payload type remapped, a crypto tag we never offered…
 * - `rejected`: the answerer declined our stream (port 0, RFC 3264 §6).
 *
 * `reason` never quotes the offending line: a=crypto lines carry key material, and errors end up
 * in logs. `line` is the 1-based line number when the error is tied to one line.
 */
import { AppelError, type ErrorCode } from '../contract/errors.ts';
export type SdpErrorCode = Extract<ErrorCode, 'malformed' | 'not-acceptable' | 'rejected'>;

export class SdpError extends AppelError {
  declare readonly code: SdpErrorCode;
  readonly reason: string;
  readonly line: number | undefined;

  constructor(code: SdpErrorCode, reason: string, line?: number) {
    super(code, line === undefined ? reason : `${reason} (line ${line})`);
    this.name = 'SdpError';
    this.reason = reason;
    this.line = line;
  }
}
