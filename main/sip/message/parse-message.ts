import { CHAR, TOKEN, parseDigits, skipWs, trimEnd } from './chars.ts';
import { parseCSeq } from './cseq.ts';
import { keyAt, keyAtName } from './header-names.ts';
import { methodAt } from './interner.ts';
import { Field, KIND_CSEQ, KIND_NAME_ADDR, KIND_NAME_ADDRS, KIND_VIAS, Request, Response } from './message.ts';
import { parseNameAddr, parseNameAddrList } from './name-addr.ts';
import { SipParseError, badRequest } from './sip-parse-error.ts';
import type { CSeq, SipMessage } from './types.ts';
import { checkRequestUri } from './uri.ts';
import { parseViaList } from './via.ts';

/**
 * One pass over the bytes: the start line and every header line (name, value, folding
 * undone) are split out, the header block is decoded once, and only the headers every
 * layer needs and that decide whether the message is valid at all are parsed here
 * (Request-URI, top Via line, From, To, Call-ID, CSeq, Contact, Content-Length,
 * Max-Forwards, Date). The rest is parsed on first use, then cached.
 */

const EMPTY = new Uint8Array(0);
const HEAD_END = Buffer.from('\r\n\r\n');

/** Methods whose CSeq must name the same method (RFC 3261 §8.1.1.5; RFC 4475 §3.1.2.17/18). */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'PRACK', 'UPDATE', 'SUBSCRIBE',
  'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH',
]);

function isSipVersion(s: string, start: number, end: number): boolean {
  return (
    end - start === 7 &&
    (s.charCodeAt(start) | 0x20) === 0x73 &&
    (s.charCodeAt(start + 1) | 0x20) === 0x69 &&
    (s.charCodeAt(start + 2) | 0x20) === 0x70 &&
    s.charCodeAt(start + 3) === 0x2f &&
    s.charCodeAt(start + 4) === 0x32 &&
    s.charCodeAt(start + 5) === 0x2e &&
    s.charCodeAt(start + 6) === 0x30
  );
}

/** `SIP/<digits>.<digits>`: a version we do not speak (505) rather than garbage (400). */
function isOtherSipVersion(s: string): boolean {
  if (s.length < 7 || s.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = s.indexOf('.', 4);
  return dot > 4 && dot < s.length - 1 && !Number.isNaN(parseDigits(s, 4, dot, 9)) && !Number.isNaN(parseDigits(s, dot + 1, s.length, 9));
}

const WKDAY = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** SIP-date = rfc1123-date: `Sat, 13 Nov 2010 23:29:00 GMT` (RFC 3261 §20.17, §25.1; GMT only). */
function isSipDate(v: string): boolean {
  if (v.length !== 29 || v[3] !== ',' || v[4] !== ' ' || v[7] !== ' ' || v[11] !== ' ' || v[16] !== ' ') return false;
  if (v[19] !== ':' || v[22] !== ':' || v[25] !== ' ' || !v.endsWith('GMT')) return false;
  if (!WKDAY.includes(v.slice(0, 3)) || !MONTH.includes(v.slice(8, 11))) return false;
  const n = (a: number, b: number): number => parseDigits(v, a, b, 4);
  const day = n(5, 7), year = n(12, 16), h = n(17, 19), m = n(20, 22), sec = n(23, 25);
  return day >= 1 && day <= 31 && year >= 0 && h <= 23 && m <= 59 && sec <= 60;
}

/** Split the header block (start line + header lines, each ending in CRLF) into fields. */
export function splitLines(text: string, fields: Field[]): string {
  const len = text.length;
  let lf = text.indexOf('\n');
  if (lf <= 0 || text.charCodeAt(lf - 1) !== 0x0d) throw badRequest('Bad line ending', 'LF without CR');
  if (text.indexOf('\r') !== lf - 1) throw badRequest('Bad line ending', 'CR without LF');
  const startLine = text.slice(0, lf - 1);
  let pos = lf + 1;
  let last: Field | undefined;
  let folded = false;
  while (pos < len) {
    lf = text.indexOf('\n', pos);
    if (lf <= pos || text.charCodeAt(lf - 1) !== 0x0d) throw badRequest('Bad line ending', 'LF without CR');
    const eol = lf - 1;
    // Every line ends in CRLF; a CR or LF anywhere else is a fault.
    if (text.indexOf('\r', pos) !== eol) throw badRequest('Bad line ending', 'CR without LF');
    const c0 = text.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) {
      // Folded continuation (RFC 3261 §7.3.1): CRLF + whitespace reads as one SP.
      if (last === undefined) throw badRequest('Bad header line', 'continuation line after the start line');
      const a = skipWs(text, pos, eol);
      if (a < eol) {
        const more = text.slice(a, trimEnd(text, a, eol));
        last.value = last.value === '' ? more : last.value + ' ' + more;
        folded = true;
      }
    } else {
      let nameEnd = pos;
      while (nameEnd < eol) {
        const c = text.charCodeAt(nameEnd);
        if (c >= 0x80 || (CHAR[c] & TOKEN) === 0) break;
        nameEnd++;
      }
      let colon = nameEnd;
      while (colon < eol && (text.charCodeAt(colon) === 0x20 || text.charCodeAt(colon) === 0x09)) colon++;
      if (colon >= eol || text.charCodeAt(colon) !== 0x3a) {
        throw badRequest(text.indexOf(':', pos) < eol && text.indexOf(':', pos) > 0 ? 'Bad header name' : 'Bad header line');
      }
      if (nameEnd === pos) throw badRequest('Bad header name');
      const vStart = skipWs(text, colon + 1, eol);
      const value = vStart === eol ? '' : text.slice(vStart, trimEnd(text, vStart, eol));
      const key = keyAt(text, pos, nameEnd);
      last = new Field(keyAtName ?? text.slice(pos, nameEnd), value, key, fields.length);
      fields.push(last);
    }
    pos = lf + 1;
  }
  if (folded) for (const f of fields) f.wireValue = f.value;
  return startLine;
}

