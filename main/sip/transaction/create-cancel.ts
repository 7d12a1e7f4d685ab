/**
 * The CANCEL for a pending request (RFC 3261 §9.1).
 */
import { createRequest } from '../message/index.ts';
import type { SipRequest } from '../message/types.ts';

/**
 * §9.1: Request-URI, Call-ID, To, From and the CSeq number of the request being cancelled,
 * with method CANCEL; a single Via equal to its top Via (same branch, so the server matches
 * it, §9.2); its Route header fields, since a CANCEL follows the request's path. No body.
 */
export function createCancel(request: SipRequest): SipRequest {
  const fields: Array<[string, string]> = [['Via', request.header('Via') ?? '']];
  for (const route of request.headers('Route')) fields.push(['Route', route]);
  fields.push(
    ['Max-Forwards', '70'],
    ['From', request.header('From') ?? ''],
    ['To', request.header('To') ?? ''],
    ['Call-ID', request.callId()],
    ['CSeq', `${request.cseq().seq} CANCEL`],
  );
  return createRequest({ method: 'CANCEL', uri: request.uri, fields });
}
