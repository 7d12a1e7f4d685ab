/**
 * Transaction identities: which transaction a message belongs to (RFC 3261 §17.1.3, §17.2.3).
 * Pure functions of the message; the layer keeps maps keyed by these strings.
 */
import { MAGIC_COOKIE } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.ts';

/**
 * §17.1.3: a response matches a client transaction when its top Via branch equals the
 * request's and its CSeq method equals the request's method (so a CANCEL's responses, which
 * share the INVITE's branch, go to the CANCEL transaction).
 */
export function clientTransactionKey(message: SipMessage): string {
  return `${message.topVia().branch ?? ''}|${message.cseq().method}`;
}

/** The method a server transaction is filed under: an ACK belongs to its INVITE (§17.2.3). */
function transactionMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/**
 * §17.2.3: the server transaction key of a request. With an RFC 3261 branch (magic cookie)
 * it is branch + sent-by + method; without one, the RFC 2543 rule: Request-URI, From tag,
 * Call-ID, CSeq number and method, and the whole top Via (the To tag is checked apart, see
 * `rfc2543ToTagMatches`, because an ACK carries the tag of our response). `asMethod` files
 * the request under another method: a CANCEL looks for its INVITE with `asMethod: 'INVITE'`.
 */
export function serverTransactionKey(request: SipRequest, opts: { asMethod?: string } = {}): string {
  const via = request.topVia();
  const method = transactionMethod(opts.asMethod ?? request.method);
  const branch = via.branch;
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) {
    // sent-by: host and port as written (the same client writes them the same way each time).
    return standalone(`3261|${branch}|${via.host}:${via.port ?? ''}|${method}`);
  }
  const cseq = request.cseq();
  const fromTag = request.from().params.get('tag') ?? '';
  return standalone([
    '2543',
    request.uri.trim(),
    fromTag,
    request.callId(),
    String(cseq.seq),
    method,
    (request.header('Via') ?? '').replace(/\s+/g, ''),
  ].join('|'));
}

/**
 * The key as a string of its own. Joined from pieces the parser cut out of the message (a
 * branch, a host), a key would hold on to the whole message text through them for as long as
 * the layer keeps the transaction (32 s after a final response over UDP): a kilobyte per
 * transaction for the garbage collector to copy at each young-generation collection.
 * `normalize()` gives a new flat string (V8); the same text always gives the same key.
 */
function standalone(key: string): string {
  return key.normalize();
}

/** Whether a request carries an RFC 3261 branch (so `serverTransactionKey` used the short rule). */
export function hasMagicCookie(request: SipRequest): boolean {
  return request.topVia().branch?.startsWith(MAGIC_COOKIE) ?? false;
}

/**
 * §17.2.3, RFC 2543 half: the To tag of a matching request equals the To tag of the request
 * that created the transaction, or for an ACK, the To tag of the response we sent.
 */
export function rfc2543ToTagMatches(
  request: SipRequest,
  original: SipRequest,
  lastResponse: SipResponse | undefined,
): boolean {
  const tag = request.to().params.get('tag') ?? '';
  const originalTag = original.to().params.get('tag') ?? '';
  if (tag === originalTag) return true;
  if (request.method !== 'ACK' || lastResponse === undefined) return false;
  return tag === (lastResponse.to().params.get('tag') ?? '');
}
