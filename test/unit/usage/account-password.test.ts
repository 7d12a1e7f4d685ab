/**
 * The registration client without a password (main/sip/usage/registerer.ts): a challenge is not
 * answered with an empty password and then called a wrong one; it fails once, saying the password
 * is missing (code 'no-password'), and does not loop. A registrar that does not challenge still
 * registers the account. A scripted registrar and a fake clock, as in registerer.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Registerer, type RegistrationSnapshot } from '../../../main/sip/usage/registerer.ts';
import type { FlowInfo, SendOptions } from '../../../main/sip/usage/out-of-dialog-sender.ts';
import { createResponse, FakeClock, parseMessage } from '../../../main/sip/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/index.ts';

const FLOW: FlowInfo = { protocol: 'UDP', local: { address: '127.0.0.1', port: 5070 }, remote: { address: '127.0.0.1', port: 5060 } };

function setup(script: (req: SipRequest, n: number) => SipResponse, password?: string) {
  const clock = new FakeClock({ start: 1_000_000 });
  const sent: SipRequest[] = [];
  const states: RegistrationSnapshot[] = [];
  const reg = new Registerer({
    aor: 'sip:alice@lab.test',
    ...(password !== undefined ? { password } : {}),
    expires: 600,
    instanceId: 'urn:uuid:00000000-0000-4000-8000-000000000002',
    outbound: false,
    retryBase: 30,
    clock,
    random: () => 1,
    sender: {
      async send(req: SipRequest, o?: SendOptions) {
        o?.prepare?.(FLOW);
        if (!req.hasHeader('Via')) req.prependHeader('Via', `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${sent.length + 1}p;rport`);
        sent.push(parseMessage(req.toBytes()) as SipRequest);
        return { response: script(req, sent.length), flow: FLOW };
      },
    },
  });
  reg.onChange((s) => states.push(s));
  return { clock, sent, states, reg };
}

const challenge = (req: SipRequest, status: 401 | 407 = 401): SipResponse =>
  createResponse(req, {
    status,
    toTag: 'reg1',
    fields: [[status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate', 'Digest realm="lab.test", nonce="n1", qop="auth", algorithm=MD5']],
  });

function ok(req: SipRequest): SipResponse {
  const res = createResponse(req, { status: 200, toTag: 'reg1' });
  res.setHeader('Contact', `${req.header('Contact')!.replace(/;expires=\d+/, '')};expires=600`);
  return res;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('Registerer without a password', () => {
  it('a 401 says the password is missing, not wrong: one REGISTER, no empty credentials, no retry loop', async () => {
    const { sent, states, reg, clock } = setup((req) => challenge(req));
    await reg.register();
    expect(sent).toHaveLength(1);
    expect(sent[0].header('Authorization')).toBeUndefined();
    expect(states.at(-1)).toEqual({
      state: 'failed',
      error: { status: 401, reason: 'no password is saved for alice@lab.test, and the registrar asks for one (401 Unauthorized)', code: 'no-password' },
    });
    expect(states.at(-1)?.error?.reason).not.toContain('wrong');
    clock.advance(3_600_000);
    await settle();
    expect(sent).toHaveLength(1);
  });

  it('an empty password is a missing one (407 from a proxy too)', async () => {
    const { sent, states, reg } = setup((req) => challenge(req, 407), '');
    await reg.register();
    expect(sent).toHaveLength(1);
    expect(sent[0].header('Proxy-Authorization')).toBeUndefined();
    expect(states.at(-1)).toMatchObject({ state: 'failed', error: { status: 407, code: 'no-password', reason: expect.stringMatching(/^no password is saved for alice@lab\.test/) } });
  });

  it('a registrar that does not challenge registers the account without one', async () => {
    const { sent, states, reg } = setup(ok);
    await reg.register();
    expect(sent).toHaveLength(1);
    expect(states.at(-1)).toMatchObject({ state: 'registered', expires: 600 });
    expect(states.at(-1)?.error).toBeUndefined();
  });

  it('a refusal without a challenge is not about the password (403 → refused, no code)', async () => {
    const { states, reg } = setup((req) => createResponse(req, { status: 403, toTag: 'reg1' }));
    await reg.register();
    expect(states.at(-1)).toEqual({ state: 'failed', error: { status: 403, reason: 'the registrar refused alice@lab.test (403 Forbidden)' } });
  });

  it('with a password, a second challenge is still a wrong password (no code)', async () => {
    const { sent, states, reg } = setup((req) => challenge(req), 'nope');
    await reg.register();
    expect(sent).toHaveLength(2);
    expect(states.at(-1)).toEqual({ state: 'failed', error: { status: 401, reason: 'wrong password for alice@lab.test (401 Unauthorized)' } });
  });
});
