import { ALNUM, CHAR, HNV, HOST, PARAM, PASSWORD, USER, hexValue } from './chars.ts';
import { ownCodes } from './codes.ts';
import { ParamMap, URI_PARAMS } from './param-map.ts';
import { unescape } from './unescape.ts';
import { SipParseError } from './sip-parse-error.ts';
import type { Uri } from './types.ts';

// SIP-URI / SIPS-URI (RFC 3261 §19.1.1, grammar §25.1), tel (RFC 3966 §3), and any
// other absoluteURI kept as written.

const TEL = 256; // pseudo-class for the telephone-subscriber characters (RFC 3966 §3)

function fail(reason: string, detail: string): never {
  throw new SipParseError(400, reason, detail);
}

function isTelChar(c: number): boolean {
  // HEXDIG, "*", "#", "+", visual-separator ("-" / "." / "(" / ")")
  return hexValue(c) >= 0 || c === 0x2a || c === 0x23 || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29;
}

/** Validate [start, end) against a class (escapes allowed); true when it holds an escape. */
function check(b: Uint8Array, start: number, end: number, cls: number, reason: string, what: string): boolean {
  let escaped = false;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0x25) {
      if (i + 2 >= end || hexValue(b[i + 1]) < 0 || hexValue(b[i + 2]) < 0) fail(reason, `bad escape in ${what}`);
      escaped = true;
      i += 2;
    } else if (cls === TEL ? !isTelChar(c) : (CHAR[c] & cls) === 0) {
      fail(reason, `bad character in ${what}`);
    }
  }
  return escaped;
}

/** Check, then slice (unescaping when needed). */
function text(b: Uint8Array, s: string, start: number, end: number, cls: number, reason: string, what: string): string {
  return check(b, start, end, cls, reason, what) ? unescape(s.slice(start, end)) : s.slice(start, end);
}

const HEX = '0123456789ABCDEF';

/** Escape every character outside the class (UTF-8 bytes, RFC 3261 §19.1.2 "escaped"). */
export function escape(s: string, cls: number): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (cls === TEL ? !isTelChar(c) : (CHAR[c] & cls) === 0)) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b < 0x80 && (cls === TEL ? isTelChar(b) : (CHAR[b] & cls) !== 0)) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

function lowerScheme(b: Uint8Array, s: string, start: number, end: number): string {
  const a = b[start] | 0x20, c1 = b[start + 1] | 0x20, c2 = b[start + 2] | 0x20;
  if (end - start === 3) {
    if (a === 0x73 && c1 === 0x69 && c2 === 0x70) return 'sip';
    if (a === 0x74 && c1 === 0x65 && c2 === 0x6c) return 'tel';
  } else if (end - start === 4) {
    if (a === 0x73 && c1 === 0x69 && c2 === 0x70 && (b[start + 3] | 0x20) === 0x73) return 'sips';
  }
  return s.slice(start, end).toLowerCase();
}

/**
 * The end of a run of paramchar (RFC 3261 §25.1: param-unreserved / unreserved /
 * escaped) from i: the first ";", "=", "?" or the end, each character checked on the way.
 */
function paramcharsEnd(b: Uint8Array, i: number, end: number, reason: string): number {
  while (i < end) {
    const c = b[i];
    if ((CHAR[c] & PARAM) !== 0) {
      i++;
      continue;
    }
    if (c === 0x3b || c === 0x3d || c === 0x3f) break;
    if (c !== 0x25) fail(reason, 'bad character in URI parameter');
    if (i + 2 >= end || hexValue(b[i + 1]) < 0 || hexValue(b[i + 2]) < 0) fail(reason, 'bad escape in URI parameter');
    i += 3;
  }
  return i;
}

/**
 * Check `*( ";" uri-parameter )` from i (uri-parameter = pname [ "=" pvalue ]) until `?`
 * or the end, building nothing (see ParamMap); returns where it stopped.
 */
