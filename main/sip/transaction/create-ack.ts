/**
 * The ACK an INVITE client transaction sends for a 300-699 response (RFC 3261 §17.1.1.3).
 */
import { createRequest } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';

/**
 * §17.1.1.3: same Request-URI, Call-ID and From as the INVITE; the To of the response (with
 * its tag); CSeq with the INVITE's number and method ACK; one Via, equal to the INVITE's top
 * Via (so the same branch); the INVITE's Route header fields. No body.
 */
export function createAck(invite: SipRequest, response: SipResponse): SipRequest {
  const fields: Array<[string, string]> = [['Via', invite.header('Via') ?? '']];
  for (const route of invite.headers('Route')) fields.push(['Route', route]);
  fields.push(
    ['Max-Forwards', '70'],
    ['From', invite.header('From') ?? ''],
    ['To', response.header('To') ?? ''],
    ['Call-ID', invite.callId()],
    ['CSeq', `${invite.cseq().seq} ACK`],
  );
  return createRequest({ method: 'ACK', uri: invite.uri, fields });
}
