/**
 * The parser's lazy paths read the same as the eager ones: parameters read straight from
 * the text (ParamMap) against the Map they build, header lines read from offsets against
 * the HeaderField objects made from them, known header names found by hash, and the two
 * slow paths (UTF-8 in the header block, folded lines).
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalName, headerKey, parseAuthHeader, parseMessage, parseNameAddr, parseUri, parseVia } from '../../../main/sip/message/index.ts';
import type { SipMessage } from '../../../main/sip/message/index.ts';
import { KEY_OF_ID, NAME_OF_ID, headerIdAt } from '../../../main/sip/message/header-names.ts';

const crlf = (s: string): string => s.replace(/\n/g, '\r\n');

/** get/has straight from the text, on a fresh parse, for every name of the built Map and a few others. */
function lazyReadsAsBuilt(parse: () => Map<string, string | null>, others: string[] = []): void {
  const built = new Map(parse());
  for (const name of [...built.keys(), ...others]) {
    const fresh = parse();
    expect(fresh.has(name), name).toBe(built.has(name));
    expect(parse().get(name), name).toBe(built.get(name));
  }
}

describe('ParamMap: parameters read from the text', () => {
  it('reads header parameters as the Map would hold them: lower-cased names, first wins, flags, quotes kept', () => {
    const p = (): Map<string, string | null> =>
      parseNameAddr('<sip:a@example.com;lr>;Tag=AbC ; q = 0.5;lr;tag=second;+sip.instance="<urn:uuid:1>";EXPIRES=60').params;
    expect(new Map(p())).toEqual(new Map<string, string | null>([
      ['tag', 'AbC'], ['q', '0.5'], ['lr', null], ['+sip.instance', '"<urn:uuid:1>"'], ['expires', '60'],
    ]));
    lazyReadsAsBuilt(p, ['Tag', 'missing', 'ta', 'tags', '']);
    expect(p().size).toBe(5);
  });

  it('reads URI parameters unescaped, escaped names included', () => {
    const p = (): Map<string, string | null> => parseUri('sip:a@example.com;Transport=TCP;m%61ddr=239.0.0.1;x=%41b;lr;ttl=1?h=v').params;
    expect(new Map(p())).toEqual(new Map<string, string | null>([
      ['transport', 'TCP'], ['maddr', '239.0.0.1'], ['x', 'Ab'], ['lr', null], ['ttl', '1'],
    ]));
    lazyReadsAsBuilt(p, ['m%61ddr', 'headers', 'h']);
    expect(new Map(parseUri('sip:a@example.com;lr?subject=hi%20there').headers)).toEqual(new Map([['subject', 'hi there']]));
  });

  it('knows the first branch and tag from the parser, flags and absence included', () => {
    expect(parseVia('SIP/2.0/UDP h;branch=z9hG4bK1;BRANCH=z9hG4bK2').branch).toBe('z9hG4bK1');
    expect(parseVia('SIP/2.0/UDP h;Branch=z9hG4bK3').params.get('branch')).toBe('z9hG4bK3');
    const flag = parseVia('SIP/2.0/UDP h;branch;rport');
    expect(flag.branch).toBeUndefined();
    expect(flag.params.has('branch')).toBe(true);
    expect(flag.params.get('branch')).toBeNull();
    expect(parseNameAddr('<sip:a@b>;TAG=x;tag=y').params.get('tag')).toBe('x');
    const none = parseNameAddr('<sip:a@b>;foo');
    expect(none.params.has('tag')).toBe(false);
    expect(none.params.get('tag')).toBeUndefined();
  });

  it('serializes and prints as a Map, never showing the header block it reads', () => {
    const params = parseNameAddr('<sip:a@b>;tag=1').params;
    expect(JSON.stringify({ params })).toBe('{"params":{}}');
    expect(inspect(params)).toBe("Map(1) { 'tag' => '1' }");
  });

  it('behaves as a Map once changed, iterated or counted', () => {
    const params = parseNameAddr('<sip:a@b>;tag=1;x').params;
    expect(Object.prototype.toString.call(params)).toBe('[object Map]');
    expect(params.set('tag', '2')).toBe(params);
    expect(params.get('tag')).toBe('2');
    expect(params.delete('x')).toBe(true);
    expect([...params]).toEqual([['tag', '2']]);
    const seen: Array<[string, string | null, unknown]> = [];
    params.forEach(function (this: unknown, v, k, m) {
      seen.push([k, v, m === params && this === seen]);
    }, seen);
    expect(seen).toEqual([['tag', '2', true]]);
    expect([...params.keys()]).toEqual(['tag']);
    expect([...params.values()]).toEqual(['2']);
    params.clear();
    expect(params.size).toBe(0);
    const empty = parseUri('sip:a@b').headers;
    expect(empty.size).toBe(0);
    empty.set('subject', 'x');
    expect(parseUri('sip:a@b').headers.size).toBe(0);
  });

  it('reads what it builds, for any list of generic parameters', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,8}$/);
    const value = fc.oneof(token, token.map((t) => `"${t} x"`), fc.constant('[2001:db8::1]'));
    const param = fc.tuple(token, fc.option(value), fc.constantFrom('', ' ', '\t')).map(([n, v, ws]) => `${ws};${ws}${n}${v === null ? '' : `${ws}=${ws}${v}`}`);
    fc.assert(fc.property(fc.array(param, { maxLength: 6 }), fc.array(token, { maxLength: 3 }), (params, others) => {
      const text = `<sip:a@example.com>${params.join('')}`;
      lazyReadsAsBuilt(() => parseNameAddr(text).params, [...others, 'tag']);
      lazyReadsAsBuilt(() => parseVia(`SIP/2.0/UDP h${params.join('')}`).params, [...others, 'branch']);
    }), { seed: 5, numRuns: 300 });
  });

  it('reads auth-params unquoted, as the Map would hold them', () => {
    const p = (): Map<string, string | null> =>
      parseAuthHeader('Digest Realm = "a, \\"b\\"" ,nonce=x==,qop="auth,auth-int", realm=second,\tALGORITHM=MD5, opaque=""').params;
    expect(new Map(p())).toEqual(new Map([
      ['realm', 'a, "b"'], ['nonce', 'x=='], ['qop', 'auth,auth-int'], ['algorithm', 'MD5'], ['opaque', ''],
    ]));
    lazyReadsAsBuilt(p, ['missing', 'Realm', 'a', '']);
    expect(p().size).toBe(5);
    expect(parseAuthHeader('Bearer abc.def==').params.size).toBe(0);
    expect(parseAuthHeader('Digest').params.get('realm')).toBeUndefined();
  });

  it('reads what it builds, for any list of auth-params, and what was written', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,8}$/);
    const quoted = fc.stringMatching(/^[ a-z,=\\"]{0,6}$/).map((t) => `"${t.replace(/[\\"]/g, (c) => '\\' + c)}"`);
    const param = fc.tuple(token, fc.oneof(token, quoted), fc.constantFrom('', ' ', '\t'));
    const sep = fc.constantFrom(',', ', ', ' ,', '\t,\t');
    fc.assert(fc.property(fc.array(fc.tuple(param, sep), { minLength: 1, maxLength: 6 }), fc.array(token, { maxLength: 3 }), (params, others) => {
      const text = 'Digest ' + params.map(([[n, v, ws], s], i) => (i === 0 ? '' : s) + `${n}${ws}=${ws}${v}`).join('');
      const written = new Map<string, string>();
      for (const [[n, v]] of params) {
        const value = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
        if (!written.has(n.toLowerCase())) written.set(n.toLowerCase(), value);
      }
      expect(new Map(parseAuthHeader(text).params)).toEqual(written);
      lazyReadsAsBuilt(() => parseAuthHeader(text).params, [...others, 'realm']);
    }), { seed: 7, numRuns: 300 });
  });
});

const MESSAGE = crlf(`SIP/2.0 200 OK
v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2
Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3
f: <sip:alice@example.com>;tag=1
To: <sip:bob@example.com>;tag=2
i: lazy@example.com
CSeq: 7 INVITE
m: <sip:bob@192.0.2.4>, "Bob" <sip:bob@192.0.2.5>;q=0.1
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
record-ROUTE: <sip:p3.example.com;lr>
WWW-Authenticate: Digest realm="example.com", nonce="abc"
X-Thing: one, two
x-thing: three
X-Empty:
Content-Length: 0

`);

/** Everything the accessors read, as plain data. */
function reads(m: SipMessage): unknown {
  const isMap = (v: unknown): v is Map<unknown, unknown> => Object.prototype.toString.call(v) === '[object Map]';
  const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (isMap(v) ? [...v] : v)));
  return plain({
    header: ['via', 'V', 'record-route', 'X-Thing', 'x-empty', 'missing', 'Contact', 'i'].map((n) => m.header(n)),
    headers: ['Via', 'record-route', 'X-THING', 'x-empty', 'missing', 'm', 'WWW-Authenticate'].map((n) => m.headers(n)),
    has: ['x-thing', 'X-Empty', 'missing', 'l', 'CALL-ID'].map((n) => m.hasHeader(n)),
    vias: m.vias(), top: m.topVia(), from: m.from(), to: m.to(), callId: m.callId(), cseq: m.cseq(),
    contacts: m.contacts(), rr: m.nameAddrs('Record-Route'), auths: m.auths('www-authenticate'),
  });
}

describe('header lines read from offsets, then as fields', () => {
  it('reads the same before and after the lines become HeaderField objects', () => {
    const lazy = parseMessage(Buffer.from(MESSAGE));
    const before = reads(lazy);
    const from = lazy.from();
    expect(lazy.fields.map((f) => f.name)).toEqual([
      'v', 'Via', 'f', 'To', 'i', 'CSeq', 'm', 'Record-Route', 'record-ROUTE', 'WWW-Authenticate', 'X-Thing', 'x-thing', 'X-Empty', 'Content-Length',
    ]);
    expect(reads(lazy)).toEqual(before);
    // What was parsed before stays parsed (same objects) once the fields exist.
    expect(lazy.from()).toBe(from);
    expect(reads(parseMessage(MESSAGE))).toEqual(before);
    // Unchanged: its own bytes; changed: rebuilt from the fields.
    expect(Buffer.from(lazy.toBytes()).toString()).toBe(MESSAGE);
    lazy.fields[4].value = 'changed@example.com';
    expect(lazy.callId()).toBe('changed@example.com');
    expect(Buffer.from(lazy.toBytes()).toString()).toContain('\r\ni: changed@example.com\r\n');
  });

  it('rebuilds a parsed message whose start line changed', () => {
    const m = parseMessage(Buffer.from(MESSAGE));
    if (m.kind !== 'response') throw new Error('not a response');
    m.reason = 'Okay';
    const lazyBytes = Buffer.from(m.toBytes()).toString();
    expect(m.fields).toHaveLength(14);
    // Written as the fields write it: "Name: value", Content-Length from the body.
    expect(Buffer.from(m.toBytes()).toString()).toBe(lazyBytes);
    expect(lazyBytes).toContain('\r\nX-Empty: \r\nContent-Length: 0\r\n\r\n');
    const again = parseMessage(lazyBytes);
    expect(reads(again)).toEqual(reads(parseMessage(MESSAGE)));
    expect(again.kind === 'response' && again.reason).toBe('Okay');
  });
});

describe('the two slow paths', () => {
  it('decodes a header block holding UTF-8 as UTF-8, from bytes and from a string alike', () => {
    const text = crlf(`INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bK1
From: "Zoë Ça" <sip:zoe@example.com>;tag=e1
To: Bjørn <sip:bjorn@example.com>
Call-ID: ünï@example.com
CSeq: 1 INVITE
Subject: café
Content-Length: 0

`);
    for (const m of [parseMessage(Buffer.from(text, 'utf8')), parseMessage(text)]) {
      expect(m.from().displayName).toBe('Zoë Ça');
      expect(m.from().params.get('tag')).toBe("e1");
      expect(m.to().displayName).toBe('Bjørn');
      expect(m.callId()).toBe('ünï@example.com');
      expect(m.header('subject')).toBe('café');
      expect(m.topVia().branch).toBe('z9hG4bK1');
    }
  });

  it('undoes folding, empty first lines and whitespace-only continuations included', () => {
    const text = crlf(`OPTIONS sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bK1
From:
  <sip:alice@example.com>
  ;tag=88
To: <sip:bob@example.com>
Call-ID: fold@example.com
CSeq: 1 OPTIONS
Subject: one\t
 \t
\t two
Content-Length: 0

`);
    const m = parseMessage(Buffer.from(text));
    expect(m.from().params.get('tag')).toBe('88');
    expect(m.header('From')).toBe('<sip:alice@example.com> ;tag=88');
    expect(m.header('subject')).toBe('one two');
    expect(m.fields.map((f) => f.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Subject', 'Content-Length']);
    expect(reads(parseMessage(text))).toEqual(reads(m));
  });
});

describe('known header names', () => {
  it('finds every known name in any case, and nothing else of the same length and first letter', () => {
    const id = (name: string): number => {
      const b = Buffer.from(name, 'latin1');
      return headerIdAt(b, 0, b.length);
    };
    KEY_OF_ID.forEach((key, i) => {
      if (key.length < 2) return;
      for (const spelling of [key, key.toUpperCase(), NAME_OF_ID[i]]) expect(id(spelling), spelling).toBe(i);
      expect(id(key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x')), key).not.toBe(i);
      expect(headerKey(NAME_OF_ID[i])).toBe(key);
      expect(canonicalName(key)).toBe(NAME_OF_ID[i]);
    });
    expect(id('X-Unknown-Header')).toBe(-1);
    expect(id('v')).toBe(KEY_OF_ID.indexOf('via'));
    expect(id('V')).toBe(KEY_OF_ID.indexOf('via'));
    expect(id('I')).toBe(KEY_OF_ID.indexOf('call-id'));
    expect(id('q')).toBe(-1);
    // Prefixes and extensions of known names are other names.
    for (const name of ['Vi', 'Viaa', 'Contac', 'Contacts', 'Call-I', 'Call-IDx', 'Record-', 'Route-', 'fr', 'Tox', 'CSeq1', 'Call_ID', 'Call.ID']) {
      expect(id(name), name).toBe(-1);
    }
    // The scanner's own walk agrees, name by name, with a lookup by key.
    KEY_OF_ID.forEach((key, i) => expect(id(key.replace(/./g, (c, k: number) => (k % 2 ? c.toUpperCase() : c))), key).toBe(i));
    expect(id('Via:')).toBe(-1);
  });
});
