/**
 * The digest arithmetic of RFC 7616 §3.4 (HTTP digest, reused by SIP through RFC 3261 §22.4
 * and RFC 8760): pure functions, no state, no I/O.
 *
 *   A1       = username ":" realm ":" password                      (algorithm without -sess)
 *   A1       = H(username ":" realm ":" password) ":" nonce ":" cnonce   (…-sess, §3.4.2)
 *   A2       = method ":" digest-uri                               (qop=auth or absent)
 *   A2       = method ":" digest-uri ":" H(entity-body)            (qop=auth-int, §3.4.3)
 *   response = H(H(A1) ":" nonce ":" nc ":" cnonce ":" qop ":" H(A2))   (§3.4.1)
 *   response = H(H(A1) ":" nonce ":" H(A2))                          (no qop: RFC 2069)
 */
import { createHash } from 'node:crypto';

/** The algorithms we can compute, strongest last in `DIGEST_ALGORITHMS`. */
export type DigestAlgorithm =
  | 'MD5'
  | 'MD5-sess'
  | 'SHA-256'
  | 'SHA-256-sess'
  | 'SHA-512-256'
  | 'SHA-512-256-sess';

export type DigestQop = 'auth' | 'auth-int';

/** Algorithm name → node:crypto hash name (RFC 7616 §6.1 registry, RFC 8760 §2). */
const HASHES = {
  'MD5': 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
} as const satisfies Record<DigestAlgorithm, string>;

/** Every supported algorithm, weakest first (RFC 8760 §2.4: prefer the strongest). */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = [
  'MD5',
  'MD5-sess',
  'SHA-256',
  'SHA-256-sess',
  'SHA-512-256',
  'SHA-512-256-sess',
];

/**
 * The supported algorithm spelled by a challenge's `algorithm` parameter (case-insensitive,
 * RFC 7616 §3.3), `MD5` when the parameter is absent, undefined for anything we cannot compute.
 */
export function digestAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  if (token === undefined || token === '') return 'MD5';
  const wanted = token.toLowerCase();
  return DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === wanted);
}

/** Relative strength of an algorithm: higher is stronger; -sess ties with its base hash. */
export function algorithmStrength(algorithm: DigestAlgorithm): number {
  return Math.floor(DIGEST_ALGORITHMS.indexOf(algorithm) / 2);
}

/** Lower-case hex digest of the bytes or UTF-8 text, with the algorithm's hash function. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(HASHES[algorithm]).update(data).digest('hex');
}

/** The 8 hex digits of a nonce count (RFC 7616 §3.4: nc-value = 8LHEX). */
export function formatNonceCount(nc: number): string {
  return (nc >>> 0).toString(16).padStart(8, '0');
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  /** Request method (for SIP: the request's method, RFC 3261 §22.4). */
  method: string;
  /** digest-uri: for SIP, the Request-URI as written (RFC 3261 §22.4). */
  uri: string;
  nonce: string;
  /** Absent: RFC 2069 compatibility (no nc, no cnonce). */
  qop?: DigestQop;
  /** Nonce count, required with qop. */
  nc?: number;
  /** Client nonce, required with qop and with -sess algorithms. */
  cnonce?: string;
  /** Message body, hashed for qop=auth-int (empty when absent). */
  body?: Uint8Array;
}

/** The `response` parameter value (lower-case hex) for the given inputs. */
export function digestResponse(input: DigestResponseInput): string {
  const { algorithm } = input;
  const h = (data: string | Uint8Array): string => digestHash(algorithm, data);
  const cnonce = input.cnonce ?? '';
  let ha1 = h(`${input.username}:${input.realm}:${input.password}`);
  if (algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${input.nonce}:${cnonce}`);
  const a2 =
    input.qop === 'auth-int'
      ? `${input.method}:${input.uri}:${h(input.body ?? new Uint8Array(0))}`
      : `${input.method}:${input.uri}`;
  const ha2 = h(a2);
  if (input.qop === undefined) return h(`${ha1}:${input.nonce}:${ha2}`);
  const nc = formatNonceCount(input.nc ?? 1);
  return h(`${ha1}:${input.nonce}:${nc}:${cnonce}:${input.qop}:${ha2}`);
}
