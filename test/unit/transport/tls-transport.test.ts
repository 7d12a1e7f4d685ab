import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipResponse } from '../../../main/sip/message/index.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import { makeTestPki } from '../../helpers/certs.ts';
import type { TestPki } from '../../helpers/certs.ts';
import { request, responseTo, startTransport } from './loopback.ts';
import { UserAgent } from '../../../main/sip/usage/user-agent.ts';
import { SipResolver } from '../../../main/sip/transport/resolver.ts';

let dir: string;
let pki: TestPki;
let expired: TestPki;
let selfSigned: TestPki;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'appel-tls-'));
  pki = makeTestPki(dir, { names: ['127.0.0.1', 'lab.test', '::1'] });
  expired = makeTestPki(dir, { names: ['127.0.0.1'], expired: true, prefix: 'expired' });
  selfSigned = makeTestPki(dir, { names: ['127.0.0.1'], selfSigned: true, prefix: 'self' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function server(certs: TestPki = pki, address = '127.0.0.1') {
  return startTransport({
    listen: [{ protocol: 'TLS', address, port: 0 }],
    tls: { cert: certs.certFile, key: certs.keyFile },
  });
}

async function errorOf(promise: Promise<unknown>): Promise<TransportError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

describe('a TLS client without a TLS listener', () => {
  it("names its connection's own end in Contact, as in Via: the server reaches it on that connection (§18.2.2)", async () => {
    const b = await server();
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], tls: { ca: pki.caFile } });
    const target = { protocol: 'TLS' as const, address: '127.0.0.1', port: b.port('TLS'), serverName: 'lab.test' };
    const ua = new UserAgent({ transport: a.transport, resolver: new SipResolver({ servers: ['127.0.0.1:9'] }) });
    const flow = await ua.flowFor(target);
    await a.transport.sendRequest(request('OPTIONS', 'sips:bob@lab.test'), target);
    const incoming = await b.next();
    // The port the server sees the connection come from, not the UDP listener's.
    expect(flow.local).toEqual({ address: '127.0.0.1', port: incoming.source.port });
    expect(flow.local.port).not.toBe(a.port('UDP'));
    expect(incoming.message.topVia().port).toBe(incoming.source.port);
    expect(a.transport.connections()).toHaveLength(1);
  });
});

