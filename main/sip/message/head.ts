import { parseAuthHeaderAt } from './auth-header.ts';
import { parseCSeqAt } from './cseq.ts';
import { KEY_OF_ID, NAME_OF_ID, idOfKey, isSpelledAt } from './header-names.ts';
import { parseNameAddrAt, parseNameAddrListAt } from './name-addr.ts';
import type { CSeq, NameAddr, Via } from './types.ts';
import { parseViaListAt } from './via.ts';

// What a line's parsed value is: the cache of a Head line or of a Field.
export const KIND_VIAS = 1;
export const KIND_NAME_ADDR = 2;
export const KIND_NAME_ADDRS = 3;
export const KIND_CSEQ = 4;
export const KIND_AUTH = 5;

/** Numbers per line in Head.spans. */
export const SPAN = 5;

/** The reason of the 400 for a malformed header, by lookup key. */
export function reasonFor(key: string): string {
  switch (key) {
    case 'via': return 'Bad Via';
    case 'from': return 'Bad From';
    case 'to': return 'Bad To';
    case 'contact': return 'Bad Contact';
    case 'cseq': return 'Bad CSeq';
    case 'route': return 'Bad Route';
    case 'record-route': return 'Bad Record-Route';
    default: return 'Bad header';
  }
}

/**
 * The header block of a parsed message as the parser left it: the decoded text, its
 * character codes (see codes.ts) and, per header line, where its name and value lie
 * (value trimmed, folding already undone in `text`). Header values are sliced, and
 * structured values parsed, only when someone reads them; the message turns the lines
 * into HeaderField objects only when someone asks for `fields` or changes a header.
 */
export class Head {
  readonly text: string;
  readonly codes: Uint8Array;
  /**
   * SPAN numbers per line: name start, name end, value start, value end, and header
   * id + 1 (id -1 for a header we do not know, see header-names.ts).
   */
  readonly spans: number[];
  readonly count: number;
  /**
   * Bit (id & 31) set when some line holds the header of that id: a header whose bit is
   * clear is not there, and no line need be looked at.
   */
  readonly present: number;
  /** Lines of the headers every layer reads (-1: none), found by the parser. */
  via: number;
  from: number;
  to: number;
  callId: number;
  cseq: number;
  contact: number;
  /**
   * The values the parser builds while checking: the top Via line, From, To, CSeq and
   * the first Contact line (undefined: not parsed).
   */
  viaParsed: Via[] | undefined;
  fromParsed: NameAddr | undefined;
  toParsed: NameAddr | undefined;
  cseqParsed: CSeq | undefined;
  contactParsed: NameAddr[] | undefined;
  /** Per line: any other parsed value and its kind (KIND_*), once parsed (made on first use). */
  private cache: unknown[] | undefined;

  constructor(text: string, codes: Uint8Array, spans: number[], count: number, present: number) {
    this.text = text;
    this.codes = codes;
    this.spans = spans;
    this.count = count;
    this.present = present;
    this.via = -1;
    this.from = -1;
    this.to = -1;
    this.callId = -1;
    this.cseq = -1;
    this.contact = -1;
    this.viaParsed = undefined;
    this.fromParsed = undefined;
    this.toParsed = undefined;
    this.cseqParsed = undefined;
    this.contactParsed = undefined;
    this.cache = undefined;
  }

  /** Header id of line i (-1 when unknown). */
  id(i: number): number {
    return this.spans[i * SPAN + 4] - 1;
  }

  /** The name of line i as written. */
  name(i: number): string {
    const start = this.spans[i * SPAN];
    const end = this.spans[i * SPAN + 1];
    const id = this.spans[i * SPAN + 4] - 1;
    // A known name in its usual spelling: the same string every time, no slice.
    if (id >= 0 && isSpelledAt(this.codes, start, end, id)) return NAME_OF_ID[id];
    return this.text.slice(start, end);
  }

