import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipResolver, orderSrv, shouldTryNextTarget } from '../../../main/sip/transport/resolver.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import { startDnsServer } from '../../helpers/dns-server.ts';
import type { DnsZone, TestDnsServer } from '../../helpers/dns-server.ts';

const zone: DnsZone = {
  'naptr.test': {
    NAPTR: [
      { order: 20, preference: 10, flags: 's', services: 'SIP+D2U', replacement: '_sip._udp.naptr.test' },
      { order: 10, preference: 20, flags: 's', services: 'SIP+D2T', replacement: '_sip._tcp.naptr.test' },
      { order: 10, preference: 10, flags: 's', services: 'SIPS+D2T', replacement: '_sips._tcp.naptr.test' },
      { order: 5, preference: 10, flags: 's', services: 'SIP+D2S', replacement: '_sip._sctp.naptr.test' },
    ],
  },
  '_sip._udp.naptr.test': { SRV: [{ priority: 1, weight: 0, port: 5070, target: 'udp.naptr.test' }] },
  '_sip._tcp.naptr.test': { SRV: [{ priority: 1, weight: 0, port: 5071, target: 'tcp.naptr.test' }] },
  '_sips._tcp.naptr.test': { SRV: [{ priority: 1, weight: 0, port: 5072, target: 'tls.naptr.test' }] },
  '_sip._sctp.naptr.test': { SRV: [{ priority: 1, weight: 0, port: 5073, target: 'udp.naptr.test' }] },
  'udp.naptr.test': { A: ['127.0.0.2'] },
  'tcp.naptr.test': { A: ['127.0.0.3'], AAAA: ['::1'] },
  'tls.naptr.test': { A: ['127.0.0.4'] },

  // No NAPTR: SRV per transport, priorities and weights.
  'srv.test': {},
  '_sip._udp.srv.test': {
    SRV: [
      { priority: 20, weight: 0, port: 5080, target: 'backup.srv.test' },
      { priority: 10, weight: 60, port: 5081, target: 'a.srv.test' },
      { priority: 10, weight: 40, port: 5082, target: 'b.srv.test' },
    ],
  },
  '_sip._tcp.srv.test': { SRV: [{ priority: 10, weight: 0, port: 5083, target: 'a.srv.test' }] },
  'a.srv.test': { A: ['127.0.1.1'] },
  'b.srv.test': { A: ['127.0.1.2'] },
  'backup.srv.test': { A: ['127.0.1.3'] },

  // Neither NAPTR nor SRV: A/AAAA with the default port.
  'plain.test': { A: ['127.0.2.1'], AAAA: ['::1'] },
  'short.test': { A: ['127.0.3.1'], ttl: 1 },
};

let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startDnsServer(zone);
});
afterAll(async () => {
  await dns.close();
});

function resolver(extra: ConstructorParameters<typeof SipResolver>[0] = {}): SipResolver {
  return new SipResolver({ servers: [dns.server], timeout: 1000, tries: 1, ...extra });
}

function uri(text: string): { scheme: string; host: string; port?: number; params: Map<string, string | null> } {
  const m = /^(sips?):(?:[^@]*@)?(\[[^\]]+\]|[^:;]+)(?::(\d+))?((?:;[^;]*)*)$/.exec(text);
  if (!m) throw new Error(text);
  const params = new Map<string, string | null>();
  for (const p of m[4].split(';').filter(Boolean)) {
    const [k, v] = p.split('=');
    params.set(k, v ?? null);
  }
  return { scheme: m[1], host: m[2], port: m[3] ? Number(m[3]) : undefined, params };
}

