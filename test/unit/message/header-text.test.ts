import { describe, expect, it } from 'vitest';
import { createRequest, createResponse, headerText, quotedString } from '../../../main/sip/message/index.ts';

describe('text from elsewhere in a header we send', () => {
  it('headerText: control characters become spaces, white space folds, long text is cut', () => {
    expect(headerText('a\0b\r\nc\td\x7f\x85e')).toBe('a b c d e');
    expect(headerText('  spaced   out  ')).toBe('spaced out');
    const long = headerText('x'.repeat(500));
    expect(long).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
  });

  it('quotedString: a §25.1 quoted-string, quotes and backslashes escaped', () => {
    expect(quotedString('say "hi" \\ bye\0')).toBe('"say \\"hi\\" \\\\ bye"');
  });

  it('a reason phrase with CR, LF or NUL is sent printable, never refused or injected', () => {
    const req = createRequest({ method: 'OPTIONS', uri: 'sip:a@b', fields: [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['From', '<sip:x@y>;tag=1'], ['To', '<sip:a@b>'], ['Call-ID', 'c'], ['CSeq', '1 OPTIONS']] });
    const res = createResponse(req, { status: 400, reason: 'Bad header\r\nX-Injected: 1\0' });
    expect(res.reason).toBe('Bad header X-Injected: 1');
    expect(createResponse(req, { status: 400, reason: '\r\n' }).reason).toBe('Bad Request');
  });
});

describe('bounds on what one message may carry', () => {
  it('more than 256 header fields is a 400 that says so', async () => {
    const { parseMessage, SipParseError } = await import('../../../main/sip/message/index.ts');
    const lines = ['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:x@y>;tag=1', 'To: <sip:a@b>', 'Call-ID: c', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70'];
    const ok = [...lines, ...Array.from({ length: 249 }, (_, i) => `X-H${i}: v`), 'Content-Length: 0', '', ''].join('\r\n');
    expect(() => parseMessage(ok)).not.toThrow();
    const many = [...lines, ...Array.from({ length: 300 }, (_, i) => `X-H${i}: v`), 'Content-Length: 0', '', ''].join('\r\n');
    let error: unknown;
    try {
      parseMessage(many);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SipParseError);
    expect(error).toMatchObject({ status: 400 });
    expect(String((error as Error).message)).toMatch(/Too Many Header Fields/);
  });
});