  /** The lookup key of line i (headerKey of its name). */
  key(i: number): string {
    const id = this.id(i);
    return id >= 0 ? KEY_OF_ID[id] : this.name(i).toLowerCase();
  }

  value(i: number): string {
    return this.text.slice(this.spans[i * SPAN + 2], this.spans[i * SPAN + 3]);
  }

  /**
   * Does line i hold the header of this lookup key? `id` is idOfKey(key): known
   * headers compare by id, others by name (ASCII case-insensitively).
   */
  is(i: number, id: number, key: string): boolean {
    const lineId = this.spans[i * SPAN + 4] - 1;
    if (id >= 0 || lineId >= 0) return lineId === id;
    const start = this.spans[i * SPAN];
    if (this.spans[i * SPAN + 1] - start !== key.length) return false;
    const b = this.codes;
    for (let k = 0; k < key.length; k++) {
      let c = b[start + k];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== key.charCodeAt(k)) return false;
    }
    return true;
  }

  /** First line at or after `from` of the header with this id (idOfKey(key)) and lookup key, or -1. */
  next(from: number, id: number, key: string): number {
    const spans = this.spans;
    const count = this.count;
    if (id >= 0) {
      if ((this.present & (1 << (id & 31))) === 0) return -1;
      const want = id + 1;
      for (let i = from; i < count; i++) if (spans[i * SPAN + 4] === want) return i;
      return -1;
    }
    for (let i = from; i < count; i++) if (this.is(i, id, key)) return i;
    return -1;
  }

  /** First line of this lookup key, or -1. */
  find(key: string): number {
    return this.next(0, idOfKey(key), key);
  }

  /** The parsed value of line i, parsed on first use and cached. */
  parsed<T>(i: number, kind: number, key: string): T {
    const known = this.cached(i, kind);
    if (known !== undefined) return known as T;
    const value = this.parse(i, kind, reasonFor(key));
    this.seed(i, kind, value);
    return value as T;
  }

  /** Remember a value parsed from line i. */
  seed(i: number, kind: number, value: unknown): void {
    const cache = (this.cache ??= new Array<unknown>(this.count * 2));
    cache[i * 2] = value;
    cache[i * 2 + 1] = kind;
  }

  /** The parsed value of line i when it is of this kind, else undefined. */
  cached(i: number, kind: number): unknown {
    switch (kind) {
      case KIND_VIAS:
        if (i === this.via && this.viaParsed !== undefined) return this.viaParsed;
        break;
      case KIND_NAME_ADDR:
        if (i === this.from && this.fromParsed !== undefined) return this.fromParsed;
        if (i === this.to && this.toParsed !== undefined) return this.toParsed;
        break;
      case KIND_NAME_ADDRS:
        if (i === this.contact && this.contactParsed !== undefined) return this.contactParsed;
        break;
      case KIND_CSEQ:
        if (i === this.cseq && this.cseqParsed !== undefined) return this.cseqParsed;
        break;
    }
    const cache = this.cache;
    return cache !== undefined && cache[i * 2 + 1] === kind ? cache[i * 2] : undefined;
  }

  /** The kind of a value parsed from line i (0: none yet). */
  kindAt(i: number): number {
    for (let kind = KIND_VIAS; kind <= KIND_AUTH; kind++) if (this.cached(i, kind) !== undefined) return kind;
    return 0;
  }

  private parse(i: number, kind: number, reason: string): unknown {
    const b = this.codes;
    const s = this.text;
    const start = this.spans[i * SPAN + 2];
    const end = this.spans[i * SPAN + 3];
    switch (kind) {
      case KIND_VIAS: return parseViaListAt(b, s, start, end, reason);
      case KIND_NAME_ADDR: return parseNameAddrAt(b, s, start, end, false, reason);
      case KIND_NAME_ADDRS: return parseNameAddrListAt(b, s, start, end, reason);
      case KIND_CSEQ: return parseCSeqAt(b, s, start, end, reason);
      default: return parseAuthHeaderAt(b, s, start, end, reason);
    }
  }
}
