import { describe, expect, it } from 'vitest';
import { addressKey, checkContactUri, completeTarget, displayUri, domainOf, initials } from '../../../renderer/src/lib/uri.ts';
import { formatDuration, formatWhen } from '../../../renderer/src/lib/format.ts';
import { fold } from '../../../renderer/src/lib/text.ts';

describe('contact addresses (RFC 3261 §19.1, RFC 3966)', () => {
  it.each([
    ['sip:alice@example.com', undefined],
    ['sips:alice@example.com:5061;transport=tls', undefined],
    ['sip:1001@192.0.2.10', undefined],
    ['sip:bob@[2001:db8::1]:5060', undefined],
    ['sip:example.com', undefined],
    ['tel:+33123456789', undefined],
    ['tel:+1-201-555-0123', undefined],
    ['tel:7042;phone-context=example.com', undefined],
    ['', 'empty'],
    ['alice@example.com', 'scheme'],
    ['http://example.com', 'scheme'],
    ['sip:alice@', 'host'],
    ['sip:@example.com', 'host'],
    ['sip:alice@exa mple.com', 'spaces'],
    ['sip:alice:secret@example.com', 'password'],
    ['tel:12345', 'number'],
    ['tel:+33abc', 'number'],
  ])('%s → %s', (uri, problem) => {
    expect(checkContactUri(uri)).toBe(problem);
  });
});

describe('what the dialpad calls', () => {
  it('keeps a sip: URI as typed', () => {
    expect(completeTarget('sip:bob@example.org', 'lab.test')).toEqual({ uri: 'sip:bob@example.org' });
  });
  it('adds sip: to user@host', () => {
    expect(completeTarget('bob@example.org')).toEqual({ uri: 'sip:bob@example.org' });
  });
  it("completes a user name or an extension with the account's domain", () => {
    expect(completeTarget('1001', 'lab.test')).toEqual({ uri: 'sip:1001@lab.test' });
    expect(completeTarget(' carol ', 'lab.test')).toEqual({ uri: 'sip:carol@lab.test' });
  });
  it('turns a global number into user=phone without its separators (RFC 3261 §19.1.6)', () => {
    expect(completeTarget('+33 1 23-45.67', 'lab.test')).toEqual({ uri: 'sip:+331234567@lab.test;user=phone' });
    expect(completeTarget('tel:+33123', 'lab.test')).toEqual({ uri: 'sip:+33123@lab.test;user=phone' });
  });
  it('says why it cannot call', () => {
    expect(completeTarget('')).toEqual({ problem: 'empty' });
    expect(completeTarget('1001')).toEqual({ problem: 'no-domain' });
    expect(completeTarget('sip:@x')).toEqual({ problem: 'invalid' });
    expect(completeTarget('two words', 'lab.test')).toEqual({ problem: 'invalid' });
  });
});

describe('addresses as people read and match them', () => {
  it('shows no scheme and no parameters', () => {
    expect(displayUri('sip:bob@x.org;transport=tcp')).toBe('bob@x.org');
    expect(displayUri('tel:+331234')).toBe('+331234');
  });
  it('matches sips/sip, host case, parameters and tel separators', () => {
    expect(addressKey('sips:Bob@X.org;transport=tls')).toBe(addressKey('sip:Bob@x.org'));
    expect(addressKey('sip:Bob@x.org')).not.toBe(addressKey('sip:bob@x.org'));
    expect(addressKey('tel:+33-1-23')).toBe(addressKey('tel:+33123'));
  });
  it('finds the domain of an AOR', () => {
    expect(domainOf('sip:alice@lab.test:5061')).toBe('lab.test:5061');
    expect(domainOf('nonsense')).toBeUndefined();
  });
  it('makes initials', () => {
    expect(initials('Alice Martin')).toBe('AM');
    expect(initials('élodie')).toBe('É');
    expect(initials('sip:bob@example.com')).toBe('B');
    expect(initials('')).toBe('?');
  });
  it('folds case and accents', () => {
    expect(fold('Élodie ÇA')).toBe('elodie ca');
  });
});

describe('times', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75.9)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
  it('shows the time today, the weekday this week, the date before', () => {
    const now = new Date(2026, 10, 20, 15, 0).getTime();
    expect(formatWhen(new Date(2026, 10, 20, 9, 5).getTime(), 'en-GB', now)).toBe('09:05');
    expect(formatWhen(new Date(2026, 10, 18, 9, 5).getTime(), 'en-GB', now)).toBe('Wednesday 09:05');
    expect(formatWhen(new Date(2026, 0, 2).getTime(), 'fr-FR', now)).toBe('2 janv.');
    expect(formatWhen(new Date(2024, 0, 2).getTime(), 'en-GB', now)).toBe('2 Jan 2024');
  });
});
