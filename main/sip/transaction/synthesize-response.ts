/**
 * Responses the transaction layer makes itself: 100 Trying (§17.2.1), 200/481 to a CANCEL
 * (§9.2), 500 when no TU listens, and the 408/503 it reports to its own TU (§8.1.3.1).
 */
import { createResponse } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';

/** A response to `request` with Via, From, To, Call-ID and CSeq copied (§8.2.6.2). */
export function synthesizeResponse(
  request: SipRequest,
  status: number,
  reason: string,
  opts: { toTag?: string } = {},
): SipResponse {
  return createResponse(request, { status, reason, ...(opts.toTag !== undefined ? { toTag: opts.toTag } : {}) });
}
