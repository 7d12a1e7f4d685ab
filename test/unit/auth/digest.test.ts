/**
 * Digest arithmetic against published examples (RFC 2617 §3.5, RFC 2069 §2.4, RFC 7616 §3.9.1)
 * and against values computed independently with Python's hashlib for the cases the RFCs
 * do not print (auth-int, -sess, SHA-512-256).
 */
import { describe, expect, it } from 'vitest';
import { parseAuthHeader } from '../../../main/sip/message/index.ts';
import {
  algorithmStrength,
  digestAlgorithm,
  digestResponse,
  formatNonceCount,
} from '../../../main/sip/auth/digest.ts';
import { parseDigestChallenge, strongestPerRealm } from '../../../main/sip/auth/digest-challenge.ts';
import { formatCredentials, quote } from '../../../main/sip/auth/format-credentials.ts';

const rfc2617 = {
  username: 'Mufasa',
  realm: 'testrealm@host.com',
  password: 'Circle Of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
};

const rfc7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life', // lower-case "of" (RFC 7616 erratum 4495)
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  qop: 'auth' as const,
  nc: 1,
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

describe('digestResponse', () => {
  it('RFC 2617 §3.5: MD5, qop=auth', () => {
    expect(digestResponse({ ...rfc2617, algorithm: 'MD5', qop: 'auth', nc: 1, cnonce: '0a4f113b' })).toBe(
      '6629fae49393a05397450978507c4ef1',
    );
  });

  it('RFC 2069 compatibility: no qop, no nc, no cnonce', () => {
    expect(digestResponse({ ...rfc2617, algorithm: 'MD5' })).toBe('670fd8c2df070c60b045671b8b24ff02');
  });

  it('RFC 7616 §3.9.1: MD5', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 7616 §3.9.1: SHA-256', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('SHA-512-256 with the RFC 7616 §3.9.1 inputs', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-512-256' })).toBe(
      '430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0',
    );
  });

  it('-sess variants fold nonce and cnonce into HA1 (RFC 7616 §3.4.2)', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5-sess' })).toBe('e783283f46242139c486a698fec7211d');
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256-sess' })).toBe(
      '2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7',
    );
  });

  describe('qop=auth-int hashes the body into A2 (RFC 7616 §3.4.3)', () => {
    const body = new TextEncoder().encode('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    const base = { ...rfc2617, method: 'INVITE', uri: 'sip:bob@example.com', qop: 'auth-int' as const, nc: 1, cnonce: '0a4f113b' };

    it.each([
      ['MD5', '87f2156725a55595d77eefd79482a1a1'],
      ['SHA-256', 'be7fd3e5343a5b57066564c1e011bc4acc247e0b2deb4ce5e04668f3fa6355b0'],
      ['SHA-512-256', '88400b325bba5bdc99814e674af607f86a44fd66a1fae4b6049caa87eb6ceb54'],
    ] as const)('%s with a body', (algorithm, expected) => {
      expect(digestResponse({ ...base, algorithm, body })).toBe(expected);
    });

    it('an absent body hashes as the empty string', () => {
      expect(digestResponse({ ...base, algorithm: 'MD5' })).toBe('0b1b215b76a4e1cad9a903e04951f6ed');
      expect(digestResponse({ ...base, algorithm: 'MD5', body: new Uint8Array(0) })).toBe('0b1b215b76a4e1cad9a903e04951f6ed');
    });
  });
});

describe('algorithms and nonce counts', () => {
  it('reads algorithm tokens case-insensitively, MD5 when absent, undefined when unknown', () => {
    expect(digestAlgorithm(undefined)).toBe('MD5');
    expect(digestAlgorithm('sha-256')).toBe('SHA-256');
    expect(digestAlgorithm('SHA-512-256-SESS')).toBe('SHA-512-256-sess');
    expect(digestAlgorithm('SHA-1')).toBeUndefined();
    expect(digestAlgorithm('AKAv1-MD5')).toBeUndefined();
  });

  it('ranks SHA-512-256 > SHA-256 > MD5, a -sess variant equal to its hash', () => {
    expect(algorithmStrength('SHA-512-256')).toBeGreaterThan(algorithmStrength('SHA-256'));
    expect(algorithmStrength('SHA-256')).toBeGreaterThan(algorithmStrength('MD5'));
    expect(algorithmStrength('MD5-sess')).toBe(algorithmStrength('MD5'));
  });

  it('writes nc as 8 lower-case hex digits', () => {
    expect(formatNonceCount(1)).toBe('00000001');
    expect(formatNonceCount(255)).toBe('000000ff');
    expect(formatNonceCount(0xffffffff)).toBe('ffffffff');
  });
});

describe('challenges', () => {
  const parse = (s: string) => parseDigestChallenge(parseAuthHeader(s));

  it('reads realm, nonce, algorithm, qop, opaque and stale', () => {
    expect(parse('Digest realm="example.com", nonce="n1", algorithm=SHA-256, qop="auth,auth-int", opaque="o", stale=TRUE')).toEqual({
      realm: 'example.com',
      nonce: 'n1',
      algorithm: 'SHA-256',
      qop: 'auth',
      opaque: 'o',
      stale: true,
    });
  });

  it('takes auth-int when it is the only qop offered, none when qop is absent', () => {
    expect(parse('Digest realm="r", nonce="n", qop="auth-int"')?.qop).toBe('auth-int');
    expect(parse('Digest realm="r", nonce="n"')).toEqual({ realm: 'r', nonce: 'n', algorithm: 'MD5', stale: false });
  });

  it('ignores what it cannot answer: other schemes, unknown algorithms or qop, missing nonce', () => {
    expect(parse('Basic realm="r"')).toBeUndefined();
    expect(parse('Digest realm="r", nonce="n", algorithm=AKAv1-MD5')).toBeUndefined();
    expect(parse('Digest realm="r", nonce="n", qop="auth-conf"')).toBeUndefined();
    expect(parse('Digest realm="r"')).toBeUndefined();
  });

  it('keeps the strongest challenge per realm, realms in order of appearance', () => {
    const list = [
      'Digest realm="a", nonce="1", algorithm=MD5',
      'Digest realm="b", nonce="2", algorithm=MD5',
      'Digest realm="a", nonce="3", algorithm=SHA-512-256',
      'Digest realm="a", nonce="4", algorithm=SHA-256',
    ].map((s) => parse(s)!);
    expect(strongestPerRealm(list).map((c) => `${c.realm}:${c.algorithm}:${c.nonce}`)).toEqual([
      'a:SHA-512-256:3',
      'b:MD5:2',
    ]);
  });
});

describe('credentials', () => {
  it('quotes strings (escaping " and \\) but not algorithm, qop and nc', () => {
    const value = formatCredentials({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      response: '6629fae49393a05397450978507c4ef1',
      algorithm: 'MD5',
      cnonce: '0a4f113b',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      qop: 'auth',
      nc: '00000001',
    });
    expect(value).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001',
    );
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('round-trips through the message layer parser', () => {
    const value = formatCredentials({ username: 'o"brien', realm: 'r', nonce: 'n', uri: 'sip:x', response: 'r1', algorithm: 'SHA-256' });
    const parsed = parseAuthHeader(value);
    expect(parsed.scheme).toBe('Digest');
    expect(parsed.params.get('username')).toBe('o"brien');
    expect(parsed.params.get('algorithm')).toBe('SHA-256');
  });
});
