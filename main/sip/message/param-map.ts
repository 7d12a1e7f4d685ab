import { CHAR, TOKEN } from './chars.ts';
import { unquote } from './cursor.ts';
import { unescape } from './unescape.ts';

/** `*( SEMI generic-param )` of a header (RFC 3261 §25.1): Via, From, To, Contact, … */
export const GENERIC_PARAMS = 0;
/** `*( ";" uri-parameter )` of a SIP or tel URI (RFC 3261 §19.1.1, RFC 3966 §3). */
export const URI_PARAMS = 1;
/** `auth-param *( COMMA auth-param )` of a challenge or credentials (RFC 3261 §25.1): values unquoted. */
export const AUTH_PARAMS = 2;

const NO_CODES: Uint8Array = Buffer.alloc(0);

/** The parameter names the parser looks for while checking (kind >> 2 of a ParamMap). */
const KNOWN_BRANCH = 4;
const KNOWN_TAG = 8;
const KNOWN: readonly (string | undefined)[] = [undefined, 'branch', 'tag'];

/**
 * Where the last ParamMap.next found a parameter (value start -1: a flag): shared, as
 * every read runs to its end before another can start.
 */
const at = { nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0 };

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Parameters as a Map, read from the text they were written in. The parser has already
 * checked the text against its grammar, so making the Map is left until someone needs it:
 * `get` and `has` read the text directly; anything else (size, iteration, changes) builds
 * a real Map once and works on it from then on. It reads exactly what the eager parse
 * would have put in a Map: names lower-cased (and unescaped in a URI), the first of two
 * equal names wins, a flag has value null, a generic-param value keeps its quotes, a
 * URI parameter value is unescaped.
 */
export class ParamMap<V extends string | null = string | null> implements Map<string, V> {
  /** Character codes of `text` (see codes.ts); never changed while this map reads them. */
  private codes: Uint8Array;
  private text: string;
  private start: number;
  private end: number;
  /** The grammar (bits 0–1) and the parameter the parser already looked for (KNOWN[kind >> 2]). */
  private kind: number;
  private map: Map<string, V> | undefined;
  /** The value of the known parameter (undefined: absent). */
  private knownValue: V | undefined;

  /** The parameters written in text[start, end) (codes `codes`), already checked against `grammar`. */
  constructor(codes: Uint8Array, text: string, start: number, end: number, grammar: number) {
    this.codes = codes;
    this.text = text;
    this.start = start;
    this.end = end;
    this.kind = grammar;
    this.map = undefined;
    this.knownValue = undefined;
  }

  /**
   * Tell the map what the parser already read: the first parameter named `name` (none
   * when `valueStart` is -1; a flag when it is -2) has its value at text[valueStart, valueEnd).
   */
  remember(name: 'branch' | 'tag', valueStart: number, valueEnd: number): this {
    this.kind = (this.kind & 3) | (name === 'branch' ? KNOWN_BRANCH : KNOWN_TAG);
    if (valueStart !== -1) this.knownValue = (valueStart === -2 ? null : this.text.slice(valueStart, valueEnd)) as V;
    return this;
  }

  /** An empty map that makes its Map only when something is added. */
  static empty<V extends string | null>(): ParamMap<V> {
    return new ParamMap<V>(NO_CODES, '', 0, 0, GENERIC_PARAMS);
  }

  /** Read the parameter at or after i into name/value positions; returns where the next one starts, or -1. */
  private next(i: number): number {
    const b = this.codes;
    const end = this.end;
    const grammar = this.kind & 3;
    if (grammar === AUTH_PARAMS) return this.nextAuthParam(i);
    if (grammar === URI_PARAMS) {
      // ";" pname [ "=" pvalue ], up to the end of the parameters
      if (i >= end) return -1;
      const nameStart = ++i;
      while (i < end) {
        const c = b[i];
        if (c === 0x3d || c === 0x3b) break;
        i++;
      }
      at.nameStart = nameStart;
      at.nameEnd = i;
      at.valueStart = -1;
      if (i < end && b[i] === 0x3d) {
        at.valueStart = ++i;
        while (i < end && b[i] !== 0x3b) i++;
        at.valueEnd = i;
      }
      return i;
    }
    // SEMI generic-param: SWS ";" SWS token [ SWS "=" SWS ( token / host / quoted-string ) ]
    while (i < end && isWs(b[i])) i++;
    if (i >= end || b[i] !== 0x3b) return -1;
    i++;
    while (i < end && isWs(b[i])) i++;
    at.nameStart = i;
    while (i < end) {
      const c = b[i];
      if ((CHAR[c] & TOKEN) === 0) break;
      i++;
    }
    at.nameEnd = i;
    at.valueStart = -1;
    let eq = i;
    while (eq < end && isWs(b[eq])) eq++;
    if (eq < end && b[eq] === 0x3d) {
      eq++;
      while (eq < end && isWs(b[eq])) eq++;
      at.valueStart = eq;
      if (eq < end && b[eq] === 0x22) {
        eq++;
        while (eq < end) {
          const c = b[eq];
          if (c === 0x22) break;
          eq += c === 0x5c ? 2 : 1;
        }
        eq++;
      } else {
        while (eq < end) {
          const c = b[eq];
          if ((CHAR[c] & TOKEN) === 0 && c !== 0x3a && c !== 0x5b && c !== 0x5d) break;
          eq++;
        }
      }
      at.valueEnd = eq;
      i = eq;
    }
    return i;
  }

