/**
 * DigestAuthenticator: answering 401/407 challenges for a SIP request (RFC 3261 §22.2–22.3,
 * RFC 7616, RFC 8760). Expected `response` values were computed independently with Python's
 * hashlib for username "alice", password "secret", realm "example.com", nonce "n1",
 * cnonce "c1", REGISTER sip:example.com.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, MAX_STALE_RETRIES } from '../../../main/sip/auth/index.ts';
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/types.ts';

const PASSWORD = 'secret';

function register(extra: string[] = [], body = ''): SipRequest {
  const text = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr1',
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:alice@example.com>',
    'Call-ID: reg-1',
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@127.0.0.1:5070>',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  return parseMessage(text) as SipRequest;
}

function challenge(status: 401 | 407, ...headers: string[]): SipResponse {
  const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  const text = [
    `SIP/2.0 ${status} ${status === 401 ? 'Unauthorized' : 'Proxy Authentication Required'}`,
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr1',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:alice@example.com>;tag=srv',
    'Call-ID: reg-1',
    'CSeq: 1 REGISTER',
    ...headers.map((h) => `${name}: ${h}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(text) as SipResponse;
}

function authenticator(opts: { realm?: string; trust?: (realm: string) => boolean } = {}): DigestAuthenticator {
  let n = 0;
  return new DigestAuthenticator({
    username: 'alice',
    password: PASSWORD,
    ...opts,
    cnonce: () => (n++ === 0 ? 'c1' : `c${n}`),
  });
}

const param = (value: string | undefined, name: string): string | undefined => {
  const m = new RegExp(`(?:^|[ ,])${name}=("([^"]*)"|[^,\\s]*)`).exec(value ?? '');
  return m ? (m[2] ?? m[1]) : undefined;
};

describe('DigestAuthenticator.authorize — answering a challenge', () => {
  it('answers a 401 (WWW-Authenticate) with Authorization, MD5, qop=auth', () => {
    const auth = authenticator();
    const req = register();
    const outcome = auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5, opaque="op"'));
    expect(outcome).toBe('retry');
    expect(req.headers('Authorization')).toEqual([
      'Digest username="alice", realm="example.com", nonce="n1", uri="sip:example.com", ' +
        'response="f29cdf4782d52f655bba7d45d8530f6c", algorithm=MD5, cnonce="c1", opaque="op", qop=auth, nc=00000001',
    ]);
    expect(req.hasHeader('Proxy-Authorization')).toBe(false);
  });

  it('answers a 407 (Proxy-Authenticate) with Proxy-Authorization', () => {
    const auth = authenticator();
    const req = register();
    expect(auth.authorize(req, challenge(407, 'Digest realm="example.com", nonce="n1", qop="auth"'))).toBe('retry');
    expect(req.hasHeader('Authorization')).toBe(false);
    expect(param(req.header('Proxy-Authorization'), 'response')).toBe('f29cdf4782d52f655bba7d45d8530f6c');
  });

  it('answers an RFC 2069 challenge (no qop) without qop, nc or cnonce', () => {
    const auth = authenticator();
    const req = register();
    expect(auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1"'))).toBe('retry');
    const value = req.header('Authorization');
    expect(param(value, 'response')).toBe('bce9c34312ea6cab40c3511fe8197611');
    expect(param(value, 'qop')).toBeUndefined();
    expect(param(value, 'nc')).toBeUndefined();
    expect(param(value, 'cnonce')).toBeUndefined();
  });

  it('picks the strongest algorithm among several challenges for one realm (RFC 8760 §2.4)', () => {
    const auth = authenticator();
    const req = register();
    const res = challenge(
      401,
      'Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5',
      'Digest realm="example.com", nonce="n1", qop="auth", algorithm=SHA-256',
      'Digest realm="example.com", nonce="n1", qop="auth", algorithm=SHA-1',
    );
    expect(auth.authorize(req, res)).toBe('retry');
    expect(req.headers('Authorization')).toHaveLength(1);
    expect(param(req.header('Authorization'), 'algorithm')).toBe('SHA-256');
    expect(param(req.header('Authorization'), 'response')).toBe(
      'e630b2eb200c10dc39caebb88f19b142ed5ddf1c40908327de6fe622ed11c73d',
    );
  });

  it('answers every realm of a multi-realm challenge, one credential each', () => {
    const auth = authenticator();
    const req = register();
    const res = challenge(407, 'Digest realm="proxy-a", nonce="na", qop="auth"', 'Digest realm="proxy-b", nonce="nb", qop="auth"');
    expect(auth.authorize(req, res)).toBe('retry');
    expect(req.auths('Proxy-Authorization').map((a) => `${a.params.get('realm')}/${a.params.get('nonce')}`)).toEqual([
      'proxy-a/na',
      'proxy-b/nb',
    ]);
    expect(auth.realms).toEqual(['proxy-a', 'proxy-b']);
  });

  it('with `realm` set, answers only that realm', () => {
    const auth = authenticator({ realm: 'example.com' });
    const req = register();
    const res = challenge(401, 'Digest realm="evil.example", nonce="x", qop="auth"', 'Digest realm="example.com", nonce="n1", qop="auth"');
    expect(auth.authorize(req, res)).toBe('retry');
    expect(req.auths('Authorization').map((a) => a.params.get('realm'))).toEqual(['example.com']);
    const other = authenticator({ realm: 'example.com' });
    const outcome = other.authorize(register(), challenge(401, 'Digest realm="evil.example", nonce="x"'));
    expect(outcome).toMatchObject({ kind: 'refused', realm: 'evil.example' });
    expect(typeof outcome === 'object' && outcome.reason).toMatch(/realm "example\.com"/);
  });

  it('with `trust`, refuses an untrusted realm in words and writes nothing', () => {
    const asked: string[] = [];
    const auth = authenticator({ trust: (realm) => (asked.push(realm), realm === 'example.com') });
    const req = register();
    const outcome = auth.authorize(req, challenge(401, 'Digest realm="evil.example", nonce="x", qop="auth"'));
    expect(outcome).toEqual({ kind: 'refused', realm: 'evil.example', reason: 'asked for credentials by "evil.example": refused (not this account\'s realm)' });
    expect(req.header('Authorization')).toBeUndefined();
    expect(auth.realms).toEqual([]);
    expect(auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'))).toBe('retry');
    expect(asked).toEqual(['evil.example', 'example.com']);
  });

  it('hashes the body for qop=auth-int', () => {
    const auth = authenticator();
    const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
    const req = register(['Content-Type: application/sdp'], body);
    expect(auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth-int"'))).toBe('retry');
    expect(param(req.header('Authorization'), 'qop')).toBe('auth-int');
    // Same inputs, empty body, would give another response:
    const empty = register();
    authenticator().authorize(empty, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth-int"'));
    expect(param(req.header('Authorization'), 'response')).not.toBe(param(empty.header('Authorization'), 'response'));
  });

  it('keeps credentials for other realms already on the request', () => {
    const auth = authenticator();
    const req = register();
    auth.authorize(req, challenge(407, 'Digest realm="outer", nonce="o1", qop="auth"'));
    expect(auth.authorize(req, challenge(407, 'Digest realm="inner", nonce="i1", qop="auth"'))).toBe('retry');
    expect(req.auths('Proxy-Authorization').map((a) => a.params.get('realm'))).toEqual(['outer', 'inner']);
  });

  it('rejects what it cannot answer, in words, changing nothing', () => {
    const auth = authenticator();
    const req = register();
    const before = req.toString();
    const outcome = auth.authorize(req, challenge(401, 'Digest realm="r", nonce="n", algorithm=AKAv1-MD5', 'Basic realm="r"'));
    expect(outcome).toEqual({ kind: 'rejected', reason: expect.stringMatching(/no supported digest challenge.*AKAv1-MD5.*Basic/) });
    expect(req.toString()).toBe(before);
    const notAChallenge = parseMessage('SIP/2.0 403 Forbidden\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n') as SipResponse;
    expect(auth.authorize(req, notAChallenge)).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/403/) });
  });
});

describe('DigestAuthenticator — wrong password and stale nonces', () => {
  it('a second challenge for the realm we just answered means a wrong password: rejected, not a loop', () => {
    const auth = authenticator();
    const req = register();
    expect(auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'))).toBe('retry');
    const sent = req.toString();
    const outcome = auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n2", qop="auth"'));
    expect(outcome).toEqual({
      kind: 'rejected',
      realm: 'example.com',
      reason: 'wrong username or password for realm "example.com" (user "alice")',
    });
    expect(req.toString()).toBe(sent);
  });

  it('stale=true: retries with the new nonce (nc back to 1) without counting a failure', () => {
    const auth = authenticator();
    const req = register();
    auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'));
    const outcome = auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n2", qop="auth", stale=true'));
    expect(outcome).toBe('retry');
    const value = req.header('Authorization');
    expect(req.headers('Authorization')).toHaveLength(1);
    expect(param(value, 'nonce')).toBe('n2');
    expect(param(value, 'nc')).toBe('00000001');
    // …and the answer to the new nonce is itself checked: a non-stale challenge now is a wrong password.
    expect(auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n3", qop="auth"'))).toMatchObject({
      kind: 'rejected',
      realm: 'example.com',
    });
  });

  it(`gives up after ${MAX_STALE_RETRIES} stale=true challenges in a row`, () => {
    const auth = authenticator();
    const req = register();
    auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="s0", qop="auth"'));
    for (let i = 1; i <= MAX_STALE_RETRIES; i++) {
      expect(auth.authorize(req, challenge(401, `Digest realm="example.com", nonce="s${i}", qop="auth", stale=true`))).toBe('retry');
    }
    expect(auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="sx", qop="auth", stale=true'))).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/stale/),
    });
  });

  it('the same challenge for a request that carried no credentials is simply answered', () => {
    const auth = authenticator();
    auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'));
    expect(auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'))).toBe('retry');
  });
});

describe('DigestAuthenticator.preAuthorize', () => {
  it('pre-authorizes the next request with the remembered nonce, nc incremented, same cnonce', () => {
    const auth = authenticator();
    auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth", opaque="op"'));
    const refresh = register();
    expect(auth.preAuthorize(refresh)).toBe(1);
    const value = refresh.header('Authorization');
    expect(param(value, 'nc')).toBe('00000002');
    expect(param(value, 'cnonce')).toBe('c1');
    expect(param(value, 'opaque')).toBe('op');
    expect(param(value, 'response')).toBe('29b96be6a63a496c4e3d862f40f09477');
    const next = register();
    auth.preAuthorize(next);
    expect(param(next.header('Authorization'), 'nc')).toBe('00000003');
  });

  it('adds nothing when no challenge is remembered, or when the request already has credentials', () => {
    const auth = authenticator();
    expect(auth.preAuthorize(register())).toBe(0);
    const req = register();
    auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'));
    expect(auth.preAuthorize(req)).toBe(0);
    expect(req.headers('Authorization')).toHaveLength(1);
  });

  it('uses Proxy-Authorization for a realm learned from a 407', () => {
    const auth = authenticator();
    auth.authorize(register(), challenge(407, 'Digest realm="proxy", nonce="p1", qop="auth"'));
    const req = register();
    auth.preAuthorize(req);
    expect(req.hasHeader('Authorization')).toBe(false);
    expect(req.auths('Proxy-Authorization')[0].params.get('realm')).toBe('proxy');
  });

  it('retrying with a new request: the first preAuthorize after a challenge is its answer', () => {
    const auth = authenticator();
    expect(auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'))).toBe('retry');
    const retry = register();
    expect(auth.preAuthorize(retry)).toBe(1);
    expect(auth.authorize(retry, challenge(401, 'Digest realm="example.com", nonce="n2", qop="auth"'))).toMatchObject({
      kind: 'rejected',
      realm: 'example.com',
      reason: expect.stringMatching(/wrong username or password/),
    });
  });

  it('retrying with a new request: stale=true chains are bounded too', () => {
    const auth = authenticator();
    auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="s0", qop="auth"'));
    let outcome: ReturnType<DigestAuthenticator['authorize']> = 'retry';
    let rounds = 0;
    while (outcome === 'retry' && rounds < 20) {
      const retry = register();
      auth.preAuthorize(retry);
      outcome = auth.authorize(retry, challenge(401, `Digest realm="example.com", nonce="s${++rounds}", qop="auth", stale=true`));
    }
    expect(rounds).toBe(MAX_STALE_RETRIES + 1);
    expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/stale/) });
  });

  it('a challenge to a pre-authorized refresh (expired nonce, not stale) is answered once, then rejected', () => {
    const auth = authenticator();
    auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'));
    auth.preAuthorize(register()); // the retry, which succeeded
    const refresh = register();
    auth.preAuthorize(refresh);
    expect(auth.authorize(refresh, challenge(401, 'Digest realm="example.com", nonce="n2", qop="auth"'))).toBe('retry');
    expect(param(refresh.header('Authorization'), 'nonce')).toBe('n2');
    expect(auth.authorize(refresh, challenge(401, 'Digest realm="example.com", nonce="n3", qop="auth"'))).toMatchObject({
      kind: 'rejected',
    });
  });

  it('a pre-authorized request starts a new attempt: earlier stale retries do not count', () => {
    const auth = authenticator();
    const req = register();
    auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="s0", qop="auth"'));
    for (let i = 1; i <= MAX_STALE_RETRIES; i++) {
      auth.authorize(req, challenge(401, `Digest realm="example.com", nonce="s${i}", qop="auth", stale=true`));
    }
    auth.preAuthorize(register()); // the retry of that chain, which succeeded
    const refresh = register();
    auth.preAuthorize(refresh);
    expect(auth.authorize(refresh, challenge(401, 'Digest realm="example.com", nonce="t1", qop="auth", stale=true'))).toBe('retry');
  });

  it('forget() drops remembered challenges', () => {
    const auth = authenticator();
    auth.authorize(register(), challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'));
    auth.forget('example.com');
    expect(auth.preAuthorize(register())).toBe(0);
  });
});

describe('DigestAuthenticator keeps the password secret', () => {
  it('never shows it in toString, JSON, inspect, or a rejection reason', () => {
    const auth = new DigestAuthenticator({ username: 'alice', password: 'hunter2-Zq9', realm: 'example.com' });
    const req = register();
    auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n1", qop="auth"'));
    const outcome = auth.authorize(req, challenge(401, 'Digest realm="example.com", nonce="n2", qop="auth"'));
    const shown = [String(auth), JSON.stringify(auth), inspect(auth, { showHidden: true, depth: 5 }), JSON.stringify(outcome), req.toString()];
    for (const s of shown) expect(s).not.toContain('hunter2-Zq9');
    expect(String(auth)).toBe('DigestAuthenticator(username=alice, realm=example.com)');
    expect(JSON.parse(JSON.stringify(auth))).toEqual({ username: 'alice', realm: 'example.com' });
  });
});
