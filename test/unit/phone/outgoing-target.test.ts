import { describe, expect, it } from 'vitest';
import { OutgoingCalls } from '../../../main/phone/outgoing-calls.ts';
import type { Account } from '../../../main/phone/accounts.ts';

// targetUri uses none of the parts: the engine completes every client's target the same way.
const outgoing = new OutgoingCalls({} as ConstructorParameters<typeof OutgoingCalls>[0]);
const account = { id: 'a', config: { aor: 'sip:alice@lab.test' } } as unknown as Account;

describe("the engine's dial target (contract/dial-target.ts)", () => {
  it('dials tel: as a telephone-subscriber at the account domain, user=phone (RFC 3261 §19.1.6)', () => {
    expect(outgoing.targetUri('tel:+1-555-1234', account)).toBe('sip:+15551234@lab.test;user=phone');
  });
  it('completes an extension and user@host', () => {
    expect(outgoing.targetUri('1234', account)).toBe('sip:1234@lab.test');
    expect(outgoing.targetUri('bob@example.org', account)).toBe('sip:bob@example.org');
    expect(outgoing.targetUri('sip:bob@example.org;transport=tcp', account)).toBe('sip:bob@example.org;transport=tcp');
  });
  it('refuses what cannot be dialled, naming the argument', () => {
    expect(() => outgoing.targetUri('tel:+15551234', undefined)).toThrow(/^to: .*no account/);
    expect(() => outgoing.targetUri('two words', account)).toThrow(/^to: 'two words' is not a valid address/);
  });
});
