/**
 * Where a response goes when it cannot simply follow the connection its request came in on
 * (RFC 3261 §18.2.2, RFC 3581 §4). Pure: reads the response's top Via and the request's source.
 *
 * A Via `maddr` is not followed: §18.2.2 would send the response to whatever address it names,
 * which makes a phone a reflector for anyone who writes a packet. A phone has no multicast peers,
 * so the response goes where the request came from, as without maddr.
 */
import { isIP } from 'node:net';
import type { Via } from '../message/types.ts';
import type { TransportProtocol } from './types.ts';

export function routeResponse(
  via: Via,
  request: { protocol: TransportProtocol; source: { address: string; port: number } },
): { address: string; port: number } {
  const defaultPort = request.protocol === 'TLS' ? 5061 : 5060;
  const sentByPort = via.port ?? defaultPort;
  const received = via.params.get('received') ?? undefined;
  const rport = via.params.get('rport');
  let address: string;
  let port: number;
  if (request.protocol !== 'UDP') {
    // §18.2.2: a new connection to `received` (else the sent-by host) and the sent-by port; an
    // rport on a stream names the client's ephemeral port, where nothing listens.
    address = received ?? via.host;
    port = sentByPort;
  } else if (rport !== undefined && rport !== null && /^\d+$/.test(rport)) {
    // RFC 3581 §4: back to the source address and port the request came from.
    address = received ?? request.source.address;
    port = Number(rport);
  } else {
    // §18.2.2: `received` when present, else the sent-by host, at the sent-by port.
    address = received ?? via.host;
    port = sentByPort;
  }
  if (isIP(address) === 0) {
    // A sent-by name without `received` can only come from a request we did not stamp; RFC 3263 §5
    // would look it up, but the packet's source is the best answer the transport has.
    return { ...request.source };
  }
  return { address, port };
}
