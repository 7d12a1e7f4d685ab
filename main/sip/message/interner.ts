/**
 * A fixed set of lower-case words (header keys, parameter names) looked up straight
 * from the text they are written in, without slicing: the parser's hot path allocates
 * nothing for names it knows. Words hold only letters, digits and '-'; for token
 * characters, OR-ing 0x20 lands on such a character only when the two are the same
 * letter (in either case), digit or '-', so one OR per character compares
 * case-insensitively.
 */
export class Interner {
  private readonly byLength: string[][];
  private readonly spelled: Map<string, string>;
  /** After find(): the preferred spelling when the text matched it exactly, else undefined. */
  exact: string | undefined;

  constructor(words: Iterable<string>, spellings: Iterable<string> = []) {
    this.byLength = [];
    for (let n = 0; n < 40; n++) this.byLength.push([]);
    for (const w of new Set(words)) if (w.length < 40) this.byLength[w.length].push(w);
    this.spelled = new Map();
    for (const s of spellings) this.spelled.set(s.toLowerCase(), s);
    this.exact = undefined;
  }

  /** The known word written (in any case) at text[start, end), or undefined. */
  find(text: string, start: number, end: number): string | undefined {
    const len = end - start;
    this.exact = undefined;
    if (len >= 40) return undefined;
    const candidates = this.byLength[len];
    const c0 = text.charCodeAt(start) | 0x20;
    for (let j = 0; j < candidates.length; j++) {
      const w = candidates[j];
      if (w.charCodeAt(0) !== c0) continue;
      let i = 1;
      while (i < len && (text.charCodeAt(start + i) | 0x20) === w.charCodeAt(i)) i++;
      if (i < len) continue;
      if (this.spelled.size === 0) {
        if (text.charCodeAt(start) === c0) {
          let k = 1;
          while (k < len && text.charCodeAt(start + k) === w.charCodeAt(k)) k++;
          if (k === len) this.exact = w;
        }
        return w;
      }
      const spelling = this.spelled.get(w);
      if (spelling !== undefined) {
        let k = 0;
        while (k < len && text.charCodeAt(start + k) === spelling.charCodeAt(k)) k++;
        if (k === len) this.exact = spelling;
      }
      return w;
    }
    return undefined;
  }
}

/** Parameter names met on nearly every message (URI, Via and header parameters). */
export const PARAM_NAMES = new Interner([
  'tag', 'branch', 'rport', 'received', 'lr', 'transport', 'user', 'maddr', 'ttl', 'method', 'expires', 'q',
  'ob', 'gr', 'ftag', 'did', 'r2', 'reg-id', '+sip.instance', 'refresher', 'id', 'version', 'boundary',
  'charset', 'alias', 'comp', 'phone-context', 'ext', 'isub', 'npdi', 'rn', 'ttl', 'duration', 'handling',
  'purpose', 'reason', 'cause', 'text', 'retry-after', 'isfocus', 'video', 'audio', 'text',
]);

/** Transport tokens, upper-case as the Via contract wants them. */
export const TRANSPORTS = new Interner(['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss', 'tls-sctp', 'dtls']);

/** Methods, upper-case (method names are case-sensitive: only an exact match interns). */
export const METHODS = new Interner(
  ['invite', 'ack', 'bye', 'cancel', 'register', 'options', 'info', 'prack', 'update', 'subscribe', 'notify', 'refer', 'message', 'publish'],
  ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'PRACK', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH'],
);

/** The lower-case name written at s[start, end): interned when known, else sliced and lower-cased. */
export function lowerName(s: string, start: number, end: number): string {
  const known = PARAM_NAMES.find(s, start, end);
  if (known !== undefined) return known;
  const raw = s.slice(start, end);
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return raw.toLowerCase();
  }
  return raw;
}

/** The method written at s[start, end), exactly (methods are case-sensitive, RFC 3261 §7.1). */
export function methodAt(s: string, start: number, end: number): string {
  return METHODS.find(s, start, end) !== undefined && METHODS.exact !== undefined ? METHODS.exact : s.slice(start, end);
}
