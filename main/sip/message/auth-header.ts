import { skipWs, trimEnd } from './chars.ts';
import { fail, quotedEnd, tokenEnd, unquote } from './cursor.ts';
import type { AuthHeader } from './types.ts';

// challenge / credentials (RFC 3261 §20.27, §20.44, §25.1; RFC 7235 §2.1 for token68):
//   auth-scheme LWS auth-param *( COMMA auth-param )     auth-param = name EQUAL ( token / quoted-string )

/** Parse one WWW-Authenticate / Proxy-Authenticate / Authorization / Proxy-Authorization value. */
export function parseAuthHeader(s: string, reason = 'Bad authentication header'): AuthHeader {
  const end = trimEnd(s, 0, s.length);
  let i = skipWs(s, 0, end);
  const schemeEnd = tokenEnd(s, i, end);
  if (schemeEnd === i) fail(reason, 'no scheme');
  const out: AuthHeader = { scheme: s.slice(i, schemeEnd), params: new Map() };
  i = skipWs(s, schemeEnd, end);
  if (i >= end) return out;
  if (i === schemeEnd) fail(reason, 'no space after scheme');

  // token68 (Bearer and friends): one word of token68 characters, maybe '='-padded.
  const firstEnd = tokenEnd(s, i, end);
  const eq = skipWs(s, firstEnd, end);
  if (eq >= end || s.charCodeAt(eq) !== 0x3d || (eq + 1 < end && s.charCodeAt(eq + 1) === 0x3d) || eq + 1 === end) {
    let j = firstEnd;
    while (j < end && s.charCodeAt(j) === 0x3d) j++;
    if (j !== end || firstEnd === i) fail(reason, 'bad auth-param');
    out.token68 = s.slice(i, end);
    return out;
  }

  for (;;) {
    const nameEnd = tokenEnd(s, i, end);
    if (nameEnd === i) fail(reason, 'bad auth-param name');
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipWs(s, nameEnd, end);
    if (i >= end || s.charCodeAt(i) !== 0x3d) fail(reason, 'auth-param without value');
    i = skipWs(s, i + 1, end);
    let value: string;
    if (i < end && s.charCodeAt(i) === 0x22) {
      const q = quotedEnd(s, i, end, reason);
      value = unquote(s, i, q);
      i = q;
    } else {
      const v = i;
      while (i < end) {
        const c = s.charCodeAt(i);
        if (c === 0x2c || c === 0x20 || c === 0x09 || c === 0x22) break;
        i++;
      }
      if (i === v) fail(reason, 'empty auth-param value');
      value = s.slice(v, i);
    }
    if (!out.params.has(name)) out.params.set(name, value);
    i = skipWs(s, i, end);
    if (i >= end) return out;
    if (s.charCodeAt(i) !== 0x2c) fail(reason, 'expected comma between auth-params');
    i = skipWs(s, i + 1, end);
    if (i >= end) fail(reason, 'trailing comma');
  }
}
