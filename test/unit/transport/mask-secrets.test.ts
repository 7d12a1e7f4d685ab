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
});
