/**
 * What a client writes into the top Via of a request it sends (RFC 3261 §18.1.1, RFC 3581 §3):
 * the transport and sent-by of the socket actually used, a branch if there is none, and `rport`.
 */
import { formatVia, generateBranch } from '../message/index.ts';
import type { SipRequest, Via } from '../message/index.ts';
import { unmapIpv4 } from './stream-connection.ts';
import type { TransportProtocol } from './types.ts';

/** RFC 3261 §18.1.1 and RFC 3581 §3: our transport and sent-by in the top Via, and `rport`. */
export function fillVia(request: SipRequest, protocol: TransportProtocol, sentBy: { address: string; port: number }): void {
  let top: Via | undefined;
  try {
    top = request.hasHeader('Via') ? request.topVia() : undefined;
  } catch {
    top = undefined;
  }
  const params = new Map<string, string | null>(top?.params ?? []);
  if (!params.get('branch')) params.set('branch', generateBranch());
  params.delete('received');
  if (!params.has('rport')) params.set('rport', null);
  const value = formatVia({ transport: protocol, host: unmapIpv4(sentBy.address), port: sentBy.port, params });
  if (top) {
    const vias = request.headers('Via');
    vias[0] = value;
    request.setHeader('Via', vias);
  } else {
    request.prependHeader('Via', value);
  }
}
