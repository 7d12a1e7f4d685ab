/**
 * An account's own options as the engine applies them: calls from it use its SRTP and DTMF modes
 * unless a dial names one (two whole Phones over loopback), and a TLS server refused for its
 * certificate is reported with a code and the certificate's facts, then registers once the
 * account trusts its CA given as PEM text (as the app's account form saves it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AccountSnapshot } from '../../../main/contract/api.ts';
import { registrationFailure } from '../../../main/cli/output.ts';
import { createResponse, parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest } from '../../../main/sip/message/index.ts';
import { makeTestPki, type TestPki } from '../../helpers/certs.ts';
import { rawUdp, startTransport } from '../transport/loopback.ts';
import { startPhone, waitEvent, waitState, type TestPhone } from './phones.ts';

let dir: string;
let pki: TestPki;
const phones: TestPhone[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'appel-account-options-'));
  pki = makeTestPki(dir, { names: ['127.0.0.1', 'lab.test'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(phones.splice(0).map((p) => p.phone.stop()));
});

async function phone(name: string): Promise<TestPhone> {
  const p = await startPhone(name);
  phones.push(p);
  return p;
}

describe('per-account SRTP and DTMF', () => {
  it('a call from an account uses its SRTP and DTMF modes', async () => {
    const [alice, bob] = await Promise.all([phone('alice'), phone('bob')]);
    alice.phone.addAccount({ aor: 'sip:alice@127.0.0.1', register: false, srtp: 'mandatory', dtmf: 'info' }, 'acc');
    bob.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0 });
    const a = await alice.phone.dial({ to: bob.uri(), accountId: 'acc' });
    const up = await waitState(alice, a.id, 'connected');
    expect(up.srtp).toBe(true);
    // DTMF by INFO only: no telephone-event was offered, so none was negotiated.
    expect(up.telephoneEvent).toBeFalsy();
    await alice.phone.sendDtmf({ callId: a.id, digits: '5' });
    expect(await waitEvent(bob, 'call:dtmf')).toMatchObject({ digit: '5', via: 'info' });
  });

  it('a dial naming SRTP or DTMF wins over the account', async () => {
    const [alice, bob] = await Promise.all([phone('alice'), phone('bob')]);
    alice.phone.addAccount({ aor: 'sip:alice@127.0.0.1', register: false, srtp: 'mandatory', dtmf: 'info' }, 'acc');
    bob.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0 });
    const a = await alice.phone.dial({ to: bob.uri(), accountId: 'acc', srtp: 'off', dtmf: 'auto' });
    const up = await waitState(alice, a.id, 'connected');
    expect(up.srtp).toBe(false);
    expect(up.telephoneEvent).toBe(true);
  });

  it("'rfc4733' sends events in the media, and refuses a digit the other side cannot take rather than fall back to INFO", async () => {
    const [alice, bob, carol] = await Promise.all([phone('alice'), phone('bob'), phone('carol')]);
    alice.phone.addAccount({ aor: 'sip:alice@127.0.0.1', register: false, dtmf: 'rfc4733' }, 'acc');
    bob.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0 });
    const a = await alice.phone.dial({ to: bob.uri(), accountId: 'acc' });
    await waitState(alice, a.id, 'connected');
    await alice.phone.sendDtmf({ callId: a.id, digits: '7' });
    expect(await waitEvent(bob, 'call:dtmf')).toMatchObject({ digit: '7', via: 'rtp' });
    // Carol's account takes DTMF by INFO only: her answer has no telephone-event.
    carol.phone.addAccount({ aor: 'sip:carol@127.0.0.1', register: false, dtmf: 'info' }, 'c');
    carol.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0 });
    const c = await alice.phone.dial({ to: carol.uri(), accountId: 'acc' });
    await waitState(alice, c.id, 'connected');
    await expect(alice.phone.sendDtmf({ callId: c.id, digits: '1' })).rejects.toThrow(/RFC 4733 only/);
  });
});

describe('a TLS registrar with a private CA', () => {
  /** A TLS registrar on loopback that accepts every REGISTER (200, the Contact back, 300 s). */
  async function registrar() {
    const server = await startTransport({ listen: [{ protocol: 'TLS', address: '127.0.0.1', port: 0 }], tls: { cert: pki.certFile, key: pki.keyFile } });
    server.transport.onMessage((incoming) => {
      const req = incoming.message as SipRequest;
      if (!('method' in req) || req.method !== 'REGISTER') return;
      const res = createResponse(req, { status: 200, toTag: 'reg' });
      const contact = req.header('Contact');
      if (contact) res.setHeader('Contact', `${contact};expires=300`);
      void server.transport.sendResponse(res, incoming);
    });
    return server;
  }

  function states(p: TestPhone): AccountSnapshot[] {
    const seen: AccountSnapshot[] = [];
    p.phone.on('account:state', (s) => void seen.push(s));
    return seen;
  }

  async function until(seen: AccountSnapshot[], test: (s: AccountSnapshot) => boolean): Promise<AccountSnapshot> {
    await expect.poll(() => seen.find(test), { timeout: 8000 }).toBeDefined();
    return seen.find(test)!;
  }

  it('reports the refused certificate with a code and its facts, without a CLI flag, then registers once its CA is trusted', async () => {
    const server = await registrar();
    const alice = await phone('alice');
    const seen = states(alice);
    const config = { aor: 'sip:alice@lab.test', proxy: `sip:127.0.0.1:${server.port('TLS')};transport=tls`, retryBase: 3600 };
    alice.phone.addAccount(config, 'tls');
    const failed = await until(seen, (s) => s.state === 'failed');
    expect(failed.error).toMatchObject({ status: 503, code: 'tls-untrusted', certificate: { names: ['127.0.0.1', 'lab.test'] } });
    expect(failed.error!.reason).toMatch(/^certificate of 127\.0\.0\.1:\d+ is signed by an unknown authority and not trusted$/);
    expect(failed.error!.certificate!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(failed.error!.certificate!.subject).toContain('CN=');
    expect(server.inbox).toHaveLength(0);

    await alice.phone.removeAccount('tls');
    const again = states(alice);
    alice.phone.addAccount({ ...config, ca: pki.caPem }, 'tls');
    const registered = await until(again, (s) => s.state === 'registered');
    expect(registered.error).toBeUndefined();
    expect(registered.config?.ca).toBe(pki.caPem);
  });
});

