import { describe, expect, it } from 'vitest';
import {
  MAGIC_COOKIE,
  SipParseError,
  canonicalName,
  compactName,
  formatNameAddr,
  formatUri,
  formatVia,
  generateBranch,
  generateCallId,
  generateTag,
  parseAuthHeader,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
  reasonPhrase,
  splitHeaderList,
  uriEquals,
} from '../../../main/sip/message/index.ts';

function refused(f: () => unknown): SipParseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    return e as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('parseUri (RFC 3261 §19.1.1, RFC 3966)', () => {
  it('reads every part of a sip: URI', () => {
    const u = parseUri('sip:Alice:se%63ret@Atlanta.Example.COM:5070;Transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toMatchObject({ scheme: 'sip', user: 'Alice', password: 'secret', host: 'atlanta.example.com', port: 5070 });
    expect([...u.params]).toEqual([['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
    expect([...u.headers]).toEqual([['subject', 'project x'], ['priority', 'urgent']]);
  });

  it('keeps IPv6 references with their brackets, lower-cased', () => {
    const u = parseUri('sips:[2001:DB8::1]:5061');
    expect(u.host).toBe('[2001:db8::1]');
    expect(u.port).toBe(5061);
    expect(u.user).toBe('');
  });

  it('reads tel: URIs and keeps other schemes as written', () => {
    const t = parseUri('tel:+1-201-555-0123;ext=42');
    expect(t).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '' });
    expect(t.params.get('ext')).toBe('42');
    const h = parseUri('HTTP://www.example.com/a?b');
    expect(h).toMatchObject({ scheme: 'http', host: '', raw: 'HTTP://www.example.com/a?b' });
    expect(formatUri(h)).toBe('HTTP://www.example.com/a?b');
  });

  it.each([
    ['no scheme', 'alice@example.com'],
    ['space', 'sip:alice@example .com'],
    ['bad escape', 'sip:al%4ice@example.com'],
    ['empty host', 'sip:alice@'],
    ['port too big', 'sip:example.com:65536'],
    ['angle brackets', '<sip:alice@example.com>'],
    ['empty parameter', 'sip:example.com;;lr'],
    ['unterminated IPv6', 'sip:[::1'],
  ])('refuses %s', (_what, s) => {
    expect(refused(() => parseUri(s)).status).toBe(400);
  });

  it('formats what it parsed, escaping only what needs it', () => {
    const u = parseUri('sip:%61lice%20smith@example.com;name=v%61lue');
    expect(u.user).toBe('alice smith');
    expect(formatUri(u)).toBe('sip:alice%20smith@example.com;name=value');
    expect(uriEquals(parseUri(formatUri(u)), u)).toBe(true);
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  // The equal and unequal pairs of §19.1.4, with our own hosts.
  it.each([
    ['sip:%61lice@atlanta.example.com;transport=TCP', 'sip:alice@AtLanTa.Example.Com;Transport=tcp'],
    ['sip:carol@chicago.example.com', 'sip:carol@chicago.example.com;newparam=5'],
    ['sip:carol@chicago.example.com;security=on', 'sip:carol@chicago.example.com;newparam=5'],
    ['sip:biloxi.example.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.example.com', 'sip:biloxi.example.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.example.com'],
    ['sip:alice@[2001:db8::1]', 'sip:alice@[2001:DB8:0:0::1]'],
  ])('%s == %s', (a, b) => {
    expect(uriEquals(parseUri(a), parseUri(b))).toBe(true);
    expect(uriEquals(parseUri(b), parseUri(a))).toBe(true);
  });

  it.each([
    ['sip:ALICE@atlanta.example.com', 'sip:alice@atlanta.example.com'],
    ['sip:bob@biloxi.example.com', 'sip:bob@biloxi.example.com:5060'],
    ['sip:bob@biloxi.example.com', 'sip:bob@biloxi.example.com;transport=udp'],
    ['sip:bob@biloxi.example.com', 'sips:bob@biloxi.example.com'],
    ['sip:carol@chicago.example.com;security=on', 'sip:carol@chicago.example.com;security=off'],
    ['sip:carol@chicago.example.com', 'sip:carol@chicago.example.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.example.com', 'sip:bob@192.0.2.4'],
  ])('%s != %s', (a, b) => {
    expect(uriEquals(parseUri(a), parseUri(b))).toBe(false);
  });
});

describe('parseNameAddr (RFC 3261 §20.10, §25.1)', () => {
  it('reads display name, URI and header parameters', () => {
    const n = parseNameAddr('"Alice \\"A\\" Liddell" <sip:alice@example.com;transport=tcp>;tag=88sja8x;+sip.instance="<urn:uuid:1>"');
    expect(n.displayName).toBe('Alice "A" Liddell');
    expect(n.uri.params.get('transport')).toBe('tcp');
    expect(n.params.get('tag')).toBe('88sja8x');
    expect(n.params.get('+sip.instance')).toBe('"<urn:uuid:1>"');
  });

  it('gives the parameters of an addr-spec to the header (§20.10)', () => {
    const n = parseNameAddr('sip:+12125551212@server.phone2net.example.com;tag=887s');
    expect(n.displayName).toBeUndefined();
    expect(n.uri.params.size).toBe(0);
    expect(n.params.get('tag')).toBe('887s');
  });

  it('accepts token display names and the Contact wildcard', () => {
    expect(parseNameAddr('Bob  Smith <sip:bob@example.com>').displayName).toBe('Bob  Smith');
    const w = parseNameAddr('*');
    expect(w.wildcard).toBe(true);
    expect(formatNameAddr(w)).toBe('*');
  });

  it.each([
    ['unterminated quote', '"Bob <sip:bob@example.com>'],
    ['< without >', 'Bob <sip:bob@example.com'],
    ['comma in an unquoted name', 'Smith, Bob <sip:bob@example.com>'],
    ['space inside <>', '< sip:bob@example.com>'],
    ['headers outside <>', 'sip:bob@example.com?Subject=x'],
    ['empty parameter', '<sip:bob@example.com>;;tag=1'],
    ['trailing junk', '<sip:bob@example.com> junk'],
    ['empty', '   '],
  ])('refuses %s', (_what, s) => {
    expect(refused(() => parseNameAddr(s, 'Bad To')).reason).toBe('Bad To');
  });

  it('formats with <> and escaped quotes, and reads back the same', () => {
    const n = parseNameAddr('"A \\\\ \\"B\\"" <sip:a@example.com;lr>;tag=1;x');
    const s = formatNameAddr(n);
    expect(s).toBe('"A \\\\ \\"B\\"" <sip:a@example.com;lr>;tag=1;x');
    expect(parseNameAddr(s)).toEqual(n);
  });
});

describe('parseVia (RFC 3261 §20.42, RFC 3581)', () => {
  it('reads protocol, sent-by and parameters, with LWS anywhere the grammar allows it', () => {
    const v = parseVia('SIP / 2.0 / udp   [2001:db8::9]  :  5066 ; branch = z9hG4bK776 ; rport ; received=2001:db8::1');
    expect(v).toMatchObject({ transport: 'UDP', host: '2001:db8::9', port: 5066, branch: 'z9hG4bK776' });
    expect([...v.params]).toEqual([['branch', 'z9hG4bK776'], ['rport', null], ['received', '2001:db8::1']]);
    expect(formatVia(v)).toBe('SIP/2.0/UDP [2001:db8::9]:5066;branch=z9hG4bK776;rport;received=2001:db8::1');
  });

  it.each([
    ['no sent-by', 'SIP/2.0/UDP ;branch=z9hG4bK1'],
    ['another version', 'SIP/3.0/UDP host'],
    ['another protocol', 'XMPP/2.0/UDP host'],
    ['no transport', 'SIP/2.0/ host'],
    ['no space before sent-by', 'SIP/2.0/UDPhost'],
    ['bad port', 'SIP/2.0/UDP host:70000'],
    ['empty param', 'SIP/2.0/UDP host;;branch=1'],
    ['two values', 'SIP/2.0/UDP a, SIP/2.0/UDP b'],
  ])('refuses %s', (_what, s) => {
    expect(refused(() => parseVia(s)).reason).toBe('Bad Via');
  });
});

describe('parseCSeq (RFC 3261 §20.16)', () => {
  it('reads 32-bit sequence numbers, leading zeros and LWS', () => {
    expect(parseCSeq('  0009 \t INVITE ')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq('4294967295 ACK')).toEqual({ seq: 4294967295, method: 'ACK' });
  });
  it.each(['4294967296 INVITE', 'x INVITE', '12', '12 INVITE extra', '-1 BYE'])('refuses %j', (s) => {
    expect(refused(() => parseCSeq(s)).reason).toBe('Bad CSeq');
  });
});

describe('parseAuthHeader (RFC 3261 §20.27, §20.44; RFC 7235 token68)', () => {
  it('reads a challenge: quoted and token values, commas inside quotes', () => {
    const a = parseAuthHeader('Digest realm="atlanta, the city", qop="auth,auth-int", nonce="84a4cc6f", stale=FALSE, algorithm=SHA-256');
    expect(a.scheme).toBe('Digest');
    expect(Object.fromEntries(a.params)).toEqual({
      realm: 'atlanta, the city', qop: 'auth,auth-int', nonce: '84a4cc6f', stale: 'FALSE', algorithm: 'SHA-256',
    });
  });
  it('unescapes quoted-pairs and keeps token68 credentials', () => {
    expect(parseAuthHeader('Digest username="a\\"b"').params.get('username')).toBe('a"b');
    expect(parseAuthHeader('Bearer mF_9.B5f-4.1JqM==').token68).toBe('mF_9.B5f-4.1JqM==');
  });
  it.each(['', 'Digest realm="x', 'Digest realm="x",', 'Digest realm="x" nonce="y"', 'Digest ,realm="x"', 'Digest a=1 b=2'])('refuses %j', (s) => {
    expect(refused(() => parseAuthHeader(s)).status).toBe(400);
  });
});

describe('header names and lists', () => {
  it.each([
    ['v', 'Via'], ['i', 'Call-ID'], ['m', 'Contact'], ['e', 'Content-Encoding'], ['l', 'Content-Length'], ['c', 'Content-Type'],
    ['f', 'From'], ['s', 'Subject'], ['k', 'Supported'], ['t', 'To'], ['o', 'Event'], ['u', 'Allow-Events'], ['r', 'Refer-To'],
    ['x', 'Session-Expires'], ['y', 'Identity'], ['b', 'Referred-By'], ['a', 'Accept-Contact'], ['j', 'Reject-Contact'],
    ['d', 'Request-Disposition'],
  ])('%s ↔ %s', (compact, full) => {
    expect(canonicalName(compact)).toBe(full);
    expect(canonicalName(compact.toUpperCase())).toBe(full);
    expect(canonicalName(full.toUpperCase())).toBe(full);
    expect(compactName(full.toLowerCase())).toBe(compact);
    expect(compactName(compact)).toBe(compact);
  });
  it('spells the rest canonically and keeps names without a compact form', () => {
    expect(canonicalName('cseq')).toBe('CSeq');
    expect(canonicalName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalName('x-my-header')).toBe('X-My-Header');
    expect(compactName('max-forwards')).toBe('Max-Forwards');
  });
  it('splits at top-level commas only', () => {
    expect(splitHeaderList('<sip:a@x;p=1,2>, "Doe, John" <sip:b@x>,<sip:c@x> ;q=0.1,, ')).toEqual([
      '<sip:a@x;p=1,2>', '"Doe, John" <sip:b@x>', '<sip:c@x> ;q=0.1',
    ]);
    expect(splitHeaderList('"a\\",b", c')).toEqual(['"a\\",b"', 'c']);
    expect(splitHeaderList('')).toEqual([]);
  });
});

describe('identifiers and reason phrases', () => {
  it('makes branches with the magic cookie and at least 64 random bits, all token characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const b = generateBranch();
      expect(b.startsWith(MAGIC_COOKIE)).toBe(true);
      expect(b.length - MAGIC_COOKIE.length).toBeGreaterThanOrEqual(11); // 11 base64 chars ≥ 64 bits
      expect(b).toMatch(/^[A-Za-z0-9_-]+$/);
      seen.add(b);
    }
    expect(seen.size).toBe(1000);
    expect(generateTag()).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(generateCallId()).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(generateTag()).not.toBe(generateTag());
  });
  it('knows the usual phrases and falls back on the class', () => {
    expect(reasonPhrase(180)).toBe('Ringing');
    expect(reasonPhrase(487)).toBe('Request Terminated');
    expect(reasonPhrase(499)).toBe('Client Error');
    expect(reasonPhrase(699)).toBe('Global Failure');
  });
});
