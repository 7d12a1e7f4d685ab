/**
 * Parser benchmark: Appel's message layer against the npm SIP parsers.
 *
 *   node_modules/.bin/node test/bench/sip-parse.ts [--time=ms] [--rounds=n]
 *
 * For each parser: messages/second to parse a message and read what a phone reads
 * (top Via branch, Call-ID, CSeq, From and To tags, Contact host, Record-Route count,
 * WWW-Authenticate realm) through that library's own accessors; messages/second to
 * serialize a parsed message to wire bytes; and how many of our invalid fixtures each
 * one accepts. Every parser starts from the datagram a socket hands over (a Buffer):
 * the others decode it to text first, as their transports do; "Appel (string)" shows
 * Appel handed text instead.
 *
 * The machine is shared, so: rates are per second of this process's CPU time; after a
 * warm-up, every library runs once per round (`--time` ms of CPU each, in an order that
 * turns from round to round), so a busy spell slows every library of that round alike;
 * each rate printed is the median over the rounds; and the ratio to the fastest other
 * parser is taken within each round, then the median of those ratios is printed with
 * the range of the middle half of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../../main/sip/message/index.ts';
import type { AuthHeader, SipMessage } from '../../main/sip/message/index.ts';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Corpus: what a phone sees on a call through a record-routing proxy, 300–1500 bytes each.

const SDP_OFFER = [
  'v=0', 'o=alice 2890844526 2890844526 IN IP4 198.51.100.17', 's=-', 'c=IN IP4 198.51.100.17', 't=0 0',
  'm=audio 49170 RTP/AVP 111 9 0 8 101', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');
const SDP_ANSWER = [
  'v=0', 'o=bob 1837 1838 IN IP4 203.0.113.44', 's=-', 'c=IN IP4 203.0.113.44', 't=0 0',
  'm=audio 31000 RTP/AVP 111 101', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16', 'a=sendrecv', '',
].join('\r\n');

function msg(lines: string[], body = ''): string {
  return lines.join('\r\n') + `\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body;
}

export const CORPUS: string[] = [
  msg([
    'INVITE sip:bob@203.0.113.44:5062;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---7d3f0b1c2a9e8f60;rport=5060;received=192.0.2.10',
    'Via: SIP/2.0/UDP 198.51.100.17:5060;rport=5060;branch=z9hG4bKPj3e8b7c5a-2d41-4c4e-9a7b-1f0e6d2c3b4a',
    'Record-Route: <sip:192.0.2.10;lr;ftag=as7d8f9a0b;did=2c1.b3a1>',
    'Record-Route: <sip:10.0.0.1;r2=on;lr;ftag=as7d8f9a0b>',
    'Max-Forwards: 69',
    'From: "Alice Liddell" <sip:alice@example.com>;tag=as7d8f9a0b',
    'To: <sip:bob@example.com>',
    'Contact: "Alice Liddell" <sip:alice@198.51.100.17:5060;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"',
    'Call-ID: 3c26700c5d8a4f4e9b0f2f7a1d3e5b71@198.51.100.17',
    'CSeq: 28412 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE, PRACK',
    'Supported: replaces, 100rel, timer, norefersub',
    'Session-Expires: 1800;refresher=uac',
    'User-Agent: Appel/0.1',
    'Content-Type: application/sdp',
  ], SDP_OFFER),
  msg([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---7d3f0b1c2a9e8f60;rport=5060;received=192.0.2.10',
    'Via: SIP/2.0/UDP 198.51.100.17:5060;rport=5060;branch=z9hG4bKPj3e8b7c5a-2d41-4c4e-9a7b-1f0e6d2c3b4a',
    'Record-Route: <sip:192.0.2.10;lr;ftag=as7d8f9a0b;did=2c1.b3a1>',
    'Record-Route: <sip:10.0.0.1;r2=on;lr;ftag=as7d8f9a0b>',
    'From: "Alice Liddell" <sip:alice@example.com>;tag=as7d8f9a0b',
    'To: <sip:bob@example.com>;tag=8321234356',
    'Call-ID: 3c26700c5d8a4f4e9b0f2f7a1d3e5b71@198.51.100.17',
    'CSeq: 28412 INVITE',
    'Contact: <sip:bob@203.0.113.44:5062;transport=udp>',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER',
    'Supported: replaces, timer',
    'Server: baresip v1.0.0 (x86_64/linux)',
    'Content-Type: application/sdp',
  ], SDP_ANSWER),
  msg([
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.17:5060;rport;branch=z9hG4bKPj9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d',
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:alice@example.com>',
    'Call-ID: 1j9FpLxk3uxtm8tn@198.51.100.17',
    'CSeq: 2 REGISTER',
    'Contact: <sip:alice@198.51.100.17:5060;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1',
    'Expires: 600',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, MESSAGE',
    'Authorization: Digest username="alice", realm="example.com", nonce="Y2hhbGxlbmdlLTE3MDAwMDAwMDAtNDI=", uri="sip:example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001',
    'User-Agent: Appel/0.1',
  ]),
  msg([
    'SIP/2.0 401 Unauthorized',
    'Via: SIP/2.0/UDP 198.51.100.17:5060;rport=5060;branch=z9hG4bKPj9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d;received=198.51.100.17',
    'From: <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:alice@example.com>;tag=37GkEhwl6',
    'Call-ID: 1j9FpLxk3uxtm8tn@198.51.100.17',
    'CSeq: 1 REGISTER',
    'WWW-Authenticate: Digest realm="example.com", nonce="Y2hhbGxlbmdlLTE3MDAwMDAwMDAtNDI=", opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5, qop="auth"',
    'Server: kamailio (5.6.3 (x86_64/linux))',
  ]),
  msg([
    'NOTIFY sip:alice@198.51.100.17:5060;ob SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK7a8b9c0d1e2f;rport',
    'Via: SIP/2.0/UDP 203.0.113.44:5062;rport=5062;branch=z9hG4bK44a1b2c3',
    'Record-Route: <sip:192.0.2.10;lr>',
    'Max-Forwards: 69',
    'From: <sip:bob@example.com>;tag=8321234356',
    'To: "Alice Liddell" <sip:alice@example.com>;tag=as7d8f9a0b',
    'Call-ID: 3c26700c5d8a4f4e9b0f2f7a1d3e5b71@198.51.100.17',
    'CSeq: 28413 NOTIFY',
    'Contact: <sip:bob@203.0.113.44:5062;transport=udp>',
    'Event: refer;id=28414',
    'Subscription-State: active;expires=60',
    'Content-Type: message/sipfrag;version=2.0',
  ], 'SIP/2.0 180 Ringing\r\n'),
  msg([
    'BYE sip:bob@203.0.113.44:5062;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.17:5060;rport;branch=z9hG4bKPj0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    'Route: <sip:10.0.0.1;r2=on;lr;ftag=as7d8f9a0b>',
    'Route: <sip:192.0.2.10;lr;ftag=as7d8f9a0b;did=2c1.b3a1>',
    'Max-Forwards: 70',
    'From: "Alice Liddell" <sip:alice@example.com>;tag=as7d8f9a0b',
    'To: <sip:bob@example.com>;tag=8321234356',
    'Call-ID: 3c26700c5d8a4f4e9b0f2f7a1d3e5b71@198.51.100.17',
    'CSeq: 28415 BYE',
    'User-Agent: Appel/0.1',
  ]),
  msg([
    'ACK sip:bob@203.0.113.44:5062;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.17:5060;rport;branch=z9hG4bKPj77c0a9b8d7e6f5a4b3c2d1e0f9a8b7c6',
    'Route: <sip:10.0.0.1;r2=on;lr;ftag=as7d8f9a0b>',
    'Route: <sip:192.0.2.10;lr;ftag=as7d8f9a0b;did=2c1.b3a1>',
    'Max-Forwards: 70',
    'From: "Alice Liddell" <sip:alice@example.com>;tag=as7d8f9a0b',
    'To: <sip:bob@example.com>;tag=8321234356',
    'Call-ID: 3c26700c5d8a4f4e9b0f2f7a1d3e5b71@198.51.100.17',
    'CSeq: 28412 ACK',
  ]),
];

/** What every library must read out of a message. */
interface Read {
  branch: unknown;
  callId: unknown;
  cseq: unknown;
  fromTag: unknown;
  toTag: unknown;
  contactHost: unknown;
  rrCount: number;
  realm: unknown;
}

