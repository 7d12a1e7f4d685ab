/**
 * The registration client's logic (RFC 3261 §10.2, RFC 5626 §4.5, RFC 3581) against a scripted
 * registrar and a fake clock: what it sends, when it refreshes, how it fails, how it backs off.
 */
import { describe, it, expect } from 'vitest';
import { Registerer, type RegistrationSnapshot } from '../../../main/sip/usage/registerer.ts';
import type { FlowInfo, SendOptions } from '../../../main/sip/usage/out-of-dialog-sender.ts';
import { createResponse, parseMessage, FakeClock } from '../../../main/sip/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/index.ts';

const FLOW: FlowInfo = { protocol: 'UDP', local: { address: '192.168.1.20', port: 5060 }, remote: { address: '203.0.113.5', port: 5060 } };
const INSTANCE = 'urn:uuid:00000000-0000-4000-8000-000000000001';

type Script = (req: SipRequest, n: number) => SipResponse;

function setup(script: Script, opts: { expires?: number; retryBase?: number; password?: string } = {}) {
  const clock = new FakeClock({ start: 1_000_000 });
  const sent: SipRequest[] = [];
  const states: RegistrationSnapshot[] = [];
  const reg = new Registerer({
    aor: 'sip:alice@lab.test',
    password: opts.password ?? 'wonderland',
    expires: opts.expires ?? 600,
    instanceId: INSTANCE,
    outbound: true,
    retryBase: opts.retryBase ?? 30,
    clock,
    random: () => 1,
    sender: {
      async send(req: SipRequest, o?: SendOptions) {
        o?.prepare?.(FLOW);
        // What the transaction layer and the transport add on the way out.
        if (!req.hasHeader('Via')) req.prependHeader('Via', `SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK${sent.length + 1}x;rport`);
        sent.push(parseMessage(req.toBytes()) as SipRequest); // a copy: retries reuse the object
        return { response: script(req, sent.length), flow: FLOW };
      },
    },
  });
  reg.onChange((s) => states.push(s));
  return { clock, sent, states, reg };
}

/** A 200 that echoes the request's Contact with the granted expiry and adds received/rport. */
function ok(req: SipRequest, expires: number, via?: { received?: string; rport?: number }): SipResponse {
  const res = createResponse(req, { status: 200, toTag: 'reg1' });
  const contact = req.header('Contact')!.replace(/;expires=\d+/, '');
  res.setHeader('Contact', `${contact};expires=${expires}`);
  if (via) {
    const top = res.headers('Via')[0].replace(/;rport(?==|;|$)(=\d+)?/, '') + `;received=${via.received};rport=${via.rport}`;
    res.setHeader('Via', [top, ...res.headers('Via').slice(1)]);
  }
  return res;
}

function challenge(req: SipRequest, nonce: string): SipResponse {
  return createResponse(req, {
    status: 401,
    toTag: 'reg1',
    fields: [['WWW-Authenticate', `Digest realm="lab.test", nonce="${nonce}", qop="auth", algorithm=MD5`]],
  });
}

/** Let the registerer's promise chain run (the fake sender resolves at once). */
const settle = () => new Promise((r) => setImmediate(r));