function checkParams(b: Uint8Array, i: number, end: number, reason: string): number {
  while (i < end && b[i] === 0x3b) {
    const nameStart = ++i;
    i = paramcharsEnd(b, i, end, reason);
    if (i === nameStart) fail(reason, 'empty URI parameter');
    if (i < end && b[i] === 0x3d) {
      i = paramcharsEnd(b, i + 1, end, reason);
      if (i < end && b[i] === 0x3d) fail(reason, 'bad character in URI parameter');
    }
  }
  return i;
}

/**
 * Parse a URI. Throws SipParseError(400, reason) when it is not a valid sip:, sips: or
 * tel: URI, or not even a plausible absoluteURI.
 */
export function parseUri(s: string, reason = 'Bad URI'): Uri {
  return scan(ownCodes(s), s, 0, s.length, reason, true)!;
}

/** parseUri over the codes `b` of the text `s`, between start and end. */
export function parseUriAt(b: Uint8Array, s: string, start: number, end: number, reason: string): Uri {
  return scan(b, s, start, end, reason, true)!;
}

/**
 * Validate a Request-URI as parseUri would, building nothing (it is parsed on first use),
 * and refuse URI headers, which a Request-URI must not carry (RFC 3261 §19.1.1, table 1).
 */
export function checkRequestUriAt(b: Uint8Array, s: string, start: number, end: number, reason = 'Bad Request-URI'): void {
  scan(b, s, start, end, reason, false);
}

