/**
 * Links opened with Appel (main/app/protocol.ts): sip:, sips: (RFC 3261 §19.1), tel: (RFC 3966)
 * and callto:, as browsers, mail clients and the OS hand them over.
 */
import { describe, expect, it } from 'vitest';
import { cleanNumber, linkFromArgv, parseLink, type ParsedLink } from '../../../main/app/protocol.ts';

const uri = (target: string, scheme: ParsedLink['scheme'] = target.startsWith('sips:') ? 'sips' : 'sip'): ParsedLink => ({ target, kind: 'uri', scheme });
const number = (target: string, scheme: ParsedLink['scheme']): ParsedLink => ({ target, kind: 'number', scheme });

describe('parseLink', () => {
  const table: Array<[string, ParsedLink | undefined]> = [
    // sip: and sips:
    ['sip:alice@example.com', uri('sip:alice@example.com')],
    ['SIP:alice@example.com', uri('sip:alice@example.com')],
    ['sips:alice@example.com', uri('sips:alice@example.com')],
    ['sip:alice@example.com:5070;transport=tcp', uri('sip:alice@example.com:5070;transport=tcp')],
    ['sip:alice@[2001:db8::1]:5060', uri('sip:alice@[2001:db8::1]:5060')],
    ['sip:+33123456789@gw.example.com;user=phone', uri('sip:+33123456789@gw.example.com;user=phone')],
    ['sip:example.com', uri('sip:example.com')],
    ['sip://alice@example.com/', uri('sip:alice@example.com')],
    ['  sip:alice@example.com  ', uri('sip:alice@example.com')],
    // headers are dropped: a link does not choose what we send
    ['sip:alice@example.com?subject=hi&body=x', uri('sip:alice@example.com')],
    ['sip:alice@example.com?Route=%3Csip:evil.example%3E', uri('sip:alice@example.com')],
    // a password in the URI is never carried (RFC 3261 §19.1.1)
    ['sip:alice:secret@example.com', uri('sip:alice@example.com')],
    // percent-escapes, decoded once
    ['sip:alice%40example.com', uri('sip:alice@example.com')],
    ['sip%3Aalice@example.com', undefined],
    ['sip:bob%2Bwork@example.com', uri('sip:bob+work@example.com')],
    ['sip:alice@exa mple.com', undefined],
    ['sip:alice%20smith@example.com', undefined],
    ['sip:%E0%A4%A@example.com', undefined],
    ['sip:', undefined],
    ['sip:@example.com', undefined],
    ['sip:alice@', undefined],
    ['sip:alice@exa_mple.com', undefined],
    ['sip:<alice@example.com>', undefined],
    ['sip:alice@example.com%0d%0aVia:x', undefined],
    // tel: with visual separators (RFC 3966 §5.1.1) and parameters
    ['tel:+1-201-555-0123', number('+12015550123', 'tel')],
    ['tel:+33.1.23.45.67.89', number('+33123456789', 'tel')],
    ['tel:+33 (0)1 23 45 67 89', number('+33123456789', 'tel')],
    ['tel:+33%20(0)1%2023%2045%2067%2089', number('+33123456789', 'tel')],
    ['tel:(555)%20123-4567', number('5551234567', 'tel')],
    ['tel:%2B44-20-7946-0958', number('+442079460958', 'tel')],
    ['tel:7042;phone-context=example.com', number('7042', 'tel')],
    ['tel:+1-201-555-0123;ext=42', number('+12015550123', 'tel')],
    ['tel:*21#', number('*21#', 'tel')],
    ['TEL:112', number('112', 'tel')],
    ['tel:', undefined],
    ['tel:abc', undefined],
    ['tel:+', undefined],
    ['tel:12+34', undefined],
    // callto: in its many shapes
    ['callto:+33123456789', number('+33123456789', 'callto')],
    ['callto://+33123456789', number('+33123456789', 'callto')],
    ['callto://+33%201%2023%2045%2067%2089/', number('+33123456789', 'callto')],
    ['callto:0123-456-789', number('0123456789', 'callto')],
    ['callto:alice@example.com', uri('sip:alice@example.com', 'callto')],
    ['callto://alice@example.com', uri('sip:alice@example.com', 'callto')],
    ['callto:sip:alice@example.com', uri('sip:alice@example.com', 'callto')],
    ['callto:sips:alice@example.com', uri('sips:alice@example.com', 'callto')],
    ['callto:tel:+1-201-555-0123', number('+12015550123', 'callto')],
    ['callto://echo123', { target: 'echo123', kind: 'user', scheme: 'callto' }],
    ['callto:john.smith', { target: 'john.smith', kind: 'user', scheme: 'callto' }],
    ['callto:callto:123', undefined],
    ['callto://', undefined],
    ['callto:alice@', undefined],
    // not ours
    ['https://example.com', undefined],
    ['javascript:alert(1)', undefined],
    ['mailto:alice@example.com', undefined],
    ['sipx:alice@example.com', undefined],
    ['', undefined],
    [`sip:${'a'.repeat(2100)}@example.com`, undefined],
  ];

  it.each(table)('%s', (link, expected) => {
    expect(parseLink(link)).toEqual(expected);
  });
});

describe('cleanNumber', () => {
  it('keeps a leading + and the dialable characters only', () => {
    expect(cleanNumber('+33 6 12 34 56 78')).toBe('+33612345678');
    expect(cleanNumber('06\u00a012\u00a034')).toBe('061234');
    expect(cleanNumber('1+2')).toBeUndefined();
    expect(cleanNumber('')).toBeUndefined();
    expect(cleanNumber('1'.repeat(65))).toBeUndefined();
  });
});

describe('linkFromArgv', () => {
  it('finds the link among Electron and Chromium arguments', () => {
    expect(linkFromArgv(['/opt/Appel/appel', '--no-sandbox', '--allow-file-access-from-files', 'tel:+1-201-555-0123'])).toEqual({
      link: 'tel:+1-201-555-0123',
      parsed: number('+12015550123', 'tel'),
    });
    expect(linkFromArgv(['appel.exe', 'sip:bad@', 'callto:123'])).toEqual({ link: 'callto:123', parsed: number('123', 'callto') });
    expect(linkFromArgv(['appel', '--hidden'])).toBeUndefined();
  });
});
