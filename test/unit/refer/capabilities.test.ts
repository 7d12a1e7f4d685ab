/**
 * Allow and Allow-Events say exactly what is handled (RFC 3261 §20.5, RFC 6665 §4.4.4 / §8.2.2):
 * one list, made of the usages added to the UA, in REGISTER, INVITE, the 200 to OPTIONS and a 405.
 * A REGISTER that promised SUBSCRIBE while a SUBSCRIBE got 405 was the bug.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { Registerer } from '../../../main/sip/usage/registerer.ts';
import { parseMessage } from '../../../main/sip/index.ts';
import type { SipRequest } from '../../../main/sip/index.ts';
import { headerIn, nextIncoming, receivedRequests, sdp, startTransferStack, until } from './stack.ts';
import type { TransferStack } from './stack.ts';
import { startStack } from '../invite/stack.ts';

let alice: TransferStack;
let bob: TransferStack;

beforeEach(async () => {
  [alice, bob] = await Promise.all([startTransferStack('alice'), startTransferStack('bob')]);
});

afterEach(async () => {
  await Promise.all([alice.stop(), bob.stop()]);
});

/** A comma list as a sorted set, for comparing two Allow values. */
function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((m) => m.trim()).filter(Boolean).sort();
}

const HANDLED = ['ACK', 'BYE', 'CANCEL', 'INFO', 'INVITE', 'MESSAGE', 'NOTIFY', 'OPTIONS', 'PRACK', 'REFER', 'UPDATE'];

describe('Allow and Allow-Events (RFC 3261 §20.5, RFC 6665 §8.2.2)', () => {
  it("a SUBSCRIBE's 405 and the REGISTER's Allow agree, and neither names SUBSCRIBE", async () => {
    // Bob is the "registrar": he handles no REGISTER, so he answers 405 with his own Allow.
    const registerer = new Registerer({
      aor: alice.uri(),
      registrar: bob.uri(),
      expires: 600,
      instanceId: 'urn:uuid:00000000-0000-4000-8000-00000000000a',
      outbound: false,
      retryBase: 30,
      sender: alice.ua,
      clock: alice.clock,
    });
    void registerer.register();
    await until(() => receivedRequests(bob, 'REGISTER').length === 1, 'the REGISTER');
    const register = parseMessage(new TextEncoder().encode(receivedRequests(bob, 'REGISTER')[0])) as SipRequest;
    const subscribe = await alice.ua.sendOutOfDialog({ method: 'SUBSCRIBE', to: bob.uri(), fields: [['Event', 'presence'], ['Expires', '600']] });
    expect(subscribe.status).toBe(405);
    expect(list(subscribe.headers('Allow').join(','))).toEqual(HANDLED);
    expect(list(register.headers('Allow').join(','))).toEqual(HANDLED);
    expect(register.headers('Allow')).not.toContain('SUBSCRIBE');
    // The refer package is served (a REFER we accept makes its subscription, RFC 3515 §2.4.4); no other.
    expect(register.headers('Allow-Events')).toEqual(['refer']);
    expect(subscribe.headers('Allow-Events')).toEqual(['refer']);
    await registerer.unregister().catch(() => undefined);
  });

  it('the 200 to OPTIONS and an INVITE carry the same list', async () => {
    const options = await alice.ua.sendOutOfDialog({ method: 'OPTIONS', to: bob.uri() });
    expect(options.status).toBe(200);
    expect(list(options.headers('Allow').join(','))).toEqual(HANDLED);
    expect(options.headers('Allow-Events')).toEqual(['refer']);
    const incoming = nextIncoming(bob);
    alice.usage.invite({ to: bob.uri(), from: alice.uri(), offer: sdp('alice offer') });
    const session = await incoming;
    const invite = receivedRequests(bob, 'INVITE')[0];
    expect(list(headerIn(invite, 'Allow'))).toEqual(HANDLED);
    expect(headerIn(invite, 'Allow-Events')).toBe('refer');
    session.reject(486);
  });

  it('without the transfer usage, neither REFER nor NOTIFY nor Allow-Events is offered', async () => {
    const plain = await startStack('plain');
    try {
      const options = await alice.ua.sendOutOfDialog({ method: 'OPTIONS', to: plain.uri() });
      expect(list(options.headers('Allow').join(','))).toEqual(HANDLED.filter((m) => m !== 'REFER' && m !== 'NOTIFY'));
      expect(options.hasHeader('Allow-Events')).toBe(false);
      const notify = await alice.ua.sendOutOfDialog({ method: 'NOTIFY', to: plain.uri(), fields: [['Event', 'refer'], ['Subscription-State', 'active']] });
      expect(notify.status).toBe(405);
      expect(notify.hasHeader('Allow-Events')).toBe(false);
    } finally {
      await plain.stop();
    }
  });
});
