/**
 * vCard text (RFC 6350 for 4.0; read leniently enough for the 3.0 of RFC 2426 and the 2.1 that
 * phones still export). Pure functions: content lines in, properties out, and back.
 *
 * - §3.2 line folding: a line break followed by one space or tab continues the line; lines are
 *   written at most 75 octets long, never splitting a UTF-8 sequence.
 * - §3.3 content line: `[group "."] name *(";" param) ":" value`; parameter values may be quoted;
 *   RFC 6868 caret escapes (^n ^' ^^) in parameter values.
 * - §3.4 escaping in text values: `\\`, `\,`, `\;` and `\n` (read `\N` too).
 * - vCard 2.1: bare parameters (`TEL;CELL:`) read as TYPE values; ENCODING=QUOTED-PRINTABLE
 *   values (with '=' soft line breaks) decoded in their CHARSET.
 */

export interface VCardProperty {
  /** `item1` of `item1.TEL` (Apple, Google). */
  group?: string;
  /** Upper case. */
  name: string;
  /** Parameter names upper case; values as written (TYPE values split at commas). */
  params: Record<string, string[]>;
  /** The raw value: still escaped (see `unescapeText`), quoted-printable already decoded. */
  value: string;
}

export interface VCard {
  properties: VCardProperty[];
}

/** Unfold physical lines into content lines (§3.2), joining 2.1 quoted-printable soft breaks. */
function contentLines(text: string): string[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: string[] = [];
  for (const line of physical) {
    const last = out.length - 1;
    if (last >= 0 && isQuotedPrintable(out[last]) && out[last].endsWith('=')) {
      out[last] = out[last].slice(0, -1) + line.replace(/^[ \t]/, '');
    } else if (last >= 0 && (line.startsWith(' ') || line.startsWith('\t'))) {
      out[last] += line.slice(1);
    } else if (line !== '') {
      out.push(line);
    }
  }
  return out;
}

function isQuotedPrintable(line: string): boolean {
  const colon = line.indexOf(':');
  return colon > 0 && /;(ENCODING=)?QUOTED-PRINTABLE/i.test(line.slice(0, colon));
}

