/**
 * Two whole Appel engines (Phone → UserAgent → transactions → SipTransport) in one process,
 * talking over loopback sockets bound to port 0: OPTIONS and MESSAGE over every transport,
 * IPv4 and IPv6, plus the UAS checks of RFC 3261 §8.2 seen from the other side.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { Phone } from '../../../main/phone/phone.ts';
import type { MessageSnapshot } from '../../../main/contract/api.ts';
import { makeTestPki, type TestPki } from '../../helpers/certs.ts';

describe('two Appel stacks over loopback', () => {
  let dir: string;
  let pki: TestPki;
  let alice: Phone;
  let bob: Phone;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'appel-two-'));
    pki = makeTestPki(dir, { names: ['127.0.0.1', '::1'] });
    const listen = (tlsToo: boolean) => [
      { protocol: 'UDP' as const, address: '127.0.0.1', port: 0 },
      { protocol: 'TCP' as const, address: '127.0.0.1', port: 0 },
      { protocol: 'UDP' as const, address: '::1', port: 0 },
      ...(tlsToo ? [{ protocol: 'TLS' as const, address: '127.0.0.1', port: 0 }] : []),
    ];
    [alice, bob] = await Promise.all([
      Phone.create({ listen: listen(false), tls: { ca: pki.caFile }, keepAlive: 0 }),
      Phone.create({ listen: listen(true), tls: { cert: pki.certFile, key: pki.keyFile }, keepAlive: 0 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  function bobUri(protocol: 'UDP' | 'TCP' | 'TLS', family: 4 | 6 = 4): string {
    const wanted = protocol === 'TLS' ? 'TLS' : protocol;
    const a = bob.localAddresses().find((l) => l.protocol === wanted && (family === 6) === l.address.includes(':'))!;
    const host = family === 6 ? `[${a.address}]` : a.address;
    return protocol === 'UDP' ? `sip:bob@${host}:${a.port}` : `sip:bob@${host}:${a.port};transport=${protocol.toLowerCase()}`;
  }

  for (const protocol of ['UDP', 'TCP', 'TLS'] as const) {
    it(`OPTIONS over ${protocol} gets 200`, async () => {
      const res = await alice.options({ to: bobUri(protocol) });
      expect(res).toMatchObject({ status: 200, reason: 'OK', rttMs: expect.any(Number) });
    });

    it(`MESSAGE over ${protocol} is delivered once, text intact`, async () => {
      const text = `Bonjour Bob — ça va ? (${protocol}) 👋`;
      const received = once(bob, 'message:received') as Promise<[MessageSnapshot]>;
      const sent = await alice.sendMessage({ to: bobUri(protocol), text });
      expect(sent.status).toBe('sent');
      const [m] = await received;
      expect(m.text).toBe(text);
      expect(m.direction).toBe('incoming');
      expect(m.contentType).toMatch(/^text\/plain/);
    });
  }

  it('OPTIONS and MESSAGE over UDP on IPv6', async () => {
    expect((await alice.options({ to: bobUri('UDP', 6) })).status).toBe(200);
    const received = once(bob, 'message:received') as Promise<[MessageSnapshot]>;
    expect((await alice.sendMessage({ to: bobUri('UDP', 6), text: 'over v6' })).status).toBe('sent');
    expect((await received)[0].text).toBe('over v6');
  });

  it('a MESSAGE that is too big for UDP goes over TCP (RFC 3261 §18.1.1) and still arrives', async () => {
    // §18.1.1 switches to TCP toward the same address and port, so the receiver listens on one
    // port number for both (as a phone on 5060 does).
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    probe.close();
    const carol = await Phone.create({
      listen: [
        { protocol: 'UDP', address: '127.0.0.1', port },
        { protocol: 'TCP', address: '127.0.0.1', port },
      ],
      keepAlive: 0,
    });
    try {
      const seen: string[] = [];
      carol.on('sip:trace', (t) => seen.push(`${t.direction} ${t.transport}`));
      const text = 'x'.repeat(3000);
      const received = once(carol, 'message:received') as Promise<[MessageSnapshot]>;
      const sent = await alice.sendMessage({ to: `sip:carol@127.0.0.1:${port}`, text });
      expect(sent.status).toBe('sent');
      expect((await received)[0].text).toBe(text);
      expect(seen).toContain('received TCP');
    } finally {
      await carol.stop();
    }
  });

  it('an unreachable peer fails in words: TCP connection refused is a 503, not an exception', async () => {
    const sent = await alice.sendMessage({ to: 'sip:nobody@127.0.0.1:9;transport=tcp', text: 'hello?' });
    expect(sent.status).toBe('failed');
    expect(sent.error).toMatch(/127\.0\.0\.1:9/);
  });

  it('traces every message on both sides, with addresses and direction', async () => {
    const seen: string[] = [];
    const onTrace = (t: { direction: string; transport: string; text: string }) => seen.push(`${t.direction} ${t.transport} ${t.text.split('\r\n')[0]}`);
    alice.on('sip:trace', onTrace);
    await alice.options({ to: bobUri('TCP') });
    alice.off('sip:trace', onTrace);
    expect(seen[0]).toMatch(/^sent TCP OPTIONS sip:bob@127\.0\.0\.1:\d+;transport=tcp SIP\/2\.0$/);
    expect(seen).toContain('received TCP SIP/2.0 200 OK');
  });
});
