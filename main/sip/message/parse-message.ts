import { CHAR, TOKEN, digitsAt, parseDigits } from './chars.ts';
import { ownCodes } from './codes.ts';
import { parseCSeqAt } from './cseq.ts';
import { Head, KIND_NAME_ADDRS, SPAN } from './head.ts';
import {
  H_CALL_ID, H_CONTACT, H_CONTENT_LENGTH, H_CSEQ, H_DATE, H_FROM, H_MAX_FORWARDS, H_TO, H_VIA, NAME_COLUMN, NAME_ID, NAME_START, NAME_STEP,
} from './header-names.ts';
import { methodAt } from './interner.ts';
import { Request, Response } from './message.ts';
import { parseNameAddrAt, parseNameAddrListAt } from './name-addr.ts';
import { SipParseError, badRequest } from './sip-parse-error.ts';
import type { SipMessage } from './types.ts';
import { checkRequestUriAt } from './uri.ts';
import { parseViaListAt } from './via.ts';

/**
 * One pass over the bytes finds the start line and every header line (name, value,
 * which header it is), checking the line structure as it goes; the header block is
 * decoded once. Then only the headers every layer needs and that decide whether the
 * message is valid at all are checked (Request-URI, top Via line, From, To, Call-ID,
 * CSeq, Contact, Content-Length, Max-Forwards, Date); the values the layers read anyway
 * (top Via, From, To, CSeq, Contact) are built while checking. Everything else is sliced
 * or parsed on first use, then cached (see head.ts).
 */

const EMPTY = new Uint8Array(0);
const CR = 0x0d;
const LF = 0x0a;

/** Methods whose CSeq must name the same method (RFC 3261 §8.1.1.5; RFC 4475 §3.1.2.17/18). */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'PRACK', 'UPDATE', 'SUBSCRIBE',
  'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH',
]);