describe('SipTransport over TLS', () => {
  it('verifies the server against the CA file and carries SIP both ways', async () => {
    const b = await server();
    const a = await startTransport({ listen: [{ protocol: 'TLS', address: '127.0.0.1', port: 0 }], tls: { ca: pki.caFile, cert: pki.certFile, key: pki.keyFile } });
    const used = await a.transport.sendRequest(request('OPTIONS', 'sips:bob@lab.test'), {
      protocol: 'TLS',
      address: '127.0.0.1',
      port: b.port('TLS'),
      serverName: 'lab.test',
    });
    expect(used).toMatchObject({ protocol: 'TLS', serverName: 'lab.test' });
    const incoming = await b.next();
    expect(incoming.protocol).toBe('TLS');
    expect(incoming.message.topVia().transport).toBe('TLS');
    expect(incoming.message.topVia().port).toBe(a.port('TLS'));
    await b.transport.sendResponse(responseTo(incoming), incoming);
    expect(((await a.next()).message as SipResponse).status).toBe(200);
    expect(a.traces.map((t) => t.protocol)).toEqual(['TLS', 'TLS']);
  });

  it('checks an IP literal against the certificate without sending it as SNI, on IPv6 too', async () => {
    const b = await server(pki, '::1');
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '::1', port: 0 }], tls: { ca: pki.caPem } });
    await a.transport.sendRequest(request('OPTIONS', 'sips:bob@[::1]'), { protocol: 'TLS', address: '::1', port: b.port('TLS') });
    expect((await b.next()).source.address).toBe('::1');
  });

  it('says in words that an unknown CA is not trusted (TLS_UNTRUSTED)', async () => {
    const b = await server();
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const port = b.port('TLS');
    const err = await errorOf(
      a.transport.sendRequest(request('OPTIONS', 'sips:bob@127.0.0.1'), { protocol: 'TLS', address: '127.0.0.1', port }),
    );
    expect(err.errno).toBe('TLS_UNTRUSTED');
    // The engine's words name no CLI flag: each front end says what to do (cli/output.ts, the app's account form).
    expect(err.message).toBe(`certificate of 127.0.0.1:${port} is signed by an unknown authority and not trusted`);
    expect(err.tls?.code).toBe('tls-untrusted');
    expect(err.tls?.certificate).toMatchObject({ subject: expect.stringContaining('CN='), issuer: expect.stringContaining('CN='), names: ['127.0.0.1', 'lab.test', '::1'] });
    expect(err.tls?.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new Date(err.tls!.certificate!.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(new Date(err.tls!.certificate!.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
    expect(err.tls?.certificate?.subject).not.toBe(err.tls?.certificate?.issuer);
    expect(b.inbox).toHaveLength(0);
  });

  it('says in words that a self-signed certificate is not trusted, and trusts it given as --ca', async () => {
    const b = await server(selfSigned);
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const port = b.port('TLS');
    const target = { protocol: 'TLS' as const, address: '127.0.0.1', port };
    const err = await errorOf(a.transport.sendRequest(request('OPTIONS', 'sips:bob@127.0.0.1'), target));
    expect(err.errno).toBe('TLS_UNTRUSTED');
    expect(err.message).toBe(`certificate of 127.0.0.1:${port} is self-signed and not trusted`);
    expect(err.tls?.code).toBe('tls-untrusted');
    // Self-signed: it names itself as its issuer; the fingerprint is the file's own.
    expect(err.tls?.certificate?.subject).toBe(err.tls?.certificate?.issuer);
    expect(err.tls?.certificate?.fingerprint256).toBe(new X509Certificate(readFileSync(selfSigned.certFile)).fingerprint256);
    const trusting = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], tls: { ca: selfSigned.caFile } });
    await trusting.transport.sendRequest(request('OPTIONS', 'sips:bob@127.0.0.1'), target);
    expect((await b.next()).protocol).toBe('TLS');
  });

  it('says in words that the certificate is for another name (TLS_HOSTNAME)', async () => {
    const b = await server();
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], tls: { ca: pki.caFile } });
    const port = b.port('TLS');
    const err = await errorOf(
      a.transport.sendRequest(request('OPTIONS', 'sips:bob@other.test'), {
        protocol: 'TLS',
        address: '127.0.0.1',
        port,
        serverName: 'other.test',
      }),
    );
    expect(err.errno).toBe('TLS_HOSTNAME');
    expect(err.message).toBe(`certificate of 127.0.0.1:${port} is for 127.0.0.1, lab.test, ::1, not other.test`);
    expect(err.tls).toMatchObject({ code: 'tls-hostname', certificate: { names: ['127.0.0.1', 'lab.test', '::1'] } });
    expect(b.inbox).toHaveLength(0);
  });

  it('says in words that the certificate has expired (TLS_EXPIRED)', async () => {
    const b = await server(expired);
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], tls: { ca: expired.caFile } });
    const err = await errorOf(
      a.transport.sendRequest(request('OPTIONS', 'sips:bob@127.0.0.1'), { protocol: 'TLS', address: '127.0.0.1', port: b.port('TLS') }),
    );
    expect(err.errno).toBe('TLS_EXPIRED');
    expect(err.message).toMatch(/^certificate of 127\.0\.0\.1:\d+ has expired$/);
    expect(err.tls?.code).toBe('tls-expired');
    expect(new Date(err.tls!.certificate!.validTo).getTime()).toBeLessThan(Date.now());
  });

  it('connects to an untrusted server when verification is turned off', async () => {
    const b = await server();
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], tls: { verify: false } });
    await a.transport.sendRequest(request('OPTIONS', 'sips:bob@127.0.0.1'), { protocol: 'TLS', address: '127.0.0.1', port: b.port('TLS') });
    expect((await b.next()).protocol).toBe('TLS');
  });

  it('refuses to listen on TLS without a certificate', async () => {
    const err = await errorOf(startTransport({ listen: [{ protocol: 'TLS', address: '127.0.0.1', port: 0 }] }));
    expect(err.errno).toBe('TLS_CONFIG');
  });
});
