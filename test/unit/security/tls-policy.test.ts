/**
 * An account's own TLS settings take effect: its CA file is trusted for its server, its
 * verification choice applies there only. (TLS below 1.2 is refused by `minVersion`, which this
 * machine's OpenSSL enforces anyway at its default security level, so no test here could see it.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../helpers/certs.ts';
import { request, startTransport } from '../transport/loopback.ts';

let dir: string;
let pki: TestPki;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'appel-tls-policy-'));
  pki = makeTestPki(dir, { names: ['127.0.0.1', 'lab.test'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an account's TLS settings (tlsPolicy)", () => {
  it("trusts the account's CA file for its server only", async () => {
    const server = await startTransport({ listen: [{ protocol: 'TLS', address: '127.0.0.1', port: 0 }], tls: { cert: pki.certFile, key: pki.keyFile } });
    const asked: string[] = [];
    const client = await startTransport({
      listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }],
      tlsPolicy: ({ serverName }) => (asked.push(serverName), serverName === 'lab.test' ? { ca: pki.caFile } : undefined),
    });
    const target = { protocol: 'TLS' as const, address: '127.0.0.1', port: server.port('TLS') };
    await expect(client.transport.sendRequest(request('OPTIONS', 'sips:bob@other.test'), { ...target, serverName: 'other.test' })).rejects.toThrow(/certificate|self-signed|trusted/i);
    const used = await client.transport.sendRequest(request('OPTIONS', 'sips:bob@lab.test'), { ...target, serverName: 'lab.test' });
    expect(used.protocol).toBe('TLS');
    expect(asked).toEqual(['other.test', 'lab.test']);
  });
});
