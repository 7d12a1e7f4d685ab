import { describe, expect, it } from 'vitest';
import { maskSecrets } from '../../../main/sip/transport/mask-secrets.ts';

describe('maskSecrets', () => {
  it('keeps scheme, username and realm of Authorization and hides the rest', () => {
    const text =
      'REGISTER sip:lab.test SIP/2.0\r\n' +
      'Authorization: Digest username="alice", realm="lab.test", nonce="abc", uri="sip:lab.test", ' +
      'response="0123456789abcdef0123456789abcdef", cnonce="c1", nc=00000001, qop=auth\r\n' +
      'Content-Length: 0\r\n\r\n';
    const masked = maskSecrets(text);
    expect(masked).toContain('Authorization: Digest username="alice", realm="lab.test", ***\r\n');
    expect(masked).not.toContain('0123456789abcdef');
    expect(masked).not.toContain('cnonce');
    expect(masked.startsWith('REGISTER sip:lab.test SIP/2.0\r\n')).toBe(true);
    expect(masked.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('masks Proxy-Authorization in any case, folded lines and other schemes', () => {
    const text =
      'INVITE sip:b@x SIP/2.0\r\n' +
      'proxy-authorization: Digest realm="x, y", response="deadbeef",\r\n' +
      '  username="bob", nonce="n"\r\n' +
      'Authorization: Basic YWxpY2U6c2VjcmV0\r\n' +
      'Subject: not a secret\r\n\r\n';
    const masked = maskSecrets(text);
    expect(masked).toBe(
      'INVITE sip:b@x SIP/2.0\r\n' +
        'proxy-authorization: Digest realm="x, y", username="bob", ***\r\n' +
        'Authorization: Basic ***\r\n' +
        'Subject: not a secret\r\n\r\n',
    );
  });

  it('leaves WWW-Authenticate challenges and texts without credentials alone', () => {
    const text = 'SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm="x", nonce="n"\r\n\r\n';
    expect(maskSecrets(text)).toBe(text);
  });

  it('masks every SDES key of every a=crypto line (RFC 4568 §9.1), keeping lifetime and MKI', () => {
    const sdp =
      'v=0\r\n' +
      'm=audio 4000 RTP/SAVP 0\r\n' +
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4;inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n' +
      'A=CRYPTO:2 AES_CM_128_HMAC_SHA1_32 INLINE:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2Vj\r\n' +
      'a=sendrecv\r\n';
    const masked = maskSecrets(`INVITE sip:b@x SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${sdp}`);
    expect(masked).not.toMatch(/WVNfX19|QUJDREVG|c2VjcmV0/);
    expect(masked).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:***|2^20|1:4;inline:***|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n');
    expect(masked).toContain('A=CRYPTO:2 AES_CM_128_HMAC_SHA1_32 inline:***\r\n');
    expect(masked).toContain('a=sendrecv\r\n');
  });
});
