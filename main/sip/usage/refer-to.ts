/**
 * Refer-To (RFC 3515 §2.1) and Referred-By (RFC 3892 §3) values.
 *
 *   Refer-To: <sip:carol@atlanta.example.com?Replaces=12345%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>
 *
 * The URI says whom to call; its embedded headers (RFC 3261 §19.1.1) go into the request that
 * the REFER triggers — we honour only Replaces (RFC 3891 §4) and leave the others out (§19.1.5:
 * a URI's headers are not to be trusted blindly). A `method` URI parameter names that request;
 * only INVITE is followed here.
 */
import { formatNameAddr, formatUri, parseNameAddr, parseUri, SipParseError } from '../message/index.ts';
import type { NameAddr } from '../message/types.ts';
import { formatReplaces, parseReplaces } from './replaces-header.ts';
import type { ReplacesValue } from './replaces-header.ts';

export interface ReferTarget {
  /** The URI to call, without its embedded headers and `method` parameter. */
  uri: string;
  displayName?: string;
  /** Lower-cased URI scheme: 'sip', 'sips', 'tel', … */
  scheme: string;
  /** The request asked for (`method` URI parameter, default INVITE), upper-cased. */
  method: string;
  /** The Replaces embedded in the URI, parsed (attended transfer). */
  replaces?: ReplacesValue;
  /** Every embedded header, names as written, values unescaped. */
  headers: Map<string, string>;
}

/**
 * Parse a Refer-To value. Throws SipParseError(400) for a malformed address, or a malformed
 * or repeated embedded Replaces.
 */
export function parseReferTo(value: string): ReferTarget {
  const n = parseNameAddr(value, 'Bad Refer-To');
  const u = n.uri;
  let replaces: ReplacesValue | undefined;
  for (const [name, v] of u.headers) {
    if (name.toLowerCase() !== 'replaces') continue;
    if (replaces) throw new SipParseError(400, 'Bad Refer-To', 'more than one Replaces');
    replaces = parseReplaces(v);
  }
  const method = (u.params.get('method') ?? 'INVITE').toUpperCase();
  let uri = u.raw;
  if (u.scheme === 'sip' || u.scheme === 'sips') {
    const bare = parseUri(u.raw);
    bare.headers.clear();
    bare.params.delete('method');
    uri = formatUri(bare);
  }
  return {
    uri,
    ...(n.displayName !== undefined ? { displayName: n.displayName } : {}),
    scheme: u.scheme,
    method,
    ...(replaces ? { replaces } : {}),
    headers: new Map(u.headers),
  };
}

/** A Refer-To value: `<uri?Replaces=…>` with the Replaces escaped into the URI (RFC 3891 §4). */
export function formatReferTo(target: { uri: string; displayName?: string; replaces?: ReplacesValue }): string {
  const u = parseUri(target.uri.replace(/^<|>$/g, ''), 'Bad Refer-To');
  if (target.replaces) {
    if (u.scheme !== 'sip' && u.scheme !== 'sips') throw new TypeError(`formatReferTo: Replaces needs a sip: or sips: URI, not ${u.scheme}:`);
    for (const name of [...u.headers.keys()]) if (name.toLowerCase() === 'replaces') u.headers.delete(name);
    u.headers.set('Replaces', formatReplaces(target.replaces));
  }
  const n: NameAddr = { uri: u, params: new Map(), ...(target.displayName !== undefined ? { displayName: target.displayName } : {}) };
  return formatNameAddr(n);
}

/** A Referred-By value (RFC 3892 §3: a name-addr); throws SipParseError(400) when malformed. */
export function parseReferredBy(value: string): { displayName?: string; uri: string } {
  const n = parseNameAddr(value, 'Bad Referred-By');
  return n.displayName !== undefined ? { displayName: n.displayName, uri: n.uri.raw } : { uri: n.uri.raw };
}

/** `<uri>` for a Referred-By header (angle brackets added when missing). */
export function formatReferredBy(uri: string): string {
  const v = uri.trim();
  return v.includes('<') ? v : `<${v}>`;
}
