/** Small helpers on socket addresses that the transport's parts share. */
import { canonicalIp } from './stamp-via.ts';
import type { TransportProtocol } from './types.ts';

/** `PROTOCOL|address|port` of a remote end: one key per connection or UDP keep-alive target. */
export function remoteKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol === 'UDP' ? 'UDP' : protocol}|${canonicalIp(address)}|${port}`;
}

/** A bind on every interface. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
