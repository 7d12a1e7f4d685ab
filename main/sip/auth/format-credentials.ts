/**
 * Writing a credentials value (Authorization / Proxy-Authorization), RFC 3261 §25.1
 * `digest-response` and RFC 7616 §3.4.
 */

/** The parameters of digest credentials, in the order they are written. */
export interface DigestCredentialParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  /** 8 hex digits. */
  nc?: string;
}

/** RFC 3261 §25.1 quoted-string: backslash-escape `\` and `"`. */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Parameters whose value is a token (never quoted): RFC 7616 §3.4 (`qop`, `nc`, `algorithm`), RFC 3261 §25.1. */
const TOKEN_PARAMS = new Set(['algorithm', 'qop', 'nc', 'stale', 'userhash']);

/** Any credentials as a header value: `Digest name="value", …`, tokens unquoted. */
export function formatAuthParams(scheme: string, params: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [name, value] of params) {
    parts.push(`${name}=${TOKEN_PARAMS.has(name.toLowerCase()) ? value : quote(value)}`);
  }
  return `${scheme} ${parts.join(', ')}`;
}

/** Digest credentials as a header value. */
export function formatCredentials(c: DigestCredentialParams): string {
  const params: [string, string][] = [
    ['username', c.username],
    ['realm', c.realm],
    ['nonce', c.nonce],
    ['uri', c.uri],
    ['response', c.response],
    ['algorithm', c.algorithm],
  ];
  if (c.cnonce !== undefined) params.push(['cnonce', c.cnonce]);
  if (c.opaque !== undefined) params.push(['opaque', c.opaque]);
  if (c.qop !== undefined) params.push(['qop', c.qop]);
  if (c.nc !== undefined) params.push(['nc', c.nc]);
  return formatAuthParams('Digest', params);
}