  /** next() for AUTH_PARAMS: auth-param = token SWS "=" SWS ( token / quoted-string ), COMMA between. */
  private nextAuthParam(i: number): number {
    const b = this.codes;
    const end = this.end;
    while (i < end) {
      const c = b[i];
      if (c !== 0x2c && !isWs(c)) break;
      i++;
    }
    if (i >= end) return -1;
    at.nameStart = i;
    while (i < end && (CHAR[b[i]] & TOKEN) !== 0) i++;
    at.nameEnd = i;
    while (i < end && isWs(b[i])) i++;
    i++; // "="
    while (i < end && isWs(b[i])) i++;
    at.valueStart = i;
    if (i < end && b[i] === 0x22) {
      i++;
      while (i < end) {
        const c = b[i];
        if (c === 0x22) break;
        i += c === 0x5c ? 2 : 1;
      }
      i++;
    } else {
      while (i < end) {
        const c = b[i];
        if (c === 0x2c || c === 0x22 || isWs(c)) break;
        i++;
      }
    }
    at.valueEnd = i;
    return i;
  }

  /** Does the name just read by `next` equal `key` once lower-cased? (undefined: cannot tell without unescaping) */
  private nameIs(key: string): boolean | undefined {
    const b = this.codes;
    const start = at.nameStart;
    const len = at.nameEnd - start;
    if ((this.kind & 3) === URI_PARAMS) {
      for (let k = 0; k < len; k++) if (b[start + k] === 0x25) return undefined;
    }
    if (len !== key.length) return false;
    for (let k = 0; k < len; k++) {
      let c = b[start + k];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== key.charCodeAt(k)) return false;
    }
    return true;
  }

  private value(): V {
    if (at.valueStart < 0) return null as V;
    const grammar = this.kind & 3;
    if (grammar === AUTH_PARAMS && this.codes[at.valueStart] === 0x22) return unquote(this.codes, this.text, at.valueStart, at.valueEnd) as V;
    const raw = this.text.slice(at.valueStart, at.valueEnd);
    return (grammar === URI_PARAMS && raw.includes('%') ? unescape(raw) : raw) as V;
  }

  /** The Map, made from the text on first use. */
  private built(): Map<string, V> {
    if (this.map !== undefined) return this.map;
    const map = new Map<string, V>();
    for (let i = this.next(this.start); i >= 0; i = this.next(i)) {
      let name = this.text.slice(at.nameStart, at.nameEnd);
      if ((this.kind & 3) === URI_PARAMS && name.includes('%')) name = unescape(name);
      name = name.toLowerCase();
      if (!map.has(name)) map.set(name, this.value());
    }
    this.map = map;
    this.codes = NO_CODES;
    this.text = '';
    this.start = this.end = 0;
    return map;
  }

  get(key: string): V | undefined {
    if (this.map !== undefined) return this.map.get(key);
    if (this.kind > 3 && key === KNOWN[this.kind >> 2]) return this.knownValue;
    for (let i = this.next(this.start); i >= 0; i = this.next(i)) {
      const same = this.nameIs(key);
      if (same === undefined) return this.built().get(key);
      if (same) return this.value();
    }
    return undefined;
  }

  has(key: string): boolean {
    if (this.map !== undefined) return this.map.has(key);
    if (this.kind > 3 && key === KNOWN[this.kind >> 2]) return this.knownValue !== undefined;
    for (let i = this.next(this.start); i >= 0; i = this.next(i)) {
      const same = this.nameIs(key);
      if (same === undefined) return this.built().has(key);
      if (same) return true;
    }
    return false;
  }

  get size(): number {
    if (this.map === undefined && this.start >= this.end) return 0;
    return this.built().size;
  }

  set(key: string, value: V): this {
    this.built().set(key, value);
    return this;
  }

  delete(key: string): boolean {
    return this.built().delete(key);
  }

  clear(): void {
    this.built().clear();
  }

  forEach(callback: (value: V, key: string, map: Map<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.built()) callback.call(thisArg, value, key, this);
  }

  entries(): MapIterator<[string, V]> {
    return this.built().entries();
  }

  keys(): MapIterator<string> {
    return this.built().keys();
  }

  values(): MapIterator<V> {
    return this.built().values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.built()[Symbol.iterator]();
  }

  get [Symbol.toStringTag](): string {
    return 'Map';
  }

  /** What JSON.stringify makes of a Map: `{}` (never the text this map reads, which holds the whole header block). */
  toJSON(): Record<string, never> {
    return {};
  }

  /** Shown as the Map it stands for (console.log, util.inspect). */
  [Symbol.for('nodejs.util.inspect.custom')](): Map<string, V> {
    return this.built();
  }
}
