import { CHAR, HOST, hexValue, skipWs } from './chars.ts';
import { cursor, fail, finishElement, nextElement, parseGenericParams, tokenEnd } from './cursor.ts';
import { TRANSPORTS } from './interner.ts';
import type { Via } from './types.ts';

const TRANSPORT_UPPER: Record<string, string> = {};
for (const t of ['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss', 'tls-sctp', 'dtls']) TRANSPORT_UPPER[t] = t.toUpperCase();

// Via (RFC 3261 §20.42, §25.1):
//   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
//   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
//   sent-by = host [ COLON port ]

function eqIgnoreCase(s: string, start: number, end: number, lit: string): boolean {
  if (end - start !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    if ((s.charCodeAt(start + i) | 0x20) !== (lit.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

function slash(s: string, i: number, end: number, reason: string): number {
  i = skipWs(s, i, end);
  if (i >= end || s.charCodeAt(i) !== 0x2f) fail(reason, 'bad sent-protocol');
  return skipWs(s, i + 1, end);
}

/** Parse one via-parm starting at `start`; leaves `cursor.pos` at the comma ending it, or at `end`. */
export function parseViaAt(s: string, start: number, end: number, reason: string): Via {
  let i = skipWs(s, start, end);
  let j = tokenEnd(s, i, end);
  if (!eqIgnoreCase(s, i, j, 'SIP')) fail(reason, 'protocol is not SIP');
  i = slash(s, j, end, reason);
  j = tokenEnd(s, i, end);
  if (!eqIgnoreCase(s, i, j, '2.0')) fail(reason, 'version is not 2.0');
  i = slash(s, j, end, reason);
  j = tokenEnd(s, i, end);
  if (j === i) fail(reason, 'no transport');
  const known = TRANSPORTS.find(s, i, j);
  const transport = known !== undefined ? TRANSPORT_UPPER[known] : s.slice(i, j).toUpperCase();
  i = skipWs(s, j, end);
  if (i === j || i >= end) fail(reason, 'no sent-by');

  let host: string;
  let upper = false;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0 || close >= end || close === i + 1) fail(reason, 'bad IPv6 sent-by');
    for (let k = i + 1; k < close; k++) {
      const c = s.charCodeAt(k);
      if (hexValue(c) < 0 && c !== 0x3a && c !== 0x2e) fail(reason, 'bad IPv6 sent-by');
      if (c >= 0x41 && c <= 0x46) upper = true;
    }
    host = s.slice(i + 1, close);
    i = close + 1;
  } else {
    j = i;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c >= 0x80 || (CHAR[c] & HOST) === 0) break;
      if (c >= 0x41 && c <= 0x5a) upper = true;
      j++;
    }
    if (j === i) fail(reason, 'no sent-by');
    host = s.slice(i, j);
    i = j;
  }
  if (upper) host = host.toLowerCase();

  let port: number | undefined;
  const colon = skipWs(s, i, end);
  if (colon < end && s.charCodeAt(colon) === 0x3a) {
    const p = skipWs(s, colon + 1, end);
    let q = p;
    let n = 0;
    while (q < end) {
      const d = s.charCodeAt(q) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      q++;
    }
    if (q === p || q - p > 5 || n > 65535) fail(reason, 'bad port');
    port = n;
    i = q;
  }

  const params = new Map<string, string | null>();
  i = parseGenericParams(s, i, end, params, reason);
  finishElement(s, i, end, true, reason);
  const branch = params.get('branch');
  return { transport, host, port, params, branch: branch ?? undefined };
}

/** Parse one Via value (a single via-parm). */
export function parseVia(s: string, reason = 'Bad Via'): Via {
  const via = parseViaAt(s, 0, s.length, reason);
  if (cursor.pos < s.length) fail(reason, 'more than one via-parm');
  return via;
}

/** Parse every via-parm of one Via header line, appending to `out`. */
export function parseViaList(s: string, reason = 'Bad Via', out: Via[] = []): Via[] {
  const end = s.length;
  let i = nextElement(s, 0, end);
  if (i >= end) fail(reason, 'empty Via');
  while (i < end) {
    out.push(parseViaAt(s, i, end, reason));
    i = nextElement(s, cursor.pos, end);
  }
  return out;
}

/** Write a via-parm: `SIP/2.0/UDP host:port;branch=…` (IPv6 hosts bracketed). */
export function formatVia(v: Via): string {
  let out = 'SIP/2.0/' + v.transport + ' ' + (v.host.includes(':') ? '[' + v.host + ']' : v.host);
  if (v.port !== undefined) out += ':' + v.port;
  const params = v.branch !== undefined && !v.params.has('branch') ? new Map([['branch', v.branch], ...v.params]) : v.params;
  for (const [name, value] of params) out += value === null ? ';' + name : ';' + name + '=' + value;
  return out;
}
