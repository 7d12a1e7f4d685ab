import { describe, expect, it } from 'vitest';
import { admit, directCallsAllowed, registrationContactUser, type PolicyAccount } from '../../../main/phone/incoming-policy.ts';

const registered: PolicyAccount = {
  id: 'a1',
  aorUser: 'alice',
  contactUser: 'alice-0123456789ab',
  registers: true,
  flow: { protocol: 'UDP', remote: { address: '192.0.2.10', port: 5060 } },
};
const tcpRegistered: PolicyAccount = {
  id: 'a2',
  aorUser: 'bob',
  contactUser: 'bob-ba9876543210',
  registers: true,
  flow: { protocol: 'TCP', remote: { address: '192.0.2.20', port: 5060 }, connectionId: 'c7' },
};
const serverless: PolicyAccount = { id: 'a3', aorUser: 'carol', contactUser: 'carol', registers: false, flow: undefined };

describe('who may ring us (incoming policy)', () => {
  it('makes a Contact user part per registration: the AOR user and 48 random bits', () => {
    const a = registrationContactUser('alice');
    expect(a).toMatch(/^alice-[0-9a-f]{12}$/);
    expect(registrationContactUser('alice')).not.toBe(a);
  });

  it('takes a request for a registered Contact from the registrar, by address or on the registered connection', () => {
    expect(admit({ uriUser: 'alice-0123456789ab', source: { address: '192.0.2.10', port: 5060 } }, [registered], 'auto')).toEqual({ kind: 'account', accountId: 'a1' });
    expect(admit({ uriUser: 'alice-0123456789ab', source: { address: '::ffff:192.0.2.10', port: 5999 } }, [registered], 'auto')).toEqual({ kind: 'account', accountId: 'a1' });
    expect(admit({ uriUser: 'bob-ba9876543210', source: { address: '198.51.100.1', port: 40000 }, connectionId: 'c7' }, [tcpRegistered], 'never')).toEqual({ kind: 'account', accountId: 'a2' });
  });

  it("takes it from any address the registrar's name resolves to (a cluster of servers)", () => {
    const cluster = { ...registered, serverAddresses: ['192.0.2.10', '192.0.2.11'] };
    expect(admit({ uriUser: 'alice-0123456789ab', source: { address: '192.0.2.11', port: 5060 } }, [cluster], 'never')).toEqual({ kind: 'account', accountId: 'a1' });
    expect(admit({ uriUser: 'alice-0123456789ab', source: { address: '192.0.2.12', port: 5060 } }, [cluster], 'never')).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('refuses the registered Contact from anywhere else (403), even with direct calls allowed', () => {
    expect(admit({ uriUser: 'alice-0123456789ab', source: { address: '203.0.113.5', port: 5060 } }, [registered], 'always')).toMatchObject({ kind: 'refused', status: 403 });
    expect(admit({ uriUser: 'bob-ba9876543210', source: { address: '203.0.113.5', port: 5060 }, connectionId: 'c8' }, [tcpRegistered], 'always')).toMatchObject({ kind: 'refused', status: 403 });
    // Registered once, not now: no flow, nothing to come through.
    expect(admit({ uriUser: 'alice-0123456789ab', source: { address: '192.0.2.10', port: 5060 } }, [{ ...registered, flow: undefined }], 'auto')).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('gives a scanner guessing sip:100@our-ip or the AOR user a 404 while an account registers', () => {
    for (const uriUser of ['100', 'alice', 'Alice-0123456789ab', undefined]) {
      expect(admit({ uriUser, source: { address: '192.0.2.10', port: 5060 } }, [registered], 'auto')).toEqual({ kind: 'refused', status: 404, reason: 'Not Found' });
    }
  });

  it("takes direct calls when no account registers ('auto'), or when set to 'always'; never with 'never'", () => {
    expect(directCallsAllowed('auto', [])).toBe(true);
    expect(directCallsAllowed('auto', [serverless])).toBe(true);
    expect(directCallsAllowed('auto', [serverless, registered])).toBe(false);
    expect(directCallsAllowed(undefined, [registered])).toBe(false);
    expect(directCallsAllowed('always', [registered])).toBe(true);
    expect(directCallsAllowed('never', [])).toBe(false);
    expect(admit({ uriUser: 'carol', source: { address: '203.0.113.5', port: 5060 } }, [serverless], 'auto')).toEqual({ kind: 'direct', accountId: 'a3' });
    expect(admit({ uriUser: 'anyone', source: { address: '203.0.113.5', port: 5060 } }, [], 'auto')).toEqual({ kind: 'direct' });
    expect(admit({ uriUser: 'carol', source: { address: '203.0.113.5', port: 5060 } }, [serverless, registered], 'always')).toEqual({ kind: 'direct', accountId: 'a3' });
    expect(admit({ uriUser: 'carol', source: { address: '203.0.113.5', port: 5060 } }, [serverless], 'never')).toMatchObject({ kind: 'refused', status: 404 });
  });
});