describe('the CLI words a refused certificate itself', () => {
  it('adds its --ca flag to an untrusted authority, and to nothing else', () => {
    const reason = 'certificate of 127.0.0.1:5061 is self-signed and not trusted';
    expect(registrationFailure({ status: 503, code: 'tls-untrusted', reason })).toBe(`${reason}; pass --ca FILE`);
    expect(registrationFailure({ status: 503, code: 'tls-expired', reason: 'certificate of 127.0.0.1:5061 has expired' })).toBe('certificate of 127.0.0.1:5061 has expired');
    expect(registrationFailure({ status: 401, reason: 'wrong password' })).toBe('wrong password');
  });
});

describe('per-account keep-alive', () => {
  it('pings the registration flow at the account’s own interval (RFC 5626 §4.4.1), the phone’s being off', async () => {
    const registrar = await rawUdp();
    registrar.socket.on('message', (data, rinfo) => {
      const text = data.toString('utf8');
      if (!text.startsWith('REGISTER ')) return;
      const req = parseMessage(data) as SipRequest;
      const res = createResponse(req, { status: 200, toTag: 'reg' });
      res.setHeader('Contact', `${req.header('Contact')};expires=300`);
      registrar.socket.send(Buffer.from(res.toString()), rinfo.port, rinfo.address);
    });
    const alice = await phone('alice');
    alice.phone.addAccount({ aor: 'sip:alice@lab.test', proxy: `sip:127.0.0.1:${registrar.port}`, outbound: false, keepAlive: 1 }, 'ka');
    await expect.poll(() => registrar.received.filter((d) => d.text === '\r\n\r\n').length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
  });
});
