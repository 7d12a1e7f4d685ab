import { CHAR, HOST, TOKEN, hexValue, skipWsAt, tokenEndAt } from './chars.ts';
import { ownCodes } from './codes.ts';
import { checkGenericParams, cursor, fail, finishElement, nextElement } from './cursor.ts';
import { GENERIC_PARAMS, ParamMap } from './param-map.ts';
import { TRANSPORTS } from './interner.ts';
import type { Via } from './types.ts';

const TRANSPORT_UPPER = TRANSPORTS.words.map((t) => t.toUpperCase());

// Via (RFC 3261 §20.42, §25.1):
//   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
//   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
//   sent-by = host [ COLON port ]

function eqIgnoreCase(b: Uint8Array, start: number, end: number, lit: string): boolean {
  if (end - start !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    if ((b[start + i] | 0x20) !== (lit.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

function slash(b: Uint8Array, i: number, end: number, reason: string): number {
  i = skipWsAt(b, i, end);
  if (i >= end || b[i] !== 0x2f) fail(reason, 'bad sent-protocol');
  return skipWsAt(b, i + 1, end);
}

/** `SIP/2.0/` written straight, in any case: the usual start of a via-parm. */
function plainSip20(b: Uint8Array, i: number, end: number): boolean {
  return (
    i + 8 < end &&
    (b[i] | 0x20) === 0x73 && (b[i + 1] | 0x20) === 0x69 && (b[i + 2] | 0x20) === 0x70 && b[i + 3] === 0x2f &&
    b[i + 4] === 0x32 && b[i + 5] === 0x2e && b[i + 6] === 0x30 && b[i + 7] === 0x2f
  );
}

/** Parse one via-parm starting at `start`; leaves `cursor.pos` at the comma ending it, or at `end`. */
export function parseViaAt(b: Uint8Array, s: string, start: number, end: number, reason: string): Via {
  let i = skipWsAt(b, start, end);
  let j: number;
  if (plainSip20(b, i, end) && (CHAR[b[i + 8]] & TOKEN) !== 0) {
    i += 8;
  } else {
    j = tokenEndAt(b, i, end);
    if (!eqIgnoreCase(b, i, j, 'SIP')) fail(reason, 'protocol is not SIP');
    i = slash(b, j, end, reason);
    j = tokenEndAt(b, i, end);
    if (!eqIgnoreCase(b, i, j, '2.0')) fail(reason, 'version is not 2.0');
    i = slash(b, j, end, reason);
  }
  j = tokenEndAt(b, i, end);
  if (j === i) fail(reason, 'no transport');
  const known = TRANSPORTS.find(b, i, j);
  const transport = known >= 0 ? TRANSPORT_UPPER[known] : s.slice(i, j).toUpperCase();
  i = skipWsAt(b, j, end);
  if (i === j || i >= end) fail(reason, 'no sent-by');

  let host: string;
  let upper = false;
  if (b[i] === 0x5b) {
    let close = i + 1;
    while (close < end && b[close] !== 0x5d) close++;
    if (close >= end || close === i + 1) fail(reason, 'bad IPv6 sent-by');
    for (let k = i + 1; k < close; k++) {
      const c = b[k];
      if (hexValue(c) < 0 && c !== 0x3a && c !== 0x2e) fail(reason, 'bad IPv6 sent-by');
      if (c >= 0x41 && c <= 0x46) upper = true;
    }
    host = s.slice(i + 1, close);
    i = close + 1;
  } else {
    j = i;
    while (j < end) {
      const c = b[j];
      if ((CHAR[c] & HOST) === 0) break;
      if (c >= 0x41 && c <= 0x5a) upper = true;
      j++;
    }
    if (j === i) fail(reason, 'no sent-by');
    host = s.slice(i, j);
    i = j;
  }
  if (upper) host = host.toLowerCase();

  let port: number | undefined;
  const colon = skipWsAt(b, i, end);
  if (colon < end && b[colon] === 0x3a) {
    const p = skipWsAt(b, colon + 1, end);
    let q = p;
    let n = 0;
    while (q < end) {
      const d = b[q] - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      q++;
    }
    if (q === p || q - p > 5 || n > 65535) fail(reason, 'bad port');
    port = n;
    i = q;
  }

  const paramsEnd = checkGenericParams(b, i, end, reason);
  const params = new ParamMap(b, s, i, paramsEnd, GENERIC_PARAMS).remember('branch', cursor.branchStart, cursor.branchEnd);
  finishElement(b, paramsEnd, end, true, reason);
  return { transport, host, port, params, branch: params.get('branch') ?? undefined };
}

/** Parse one Via value (a single via-parm). */
export function parseVia(s: string, reason = 'Bad Via'): Via {
  const via = parseViaAt(ownCodes(s), s, 0, s.length, reason);
  if (cursor.pos < s.length) fail(reason, 'more than one via-parm');
  return via;
}

/**
 * Parse every via-parm at [start, end) of one Via header line, appending to `out` (or,
 * without `out`, into a new array of just the right size).
 */
export function parseViaListAt(b: Uint8Array, s: string, start: number, end: number, reason: string, out?: Via[]): Via[] {
  let i = nextElement(b, start, end);
  if (i >= end) fail(reason, 'empty Via');
  const first = parseViaAt(b, s, i, end, reason);
  i = nextElement(b, cursor.pos, end);
  if (out === undefined) {
    if (i >= end) return [first];
    out = [first];
  } else {
    out.push(first);
  }
  while (i < end) {
    out.push(parseViaAt(b, s, i, end, reason));
    i = nextElement(b, cursor.pos, end);
  }
  return out;
}

/** Parse every via-parm of one Via header line, appending to `out`. */
export function parseViaList(s: string, reason = 'Bad Via', out?: Via[]): Via[] {
  return parseViaListAt(ownCodes(s), s, 0, s.length, reason, out);
}

/** Write a via-parm: `SIP/2.0/UDP host:port;branch=…` (IPv6 hosts bracketed). */
export function formatVia(v: Via): string {
  let out = 'SIP/2.0/' + v.transport + ' ' + (v.host.includes(':') ? '[' + v.host + ']' : v.host);
  if (v.port !== undefined) out += ':' + v.port;
  const params = v.branch !== undefined && !v.params.has('branch') ? new Map([['branch', v.branch], ...v.params]) : v.params;
  for (const [name, value] of params) out += value === null ? ';' + name : ';' + name + '=' + value;
  return out;
}
