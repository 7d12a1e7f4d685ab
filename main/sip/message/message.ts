import { isTokenString } from './chars.ts';
import { parseAuthHeader } from './auth-header.ts';
import { parseCSeq } from './cseq.ts';
import { type Head, KIND_AUTH, KIND_CSEQ, KIND_NAME_ADDR, KIND_NAME_ADDRS, KIND_VIAS, SPAN, reasonFor } from './head.ts';
import { H_VIA, headerKey, isListHeader, lookupHeader } from './header-names.ts';
import { parseNameAddr, parseNameAddrList } from './name-addr.ts';
import { SipParseError } from './sip-parse-error.ts';
import { firstListElement, firstListElementAt, splitHeaderList, splitListAt } from './split-header-list.ts';
import type { AuthHeader, CSeq, HeaderField, NameAddr, SipRequest, SipResponse, Uri, Via } from './types.ts';
import { parseUri } from './uri.ts';
import { parseViaList } from './via.ts';

/**
 * One header line. Besides name and value it remembers its lookup key and a cache of
 * its parsed value; the cache is checked against the value it was made from, so code
 * that edits `fields` directly still reads fresh values.
 */
export class Field implements HeaderField {
  name: string;
  value: string;
  /** headerKey(keyName): valid while `name === keyName`. */
  key: string;
  keyName: string;
  /** The value as parsed from the wire (for the unchanged-message fast path), and its line index. */
  wireValue: string | undefined;
  wireIndex: number;
  parsed: unknown;
  parsedFor: string | undefined;
  parsedKind: number;

  constructor(name: string, value: string, key: string, wireIndex = -1) {
    this.name = name;
    this.value = value;
    this.key = key;
    this.keyName = name;
    this.wireValue = wireIndex >= 0 ? value : undefined;
    this.wireIndex = wireIndex;
    this.parsed = undefined;
    this.parsedFor = undefined;
    this.parsedKind = 0;
  }
}

export function keyOf(f: HeaderField): string {
  return f instanceof Field && f.keyName === f.name ? f.key : headerKey(f.name);
}

function parseFieldAs(f: HeaderField, key: string, kind: number): unknown {
  const reason = reasonFor(key);
  switch (kind) {
    case KIND_VIAS: return parseViaList(f.value, reason);
    case KIND_NAME_ADDR: return parseNameAddr(f.value, reason);
    case KIND_NAME_ADDRS: return parseNameAddrList(f.value, reason);
    case KIND_CSEQ: return parseCSeq(f.value, reason);
    default: return parseAuthHeader(f.value, reason);
  }
}

/** The parsed value of a field, from its cache when the value has not changed since. */
export function parsedField<T>(f: HeaderField, key: string, kind: number): T {
  if (f instanceof Field) {
    if (f.parsedKind === kind && f.parsedFor === f.value) return f.parsed as T;
    const v = parseFieldAs(f, key, kind);
    f.parsed = v;
    f.parsedFor = f.value;
    f.parsedKind = kind;
    return v as T;
  }
  return parseFieldAs(f, key, kind) as T;
}

function checkName(name: string): void {
  if (!isTokenString(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
}

function checkValue(value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) throw new TypeError('Header values must not contain CR, LF or NUL');
  }
}