function parseStartLine(line: string, fields: Field[]): Request | Response {
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) throw badRequest('Bad start line');
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2)
  if (sp1 >= 4 && line.charCodeAt(3) === 0x2f && (line.charCodeAt(0) | 0x20) === 0x73 && (line.charCodeAt(1) | 0x20) === 0x69 &&
    (line.charCodeAt(2) | 0x20) === 0x70) {
    if (!isSipVersion(line, 0, sp1)) throw badRequest('Bad SIP-Version', 'response with a version other than SIP/2.0');
    const status = parseDigits(line, sp1 + 1, sp1 + 4, 3);
    if (Number.isNaN(status) || status < 100 || status > 699 || (line.length > sp1 + 4 && line.charCodeAt(sp1 + 4) !== 0x20)) {
      throw badRequest('Bad Status-Line', 'bad status code');
    }
    const reason = line.length > sp1 + 5 ? line.slice(sp1 + 5) : '';
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw badRequest('Bad Status-Line', 'control character in reason phrase');
    }
    const res = new Response(status, reason, fields);
    res.wireStatus = status;
    res.wireReason = reason;
    return res;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (§7.1)
  for (let i = 0; i < sp1; i++) {
    const c = line.charCodeAt(i);
    if (c >= 0x80 || (CHAR[c] & TOKEN) === 0) throw badRequest('Bad Request-Line', 'bad method');
  }
  const sp2 = line.lastIndexOf(' ');
  const version = line.slice(sp2 + 1);
  if (sp2 === sp1) throw badRequest('Bad Request-Line', 'no SIP-Version');
  if (!isSipVersion(line, sp2 + 1, line.length)) {
    if (isOtherSipVersion(version)) throw new SipParseError(505, 'Version Not Supported');
    throw badRequest('Bad Request-Line', 'bad SIP-Version');
  }
  const uri = line.slice(sp1 + 1, sp2);
  if (uri.length === 0 || uri.includes(' ')) throw badRequest('Bad Request-Line', 'extra spaces');
  const method = methodAt(line, 0, sp1);
  const req = new Request(method, uri, fields);
  req.wireMethod = method;
  req.wireUri = uri;
  return req;
}

/**
 * Check what every message must get right and pre-parse what every layer reads.
 * Returns the Content-Length (-1 when absent).
 */
