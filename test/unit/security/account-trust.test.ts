import { describe, expect, it } from 'vitest';
import { isAccountServer, realmTrust, secureSignalling, tlsPolicyFor } from '../../../main/phone/account-trust.ts';

const alice = { config: { aor: 'sip:alice@lab.test', proxy: 'sip:192.0.2.5;transport=tls', ca: '/ca.pem' } };

describe('what an account trusts', () => {
  it('gives credentials to its realm only: the one set, else its registrar’s and its domain', () => {
    expect(realmTrust({ config: { aor: 'sip:a@lab.test', realm: 'pbx' } })('pbx')).toBe(true);
    expect(realmTrust({ config: { aor: 'sip:a@lab.test', realm: 'pbx' } })('lab.test')).toBe(false);
    const trust = realmTrust({ config: { aor: 'sip:a@Lab.Test' }, registerer: { realms: ['asterisk'] } });
    expect([trust('lab.test'), trust('asterisk'), trust('evil.example')]).toEqual([true, true, false]);
  });

  it('calls over TLS: a sips: target, an account on TLS, a proxy on TLS', () => {
    expect(secureSignalling('sips:bob@x', undefined, undefined)).toBe(true);
    expect(secureSignalling('sip:bob@x', { aor: 'sip:a@x', transport: 'tls' }, undefined)).toBe(true);
    expect(secureSignalling('sip:bob@x', undefined, 'sip:192.0.2.5;transport=tls')).toBe(true);
    expect(secureSignalling('sip:bob@x', { aor: 'sip:a@x', transport: 'udp' }, 'sip:192.0.2.5')).toBe(false);
  });

  it("applies an account's CA file to its proxy and domain only", () => {
    expect(tlsPolicyFor([alice], { serverName: '192.0.2.5', address: '192.0.2.5' })).toEqual({ ca: '/ca.pem' });
    expect(tlsPolicyFor([alice], { serverName: 'lab.test', address: '198.51.100.1' })).toEqual({ ca: '/ca.pem' });
    expect(tlsPolicyFor([alice], { serverName: 'other.test', address: '198.51.100.1' })).toBeUndefined();
  });

  it("knows its servers' addresses once registered", () => {
    const registered = { ...alice, registerer: { realms: [], flow: { remote: { address: '192.0.2.5' } } }, serverAddresses: ['192.0.2.5', '192.0.2.6'] };
    expect(isAccountServer([registered], '::ffff:192.0.2.6')).toBe(true);
    expect(isAccountServer([registered], '192.0.2.7')).toBe(false);
    expect(isAccountServer([alice], '192.0.2.5')).toBe(false);
  });
});
