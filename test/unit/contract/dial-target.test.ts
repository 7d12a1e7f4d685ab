import { describe, expect, it } from 'vitest';
import { completeTarget, domainOf, keptAddress } from '../../../main/contract/dial-target.ts';
import { numberDigits, peerKey, samePeer } from '../../../main/contract/address-key.ts';

describe('completeTarget: what a typed address calls', () => {
  it('dials a tel: URI as a telephone-subscriber at the domain with user=phone (RFC 3261 §19.1.6)', () => {
    expect(completeTarget('tel:+15551234', 'lab.test')).toEqual({ uri: 'sip:+15551234@lab.test;user=phone' });
    expect(completeTarget('tel:+1-555-(123)4', 'lab.test')).toEqual({ uri: 'sip:+15551234@lab.test;user=phone' });
    expect(completeTarget('TEL:+1.555.1234;ext=9', 'lab.test')).toEqual({ uri: 'sip:+15551234@lab.test;user=phone' });
  });
  it('dials a local tel: number at the domain, without user=phone', () => {
    expect(completeTarget('tel:1234', 'lab.test')).toEqual({ uri: 'sip:1234@lab.test' });
  });
  it('completes an extension and a user name with the domain, user@host with sip:', () => {
    expect(completeTarget('1234', 'lab.test')).toEqual({ uri: 'sip:1234@lab.test' });
    expect(completeTarget('Bob', 'lab.test:5070')).toEqual({ uri: 'sip:Bob@lab.test:5070' });
    expect(completeTarget('bob@example.org', 'lab.test')).toEqual({ uri: 'sip:bob@example.org' });
    expect(completeTarget('+44 20 7946-0000', 'lab.test')).toEqual({ uri: 'sip:+442079460000@lab.test;user=phone' });
  });
  it('keeps a sip:/sips: URI as typed', () => {
    expect(completeTarget('sips:Bob@X.org;transport=tls', 'lab.test')).toEqual({ uri: 'sips:Bob@X.org;transport=tls' });
  });
  it('says why it cannot call', () => {
    expect(completeTarget('  ')).toEqual({ problem: 'empty' });
    expect(completeTarget('tel:+15551234')).toEqual({ problem: 'no-domain' });
    expect(completeTarget('sip:bob@exa mple')).toEqual({ problem: 'invalid' });
    expect(completeTarget('tel:xyz', 'lab.test')).toEqual({ problem: 'invalid' });
    expect(completeTarget('bob@', 'lab.test')).toEqual({ problem: 'invalid' });
    expect(completeTarget('a"b', 'lab.test')).toEqual({ problem: 'invalid' });
  });
  it('finds the domain of an AOR', () => {
    expect(domainOf('sip:alice@lab.test')).toBe('lab.test');
  });
});

describe('keptAddress: what a contact keeps, by the dialpad\'s rule', () => {
  it('completes a local tel: number (no phone-context, RFC 3966 §5.1.5) as the dialpad calls it', () => {
    expect(keptAddress('tel:5551234', 'lab.test')).toEqual({ uri: 'sip:5551234@lab.test' });
    expect(keptAddress(' tel:555-12.34 ', 'lab.test:5070')).toEqual({ uri: 'sip:5551234@lab.test:5070' });
  });
  it('keeps what is an address already: sip:, sips:, a global tel: number, a local one with its context', () => {
    for (const uri of ['sip:bob@lab.test', 'sips:Bob@X.org;transport=tls', 'tel:+15551234', 'tel:5551234;phone-context=+1']) expect(keptAddress(uri, 'lab.test')).toEqual({ uri });
  });
  it('completes an extension, a number, a name and user@host as completeTarget does', () => {
    expect(keptAddress('1234', 'lab.test')).toEqual({ uri: 'sip:1234@lab.test' });
    expect(keptAddress('+44 20 7946-0000', 'lab.test')).toEqual({ uri: 'sip:+442079460000@lab.test;user=phone' });
    expect(keptAddress('bob@example.org')).toEqual({ uri: 'sip:bob@example.org' });
  });
  it('says why it cannot keep one', () => {
    expect(keptAddress('tel:5551234')).toEqual({ problem: 'local-number' });
    expect(keptAddress('1234')).toEqual({ problem: 'no-domain' });
    expect(keptAddress('tel:+33abc', 'lab.test')).toEqual({ problem: 'number' });
    expect(keptAddress('sip:alice:pw@x.org', 'lab.test')).toEqual({ problem: 'password' });
    expect(keptAddress('bob smith', 'lab.test')).toEqual({ problem: 'invalid' });
    expect(keptAddress(' ', 'lab.test')).toEqual({ problem: 'empty' });
  });
  it('one rule: the kept address calls what the same input calls from the dialpad', () => {
    const inputs = ['tel:5551234', 'tel:+1-555-1234', 'tel:0612345678', '1234', 'Bob', 'bob@example.org', '+33 1 23 45 67 89', 'sip:bob@lab.test;transport=tcp', 'sips:carol@x.org'];
    for (const input of inputs) {
      const kept = keptAddress(input, 'lab.test');
      expect('uri' in kept, input).toBe(true);
      expect(completeTarget((kept as { uri: string }).uri, 'lab.test'), input).toEqual(completeTarget(input, 'lab.test'));
    }
  });
});

describe('address keys (RFC 3261 §19.1.4)', () => {
  it('keeps the user part case, folds the host, drops parameters', () => {
    expect(peerKey('"Bob" <sip:Bob@LAB.test;transport=tcp>')).toBe('sip:Bob@lab.test');
    expect(peerKey('sip:bob@lab.test')).not.toBe(peerKey('sip:Bob@lab.test'));
  });
  it('matches a tel: number and a sip: user=phone number by digits', () => {
    expect(numberDigits('sip:+1-555-1234@lab.test;user=phone')).toBe('15551234');
    expect(samePeer('tel:+15551234', 'sip:+15551234@lab.test;user=phone')).toBe(true);
    expect(samePeer('sips:Bob@LAB.test', 'sip:Bob@lab.test;transport=tcp')).toBe(true);
    expect(samePeer('sip:bob@lab.test', 'sip:Bob@lab.test')).toBe(false);
  });
});
