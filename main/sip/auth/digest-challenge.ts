/**
 * Reading digest challenges (WWW-Authenticate / Proxy-Authenticate, RFC 7616 §3.3 as used by
 * RFC 3261 §22.1 and RFC 8760) and choosing which to answer.
 */
import type { AuthHeader } from '../message/types.ts';
import { algorithmStrength, digestAlgorithm } from './digest.ts';
import type { DigestAlgorithm, DigestQop } from './digest.ts';

/** One challenge we are able to answer. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** The quality of protection we will use: `auth` when offered, else `auth-int`; absent = RFC 2069. */
  qop?: DigestQop;
  opaque?: string;
  /** RFC 7616 §3.3: the nonce expired but the credentials were right; retry with the new nonce. */
  stale: boolean;
}

/**
 * A challenge header as a `DigestChallenge`, or undefined when it is not Digest, lacks realm
 * or nonce, names an algorithm we cannot compute, or offers only unknown qop values.
 */
export function parseDigestChallenge(header: AuthHeader): DigestChallenge | undefined {
  if (header.scheme.toLowerCase() !== 'digest') return undefined;
  const p = header.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const algorithm = digestAlgorithm(p.get('algorithm'));
  if (algorithm === undefined) return undefined;
  let qop: DigestQop | undefined;
  const offered = p.get('qop');
  if (offered !== undefined) {
    const options = offered.split(',').map((q) => q.trim().toLowerCase());
    // RFC 7616 §3.3: qop lists what the server supports; auth suffices for SIP, auth-int also covers the body.
    if (options.includes('auth')) qop = 'auth';
    else if (options.includes('auth-int')) qop = 'auth-int';
    else return undefined;
  }
  const opaque = p.get('opaque');
  const stale = (p.get('stale') ?? '').toLowerCase() === 'true';
  return { realm, nonce, algorithm, ...(qop ? { qop } : {}), ...(opaque !== undefined ? { opaque } : {}), stale };
}

/**
 * RFC 8760 §2.4 and RFC 7616 §3.7: several challenges per realm may come (one per algorithm,
 * most preferred first); answer the strongest we support, one per realm. Order of realms kept.
 */
export function strongestPerRealm(challenges: readonly DigestChallenge[]): DigestChallenge[] {
  const best = new Map<string, DigestChallenge>();
  for (const c of challenges) {
    const current = best.get(c.realm);
    if (current === undefined || algorithmStrength(c.algorithm) > algorithmStrength(current.algorithm)) {
      best.set(c.realm, c);
    }
  }
  return [...best.values()];
}