function scan(b: Uint8Array, s: string, start: number, len: number, reason: string, build: boolean): Uri | undefined {
  let i = start;
  let scheme: string;
  if (start + 4 < len && (b[start] | 0x20) === 0x73 && (b[start + 1] | 0x20) === 0x69 && (b[start + 2] | 0x20) === 0x70 && b[start + 3] === 0x3a) {
    // "sip:", the usual case
    scheme = 'sip';
    i = start + 4;
  } else {
    while (i < len) {
      const c = b[i];
      if (c === 0x3a) break;
      if ((CHAR[c] & ALNUM) === 0 && c !== 0x2b && c !== 0x2d && c !== 0x2e) fail(reason, 'bad scheme');
      i++;
    }
    const first = b[start] | 0x20;
    if (i === start || i === len || first < 0x61 || first > 0x7a) fail(reason, 'no scheme');
    scheme = lowerScheme(b, s, start, i);
    i++;
  }

  if (scheme === 'sip' || scheme === 'sips') {
    let user = '';
    let password: string | undefined;
    // userinfo: what runs up to an "@" over user characters, escapes and ":" (a user part
    // holding anything else is refused: the "@" is then refused where it stands).
    let at = i;
    let colon = -1;
    let plain = true;
    while (at < len) {
      const c = b[at];
      if ((CHAR[c] & USER) !== 0) at++;
      else if (c === 0x3a || c === 0x25) {
        if (c === 0x3a && colon < 0) colon = at;
        plain = false;
        at++;
      } else break;
    }
    if (at < len && b[at] === 0x40) {
      const userEnd = colon >= 0 ? colon : at;
      if (userEnd === i) fail(reason, 'empty user');
      if (plain) {
        if (build) user = s.slice(i, userEnd);
      } else {
        if (build) user = text(b, s, i, userEnd, USER, reason, 'user');
        else check(b, i, userEnd, USER, reason, 'user');
        if (userEnd < at) password = text(b, s, userEnd + 1, at, PASSWORD, reason, 'password');
      }
      i = at + 1;
    }
    // host (RFC 3261 §25.1 hostport)
    const hostStart = i;
    let upper = false;
    if (i < len && b[i] === 0x5b) {
      let close = i + 1;
      while (close < len && b[close] !== 0x5d) close++;
      if (close >= len) fail(reason, 'unterminated IPv6 reference');
      for (let j = i + 1; j < close; j++) {
        const c = b[j];
        if (hexValue(c) < 0 && c !== 0x3a && c !== 0x2e) fail(reason, 'bad IPv6 reference');
        if (c >= 0x41 && c <= 0x46) upper = true;
      }
      if (close === i + 1) fail(reason, 'empty IPv6 reference');
      i = close + 1;
    } else {
      while (i < len) {
        const c = b[i];
        if ((CHAR[c] & HOST) === 0) break;
        if (c >= 0x41 && c <= 0x5a) upper = true;
        i++;
      }
      if (i === hostStart) fail(reason, 'no host');
    }
    const hostEnd = i;
    let port: number | undefined;
    if (i < len && b[i] === 0x3a) {
      const portStart = ++i;
      let n = 0;
      while (i < len) {
        const d = b[i] - 0x30;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
        i++;
      }
      if (i === portStart || i - portStart > 5 || n > 65535) fail(reason, 'bad port');
      port = n;
    }
    const paramsStart = i;
    i = checkParams(b, i, len, reason);
    let headers: Map<string, string> | undefined;
    const paramsEnd = i;
    if (i < len && b[i] === 0x3f) {
      // ?hname=hvalue&… (§19.1.1 headers)
      if (build) headers = new Map<string, string>();
      do {
        const nameStart = ++i;
        while (i < len && b[i] !== 0x3d && b[i] !== 0x26) i++;
        if (i === nameStart || i >= len || b[i] !== 0x3d) fail(reason, 'bad URI header');
        const name = text(b, s, nameStart, i, HNV, reason, 'URI header');
        const valueStart = ++i;
        while (i < len && b[i] !== 0x26) i++;
        const value = text(b, s, valueStart, i, HNV, reason, 'URI header');
        if (headers !== undefined) headers.set(name, value);
        else fail(reason, 'headers in Request-URI');
      } while (i < len);
    }
    if (i < len) fail(reason, 'unexpected character');
    if (!build) return undefined;
    const params = new ParamMap(b, s, paramsStart, paramsEnd, URI_PARAMS);
    const host = upper ? s.slice(hostStart, hostEnd).toLowerCase() : s.slice(hostStart, hostEnd);
    return { scheme, user, password, host, port, params, headers: headers ?? ParamMap.empty<string>(), raw: rawOf(s, start, len) };
  }

  if (scheme === 'tel') {
    // RFC 3966 §3: telephone-subscriber *par
    const numStart = i;
    while (i < len && b[i] !== 0x3b) i++;
    if (i === numStart) fail(reason, 'empty telephone number');
    const user = build ? text(b, s, numStart, i, TEL, reason, 'telephone number') : '';
    if (!build) check(b, numStart, i, TEL, reason, 'telephone number');
    const paramsStart = i;
    i = checkParams(b, i, len, reason);
    if (i < len) fail(reason, 'unexpected character');
    if (!build) return undefined;
    const params = new ParamMap(b, s, paramsStart, i, URI_PARAMS);
    return { scheme, user, password: undefined, host: '', port: undefined, params, headers: ParamMap.empty<string>(), raw: rawOf(s, start, len) };
  }

  // absoluteURI (§25.1): kept as written, but never with whitespace, quotes or brackets.
  if (i >= len) fail(reason, 'empty URI');
  for (let j = i; j < len; j++) {
    const c = b[j];
    if (c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x22) fail(reason, 'bad character');
  }
  if (!build) return undefined;
  return {
    scheme, user: '', password: undefined, host: '', port: undefined, params: ParamMap.empty(), headers: ParamMap.empty<string>(), raw: rawOf(s, start, len),
  };
}

function rawOf(s: string, start: number, end: number): string {
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) {
    out += ';' + escape(name, PARAM);
    if (value !== null) out += '=' + escape(value, PARAM);
  }
  return out;
}

/** Write a URI from its parts (unknown schemes: `raw`). Characters that need it are escaped. */
export function formatUri(u: Uri): string {
  if (u.scheme === 'tel') return 'tel:' + escape(u.user, TEL) + formatParams(u.params);
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return u.raw;
  let out = u.scheme + ':';
  if (u.user !== '') {
    out += escape(u.user, USER);
    if (u.password !== undefined) out += ':' + escape(u.password, PASSWORD);
    out += '@';
  }
  out += u.host.includes(':') && u.host.charCodeAt(0) !== 0x5b ? `[${u.host}]` : u.host;
  if (u.port !== undefined) out += ':' + u.port;
  out += formatParams(u.params);
  let sep = '?';
  for (const [name, value] of u.headers) {
    out += sep + escape(name, HNV) + '=' + escape(value, HNV);
    sep = '&';
  }
  return out;
}