export function newField(name: string, value: string): Field {
  checkName(name);
  checkValue(value);
  return new Field(name, value.trim(), headerKey(name));
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** What the parser hands a message so an unchanged message serializes to its own bytes. */
export interface WireImage {
  bytes: Uint8Array;
  /** First byte of the start line, and the byte after the body. */
  start: number;
  end: number;
  body: Uint8Array;
  fieldCount: number;
}

abstract class MessageBase {
  body: Uint8Array;
  /** @internal The bytes this message was parsed from, while nothing has changed. */
  wire: WireImage | undefined;
  /** @internal The parsed header block, until `fields` is first asked for. */
  head: Head | undefined;
  /** The header lines once they exist as HeaderField objects (made from `head` on demand). */
  private lines: HeaderField[] | undefined;

  constructor(fields: HeaderField[] | undefined, body: Uint8Array, head?: Head) {
    this.body = body;
    this.wire = undefined;
    this.head = head;
    this.lines = fields;
  }

  /** All header lines, in order (made from the parsed header block on first use). */
  get fields(): HeaderField[] {
    return this.lines ?? this.materialize();
  }

  /** Turn the parsed lines into Field objects, keeping what was parsed already. */
  private materialize(): HeaderField[] {
    const h = this.head!;
    const out = new Array<HeaderField>(h.count);
    for (let i = 0; i < h.count; i++) {
      const f = new Field(h.name(i), h.value(i), h.key(i), i);
      const kind = h.kindAt(i);
      if (kind !== 0) {
        f.parsed = h.cached(i, kind);
        f.parsedFor = f.value;
        f.parsedKind = kind;
      }
      out[i] = f;
    }
    this.lines = out;
    return out;
  }

  protected abstract startLine(): string;
  protected abstract startLineChanged(): boolean;

  header(name: string): string | undefined {
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      const { key, id, list } = lookupHeader(name);
      for (let i = h.next(0, id, key); i >= 0; i = h.next(i + 1, id, key)) {
        if (!list) return h.value(i);
        const first = firstListElementAt(h.codes, h.text, h.spans[i * SPAN + 2], h.spans[i * SPAN + 3]);
        if (first !== '') return first;
      }
      return undefined;
    }
    const key = headerKey(name);
    const list = isListHeader(key);
    for (const f of this.fields) {
      if (keyOf(f) !== key) continue;
      if (!list) return f.value;
      const first = firstListElement(f.value);
      if (first !== '') return first;
    }
    return undefined;
  }

  headers(name: string): string[] {
    const out: string[] = [];
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      const { key, id, list } = lookupHeader(name);
      for (let i = h.next(0, id, key); i >= 0; i = h.next(i + 1, id, key)) {
        if (list) splitListAt(h.codes, h.text, h.spans[i * SPAN + 2], h.spans[i * SPAN + 3], out);
        else out.push(h.value(i));
      }
      return out;
    }
    const key = headerKey(name);
    const list = isListHeader(key);
    for (const f of this.fields) {
      if (keyOf(f) !== key) continue;
      if (list) for (const v of splitHeaderList(f.value)) out.push(v);
      else out.push(f.value);
    }
    return out;
  }

  hasHeader(name: string): boolean {
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      const { key, id } = lookupHeader(name);
      return h.next(0, id, key) >= 0;
    }
    const key = headerKey(name);
    for (const f of this.fields) if (keyOf(f) === key) return true;
    return false;
  }

  setHeader(name: string, value: string | string[]): void {
    const values = typeof value === 'string' ? [value] : value;
    const lines = values.map((v) => newField(name, v));
    const key = headerKey(name);
    const fields = this.fields;
    let at = -1;
    for (let i = fields.length - 1; i >= 0; i--) {
      if (keyOf(fields[i]) === key) {
        fields.splice(i, 1);
        at = i;
      }
    }
    fields.splice(at < 0 ? fields.length : at, 0, ...lines);
    this.wire = undefined;
  }

  addHeader(name: string, value: string): void {
    const line = newField(name, value);
    const fields = this.fields;
    let at = fields.length;
    for (let i = fields.length - 1; i >= 0; i--) {
      if (keyOf(fields[i]) === line.key) {
        at = i + 1;
        break;
      }
    }
    fields.splice(at, 0, line);
    this.wire = undefined;
  }

  prependHeader(name: string, value: string): void {
    const line = newField(name, value);
    const fields = this.fields;
    let at = 0;
    for (let i = 0; i < fields.length; i++) {
      if (keyOf(fields[i]) === line.key) {
        at = i;
        break;
      }
    }
    fields.splice(at, 0, line);
    this.wire = undefined;
  }

  removeHeader(name: string): void {
    const key = headerKey(name);
    const fields = this.fields;
    for (let i = fields.length - 1; i >= 0; i--) {
      if (keyOf(fields[i]) === key) fields.splice(i, 1);
    }
    this.wire = undefined;
  }

  private first(key: string, missing: string): HeaderField {
    for (const f of this.fields) if (keyOf(f) === key) return f;
    throw new SipParseError(400, missing);
  }

  /** The parsed value of the first line of `key`, from the parsed header block (line found by the parser, or searched). */
  private firstParsed<T>(line: number, key: string, kind: number, missing: string): T {
    const h = this.head!;
    const i = line >= 0 ? line : h.find(key);
    if (i < 0) throw new SipParseError(400, missing);
    return h.parsed<T>(i, kind, key);
  }

  vias(): Via[] {
    const out: Via[] = [];
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      for (let i = h.next(0, H_VIA, 'via'); i >= 0; i = h.next(i + 1, H_VIA, 'via')) {
        for (const v of h.parsed<Via[]>(i, KIND_VIAS, 'via')) out.push(v);
      }
      return out;
    }
    for (const f of this.fields) {
      if (keyOf(f) === 'via') for (const v of parsedField<Via[]>(f, 'via', KIND_VIAS)) out.push(v);
    }
    return out;
  }

  topVia(): Via {
    if (this.lines === undefined && this.head !== undefined) return this.firstParsed<Via[]>(this.head.via, 'via', KIND_VIAS, 'Missing Via')[0];
    return parsedField<Via[]>(this.first('via', 'Missing Via'), 'via', KIND_VIAS)[0];
  }

  cseq(): CSeq {
    if (this.lines === undefined && this.head !== undefined) return this.firstParsed<CSeq>(this.head.cseq, 'cseq', KIND_CSEQ, 'Missing CSeq');
    return parsedField<CSeq>(this.first('cseq', 'Missing CSeq'), 'cseq', KIND_CSEQ);
  }

  callId(): string {
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      const i = h.callId >= 0 ? h.callId : h.find('call-id');
      if (i < 0) throw new SipParseError(400, 'Missing Call-ID');
      return h.value(i);
    }
    return this.first('call-id', 'Missing Call-ID').value;
  }

  from(): NameAddr {
    if (this.lines === undefined && this.head !== undefined) return this.firstParsed<NameAddr>(this.head.from, 'from', KIND_NAME_ADDR, 'Missing From');
    return parsedField<NameAddr>(this.first('from', 'Missing From'), 'from', KIND_NAME_ADDR);
  }

  to(): NameAddr {
    if (this.lines === undefined && this.head !== undefined) return this.firstParsed<NameAddr>(this.head.to, 'to', KIND_NAME_ADDR, 'Missing To');
    return parsedField<NameAddr>(this.first('to', 'Missing To'), 'to', KIND_NAME_ADDR);
  }

  contacts(): NameAddr[] {
    return this.nameAddrs('Contact');
  }

  nameAddrs(header: 'Route' | 'Record-Route' | 'Contact' | 'Path' | 'Service-Route'): NameAddr[] {
    const { key, id } = lookupHeader(header);
    let out: NameAddr[] | undefined;
    let only: NameAddr[] | undefined;
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      for (let i = h.next(0, id, key); i >= 0; i = h.next(i + 1, id, key)) {
        const list = h.parsed<NameAddr[]>(i, KIND_NAME_ADDRS, key);
        if (only === undefined && out === undefined) only = list;
        else {
          out ??= only!.slice();
          for (const n of list) out.push(n);
        }
      }
    } else {
      for (const f of this.fields) {
        if (keyOf(f) !== key) continue;
        const list = parsedField<NameAddr[]>(f, key, KIND_NAME_ADDRS);
        if (only === undefined && out === undefined) only = list;
        else {
          out ??= only!.slice();
          for (const n of list) out.push(n);
        }
      }
    }
    // One line: hand out a copy of the cached list, so callers may push/splice freely.
    return out ?? (only === undefined ? [] : only.slice());
  }

  auths(header: string): AuthHeader[] {
    const { key, id } = lookupHeader(header);
    const out: AuthHeader[] = [];
    const h = this.lines === undefined ? this.head : undefined;
    if (h !== undefined) {
      for (let i = h.next(0, id, key); i >= 0; i = h.next(i + 1, id, key)) out.push(h.parsed<AuthHeader>(i, KIND_AUTH, key));
      return out;
    }
    for (const f of this.fields) if (keyOf(f) === key) out.push(parsedField<AuthHeader>(f, key, KIND_AUTH));
    return out;
  }

  /** True while the message is exactly what was parsed (then toBytes() returns those bytes). */
  private unchanged(): WireImage | undefined {
    const w = this.wire;
    if (w === undefined || this.body !== w.body || this.startLineChanged()) return undefined;
    const fields = this.lines;
    if (fields === undefined) return w;
    if (fields.length !== w.fieldCount) return undefined;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (!(f instanceof Field) || f.wireIndex !== i || f.wireValue !== f.value || f.keyName !== f.name) return undefined;
    }
    return w;
  }

  /** The start line and header lines, Content-Length set from the body, ending with the empty line. */
  private headText(): string {
    let out = this.startLine() + '\r\n';
    let wroteLength = false;
    for (const f of this.fields) {
      if (keyOf(f) === 'content-length') {
        if (!wroteLength) out += f.name + ': ' + this.body.length + '\r\n';
        wroteLength = true;
      } else {
        out += f.name + ': ' + f.value + '\r\n';
      }
    }
    if (!wroteLength) out += 'Content-Length: ' + this.body.length + '\r\n';
    return out + '\r\n';
  }

  toBytes(): Uint8Array {
    const w = this.unchanged();
    if (w !== undefined) return w.bytes.subarray(w.start, w.end);
    const head = this.headText();
    const body = this.body;
    if (body.length === 0) return Buffer.from(head, 'utf8');
    const size = Buffer.byteLength(head, 'utf8');
    const out = Buffer.allocUnsafe(size + body.length);
    out.write(head, 0, 'utf8');
    out.set(body, size);
    return out;
  }

  toString(): string {
    const w = this.unchanged();
    if (w !== undefined) return Buffer.from(w.bytes.buffer, w.bytes.byteOffset + w.start, w.end - w.start).toString('utf8');
    return this.headText() + (this.body.length === 0 ? '' : Buffer.from(this.body.buffer, this.body.byteOffset, this.body.length).toString('utf8'));
  }
}