export interface Library {
  name: string;
  /** Parse from what the library's transport would hand it, and read. */
  parseRead?: (bytes: Buffer, text: string) => Read;
  /** Parse only (to prepare a serialize run, and to judge invalid input). */
  parse: (bytes: Buffer, text: string) => unknown;
  /** Serialize a parsed message to wire bytes. */
  serialize?: (parsed: unknown) => Uint8Array | string;
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// The libraries, each through its own accessors.

function appelRead(m: SipMessage): Read {
  const contacts = m.contacts();
  const auth = m.auths('WWW-Authenticate')[0] as AuthHeader | undefined;
  return {
    branch: m.topVia().branch,
    callId: m.callId(),
    cseq: m.cseq().seq,
    fromTag: m.from().params.get('tag'),
    toTag: m.to().params.get('tag'),
    contactHost: contacts.length > 0 ? contacts[0].uri.host : undefined,
    rrCount: m.headers('Record-Route').length,
    realm: auth?.params.get('realm'),
  };
}

const appel: Library = {
  name: 'Appel (bytes)',
  parseRead: (bytes) => appelRead(parseMessage(bytes)),
  parse: (bytes) => parseMessage(bytes),
  serialize: (m) => {
    // Force the rebuild path (an unchanged message would hand back its own bytes).
    (m as { wire?: unknown }).wire = undefined;
    return (m as SipMessage).toBytes();
  },
};

const appelString: Library = {
  name: 'Appel (string)',
  parseRead: (_bytes, text) => appelRead(parseMessage(text)),
  parse: (_bytes, text) => parseMessage(text),
  // Parsed from text there is no wire image: toBytes() always rebuilds.
  serialize: (m) => (m as SipMessage).toBytes(),
};

interface NpmSipMessage {
  headers: Record<string, unknown> & {
    via: Array<{ params: Record<string, string> }>;
    'call-id': string;
    cseq: { seq: number };
    from: { params: Record<string, string> };
    to: { params: Record<string, string> };
    contact?: Array<{ uri: string }>;
    'record-route'?: unknown[];
    'www-authenticate'?: Array<{ realm: string }>;
  };
}

function npmSip(): Library {
  const sip = require('sip') as {
    parse(s: string): NpmSipMessage | undefined;
    parseUri(s: string): { host: string };
    stringify(m: NpmSipMessage): string;
  };
  return {
    name: 'sip',
    parseRead: (bytes) => {
      const m = sip.parse(bytes.toString('binary'))!;
      const h = m.headers;
      return {
        branch: h.via[0].params.branch,
        callId: h['call-id'],
        cseq: h.cseq.seq,
        fromTag: h.from.params.tag,
        toTag: h.to.params.tag,
        contactHost: h.contact ? sip.parseUri(h.contact[0].uri).host : undefined,
        rrCount: h['record-route']?.length ?? 0,
        realm: h['www-authenticate']?.[0].realm,
      };
    },
    parse: (_b, text) => sip.parse(text),
    serialize: (m) => Buffer.from(sip.stringify(m as NpmSipMessage), 'binary'),
  };
}

interface JssipMessage {
  via_branch: string;
  call_id: string;
  cseq: number;
  from_tag: string;
  to_tag: string;
  hasHeader(name: string): boolean;
  parseHeader(name: string): { uri: { host: string } } & { realm: string };
  getHeaders(name: string): string[];
}

function jssip(): Library {
  const parser = require('jssip/lib/Parser.js') as { parseMessage(s: string, ua: unknown): JssipMessage | undefined };
  return {
    name: 'jssip',
    parseRead: (bytes) => {
      const m = parser.parseMessage(bytes.toString('utf8'), null)!;
      return {
        branch: m.via_branch,
        callId: m.call_id,
        cseq: m.cseq,
        fromTag: m.from_tag,
        toTag: m.to_tag,
        contactHost: m.hasHeader('contact') ? m.parseHeader('contact').uri.host : undefined,
        rrCount: m.getHeaders('record-route').length,
        realm: m.hasHeader('www-authenticate') ? m.parseHeader('www-authenticate').realm : undefined,
      };
    },
    parse: (_b, text) => parser.parseMessage(text, null),
    note: 'serialize: n/a (an incoming message only keeps its raw text)',
  };
}

interface SipJsMessage {
  viaBranch: string;
  callId: string;
  cseq: number;
  fromTag: string;
  toTag: string;
  hasHeader(name: string): boolean;
  parseHeader(name: string): { uri: { host: string } } & { realm: string };
  getHeaders(name: string): string[];
}

async function sipJs(): Promise<Library> {
  const core = (await import('sip.js/lib/core/index.js')) as unknown as {
    Parser: { parseMessage(s: string, logger: unknown): SipJsMessage | undefined };
    LoggerFactory: new () => { builtinEnabled: boolean; level: number; getLogger(c: string): unknown };
  };
  const factory = new core.LoggerFactory();
  factory.builtinEnabled = false;
  const logger = factory.getLogger('bench');
  return {
    name: 'sip.js',
    parseRead: (bytes) => {
      const m = core.Parser.parseMessage(bytes.toString('utf8'), logger)!;
      return {
        branch: m.viaBranch,
        callId: m.callId,
        cseq: m.cseq,
        fromTag: m.fromTag,
        toTag: m.toTag,
        contactHost: m.hasHeader('contact') ? m.parseHeader('contact').uri.host : undefined,
        rrCount: m.getHeaders('record-route').length,
        realm: m.hasHeader('www-authenticate') ? m.parseHeader('www-authenticate').realm : undefined,
      };
    },
    parse: (_b, text) => core.Parser.parseMessage(text, logger),
    note: 'serialize: n/a (an incoming message only keeps its raw text)',
  };
}

interface DrachtioMessage {
  get(name: string): string;
  has(name: string): boolean;
  getParsedHeader(name: string): unknown;
  toString(): string;
}

function drachtio(): Library {
  const SipMessage = require('drachtio-srf/lib/sip-parser/message.js') as new (s: string) => DrachtioMessage;
  return {
    name: 'drachtio-srf',
    parseRead: (bytes) => {
      const m = new SipMessage(bytes.toString('utf8'));
      const via = m.getParsedHeader('via') as Array<{ params: Record<string, string> }>;
      const from = m.getParsedHeader('from') as { params: Record<string, string> };
      const to = m.getParsedHeader('to') as { params: Record<string, string> };
      const contact = m.has('contact') ? (m.getParsedHeader('contact') as Array<{ uri: string }>) : undefined;
      return {
        branch: via[0].params.branch,
        callId: m.get('call-id'),
        cseq: (m.getParsedHeader('cseq') as { seq: number }).seq,
        fromTag: from.params.tag,
        toTag: to.params.tag,
        // drachtio's parseUri is the identity: the URI string is as far as it goes.
        contactHost: contact?.[0].uri,
        rrCount: m.has('record-route') ? (m.getParsedHeader('record-route') as unknown[]).length : 0,
        realm: m.has('www-authenticate') ? (m.getParsedHeader('www-authenticate') as Array<{ realm: string }>)[0].realm : undefined,
      };
    },
    parse: (_b, text) => new SipMessage(text),
    serialize: (m) => Buffer.from((m as DrachtioMessage).toString(), 'utf8'),
    note: 'Contact host: n/a (no URI parser; reads the URI string only)',
  };
}

// ---------------------------------------------------------------------------------------------
// Timing

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Milliseconds of CPU time used by this process (steadier than wall time on a shared machine). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Messages per CPU-second of `step` over the corpus: warm-up, then `runs` runs of `ms`
 * CPU-milliseconds each; the median run.
 */
function measure(step: (i: number) => unknown, count: number, ms: number, runs: number, warm = true): number {
  let sink = 0;
  if (warm) for (let t0 = cpuMs(), i = 0; cpuMs() - t0 < ms; i++) if (step(i % count)) sink++;
  if (runs === 0) return 0;
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const t0 = cpuMs();
    let t = t0;
    while (t - t0 < ms) {
      for (let k = 0; k < 64; k++, n++) if (step(n % count)) sink++;
      t = cpuMs();
    }
    rates.push((n * 1000) / (t - t0));
  }
  if (sink < 0) console.log(sink);
  return median(rates);
}

