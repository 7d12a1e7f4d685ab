/**
 * What a server writes into the top Via of a request it receives (RFC 3261 §18.2.1, RFC 3581 §4),
 * as a pure function over the parsed Via and the packet's source.
 */
import { isIP } from 'node:net';
import type { Via } from '../message/types.ts';

/**
 * The top Via with `received` added when the sent-by host is not the packet's source address
 * (§18.2.1), and `rport` filled with the source port when the client asked for it (RFC 3581 §4,
 * which also makes `received` mandatory then). Returns undefined when nothing changes.
 */
export function stampVia(via: Via, source: { address: string; port: number }): Via | undefined {
  const params = new Map(via.params);
  const wantsRport = params.has('rport');
  if (canonicalIp(via.host) !== canonicalIp(source.address) || wantsRport) {
    params.set('received', source.address);
  }
  if (wantsRport) params.set('rport', String(source.port));
  const same = params.size === via.params.size && [...params].every(([k, v]) => via.params.get(k) === v);
  return same ? undefined : { ...via, params };
}

/** One spelling per address: lower-case, compressed IPv6, IPv4-mapped IPv6 as IPv4. Names unchanged. */
export function canonicalIp(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(bare) !== 6) return bare;
  const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return compressed;
}

/**
 * One source, for the per-address bounds: an IPv4 address, or an IPv6 /64 (one host's share of
 * a network: a host has all of its addresses, so counting them one by one would count nothing).
 */
export function sourceOf(address: string): string {
  const a = canonicalIp(address);
  if (!a.includes(':')) return a;
  const groups = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  // Expand "::" to find the first four groups.
  const [head, tail = ''] = groups.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const full = groups.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${full.slice(0, 4).map((g) => g || '0').join(':')}::/64`;
}
