/**
 * RFC 3263 server location: from a SIP/SIPS URI to the ordered list of places to try.
 *
 *   const resolver = new SipResolver({ servers: ['127.0.0.1:5353'] });
 *   const targets = await resolver.resolveUri(uri);      // or resolver.resolve({ host, port, … })
 *   for (const target of targets) {                       // RFC 3263 §4.3 failover
 *     const outcome = await sendOnce(target);             // a NEW transaction per target (new branch)
 *     if (!shouldTryNextTarget(outcome)) break;           // transport error, timeout, 503 → next
 *   }
 *
 * Order of the list (§4.1, §4.2): an IP literal is used directly; a given port means A/AAAA only;
 * a given transport means the SRV of that transport; otherwise NAPTR (SIP+D2U, SIP+D2T,
 * SIPS+D2T, by order then preference), else SRV of each supported transport, else A/AAAA with
 * the default port (5060, 5061 for TLS). SRV records are ordered by priority, then by RFC 2782's
 * weighted random selection; each SRV target expands to its addresses. An outbound proxy bypasses
 * all this: the caller resolves the proxy's URI instead of the Request-URI (same `resolveUri`).
 *
 * Look-ups go to the DNS servers given (node:dns Resolver), never anything else; results are
 * cached (A/AAAA by their TTL, NAPTR/SRV for `ttl` seconds because node does not report theirs).
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Uri } from '../message/types.ts';
import { TransportError } from './types.ts';
import type { Target, TransportProtocol } from './types.ts';

export interface SipResolverOptions {
  /** DNS servers, `ip` or `ip:port` (`[v6]:port`). Default: the system's (never in tests). */
  servers?: string[];
  /** Transports we can use, in order of preference for SRV look-ups. Default UDP, TCP, TLS. */
  protocols?: TransportProtocol[];
  /** Address families to look up, in order of preference. Default [4, 6]. */
  families?: Array<4 | 6>;
  /** Per-query timeout (ms) and attempts, passed to node's Resolver. Defaults 2000 and 2. */
  timeout?: number;
  tries?: number;
  /** Cache time of NAPTR and SRV answers, seconds (default 60); of "no such record", `negativeTtl` (default 30). */
  ttl?: number;
  negativeTtl?: number;
  /** Injected for tests: RFC 2782 weighted selection and the cache clock (ms). */
  random?: () => number;
  now?: () => number;
}

/** What `resolve` needs of a URI (RFC 3263 §4: host, port, transport, sips). */
export interface ResolveQuery {
  host: string;
  port?: number;
  transport?: TransportProtocol;
  /** A SIPS URI: TLS only (RFC 3263 §4.1). */
  secure?: boolean;
}

/** The outcome of one attempt on a target, as seen by the caller (transaction or usage). */
export type AttemptOutcome =
  | { kind: 'transport-error' }
  | { kind: 'timeout' }
  | { kind: 'response'; status: number };

/** RFC 3263 §4.3: a transport error, a transaction timeout or a 503 moves on to the next target. */
export function shouldTryNextTarget(outcome: AttemptOutcome): boolean {
  return outcome.kind !== 'response' || outcome.status === 503;
}

export const DEFAULT_PORT = { UDP: 5060, TCP: 5060, TLS: 5061 } as const;

/** NAPTR services of RFC 3263 §4.1 and the transport each one means. */
const NAPTR_SERVICES: Record<string, TransportProtocol> = {
  'SIP+D2U': 'UDP',
  'SIP+D2T': 'TCP',
  'SIPS+D2T': 'TLS',
};

const SRV_PREFIX: Record<TransportProtocol, string> = {
  UDP: '_sip._udp.',
  TCP: '_sip._tcp.',
  TLS: '_sips._tcp.',
};

interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  name: string;
}

interface NaptrRecord {
  flags: string;
  service: string;
  replacement: string;
  order: number;
  preference: number;
}

interface CacheEntry {
  expires: number;
  value: unknown;
}

export class SipResolver {
  readonly #resolver: Resolver;
  readonly #protocols: TransportProtocol[];
  readonly #families: Array<4 | 6>;
  readonly #ttl: number;
  readonly #negativeTtl: number;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();