export interface Row {
  library: string;
  parseRead: number | undefined;
  serialize: number | undefined;
  invalidAccepted: number;
  invalidTotal: number;
  note?: string;
}

/** Appel (bytes) against the fastest other parser on parse+read, per round. */
export interface Ratio {
  median: number;
  /** The middle half of the per-round ratios. */
  low: number;
  high: number;
  rounds: number;
}

function invalidFixtures(): Buffer[] {
  const dir = join(here, '../fixtures/sip/invalid');
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.sip')).sort().map((f) => readFileSync(join(dir, f)));
  } catch {
    return [];
  }
}

/** Every parser measured, Appel's first (the fuzz benchmark uses them too). */
export async function libraries(): Promise<Library[]> {
  return [appel, appelString, npmSip(), jssip(), await sipJs(), drachtio()];
}

export async function run(opts: { ms?: number; rounds?: number; print?: boolean } = {}): Promise<{ rows: Row[]; ratio: Ratio }> {
  const ms = opts.ms ?? 150;
  const rounds = Math.max(1, opts.rounds ?? 21);
  const bytes = CORPUS.map((s) => Buffer.from(s, 'utf8'));
  const texts = CORPUS;
  const invalid = invalidFixtures();
  const libs = await libraries();

  // Keep the libraries' own logging out of the table.
  const quiet = { warn: console.warn, error: console.error, log: console.log };
  const mute = (): void => {
    console.warn = console.error = console.log = () => {};
  };
  const rows: Row[] = [];
  const expected = bytes.map((b, i) => appel.parseRead!(b, texts[i]));
  for (const lib of libs) {
    let accepted = 0;
    mute();
    try {
      for (const b of invalid) {
        try {
          if (lib.parse(b, b.toString('utf8'))) accepted++;
        } catch {
          // rejected
        }
      }
    } finally {
      Object.assign(console, quiet);
    }
    // Sanity: every library must read what Appel reads (modulo quoting and types).
    const differ: string[] = [];
    bytes.forEach((b, i) => {
      const got = lib.parseRead!(b, texts[i]) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected[i])) {
        const norm = (x: unknown): string => String(x ?? '').replace(/^"|"$/g, '');
        if (k !== 'contactHost' && norm(got[k]) !== norm(v)) differ.push(`${k} of message ${i}`);
      }
    });
    const note = [lib.note, differ.length ? `reads differ: ${[...new Set(differ)].slice(0, 3).join(', ')}` : undefined].filter(Boolean).join('; ');
    rows.push({ library: lib.name, parseRead: undefined, serialize: undefined, invalidAccepted: accepted, invalidTotal: invalid.length, note: note || undefined });
  }
  // Interleave the timed runs so that a busy machine slows every library alike.
  const parsed = libs.map((lib) => (lib.serialize ? bytes.map((b, i) => lib.parse(b, texts[i])) : []));
  const parseRates: number[][] = libs.map(() => []);
  const serializeRates: number[][] = libs.map(() => []);
  const ratios: number[] = [];
  for (const lib of libs) measure((i) => lib.parseRead!(bytes[i], texts[i]), bytes.length, ms, 0);
  libs.forEach((lib, j) => {
    if (lib.serialize) measure((i) => lib.serialize!(parsed[j][i]), bytes.length, ms, 0);
  });
  for (let r = 0; r < rounds; r++) {
    const round: number[] = [];
    for (let k = 0; k < libs.length; k++) {
      const j = (k + r) % libs.length;
      const lib = libs[j];
      round[j] = measure((i) => lib.parseRead!(bytes[i], texts[i]), bytes.length, ms, 1, false);
      parseRates[j].push(round[j]);
      if (lib.serialize) serializeRates[j].push(measure((i) => lib.serialize!(parsed[j][i]), bytes.length, ms, 1, false));
    }
    const fastest = Math.max(...libs.map((lib, j) => (lib.name.startsWith('Appel') ? 0 : round[j])));
    ratios.push(round[0] / fastest);
  }
  rows.forEach((row, j) => {
    row.parseRead = median(parseRates[j]);
    row.serialize = libs[j].serialize ? median(serializeRates[j]) : undefined;
  });
  const sorted = [...ratios].sort((a, b) => a - b);
  const ratio: Ratio = {
    median: median(ratios),
    low: sorted[Math.floor((sorted.length - 1) / 4)],
    high: sorted[Math.ceil(((sorted.length - 1) * 3) / 4)],
    rounds,
  };

  if (opts.print !== false) print(rows, ratio);
  return { rows, ratio };
}

