import { skipWsAt, tokenEndAt, trimEndAt } from './chars.ts';
import { ownCodes } from './codes.ts';
import { fail, quotedEnd } from './cursor.ts';
import { AUTH_PARAMS, ParamMap } from './param-map.ts';
import type { AuthHeader } from './types.ts';

// challenge / credentials (RFC 3261 §20.27, §20.44, §25.1; RFC 7235 §2.1 for token68):
//   auth-scheme LWS auth-param *( COMMA auth-param )     auth-param = name EQUAL ( token / quoted-string )

/** Parse one WWW-Authenticate / Proxy-Authenticate / Authorization / Proxy-Authorization value. */
export function parseAuthHeader(s: string, reason = 'Bad authentication header'): AuthHeader {
  // The parameters are read from the codes later (ParamMap): they need codes of their own.
  return parseAuthHeaderAt(ownCodes(s), s, 0, s.length, reason);
}

/**
 * parseAuthHeader over the codes `b` of the text `s`, between start and end. The
 * parameters are checked here and read from the text when asked for (see ParamMap).
 */
export function parseAuthHeaderAt(b: Uint8Array, s: string, start: number, end: number, reason: string): AuthHeader {
  end = trimEndAt(b, start, end);
  let i = skipWsAt(b, start, end);
  const schemeEnd = tokenEndAt(b, i, end);
  if (schemeEnd === i) fail(reason, 'no scheme');
  const scheme = s.slice(i, schemeEnd);
  i = skipWsAt(b, schemeEnd, end);
  if (i >= end) return { scheme, params: ParamMap.empty<string>() };
  if (i === schemeEnd) fail(reason, 'no space after scheme');

  // token68 (Bearer and friends): one word of token68 characters, maybe '='-padded.
  const firstEnd = tokenEndAt(b, i, end);
  const eq = skipWsAt(b, firstEnd, end);
  if (eq >= end || b[eq] !== 0x3d || (eq + 1 < end && b[eq + 1] === 0x3d) || eq + 1 === end) {
    let j = firstEnd;
    while (j < end && b[j] === 0x3d) j++;
    if (j !== end || firstEnd === i) fail(reason, 'bad auth-param');
    return { scheme, params: ParamMap.empty<string>(), token68: s.slice(i, end) };
  }

  const paramsStart = i;
  for (;;) {
    const nameEnd = tokenEndAt(b, i, end);
    if (nameEnd === i) fail(reason, 'bad auth-param name');
    i = skipWsAt(b, nameEnd, end);
    if (i >= end || b[i] !== 0x3d) fail(reason, 'auth-param without value');
    i = skipWsAt(b, i + 1, end);
    if (i < end && b[i] === 0x22) {
      i = quotedEnd(b, i, end, reason);
    } else {
      const v = i;
      while (i < end) {
        const c = b[i];
        if (c === 0x2c || c === 0x20 || c === 0x09 || c === 0x22) break;
        i++;
      }
      if (i === v) fail(reason, 'empty auth-param value');
    }
    i = skipWsAt(b, i, end);
    if (i >= end) return { scheme, params: new ParamMap<string>(b, s, paramsStart, end, AUTH_PARAMS) };
    if (b[i] !== 0x2c) fail(reason, 'expected comma between auth-params');
    i = skipWsAt(b, i + 1, end);
    if (i >= end) fail(reason, 'trailing comma');
  }
}
