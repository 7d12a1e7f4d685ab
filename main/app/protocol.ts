/**
 * Links Appel opens (`app.setAsDefaultProtocolClient` for sip, sips, tel and callto): what a
 * browser, a mail client or another instance hands us, turned into what the dialpad shows. Pure;
 * the shell only ever puts the result in the dialpad — a link never places a call by itself.
 *
 * - `sip:`/`sips:` (RFC 3261 §19.1): the URI without its `?headers` part (a link must not choose
 *   our request's headers or body); `sip://alice@host` (a common mistake) is accepted.
 * - `tel:` (RFC 3966): the number without visual separators (§5.1.1: `-`, `.`, `(`, `)`; and
 *   the spaces people write) and without parameters (`;ext=`, `;phone-context=`…).
 * - `callto:` (no RFC; Skype, NetMeeting, many web pages): `callto:NUMBER`, `callto://NUMBER`,
 *   `callto:user@host`, `callto:sip:…`, `callto://name` (a user name the dialpad completes).
 *
 * Percent-escapes are decoded once (browsers escape `@`, spaces and `+`).
 */

export type LinkScheme = 'sip' | 'sips' | 'tel' | 'callto';

export interface ParsedLink {
  /** What to put in the dialpad: `sip:alice@example.com`, `+33123456789`, `alice`. */
  target: string;
  /** A SIP URI, a telephone number, or a bare user name. */
  kind: 'uri' | 'number' | 'user';
  scheme: LinkScheme;
}

/** Longest link considered (a URI in a browser's address bar stays far below). */
const MAX_LINK = 2000;

const SCHEME = /^(sips?|tel|callto):/i;
/** RFC 3966 §5.1.1 visual separators, plus the spaces people write. */
const SEPARATORS = /[-.()\s\u00a0]/g;
/** A dialable number: an optional `+`, then digits, `*`, `#` (RFC 3966 phonedigit / dtmf-digit). */
const NUMBER = /^\+?[0-9*#]+$/;
const USER = /^[A-Za-z0-9_.!~*'()&=+$,;?/%-]+$/;
/** A host: a name, an IPv4 address, or an IPv6 reference; with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // a malformed escape: not a link we can read
  }
}

/** `+33 (0)1 23-45.67.89` → `+33123456789`; undefined when it is not a number. */
export function cleanNumber(text: string): string | undefined {
  // "(0)" after a country code is a national trunk prefix written for people, not dialled.
  const bare = text.replace(/^(\+\d{1,3})\s*\(0\)/, '$1').replace(SEPARATORS, '');
  return bare.length > 0 && bare.length <= 64 && NUMBER.test(bare) ? bare : undefined;
}

/** `alice@example.com;transport=tcp` (after `sip:`) → the URI's body, or undefined. */
function sipBody(rest: string): string | undefined {
  const body = rest.replace(/^\/\//, '').replace(/\/$/, '').split('?')[0];
  const [userhost, ...params] = body.split(';');
  const at = userhost.lastIndexOf('@');
  const user = at >= 0 ? userhost.slice(0, at) : undefined;
  const host = at >= 0 ? userhost.slice(at + 1) : userhost;
  if (user !== undefined && (user === '' || !USER.test(user.replace(/:[^:]*$/, '')))) return undefined;
  if (!HOST.test(host)) return undefined;
  if (params.some((p) => !/^[A-Za-z0-9_.!~*'()%-]+(?:=[A-Za-z0-9_.!~*'()%\-[\]/:&+$]*)?$/.test(p))) return undefined;
  // RFC 3261 §19.1.1: a password in a URI is NOT RECOMMENDED; we never carry one from a link.
  const safeUser = user?.replace(/:[^:]*$/, '');
  return `${safeUser !== undefined ? `${safeUser}@` : ''}${host}${params.length > 0 ? `;${params.join(';')}` : ''}`;
}

/** Parse one link; undefined when it is not one of ours or makes no sense. */
export function parseLink(link: string): ParsedLink | undefined {
  if (typeof link !== 'string' || link.length > MAX_LINK) return undefined;
  const m = SCHEME.exec(link.trim());
  if (!m) return undefined;
  const scheme = m[1].toLowerCase() as LinkScheme;
  let raw = link.trim().slice(m[0].length);
  // RFC 3261 §19.1.1: `?headers` end a SIP URI; they go before anything is decoded.
  if (scheme === 'sip' || scheme === 'sips') raw = raw.split('?')[0];
  const decoded = decode(raw);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (decoded === undefined || decoded.trim() === '' || /[\u0000-\u001f\u007f<>"]/.test(decoded)) return undefined;
  const rest = decoded.trim();

  if (scheme === 'sip' || scheme === 'sips') {
    const body = sipBody(rest);
    return body === undefined ? undefined : { target: `${scheme}:${body}`, kind: 'uri', scheme };
  }
  if (scheme === 'tel') {
    // RFC 3966 §3: the number, then `;parameters` (ext, isub, phone-context) we do not dial.
    const number = cleanNumber(rest.split(';')[0]);
    return number === undefined ? undefined : { target: number, kind: 'number', scheme };
  }
  // callto:
  const inner = rest.replace(/^\/\//, '').replace(/\/+$/, '').trim();
  if (inner === '') return undefined;
  const nested = SCHEME.exec(inner);
  if (nested && nested[1].toLowerCase() !== 'callto') {
    const parsed = parseLink(inner);
    return parsed && { ...parsed, scheme };
  }
  const number = cleanNumber(inner);
  if (number !== undefined) return { target: number, kind: 'number', scheme };
  if (inner.includes('@')) {
    const body = sipBody(inner);
    return body === undefined ? undefined : { target: `sip:${body}`, kind: 'uri', scheme };
  }
  return USER.test(inner) && !inner.includes(';') && !inner.includes('?') ? { target: inner, kind: 'user', scheme } : undefined;
}

/** The first argument that is a link of ours (Windows and Linux pass the link in argv). */
export function linkFromArgv(argv: readonly string[]): { link: string; parsed: ParsedLink } | undefined {
  for (const arg of argv) {
    if (typeof arg !== 'string' || !SCHEME.test(arg)) continue;
    const parsed = parseLink(arg);
    if (parsed) return { link: arg, parsed };
  }
  return undefined;
}
