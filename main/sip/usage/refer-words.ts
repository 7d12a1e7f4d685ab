/**
 * How a transfer went, in words a person understands (STYLE.md: the UI hears "busy", never
 * "486"). The status stays in brackets for whoever needs it: "the transfer target is busy (486)".
 */
import { describeFailure } from './invite-failure.ts';

/** What the call to the transfer target got (the final sipfrag of a refer NOTIFY). */
const TARGET: Record<number, string> = {
  403: 'the transfer target refused the call',
  404: 'the transfer target was not found',
  408: 'the transfer target did not answer',
  410: 'the transfer target address is gone',
  420: 'the transfer target does not support this kind of transfer',
  480: 'the transfer target is not available right now',
  481: 'the transfer target no longer has that call',
  484: 'the transfer target address is incomplete',
  486: 'the transfer target is busy',
  487: 'the call to the transfer target was cancelled',
  488: 'the transfer target and the other side have no codec in common',
  503: 'the transfer target could not be reached',
  600: 'the transfer target is busy',
  603: 'the transfer target declined the call',
  604: 'the transfer target does not exist',
};

/** Words for a final failure of the referenced call (3xx–6xx sipfrag). */
export function describeTransferFailure(status: number, reasonPhrase?: string): string {
  const words = TARGET[status] ?? `the call to the transfer target failed: ${describeFailure(status, reasonPhrase)}`;
  return `${words} (${status})`;
}

/** What the REFER itself got, when not 2xx. */
const REFER: Record<number, string> = {
  400: 'the other side found the transfer request malformed',
  403: 'the other side refused the transfer',
  405: 'the other side cannot transfer calls',
  420: 'the other side lacks a feature the transfer needs',
  481: 'the call no longer exists',
  501: 'the other side cannot transfer calls',
  603: 'the other side declined the transfer',
};

/** Words for a REFER answered with 3xx–6xx (or timed out: 408). */
export function describeReferRejection(status: number, reasonPhrase?: string): string {
  const words = REFER[status] ?? `the transfer was refused: ${describeFailure(status, reasonPhrase)}`;
  return `${words} (${status})`;
}

/** Words for a refer subscription that ended (RFC 6665 §4.1.3 reasons) without a final status. */
export function describeTermination(reason: string | undefined): string {
  switch (reason) {
    case 'timeout':
      return 'the other side stopped reporting on the transfer before it finished';
    case 'rejected':
      return 'the other side refused to report on the transfer';
    case 'noresource':
    case undefined:
      return 'the other side ended its reports without saying how the transfer went';
    default:
      return `the other side stopped reporting on the transfer (${reason})`;
  }
}