function validate(msg: Request | Response, fields: Field[]): number {
  let via = 0, from = 0, to = 0, callId = 0, cseqs = 0, lengths = 0;
  let contentLength = -1;
  let cseq: CSeq | undefined;
  for (const f of fields) {
    switch (f.key) {
      case 'via':
        if (via++ === 0) {
          f.parsed = parseViaList(f.value, 'Bad Via');
          f.parsedFor = f.value;
          f.parsedKind = KIND_VIAS;
        }
        break;
      case 'from':
      case 'to': {
        if (f.key === 'from' ? from++ : to++) throw badRequest(f.key === 'from' ? 'Multiple From' : 'Multiple To');
        f.parsed = parseNameAddr(f.value, f.key === 'from' ? 'Bad From' : 'Bad To');
        f.parsedFor = f.value;
        f.parsedKind = KIND_NAME_ADDR;
        break;
      }
      case 'call-id': {
        if (callId++) throw badRequest('Multiple Call-ID');
        // callid = word [ "@" word ]: no whitespace, no control characters (§25.1)
        const v = f.value;
        if (v.length === 0) throw badRequest('Bad Call-ID', 'empty');
        for (let i = 0; i < v.length; i++) {
          const c = v.charCodeAt(i);
          if (c <= 0x20 || c === 0x7f) throw badRequest('Bad Call-ID', 'whitespace or control character');
        }
        break;
      }
      case 'cseq':
        if (cseqs++) throw badRequest('Multiple CSeq');
        cseq = parseCSeq(f.value, 'Bad CSeq');
        f.parsed = cseq;
        f.parsedFor = f.value;
        f.parsedKind = KIND_CSEQ;
        break;
      case 'content-length':
        if (lengths++) throw badRequest('Multiple Content-Length');
        contentLength = parseDigits(f.value, 0, f.value.length, 10);
        if (Number.isNaN(contentLength)) throw badRequest('Bad Content-Length');
        break;
      case 'contact':
        f.parsed = parseNameAddrList(f.value, 'Bad Contact');
        f.parsedFor = f.value;
        f.parsedKind = KIND_NAME_ADDRS;
        break;
      case 'max-forwards': {
        const n = parseDigits(f.value, 0, f.value.length, 10);
        if (!(n <= 255)) throw badRequest('Bad Max-Forwards');
        break;
      }
      case 'date':
        if (!isSipDate(f.value)) throw badRequest('Bad Date');
        break;
    }
  }
  // Mandatory in every request and response (RFC 3261 §8.1.1); Max-Forwards is a proxy's business.
  if (via === 0) throw badRequest('Missing Via');
  if (from === 0) throw badRequest('Missing From');
  if (to === 0) throw badRequest('Missing To');
  if (callId === 0) throw badRequest('Missing Call-ID');
  if (cseq === undefined) throw badRequest('Missing CSeq');
  if (msg.kind === 'request') {
    // A known method must match its CSeq; an unknown one is left to the 501 of §8.2.1.
    if (cseq.method !== msg.method && KNOWN_METHODS.has(msg.method)) throw badRequest('CSeq method does not match');
    checkRequestUri(msg.uri);
  }
  return contentLength;
}

function frame(rest: Uint8Array, contentLength: number): Uint8Array {
  if (contentLength < 0) return rest;
  // §18.3: a body shorter than Content-Length is an error; extra bytes on a datagram are dropped.
  if (contentLength > rest.length) throw badRequest('Content-Length larger than body');
  return contentLength === rest.length ? rest : rest.subarray(0, contentLength);
}

/**
 * Parse one SIP message (a datagram, or one message framed out of a stream). Throws
 * SipParseError for invalid input: status 400 with a reason naming the fault, or 505
 * for a request in a SIP-Version other than 2.0. The body aliases the input bytes.
 */
export function parseMessage(data: Uint8Array | string): SipMessage {
  if (typeof data === 'string') return parseString(data);
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let start = 0;
  // §7.5: CRLFs before the start line are ignored.
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  if (start >= buf.length) throw badRequest('Empty message');
  const blank = buf.indexOf(HEAD_END, start);
  if (blank < 0) throw badRequest('Incomplete message', 'no empty line after the header fields');
  const bodyStart = blank + 4;
  const fields: Field[] = [];
  const msg = parseStartLine(splitLines(buf.toString('utf8', start, blank + 2), fields), fields);
  const contentLength = validate(msg, fields);
  msg.body = frame(bodyStart < buf.length ? buf.subarray(bodyStart) : EMPTY, contentLength);
  if (contentLength >= 0) msg.wire = { bytes: buf, start, end: bodyStart + contentLength, body: msg.body, fieldCount: fields.length };
  return msg;
}

function parseString(data: string): SipMessage {
  let start = 0;
  while (data.charCodeAt(start) === 0x0d && data.charCodeAt(start + 1) === 0x0a) start += 2;
  if (start >= data.length) throw badRequest('Empty message');
  const blank = data.indexOf('\r\n\r\n', start);
  if (blank < 0) throw badRequest('Incomplete message', 'no empty line after the header fields');
  const bodyStart = blank + 4;
  const fields: Field[] = [];
  const msg = parseStartLine(splitLines(data.slice(start, blank + 2), fields), fields);
  const contentLength = validate(msg, fields);
  msg.body = frame(bodyStart < data.length ? Buffer.from(data.slice(bodyStart), 'utf8') : EMPTY, contentLength);
  return msg;
}