/** RFC 6868 §3: ^n newline, ^' double quote, ^^ caret. */
function decodeCaret(s: string): string {
  return s.replace(/\^(n|'|\^)/g, (_, c: string) => (c === 'n' ? '\n' : c === "'" ? '"' : '^'));
}

function encodeCaret(s: string): string {
  return s.replace(/[\^\n"]/g, (c) => (c === '^' ? '^^' : c === '\n' ? '^n' : "^'"));
}

/** Parse one content line; undefined when it is not one (no name, no colon). */
export function parseContentLine(line: string): VCardProperty | undefined {
  let i = 0;
  const nameEnd = (): number => {
    while (i < line.length && line[i] !== ';' && line[i] !== ':') i++;
    return i;
  };
  const fullName = line.slice(0, nameEnd());
  if (i >= line.length || fullName === '') return undefined;
  const dot = fullName.lastIndexOf('.');
  const group = dot > 0 ? fullName.slice(0, dot) : undefined;
  const name = fullName.slice(dot + 1).toUpperCase();
  const params: Record<string, string[]> = {};
  while (line[i] === ';') {
    i++;
    const start = i;
    while (i < line.length && line[i] !== '=' && line[i] !== ';' && line[i] !== ':') i++;
    const pname = line.slice(start, i).trim().toUpperCase();
    if (line[i] !== '=') {
      // vCard 2.1: `TEL;CELL;VOICE:` — a bare TYPE value (or a bare ENCODING/CHARSET value).
      if (pname === 'QUOTED-PRINTABLE' || pname === 'BASE64' || pname === 'B') (params.ENCODING ??= []).push(pname);
      else if (pname !== '') (params.TYPE ??= []).push(pname.toLowerCase());
      continue;
    }
    i++; // '='
    const values: string[] = [];
    for (;;) {
      let v: string;
      if (line[i] === '"') {
        const close = line.indexOf('"', i + 1);
        v = line.slice(i + 1, close < 0 ? undefined : close);
        i = close < 0 ? line.length : close + 1;
      } else {
        const start2 = i;
        while (i < line.length && line[i] !== ',' && line[i] !== ';' && line[i] !== ':') i++;
        v = line.slice(start2, i);
      }
      values.push(decodeCaret(v));
      if (line[i] !== ',') break;
      i++;
    }
    (params[pname] ??= []).push(...values);
  }
  if (line[i] !== ':') return undefined;
  let value = line.slice(i + 1);
  if (params.ENCODING?.some((e) => e.toUpperCase() === 'QUOTED-PRINTABLE')) value = decodeQuotedPrintable(value, params.CHARSET?.[0]);
  if (params.TYPE) params.TYPE = params.TYPE.flatMap((t) => t.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
  return { ...(group !== undefined ? { group } : {}), name, params, value };
}

function decodeQuotedPrintable(value: string, charset = 'utf-8'): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(value[i], 'utf8')) bytes.push(b);
    }
  }
  let label = 'utf-8';
  try {
    label = new globalThis.TextDecoder(charset).encoding;
  } catch {
    // An unknown CHARSET: read as UTF-8.
  }
  return new globalThis.TextDecoder(label).decode(Uint8Array.from(bytes));
}

/** Every BEGIN:VCARD … END:VCARD in the text (text around or between cards is ignored). */
export function parseVCards(text: string): VCard[] {
  const cards: VCard[] = [];
  let current: VCard | undefined;
  let depth = 0;
  for (const line of contentLines(text)) {
    const p = parseContentLine(line);
    if (!p) continue;
    const value = p.value.trim().toUpperCase();
    if (p.name === 'BEGIN' && value === 'VCARD') {
      if (depth++ === 0) current = { properties: [] };
      continue;
    }
    if (p.name === 'END' && value === 'VCARD') {
      if (depth > 0 && --depth === 0 && current) {
        cards.push(current);
        current = undefined;
      }
      continue;
    }
    if (depth === 1 && current) current.properties.push(p); // a 2.1 AGENT's nested card is left out
  }
  return cards;
}

/** §3.4: a text value as written (`\n`, `\,`, `\;`, `\\`; any other escaped character as itself). */
export function unescapeText(value: string): string {
  return value.replace(/\\(.)/gs, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** §3.4: escape backslash, comma, semicolon, and line breaks (as `\n`). */
export function escapeText(value: string): string {
  return value.replace(/\r\n|[\\,;\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === ',' ? '\\,' : c === ';' ? '\\;' : '\\n'));
}

/** Split a raw value at unescaped `sep` (`;` between N's components, `,` in lists); parts stay escaped. */
export function splitValue(value: string, sep: ';' | ','): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      cur += c + value[++i];
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/** §3.2: fold at 75 octets (CRLF, then a space starts the continuation), not inside a UTF-8 sequence. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let cur = '';
  let octets = 0;
  let limit = 75;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (octets + n > limit) {
      out.push(cur);
      cur = ' ';
      octets = 1;
      limit = 75;
    }
    cur += ch;
    octets += n;
  }
  out.push(cur);
  return out.join('\r\n');
}

/** One content line, folded. `value` is written as given (escape text values first). */
export function formatProperty(p: VCardProperty): string {
  let head = (p.group ? `${p.group}.` : '') + p.name;
  for (const [name, values] of Object.entries(p.params)) {
    const vs = values.map((v) => {
      const enc = encodeCaret(v);
      return /[;:,]/.test(enc) ? `"${enc}"` : enc;
    });
    head += `;${name}=${vs.join(',')}`;
  }
  return foldLine(`${head}:${p.value}`);
}

/** A whole card, CRLF line ends (§3.2). */
export function formatVCard(card: VCard): string {
  const lines = ['BEGIN:VCARD', ...card.properties.map(formatProperty), 'END:VCARD'];
  return lines.join('\r\n') + '\r\n';
}