function fmt(n: number | undefined): string {
  return n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US');
}

function print(rows: Row[], ratio: Ratio): void {
  const base = rows[0];
  console.log(`\nSIP parser benchmark (${CORPUS.length} messages, ${CORPUS.map((s) => s.length).join('/')} bytes)`);
  console.log(`median of ${ratio.rounds} interleaved rounds, msg/s of CPU time\n`);
  console.log('library          parse+read msg/s   Appel ×   serialize msg/s   Appel ×   invalid accepted');
  for (const r of rows) {
    const ratioOf = (a: number | undefined, b: number | undefined): string =>
      a === undefined || b === undefined ? 'n/a' : (a / b).toFixed(2);
    console.log(
      r.library.padEnd(16) +
        fmt(r.parseRead).padStart(17) +
        ratioOf(base.parseRead, r.parseRead).padStart(10) +
        fmt(r.serialize).padStart(18) +
        ratioOf(base.serialize, r.serialize).padStart(10) +
        `${r.invalidAccepted}/${r.invalidTotal}`.padStart(19),
    );
  }
  console.log(
    `\nAppel (bytes) vs the fastest other parser on parse+read: ${ratio.median.toFixed(2)}× ` +
      `(median of the per-round ratios; middle half ${ratio.low.toFixed(2)}–${ratio.high.toFixed(2)}×)`,
  );
  for (const r of rows) if (r.note) console.log(`  ${r.library}: ${r.note}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string): number | undefined => {
    const a = process.argv.find((x) => x.startsWith(`--${name}=`));
    return a === undefined ? undefined : Number(a.slice(name.length + 3));
  };
  await run({ ms: arg('time'), rounds: arg('rounds') });
}
