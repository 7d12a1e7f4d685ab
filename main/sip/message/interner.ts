/**
 * A fixed set of lower-case words (header keys, parameter names) looked up straight
 * from the codes they are written in, without slicing: the parser's hot path allocates
 * nothing for names it knows. Words hold only letters, digits, '-', '.' and '+'; for
 * token characters, OR-ing 0x20 lands on such a character only when the two are the
 * same letter (in either case), digit or punctuation, so one OR per character compares
 * case-insensitively.
 */
export class Interner {
  /** The words, by index. */
  readonly words: string[];
  /** The preferred spelling of each word ('Call-ID' for 'call-id'), or the word itself. */
  readonly spellings: string[];
  private readonly codes: Uint8Array[];
  private readonly spellingCodes: Uint8Array[];
  /** Word indexes by length * 256 + first code (lower-cased). */
  private readonly buckets: Array<number[] | undefined>;
  /** After find(): true when the text matched the preferred spelling exactly. */
  exact: boolean;

  constructor(words: Iterable<string>, spellings: Iterable<string> = []) {
    const spelled = new Map<string, string>();
    for (const s of spellings) spelled.set(s.toLowerCase(), s);
    this.words = [];
    this.spellings = [];
    this.codes = [];
    this.spellingCodes = [];
    this.buckets = new Array<number[] | undefined>(MAX_LENGTH * 256).fill(undefined);
    this.exact = false;
    for (const w of new Set(words)) {
      if (w.length === 0 || w.length >= MAX_LENGTH) continue;
      const id = this.words.length;
      const spelling = spelled.get(w) ?? w;
      this.words.push(w);
      this.spellings.push(spelling);
      this.codes.push(Buffer.from(w, 'latin1'));
      this.spellingCodes.push(Buffer.from(spelling, 'latin1'));
      const slot = w.length * 256 + w.charCodeAt(0);
      (this.buckets[slot] ??= []).push(id);
    }
  }

  /** Index of the known word written (in any case) at b[start, end), or -1. Sets `exact`. */
  find(b: Uint8Array, start: number, end: number): number {
    const len = end - start;
    this.exact = false;
    if (len >= MAX_LENGTH || len <= 0) return -1;
    const ids = this.buckets[len * 256 + (b[start] | 0x20)];
    if (ids === undefined) return -1;
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j];
      // The preferred spelling first (the usual case), then the rest case-insensitively:
      // what matched exactly matches case-insensitively too.
      const spelling = this.spellingCodes[id];
      let i = 0;
      while (i < len && b[start + i] === spelling[i]) i++;
      if (i === len) {
        this.exact = true;
        return id;
      }
      const w = this.codes[id];
      while (i < len && (b[start + i] | 0x20) === w[i]) i++;
      if (i === len) return id;
    }
    return -1;
  }
}

const MAX_LENGTH = 40;

/** Parameter names met on nearly every message (URI, Via and header parameters). */
export const PARAM_NAMES = new Interner([
  'tag', 'branch', 'rport', 'received', 'lr', 'transport', 'user', 'maddr', 'ttl', 'method', 'expires', 'q',
  'ob', 'gr', 'ftag', 'did', 'r2', 'reg-id', '+sip.instance', 'refresher', 'id', 'version', 'boundary',
  'charset', 'alias', 'comp', 'phone-context', 'ext', 'isub', 'npdi', 'rn', 'duration', 'handling',
  'purpose', 'reason', 'cause', 'text', 'retry-after', 'isfocus', 'video', 'audio',
  // auth-params (RFC 3261 §25.1, RFC 7616)
  'realm', 'nonce', 'opaque', 'algorithm', 'qop', 'stale', 'domain', 'username', 'uri', 'response', 'cnonce', 'nc',
  'userhash', 'nextnonce', 'rspauth',
]);

/** Transport tokens, lower-case (the Via contract upper-cases them). */
export const TRANSPORTS = new Interner(['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss', 'tls-sctp', 'dtls']);

/** Methods, upper-case (method names are case-sensitive: only an exact match interns). */
export const METHODS = new Interner(
  ['invite', 'ack', 'bye', 'cancel', 'register', 'options', 'info', 'prack', 'update', 'subscribe', 'notify', 'refer', 'message', 'publish'],
  ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'PRACK', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH'],
);

/** The lower-case name written at [start, end): interned when known, else sliced and lower-cased. */
export function lowerName(b: Uint8Array, s: string, start: number, end: number): string {
  const id = PARAM_NAMES.find(b, start, end);
  if (id >= 0) return PARAM_NAMES.words[id];
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c >= 0x41 && c <= 0x5a) return s.slice(start, end).toLowerCase();
  }
  return s.slice(start, end);
}

/** The method written at [start, end), exactly (methods are case-sensitive, RFC 3261 §7.1). */
export function methodAt(b: Uint8Array, s: string, start: number, end: number): string {
  const id = METHODS.find(b, start, end);
  return id >= 0 && METHODS.exact ? METHODS.spellings[id] : s.slice(start, end);
}