describe('SipResolver (RFC 3263)', () => {
  it('uses a numeric IP directly, with the default port of its transport (§4.1, §4.2)', async () => {
    const r = resolver();
    const before = dns.queries.length;
    expect(await r.resolveUri(uri('sip:alice@127.0.0.1'))).toEqual([
      { protocol: 'UDP', address: '127.0.0.1', port: 5060, serverName: '127.0.0.1' },
    ]);
    expect(await r.resolveUri(uri('sips:alice@[::1]:5071'))).toEqual([
      { protocol: 'TLS', address: '::1', port: 5071, serverName: '::1' },
    ]);
    expect(await r.resolveUri(uri('sip:alice@127.0.0.1;transport=tcp'))).toMatchObject([{ protocol: 'TCP', port: 5060 }]);
    expect(dns.queries.length).toBe(before);
  });

  it('with a port, asks A/AAAA only (§4.2)', async () => {
    const before = dns.queries.length;
    const targets = await resolver().resolveUri(uri('sip:tcp.naptr.test:5099;transport=tcp'));
    expect(dns.queries.slice(before).map((q) => q.type)).toEqual(['A', 'AAAA']);
    expect(targets).toEqual([
      { protocol: 'TCP', address: '127.0.0.3', port: 5099, serverName: 'tcp.naptr.test' },
      { protocol: 'TCP', address: '::1', port: 5099, serverName: 'tcp.naptr.test' },
    ]);
  });

  it('orders NAPTR by order then preference, skips unknown services, follows SRV then A/AAAA (§4.1)', async () => {
    const targets = await resolver().resolveUri(uri('sip:bob@naptr.test'));
    expect(targets).toEqual([
      { protocol: 'TLS', address: '127.0.0.4', port: 5072, serverName: 'naptr.test' },
      { protocol: 'TCP', address: '127.0.0.3', port: 5071, serverName: 'naptr.test' },
      { protocol: 'TCP', address: '::1', port: 5071, serverName: 'naptr.test' },
      { protocol: 'UDP', address: '127.0.0.2', port: 5070, serverName: 'naptr.test' },
    ]);
  });

  it('keeps only the transports we support, and only TLS for a SIPS URI', async () => {
    expect((await resolver({ protocols: ['UDP'] }).resolveUri(uri('sip:bob@naptr.test'))).map((t) => t.port)).toEqual([5070]);
    expect((await resolver().resolveUri(uri('sips:bob@naptr.test'))).map((t) => t.protocol)).toEqual(['TLS']);
    expect((await resolver({ families: [6] }).resolveUri(uri('sip:bob@naptr.test;transport=tcp'))).map((t) => t.address)).toEqual(['::1']);
  });

  it('without NAPTR, asks SRV per transport: priority first, then weights (RFC 2782)', async () => {
    const low = await resolver({ random: () => 0.1 }).resolveUri(uri('sip:bob@srv.test'));
    expect(low.map((t) => `${t.protocol} ${t.address}:${t.port}`)).toEqual([
      'UDP 127.0.1.1:5081',
      'UDP 127.0.1.2:5082',
      'UDP 127.0.1.3:5080',
      'TCP 127.0.1.1:5083',
    ]);
    const high = await resolver({ random: () => 0.9 }).resolveUri(uri('sip:bob@srv.test'));
    expect(high.map((t) => t.port)).toEqual([5082, 5081, 5080, 5083]);
  });

  it('with a transport but no port, asks the SRV of that transport (§4.2)', async () => {
    const targets = await resolver().resolveUri(uri('sip:bob@srv.test;transport=tcp'));
    expect(targets).toEqual([{ protocol: 'TCP', address: '127.0.1.1', port: 5083, serverName: 'srv.test' }]);
  });

  it('without NAPTR and SRV, uses A then AAAA with the default port', async () => {
    expect(await resolver().resolveUri(uri('sip:bob@plain.test'))).toEqual([
      { protocol: 'UDP', address: '127.0.2.1', port: 5060, serverName: 'plain.test' },
      { protocol: 'UDP', address: '::1', port: 5060, serverName: 'plain.test' },
    ]);
    expect(await resolver({ families: [4] }).resolveUri(uri('sips:bob@plain.test'))).toEqual([
      { protocol: 'TLS', address: '127.0.2.1', port: 5061, serverName: 'plain.test' },
    ]);
  });

  it('fails with a TransportError when nothing is found', async () => {
    const err = await resolver().resolveUri(uri('sip:bob@nowhere.test')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe('ENOTFOUND');
    expect((err as TransportError).message).toContain('nowhere.test');
  });

  it('caches answers by TTL with an injected clock', async () => {
    let now = 1_000_000;
    const r = resolver({ now: () => now, families: [4] });
    const count = () => dns.queries.filter((q) => q.name === 'short.test' && q.type === 'A').length;
    const before = count();
    await r.resolve({ host: 'short.test', port: 5060 });
    await r.resolve({ host: 'short.test', port: 5060 });
    expect(count()).toBe(before + 1);
    now += 1500;
    await r.resolve({ host: 'short.test', port: 5060 });
    expect(count()).toBe(before + 2);
  });

  it('gives the failover order: every target once, in order, across transports', async () => {
    const targets = await resolver({ random: () => 0 }).resolveUri(uri('sip:bob@srv.test'));
    const tried: string[] = [];
    for (const t of targets) {
      tried.push(`${t.protocol}:${t.port}`);
      const outcome = t.port === 5083 ? { kind: 'response' as const, status: 200 } : { kind: 'transport-error' as const };
      if (!shouldTryNextTarget(outcome)) break;
    }
    expect(tried).toEqual(['UDP:5081', 'UDP:5082', 'UDP:5080', 'TCP:5083']);
    expect(shouldTryNextTarget({ kind: 'response', status: 503 })).toBe(true);
    expect(shouldTryNextTarget({ kind: 'timeout' })).toBe(true);
    expect(shouldTryNextTarget({ kind: 'response', status: 486 })).toBe(false);
  });
});

describe('orderSrv (RFC 2782 weighted selection)', () => {
  const records = [
    { priority: 1, weight: 0, port: 1, name: 'zero' },
    { priority: 1, weight: 30, port: 2, name: 'thirty' },
    { priority: 1, weight: 70, port: 3, name: 'seventy' },
    { priority: 0, weight: 5, port: 4, name: 'first' },
  ];

  it('follows the weights over many draws (seeded)', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const firsts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const order = orderSrv(records, random);
      expect(order[0].name).toBe('first');
      firsts.set(order[1].name, (firsts.get(order[1].name) ?? 0) + 1);
    }
    expect(firsts.get('seventy')!).toBeGreaterThan(1200);
    expect(firsts.get('thirty')!).toBeGreaterThan(450);
    expect(firsts.get('zero') ?? 0).toBeLessThan(100);
  });

  it('drops a "." target (service not offered)', () => {
    expect(orderSrv([{ priority: 0, weight: 0, port: 0, name: '.' }])).toEqual([]);
  });
});
