/**
 * A tiny authoritative DNS server on 127.0.0.1 for tests (never the system resolver): answers
 * NAPTR, SRV, A and AAAA questions from a zone object, NODATA for a known name without records
 * of the asked type, NXDOMAIN for an unknown name.
 *
 *   const dns = await startDnsServer({ 'example.test': { A: ['127.0.0.1'] } });
 *   new SipResolver({ servers: [`127.0.0.1:${dns.port}`] });
 *   …
 *   await dns.close();
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';

export interface ZoneNaptr {
  order: number;
  preference: number;
  /** 's' for a NAPTR pointing at an SRV name (RFC 3263 §4.1). */
  flags: string;
  /** 'SIP+D2U', 'SIP+D2T', 'SIPS+D2T', … */
  services: string;
  regexp?: string;
  replacement: string;
}

export interface ZoneSrv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  SRV?: ZoneSrv[];
  NAPTR?: ZoneNaptr[];
  /** TTL of every record of this name, seconds (default 300). */
  ttl?: number;
}

/** Names are absolute without the trailing dot, compared case-insensitively. */
export type DnsZone = Record<string, ZoneEntry>;

export interface TestDnsServer {
  port: number;
  /** `host:port` for SipResolver's `servers`. */
  server: string;
  /** Every question received, in order (to check caching and look-up order). */
  queries: Array<{ name: string; type: string }>;
  /** Replace the zone (e.g. between test steps). */
  setZone(zone: DnsZone): void;
  close(): Promise<void>;
}

const NXDOMAIN = 3;

export async function startDnsServer(zone: DnsZone): Promise<TestDnsServer> {
  let current = normalize(zone);
  const queries: TestDnsServer['queries'] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const answers: Answer[] = [];
    let nxdomain = false;
    for (const q of query.questions ?? []) {
      queries.push({ name: q.name, type: q.type });
      const entry = current.get(q.name.toLowerCase().replace(/\.$/, ''));
      if (!entry) {
        nxdomain = true;
        continue;
      }
      answers.push(...answersFor(q.name, q.type, entry));
    }
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (nxdomain ? NXDOMAIN : 0),
      questions: query.questions,
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;
  return {
    port,
    server: `127.0.0.1:${port}`,
    queries,
    setZone(next) {
      current = normalize(next);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function normalize(zone: DnsZone): Map<string, ZoneEntry> {
  return new Map(Object.entries(zone).map(([name, entry]) => [name.toLowerCase().replace(/\.$/, ''), entry]));
}

function answersFor(name: string, type: string, entry: ZoneEntry): Answer[] {
  const ttl = entry.ttl ?? 300;
  switch (type) {
    case 'A':
      return (entry.A ?? []).map((data) => ({ type: 'A', name, ttl, data }));
    case 'AAAA':
      return (entry.AAAA ?? []).map((data) => ({ type: 'AAAA', name, ttl, data }));
    case 'SRV':
      return (entry.SRV ?? []).map((data) => ({ type: 'SRV', name, ttl, data }));
    case 'NAPTR':
      return (entry.NAPTR ?? []).map((n) => ({
        type: 'NAPTR',
        name,
        ttl,
        data: { ...n, regexp: n.regexp ?? '' },
      }));
    default:
      return [];
  }
}