describe('Registerer', () => {
  it('sends a REGISTER with the AOR in To and From, our instance in Contact, Expires, and outbound (RFC 5626 §4.2)', async () => {
    const { sent, reg } = setup((req) => ok(req, 600));
    await reg.register();
    const r = sent[0];
    expect(r.method).toBe('REGISTER');
    expect(r.uri).toBe('sip:lab.test');
    expect(r.to().uri.raw).toBe('sip:alice@lab.test');
    expect(r.from().params.get('tag')).toBeTruthy();
    expect(r.header('Contact')).toBe(`<sip:alice@192.168.1.20:5060>;+sip.instance="<${INSTANCE}>";reg-id=1;expires=600`);
    expect(r.header('Expires')).toBe('600');
    expect(r.headers('Supported')).toContain('outbound');
  });

  it('answers a 401 once with credentials, keeps the Call-ID and raises the CSeq (§10.2.4, §22.2)', async () => {
    const { sent, reg, states } = setup((req, n) => (n === 1 ? challenge(req, 'n1') : ok(req, 600)));
    await reg.register();
    expect(sent).toHaveLength(2);
    expect(sent[1].callId()).toBe(sent[0].callId());
    expect(sent[1].cseq().seq).toBe(sent[0].cseq().seq + 1);
    expect(sent[1].header('Authorization')).toMatch(/^Digest username="alice", realm="lab.test", nonce="n1"/);
    expect(states.at(-1)).toMatchObject({ state: 'registered', expires: 600, contact: 'sip:alice@192.168.1.20:5060' });
  });

  it('a second challenge means a wrong password: failed, in words, and no retry loop', async () => {
    const { sent, reg, states, clock } = setup((req, n) => challenge(req, `n${n}`), { password: 'nope' });
    await reg.register();
    expect(sent).toHaveLength(2);
    expect(states.at(-1)).toMatchObject({ state: 'failed', error: { status: 401, reason: 'wrong password for alice@lab.test (401 Unauthorized)' } });
    clock.advance(3_600_000);
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('refreshes before the granted expiry, using what the registrar granted (not what we asked)', async () => {
    const { sent, reg, clock } = setup((req) => ok(req, 300));
    await reg.register();
    expect(sent).toHaveLength(1);
    clock.advance(239_000);
    await settle();
    expect(sent).toHaveLength(1);
    clock.advance(1_000); // 300 s granted → refresh at 240 s
    await settle();
    expect(sent).toHaveLength(2);
    expect(sent[1].callId()).toBe(sent[0].callId());
  });

  it('refreshes a short registration at half its lifetime', async () => {
    const { sent, reg, clock } = setup((req) => ok(req, 60), { expires: 60 });
    await reg.register();
    clock.advance(30_000);
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('pre-authorizes refreshes with the remembered nonce and nc=00000002', async () => {
    const { sent, reg, clock } = setup((req, n) => (n === 1 ? challenge(req, 'n1') : ok(req, 60)), { expires: 60 });
    await reg.register();
    clock.advance(30_000);
    await settle();
    expect(sent).toHaveLength(3);
    expect(sent[2].header('Authorization')).toMatch(/nonce="n1".*nc=00000002/);
  });

  it('after 423 Interval Too Brief, asks again with Min-Expires (§10.2.8)', async () => {
    const { sent, reg, states } = setup((req, n) =>
      n === 1 ? createResponse(req, { status: 423, toTag: 'r', fields: [['Min-Expires', '3600']] }) : ok(req, 3600),
      { expires: 60 },
    );
    await reg.register();
    expect(sent[1].header('Expires')).toBe('3600');
    expect(states.at(-1)).toMatchObject({ state: 'registered', expires: 3600 });
  });

  it('backs off after a timeout per RFC 5626 §4.5: base·2^failures, capped, then succeeds', async () => {
    let fail = 3;
    const { sent, reg, clock, states } = setup(
      (req) => (fail-- > 0 ? createResponse(req, { status: 408, reason: 'no answer from 203.0.113.5:5060 over UDP after 32 s' }) : ok(req, 600)),
      { retryBase: 30 },
    );
    await reg.register();
    expect(states.at(-1)).toMatchObject({ state: 'failed', error: { status: 408, reason: 'no answer from 203.0.113.5:5060 over UDP after 32 s' } });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = sent.length;
      const start = clock.now();
      while (sent.length === before) {
        clock.next();
        await settle();
      }
      times.push(clock.now() - start);
    }
    // random() = 1 → exactly W: 30 s, 60 s, 120 s.
    expect(times).toEqual([30_000, 60_000, 120_000]);
    expect(states.at(-1)?.state).toBe('registered');
  });

  it('learns its public address from received/rport and re-registers with it (RFC 3581, NAT)', async () => {
    const { sent, reg, states } = setup((req) => ok(req, 600, { received: '198.51.100.7', rport: 40123 }));
    await reg.register();
    // 1: private Contact → 200 says we are 198.51.100.7:40123; 2: remove the private binding;
    // 3: register the public one.
    expect(sent).toHaveLength(3);
    expect(sent[1].header('Contact')).toMatch(/^<sip:alice@192\.168\.1\.20:5060>.*;expires=0$/);
    expect(sent[2].header('Contact')).toMatch(/^<sip:alice@198\.51\.100\.7:40123>/);
    expect(states.at(-1)).toMatchObject({ state: 'registered', publicAddress: '198.51.100.7:40123' });
  });

  it('unregisters its own binding only (Contact with expires=0, never *), §10.2.2', async () => {
    const { sent, reg, states } = setup((req) => ok(req, 600));
    await reg.register();
    await reg.unregister();
    expect(sent).toHaveLength(2);
    expect(sent[1].header('Contact')).toMatch(/^<sip:alice@192\.168\.1\.20:5060>;.*;expires=0$/);
    expect(sent[1].header('Expires')).toBe('0');
    expect(states.at(-1)?.state).toBe('unregistered');
  });

  it('a failed flow (RFC 5626 §4.4.1) registers again after the §4.5 back-off, not at once', async () => {
    const { sent, reg, clock, states } = setup((req) => ok(req, 600), { retryBase: 30 });
    await reg.register();
    reg.flowFailed();
    expect(states.at(-1)).toMatchObject({ state: 'failed', error: { reason: 'the connection to the registrar was lost' } });
    clock.advance(29_999);
    await settle();
    expect(sent).toHaveLength(1);
    clock.advance(1); // random() = 1 → exactly the base time
    await settle();
    expect(sent).toHaveLength(2);
    expect(states.at(-1)?.state).toBe('registered');
  });

  it('a refresh challenged with a new nonce (the registrar restarted) is answered, not taken for a wrong password', async () => {
    const { sent, reg, states } = setup((req, n) => (n === 1 ? challenge(req, 'n1') : n === 3 ? challenge(req, 'n2') : ok(req, 600)));
    await reg.register();
    await reg.refreshNow();
    expect(sent).toHaveLength(4);
    expect(sent[2].header('Authorization')).toMatch(/nonce="n1"/);
    expect(sent[3].header('Authorization')).toMatch(/nonce="n2"/);
    expect(states.at(-1)?.state).toBe('registered');
  });

  it('refreshNow() registers at once after a network change', async () => {
    const { sent, reg } = setup((req) => ok(req, 600));
    await reg.register();
    await reg.refreshNow();
    expect(sent).toHaveLength(2);
  });

  it('never puts the password in a snapshot', async () => {
    const { reg, states } = setup((req, n) => challenge(req, `n${n}`), { password: 'hunter2-secret' });
    await reg.register();
    expect(JSON.stringify(states)).not.toContain('hunter2-secret');
  });
});
