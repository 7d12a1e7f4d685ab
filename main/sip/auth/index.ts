/** Digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760): the public surface. */
export { DigestAuthenticator, MAX_STALE_RETRIES } from './digest-authenticator.ts';
export type { AuthorizeOutcome, DigestAuthenticatorOptions } from './digest-authenticator.ts';
export { parseDigestChallenge, strongestPerRealm } from './digest-challenge.ts';
export type { DigestChallenge } from './digest-challenge.ts';
export { digestResponse, digestAlgorithm, digestHash, formatNonceCount, DIGEST_ALGORITHMS } from './digest.ts';
export type { DigestAlgorithm, DigestQop, DigestResponseInput } from './digest.ts';
export { formatCredentials } from './format-credentials.ts';