function isSipVersion(b: Uint8Array, start: number, end: number): boolean {
  return (
    end - start === 7 &&
    (b[start] | 0x20) === 0x73 &&
    (b[start + 1] | 0x20) === 0x69 &&
    (b[start + 2] | 0x20) === 0x70 &&
    b[start + 3] === 0x2f &&
    b[start + 4] === 0x32 &&
    b[start + 5] === 0x2e &&
    b[start + 6] === 0x30
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

// ---------------------------------------------------------------------------------------------
// The line scan

/** What scanLines found. */
const found = {
  /** SPAN numbers per header line (see Head.spans). */
  spans: [] as number[],
  /** The CR ending the start line. */
  startLineEnd: 0,
  /** Header lines. */
  count: 0,
  /** Bit (id & 31) set for every known header id met (see Head.present). */
  present: 0,
  /** The first byte of the body (just after the empty line). */
  bodyStart: 0,
  /** A byte outside ASCII in the header block (then the block is decoded as UTF-8 and scanned again). */
  nonAscii: false,
  /** Folded lines (then the block is unfolded and scanned again). */
  folded: false,
};

function hasEmptyLine(b: Uint8Array, start: number): boolean {
  for (let i = start; i + 3 < b.length; i++) {
    if (b[i] === CR && b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return true;
  }
  return false;
}

function incomplete(): never {
  throw badRequest('Incomplete message', 'no empty line after the header fields');
}

/**
 * A fault in the header block; but a message without the empty line that ends the
 * block is incomplete first of all.
 */
function lineFault(b: Uint8Array, start: number, reason: string, detail?: string): never {
  if (!hasEmptyLine(b, start)) incomplete();
  throw badRequest(reason, detail);
}

/**
 * The bytes of the datagram being scanned as aligned 32-bit words, so the line scan
 * tests four bytes at once: words[k] holds b[wordBase + 4k … wordBase + 4k + 3] for k
 * below wordCount. A datagram is copied into a buffer kept for the purpose (a copy costs
 * less than a new view, and lands aligned); anything larger gets a view of its own.
 */
const NO_WORDS: Int32Array = new Int32Array(0);
const SCRATCH = new ArrayBuffer(1 << 16);
const SCRATCH_BYTES = new Uint8Array(SCRATCH);
const SCRATCH_WORDS: Int32Array = new Int32Array(SCRATCH);
let words = NO_WORDS;
let wordBase = 0;
let wordCount = 0;
/** The bytes SCRATCH holds a copy of (from offset 0), until the next scan. */
let scratchOf: Uint8Array | undefined;

function wordsOver(b: Uint8Array): void {
  if (b.length <= SCRATCH_BYTES.length) {
    SCRATCH_BYTES.set(b);
    scratchOf = b;
    words = SCRATCH_WORDS;
    wordBase = 0;
    wordCount = b.length >> 2;
    return;
  }
  scratchOf = undefined;
  const base = (4 - (b.byteOffset & 3)) & 3;
  words = new Int32Array(b.buffer, b.byteOffset + base, (b.length - base) >> 2);
  wordBase = base;
  wordCount = words.length;
}

/**
 * The CR that ends the line holding index i: every line ends in CRLF, and a CR or LF
 * anywhere else is a fault (RFC 3261 §7.3.1). Notes any byte outside ASCII.
 */
function lineEnd(b: Uint8Array, i: number, start: number): number {
  const n = b.length;
  const w = words;
  const base = wordBase;
  let high = 0;
  for (;;) {
    let c = 0;
    // Byte by byte up to the next word boundary, stopping at a control character up to
    // CR; OR every byte into `high`.
    let k = (i - base + 3) >> 2;
    const aligned = base + (k << 2);
    const stop = aligned < n ? aligned : n;
    while (i < stop && (c = b[i]) >= 0x0e) {
      high |= c;
      i++;
    }
    if (i === aligned) {
      // The hot loop: skip whole words holding no byte below 0x0e and none above 0x7f
      // (x - 0x0e0e0e0e borrows into a byte's top bit exactly when that byte, or one
      // below it, is under 0x0e).
      const wEnd = wordCount;
      while (k < wEnd) {
        const x = w[k];
        if ((((x - 0x0e0e0e0e) | x) & 0x80808080) !== 0) break;
        k++;
      }
      i = base + (k << 2);
      while (i < n && (c = b[i]) >= 0x0e) {
        high |= c;
        i++;
      }
    }
    if (i >= n) incomplete();
    if (c === CR) {
      if (i + 1 < n && b[i + 1] === LF) break;
      lineFault(b, start, 'Bad line ending', 'CR without LF');
    }
    if (c === LF) lineFault(b, start, 'Bad line ending', 'LF without CR');
    i++;
  }
  if (high >= 0x80) found.nonAscii = true;
  return i;
}

function freshSpans(): number[] {
  const spans: number[] = [];
  for (let i = 0; i < SPAN * 32; i++) spans.push(0);
  return spans;
}

let scratchSpans = freshSpans();

/** Find the lines of the header block of `b` starting at `start` (see `found`). */
function scanLines(b: Uint8Array, start: number): void {
  const n = b.length;
  found.nonAscii = false;
  found.folded = false;
  wordsOver(b);
  const startLineEnd = lineEnd(b, start, start);
  if (startLineEnd === start) lineFault(b, start, 'Bad line ending', 'LF without CR');
  found.startLineEnd = startLineEnd;
  let pos = startLineEnd + 2;
  let count = 0;
  let present = 0;
  // Written into a shared array (grown by appending, so it stays packed), then copied
  // out at its exact length: cheaper than making room for lines that may not come.
  const spans = scratchSpans;
  for (;;) {
    if (pos >= n) incomplete();
    const c0 = b[pos];
    if (c0 === CR) {
      if (pos + 1 < n && b[pos + 1] === LF) break; // the empty line
      lineFault(b, start, 'Bad line ending', 'CR without LF');
    }
    if (c0 === 0x20 || c0 === 0x09) {
      // Folded continuation (RFC 3261 §7.3.1): CRLF + whitespace reads as one SP.
      const eol = lineEnd(b, pos, start);
      if (count === 0) lineFault(b, start, 'Bad header line', 'continuation line after the start line');
      found.folded = true;
      pos = eol + 2;
      continue;
    }
    // The name, recognised as it is read (see NAME_STEP).
    let nameEnd = pos;
    let state = NAME_START;
    while (nameEnd < n) {
      const column = NAME_COLUMN[b[nameEnd]];
      if (column === 0) break;
      state = NAME_STEP[state + column];
      nameEnd++;
    }
    let colon = nameEnd;
    while (colon < n && (b[colon] === 0x20 || b[colon] === 0x09)) colon++;
    if (colon >= n || b[colon] !== 0x3a || nameEnd === pos) {
      const eol = lineEnd(b, pos, start);
      if (colon < eol && b[colon] === 0x3a) lineFault(b, start, 'Bad header name');
      let k = pos;
      while (k < eol && b[k] !== 0x3a) k++;
      lineFault(b, start, k < eol ? 'Bad header name' : 'Bad header line');
    }
    let valueStart = colon + 1;
    while (valueStart < n && (b[valueStart] === 0x20 || b[valueStart] === 0x09)) valueStart++;
    const eol = lineEnd(b, valueStart, start);
    let valueEnd = eol;
    while (valueEnd > valueStart && (b[valueEnd - 1] === 0x20 || b[valueEnd - 1] === 0x09)) valueEnd--;
    const id = NAME_ID[state >> 6];
    if (id >= 0) present |= 1 << (id & 31);
    const at = count * SPAN;
    spans[at] = pos;
    spans[at + 1] = nameEnd;
    spans[at + 2] = valueStart;
    spans[at + 3] = valueEnd;
    spans[at + 4] = id + 1;
    count++;
    pos = eol + 2;
  }
  words = NO_WORDS;
  found.count = count;
  found.present = present;
  found.spans = spans.slice(0, count * SPAN);
  if (spans.length > 4096) scratchSpans = freshSpans();
  found.bodyStart = pos + 2;
}

const WS_AROUND = /^[ \t]+|[ \t]+$/g;

/** The header block with every folded line joined to the one before (already checked by scanLines). */
function unfold(head: string): string {
  const lines = head.split('\r\n');
  const out: string[] = [lines[0]];
  let name = '';
  let value = '';
  let open = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      const more = line.replace(WS_AROUND, '');
      if (more !== '') value = value === '' ? more : value + ' ' + more;
      continue;
    }
    if (open) out.push(name + value);
    open = line !== '';
    if (!open) {
      out.push('');
      continue;
    }
    const colon = line.indexOf(':');
    let v = colon + 1;
    while (v < line.length && (line.charCodeAt(v) === 0x20 || line.charCodeAt(v) === 0x09)) v++;
    name = line.slice(0, v);
    value = line.slice(v).replace(WS_AROUND, '');
  }
  if (open) out.push(name + value);
  return out.join('\r\n');
}

// ---------------------------------------------------------------------------------------------
// Start line and the checks

function parseStartLine(b: Uint8Array, s: string, start: number, end: number, head: Head): Request | Response {
  let sp1 = start;
  while (sp1 < end && b[sp1] !== 0x20) sp1++;
  if (sp1 === start || sp1 === end) throw badRequest('Bad start line');
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2)
  if (sp1 - start >= 4 && b[start + 3] === 0x2f && (b[start] | 0x20) === 0x73 && (b[start + 1] | 0x20) === 0x69 && (b[start + 2] | 0x20) === 0x70) {
    if (!isSipVersion(b, start, sp1)) throw badRequest('Bad SIP-Version', 'response with a version other than SIP/2.0');
    const status = sp1 + 4 <= end ? digitsAt(b, sp1 + 1, sp1 + 4, 3) : NaN;
    if (Number.isNaN(status) || status < 100 || status > 699 || (end > sp1 + 4 && b[sp1 + 4] !== 0x20)) {
      throw badRequest('Bad Status-Line', 'bad status code');
    }
    for (let i = sp1 + 5; i < end; i++) {
      const c = b[i];
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw badRequest('Bad Status-Line', 'control character in reason phrase');
    }
    const reason = end > sp1 + 5 ? s.slice(sp1 + 5, end) : '';
    const res = new Response(status, reason, undefined, EMPTY, head);
    res.wireStatus = status;
    res.wireReason = reason;
    return res;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (§7.1)
  for (let i = start; i < sp1; i++) {
    if ((CHAR[b[i]] & TOKEN) === 0) throw badRequest('Bad Request-Line', 'bad method');
  }
  let sp2 = end - 1;
  while (b[sp2] !== 0x20) sp2--;
  if (sp2 === sp1) throw badRequest('Bad Request-Line', 'no SIP-Version');
  if (!isSipVersion(b, sp2 + 1, end)) {
    if (isOtherSipVersion(s.slice(sp2 + 1, end))) throw new SipParseError(505, 'Version Not Supported');
    throw badRequest('Bad Request-Line', 'bad SIP-Version');
  }
  // Spaces inside the Request-URI ("extra spaces") fail its check; they are looked for
  // only then (see build), as they are the first fault to report.
  if (sp2 === sp1 + 1) throw badRequest('Bad Request-Line', 'extra spaces');
  const method = methodAt(b, s, start, sp1);
  const req = new Request(method, s.slice(sp1 + 1, sp2), undefined, EMPTY, head);
  req.wireMethod = method;
  req.wireUri = req.uri;
  return req;
}

/**
 * Is there a byte up to SP, or DEL, in b[start, end)? Four bytes at a time over the
 * scratch copy when it holds `b`: (x - 0x21…) borrows into the top bit of a byte up to
 * 0x20, (x + 0x01…) carries into the top bit of 0x7f, and x has it in a byte over 0x7f
 * (allowed, but then the bytes are looked at one by one).
 */
function hasSpaceOrControl(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (scratchOf === b) {
    while (i < end && (i & 3) !== 0) {
      const c = b[i];
      if (c <= 0x20 || c === 0x7f) return true;
      i++;
    }
    const w = SCRATCH_WORDS;
    let k = i >> 2;
    const kEnd = end >> 2;
    while (k < kEnd) {
      const x = w[k];
      if ((((x - 0x21212121) | (x + 0x01010101) | x) & 0x80808080) !== 0) break;
      k++;
    }
    if (k << 2 > i) i = k << 2;
  }
  for (; i < end; i++) {
    const c = b[i];
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Header fields one message may carry. */
export const MAX_HEADER_FIELDS = 256;

/**
 * Check what every message must get right and pre-parse what every layer reads.
 * Returns the Content-Length (-1 when absent).
 */
function validate(msg: Request | Response, h: Head, uriStart: number, uriEnd: number): number {
  const b = h.codes;
  const s = h.text;
  const sp = h.spans;
  // Real messages carry a few dozen; thousands would only cost us lookups in every layer.
  if (h.count > MAX_HEADER_FIELDS) throw badRequest('Too Many Header Fields', `more than ${MAX_HEADER_FIELDS}`);
  let from = 0, to = 0, callId = 0, cseqs = 0, lengths = 0;
  let contentLength = -1;
  for (let i = 0; i < h.count; i++) {
    const at = i * SPAN;
    const start = sp[at + 2];
    const end = sp[at + 3];
    switch (sp[at + 4] - 1) {
      case H_VIA:
        if (h.via < 0) {
          h.via = i;
          h.viaParsed = parseViaListAt(b, s, start, end, 'Bad Via');
        }
        break;
      case H_FROM:
        if (from++) throw badRequest('Multiple From');
        h.from = i;
        h.fromParsed = parseNameAddrAt(b, s, start, end, false, 'Bad From');
        break;
      case H_TO:
        if (to++) throw badRequest('Multiple To');
        h.to = i;
        h.toParsed = parseNameAddrAt(b, s, start, end, false, 'Bad To');
        break;
      case H_CALL_ID:
        if (callId++) throw badRequest('Multiple Call-ID');
        // callid = word [ "@" word ]: no whitespace, no control characters (§25.1)
        if (start === end) throw badRequest('Bad Call-ID', 'empty');
        if (hasSpaceOrControl(b, start, end)) throw badRequest('Bad Call-ID', 'whitespace or control character');
        h.callId = i;
        break;
      case H_CSEQ:
        if (cseqs++) throw badRequest('Multiple CSeq');
        h.cseq = i;
        h.cseqParsed = parseCSeqAt(b, s, start, end, 'Bad CSeq');
        break;
      case H_CONTENT_LENGTH:
        if (lengths++) throw badRequest('Multiple Content-Length');
        contentLength = digitsAt(b, start, end, 10);
        if (Number.isNaN(contentLength)) throw badRequest('Bad Content-Length');
        break;
      case H_CONTACT:
        if (h.contact < 0) {
          h.contact = i;
          h.contactParsed = parseNameAddrListAt(b, s, start, end, 'Bad Contact');
        } else {
          h.seed(i, KIND_NAME_ADDRS, parseNameAddrListAt(b, s, start, end, 'Bad Contact'));
        }
        break;
      case H_MAX_FORWARDS:
        if (!(digitsAt(b, start, end, 10) <= 255)) throw badRequest('Bad Max-Forwards');
        break;
      case H_DATE:
        if (!isSipDate(s.slice(start, end))) throw badRequest('Bad Date');
        break;
    }
  }
  // Mandatory in every request and response (RFC 3261 §8.1.1); Max-Forwards is a proxy's business.
  if (h.via < 0) throw badRequest('Missing Via');
  if (from === 0) throw badRequest('Missing From');
  if (to === 0) throw badRequest('Missing To');
  if (callId === 0) throw badRequest('Missing Call-ID');
  if (h.cseq < 0) throw badRequest('Missing CSeq');
  if (msg.kind === 'request') {
    // A known method must match its CSeq; an unknown one is left to the 501 of §8.2.1.
    const cseq = h.cseqParsed!;
    if (cseq.method !== msg.method && KNOWN_METHODS.has(msg.method)) throw badRequest('CSeq method does not match');
    checkRequestUriAt(b, s, uriStart, uriEnd);
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
 * Scan, decode, build: the header block of `b` from `start` (codes `b`, text `s` at the
 * same offsets; scanned once already when `scanned`). Returns the message and its Content-Length.
 */
function build(b: Uint8Array, s: string, start: number, scanned: boolean): Request | Response {
  if (!scanned) scanLines(b, start);
  const head = new Head(s, b, found.spans, found.count, found.present);
  const end = found.startLineEnd;
  const msg = parseStartLine(b, s, start, end, head);
  let uriStart = 0, uriEnd = 0;
  if (msg.kind === 'request') {
    uriStart = start + msg.method.length + 1;
    uriEnd = uriStart + msg.uri.length;
  }
  try {
    contentLengthOf = validate(msg, head, uriStart, uriEnd);
  } catch (e) {
    // A Request-Line with extra spaces is the first fault, before any header's.
    if (uriStart < uriEnd && s.indexOf(' ', uriStart) < uriEnd) throw badRequest('Bad Request-Line', 'extra spaces');
    throw e;
  }
  return msg;
}

/** The Content-Length build() found (-1 when absent). */
let contentLengthOf = -1;

interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/**
 * Parse one SIP message (a datagram, or one message framed out of a stream). Throws
 * SipParseError for invalid input: status 400 with a reason naming the fault, or 505
 * for a request in a SIP-Version other than 2.0. The message keeps the input bytes
 * (its body is a view of them, and header values are read from them on first use):
 * do not change them afterwards.
 */
export function parseMessage(data: Uint8Array | string): SipMessage {
  if (typeof data === 'string') return parseString(data);
  const buf = (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) as FastBuffer;
  const limit = buf.length;
  let start = 0;
  // §7.5: CRLFs before the start line are ignored.
  while (start + 1 < limit && buf[start] === CR && buf[start + 1] === LF) start += 2;
  if (start >= limit) throw badRequest('Empty message');
  scanLines(buf, start);
  const bodyStart = found.bodyStart;
  let msg: Request | Response;
  if (!found.nonAscii && !found.folded) {
    msg = build(buf, buf.latin1Slice(0, bodyStart - 2), start, true);
  } else {
    let text = buf.toString(found.nonAscii ? 'utf8' : 'latin1', start, bodyStart);
    if (found.folded) text = unfold(text);
    msg = build(ownCodes(text), text, 0, false);
  }
  const contentLength = contentLengthOf;
  // §18.3: a body shorter than Content-Length is an error; extra bytes on a datagram are dropped.
  if (contentLength > limit - bodyStart) throw badRequest('Content-Length larger than body');
  const bodyEnd = contentLength < 0 ? limit : bodyStart + contentLength;
  msg.body = bodyEnd > bodyStart ? buf.subarray(bodyStart, bodyEnd) : EMPTY;
  if (contentLength >= 0) msg.wire = { bytes: buf, start, end: bodyStart + contentLength, body: msg.body, fieldCount: found.count };
  return msg;
}

function parseString(data: string): SipMessage {
  let start = 0;
  while (data.charCodeAt(start) === CR && data.charCodeAt(start + 1) === LF) start += 2;
  if (start >= data.length) throw badRequest('Empty message');
  const blank = data.indexOf('\r\n\r\n', start);
  if (blank < 0) throw badRequest('Incomplete message', 'no empty line after the header fields');
  const bodyStart = blank + 4;
  let text = data.slice(start, bodyStart);
  let codes = ownCodes(text);
  scanLines(codes, 0);
  if (found.folded) {
    text = unfold(text);
    codes = ownCodes(text);
  }
  const msg = build(codes, text, 0, !found.folded);
  const contentLength = contentLengthOf;
  msg.body = frame(bodyStart < data.length ? Buffer.from(data.slice(bodyStart), 'utf8') : EMPTY, contentLength);
  return msg;
}
export function __phase(buf: Buffer, upto: number): unknown {
  scanLines(buf, 0);
  if (upto === 1) return found;
  const text = (buf as FastBuffer).latin1Slice(0, found.bodyStart - 2);
  const head = new Head(text, buf, found.spans, found.count, found.present);
  return parseStartLine(buf, text, 0, found.startLineEnd, head);
}