export class Request extends MessageBase implements SipRequest {
  readonly kind = 'request' as const;
  method: string;
  uri: string;
  /** @internal */
  wireMethod: string | undefined;
  /** @internal */
  wireUri: string | undefined;
  private uriCache: Uri | undefined;
  private uriCacheFor: string | undefined;

  constructor(method: string, uri: string, fields: HeaderField[] | undefined, body: Uint8Array = EMPTY, head?: Head) {
    super(fields, body, head);
    this.method = method;
    this.uri = uri;
    this.wireMethod = undefined;
    this.wireUri = undefined;
    this.uriCache = undefined;
    this.uriCacheFor = undefined;
  }

  parsedUri(): Uri {
    if (this.uriCacheFor !== this.uri || this.uriCache === undefined) {
      this.uriCache = parseUri(this.uri, 'Bad Request-URI');
      this.uriCacheFor = this.uri;
    }
    return this.uriCache;
  }

  /** @internal Seed the Request-URI cache (the parser has already parsed it). */
  seedUri(uri: Uri): void {
    this.uriCache = uri;
    this.uriCacheFor = this.uri;
  }

  protected startLine(): string {
    return this.method + ' ' + this.uri + ' SIP/2.0';
  }

  protected startLineChanged(): boolean {
    return this.method !== this.wireMethod || this.uri !== this.wireUri;
  }
}

export class Response extends MessageBase implements SipResponse {
  readonly kind = 'response' as const;
  status: number;
  reason: string;
  /** @internal */
  wireStatus: number;
  /** @internal */
  wireReason: string | undefined;

  constructor(status: number, reason: string, fields: HeaderField[] | undefined, body: Uint8Array = EMPTY, head?: Head) {
    super(fields, body, head);
    this.status = status;
    this.reason = reason;
    this.wireStatus = -1;
    this.wireReason = undefined;
  }

  protected startLine(): string {
    return 'SIP/2.0 ' + this.status + ' ' + this.reason;
  }

  protected startLineChanged(): boolean {
    return this.status !== this.wireStatus || this.reason !== this.wireReason;
  }
}

export function toBody(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return EMPTY;
  return typeof body === 'string' ? encoder.encode(body) : body;
}