  constructor(options: SipResolverOptions = {}) {
    this.#resolver = new Resolver({ timeout: options.timeout ?? 2000, tries: options.tries ?? 2 });
    if (options.servers) this.#resolver.setServers(options.servers);
    this.#protocols = options.protocols ?? ['UDP', 'TCP', 'TLS'];
    this.#families = options.families ?? [4, 6];
    this.#ttl = options.ttl ?? 60;
    this.#negativeTtl = options.negativeTtl ?? 30;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** Targets of a SIP or SIPS URI (its maddr, when present, is the host: RFC 3263 §4). */
  resolveUri(uri: Pick<Uri, 'scheme' | 'host' | 'port' | 'params'>): Promise<Target[]> {
    const transportParam = uri.params.get('transport')?.toLowerCase();
    const maddr = uri.params.get('maddr');
    const secure = uri.scheme.toLowerCase() === 'sips';
    let transport: TransportProtocol | undefined;
    if (transportParam === 'udp') transport = 'UDP';
    else if (transportParam === 'tcp') transport = secure ? 'TLS' : 'TCP';
    else if (transportParam === 'tls') transport = 'TLS';
    else if (transportParam) {
      return Promise.reject(new TransportError(`transport "${transportParam}" is not supported`, 'UNSUPPORTED_TRANSPORT'));
    }
    return this.resolve({ host: maddr ?? uri.host, port: uri.port, transport, secure });
  }

  /** The ordered targets for a host; throws TransportError('ENOTFOUND' | 'ETIMEOUT' | …) when none. */
  async resolve(query: ResolveQuery): Promise<Target[]> {
    const host = query.host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const secure = query.secure ?? false;
    let transport = query.transport;
    if (secure && transport !== undefined) transport = 'TLS';
    if (transport && !this.#protocols.includes(transport)) {
      throw new TransportError(`transport ${transport} is not enabled`, 'UNSUPPORTED_TRANSPORT');
    }
    const errors: string[] = [];

    // §4.1 and §4.2: a numeric IP address, or an explicit port, skips NAPTR and SRV.
    if (isIP(host) || query.port !== undefined) {
      const protocol = transport ?? this.#fallbackProtocol(secure);
      const port = query.port ?? DEFAULT_PORT[protocol];
      const addresses = isIP(host) ? [host] : await this.#addresses(host, errors);
      return this.#finish(host, addresses.map((address) => ({ protocol, address, port, serverName: host })), errors);
    }

    let targets: Target[] = [];
    if (transport) {
      // §4.2: transport known, port not: SRV for that transport, then A/AAAA.
      targets = await this.#srvTargets(SRV_PREFIX[transport] + host, transport, host, errors);
    } else {
      // §4.1: NAPTR, filtered to what we support (only SIPS+D2T for a SIPS URI).
      const naptrs = (await this.#naptr(host, errors))
        .filter((n) => n.flags.toLowerCase() === 's')
        .filter((n) => {
          const protocol = NAPTR_SERVICES[n.service.toUpperCase()];
          return protocol !== undefined && this.#protocols.includes(protocol) && (!secure || protocol === 'TLS');
        })
        .sort((a, b) => a.order - b.order || a.preference - b.preference);
      for (const n of naptrs) {
        const protocol = NAPTR_SERVICES[n.service.toUpperCase()];
        targets.push(...(await this.#srvTargets(n.replacement, protocol, host, errors)));
      }
      if (targets.length === 0) {
        // No (usable) NAPTR: SRV of each transport we support, in our order of preference.
        for (const protocol of this.#protocols) {
          if (secure && protocol !== 'TLS') continue;
          targets.push(...(await this.#srvTargets(SRV_PREFIX[protocol] + host, protocol, host, errors)));
        }
      }
    }
    if (targets.length === 0) {
      // No SRV: A/AAAA, UDP for SIP and TLS for SIPS (or the transport asked for), default port.
      const protocol = transport ?? this.#fallbackProtocol(secure);
      const addresses = await this.#addresses(host, errors);
      targets = addresses.map((address) => ({ protocol, address, port: DEFAULT_PORT[protocol], serverName: host }));
    }
    return this.#finish(host, targets, errors);
  }

  clearCache(): void {
    this.#cache.clear();
  }

  /** Abandon look-ups in flight (they reject). */
  cancel(): void {
    this.#resolver.cancel();
  }

  #fallbackProtocol(secure: boolean): TransportProtocol {
    if (secure) return 'TLS';
    return this.#protocols.includes('UDP') ? 'UDP' : this.#protocols[0];
  }

  #finish(host: string, targets: Target[], errors: string[]): Target[] {
    const seen = new Set<string>();
    const unique = targets.filter((t) => {
      const key = `${t.protocol}|${t.address}|${t.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (unique.length === 0) {
      if (errors.length > 0) {
        throw new TransportError(`cannot resolve ${host}: ${errors[0]}`, errors.includes('ETIMEOUT') ? 'ETIMEOUT' : errors[0]);
      }
      throw new TransportError(`no SIP server found for ${host} (no NAPTR, SRV, A or AAAA record)`, 'ENOTFOUND');
    }
    return unique;
  }

  /** SRV (RFC 2782) → ordered targets, each expanded to its addresses. */
  async #srvTargets(name: string, protocol: TransportProtocol, serverName: string, errors: string[]): Promise<Target[]> {
    const records = orderSrv(await this.#srv(name, errors), this.#random);
    const targets: Target[] = [];
    for (const r of records) {
      for (const address of await this.#addresses(r.name, errors)) {
        // RFC 5922 §4: the certificate must match the URI's domain, not the SRV target.
        targets.push({ protocol, address, port: r.port, serverName });
      }
    }
    return targets;
  }

  async #addresses(name: string, errors: string[]): Promise<string[]> {
    if (isIP(name)) return [name];
    // RFC 6761 §6.3: localhost is loopback without asking anyone.
    if (name === 'localhost' || name.endsWith('.localhost')) {
      return this.#families.map((f) => (f === 4 ? '127.0.0.1' : '::1'));
    }
    const out: string[] = [];
    for (const family of this.#families) {
      const type = family === 4 ? 'A' : 'AAAA';
      const records = await this.#cached(`${type} ${name}`, errors, async () => {
        const list = family === 4
          ? await this.#resolver.resolve4(name, { ttl: true })
          : await this.#resolver.resolve6(name, { ttl: true });
        const ttl = list.length > 0 ? Math.min(...list.map((r) => r.ttl)) : this.#negativeTtl;
        return { value: list.map((r) => r.address), ttl };
      });
      out.push(...(records as string[]));
    }
    return out;
  }

  async #srv(name: string, errors: string[]): Promise<SrvRecord[]> {
    return (await this.#cached(`SRV ${name}`, errors, async () => ({
      value: await this.#resolver.resolveSrv(name),
      ttl: this.#ttl,
    }))) as SrvRecord[];
  }

  async #naptr(name: string, errors: string[]): Promise<NaptrRecord[]> {
    return (await this.#cached(`NAPTR ${name}`, errors, async () => ({
      value: await this.#resolver.resolveNaptr(name),
      ttl: this.#ttl,
    }))) as NaptrRecord[];
  }

  /** A cached look-up; "no such name/record" is an empty answer, other failures are noted in `errors`. */
  async #cached(key: string, errors: string[], query: () => Promise<{ value: unknown[]; ttl: number }>): Promise<unknown[]> {
    const hit = this.#cache.get(key);
    if (hit && hit.expires > this.#now()) return hit.value as unknown[];
    try {
      const { value, ttl } = await query();
      this.#cache.set(key, { value, expires: this.#now() + ttl * 1000 });
      return value;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EDNS';
      if (code === 'ENODATA' || code === 'ENOTFOUND') {
        this.#cache.set(key, { value: [], expires: this.#now() + this.#negativeTtl * 1000 });
      } else {
        errors.push(code);
      }
      return [];
    }
  }
}

/**
 * RFC 2782 ordering: by priority; within one priority, repeatedly pick at random with probability
 * proportional to weight (zero-weight records first in the running sum, so they get a small chance).
 * A single record with target "." means "no service here" and yields nothing.
 */
export function orderSrv(records: SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const priority of priorities) {
    const remaining = usable
      .filter((r) => r.priority === priority)
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = remaining.length - 1;
      for (let i = 0; i < remaining.length; i++) {
        running += remaining[i].weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(remaining[index]);
      remaining.splice(index, 1);
    }
  }
  return out;
}
