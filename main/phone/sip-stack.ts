/**
 * The SIP stack as the phone sets it up (main/sip/): the transport (UDP, TCP, TLS sockets, the
 * per-source rate limit, RFC 5626 keep-alive), the RFC 3263 resolver, the user agent, and the
 * INVITE and REFER usages over it. `SipStack.start()` returns it listening; `close()` stops it.
 *
 * What it asks of the accounts (their servers' TLS settings, which addresses are their
 * registrars) it asks through `StackTrust`, answered by accounts.ts.
 */
import type { EventEmitter } from 'node:events';
import {
  SipTransport,
  SipResolver,
  SourceLimiter,
  UserAgent,
  InviteUsage,
  ReferUsage,
  type Clock,
  type TraceEvent,
  type TransportProtocol,
} from '../sip/index.ts';
import type { SipTraceEntry } from '../contract/api.ts';
import type { PhoneEvents } from './phone-events.ts';

export const USER_AGENT = 'Appel/0.1';

export interface SipStackOptions {
  /** Local sockets; default UDP and TCP on 0.0.0.0 with any free port. */
  listen?: Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /** DNS servers for RFC 3263 look-ups (`ip` or `ip:port`); default the system's. */
  dnsServers?: string[];
  tls?: { ca?: string; verify?: boolean; cert?: string; key?: string };
  /** RFC 3261 timers, ms (tests shorten them). */
  timers?: { T1?: number; T2?: number; T4?: number };
  /** RFC 5626 keep-alive interval on registration flows, seconds (default 30; 0 = off). */
  keepAlive?: number;
  /** RFC 4028 session timers (default on: 1800 s asked, 90 s minimum; false: off). */
  sessionTimer?: { expires?: number; minSE?: number } | false;
  /**
   * New requests per second one source may send (sustained; three times as many at once), the
   * registrars of our accounts excepted (default 20; 0: unlimited, for load tests of a PBX).
   */
  maxRequestRate?: number;
}

/** What the stack asks of the accounts it serves (accounts.ts answers). */
export interface StackTrust {
  /** An account's own TLS settings for a server it uses (account-trust.ts tlsPolicyFor). */
  tlsPolicy(server: { serverName: string; address: string }): { ca?: string; verify?: boolean } | undefined;
  /** Whether `address` is a registrar or outbound proxy of ours: never rate-limited. */
  isAccountServer(address: string): boolean;
}

export class SipStack {
  readonly transport: SipTransport;
  readonly resolver: SipResolver;
  readonly ua: UserAgent;
  readonly invite: InviteUsage;
  /** Transfer (RFC 3515 REFER, RFC 3891 Replaces) over the same INVITE usage: phone/transfers.ts. */
  readonly refers: ReferUsage;

  private constructor(parts: { transport: SipTransport; resolver: SipResolver; ua: UserAgent; invite: InviteUsage; refers: ReferUsage }) {
    this.transport = parts.transport;
    this.resolver = parts.resolver;
    this.ua = parts.ua;
    this.invite = parts.invite;
    this.refers = parts.refers;
  }

  /** Open the sockets and build the stack on them; rejects (nothing left open) when a socket cannot be had. */
  static async start(opts: SipStackOptions & { clock: Clock; trust: StackTrust }): Promise<SipStack> {
    const { clock, trust } = opts;
    const listen = opts.listen?.length
      ? opts.listen
      : [
          { protocol: 'UDP' as const, address: '0.0.0.0', port: 0 },
          { protocol: 'TCP' as const, address: '0.0.0.0', port: 0 },
        ];
    const rate = opts.maxRequestRate ?? 20;
    const transport = new SipTransport({
      listen,
      tls: { ca: opts.tls?.ca, verify: opts.tls?.verify ?? true, cert: opts.tls?.cert, key: opts.tls?.key },
      keepAliveInterval: opts.keepAlive ?? 30,
      tlsPolicy: (server) => trust.tlsPolicy(server),
      // A flood from one address costs it its own packets; the registrars of our accounts pass.
      ...(rate === 0 ? {} : { limiter: new SourceLimiter({ clock, rate, burst: 3 * rate, exempt: (address) => trust.isAccountServer(address) }) }),
    });
    try {
      await transport.start();
    } catch (err) {
      await transport.stop().catch(() => undefined);
      throw err;
    }
    const resolver = new SipResolver({ servers: opts.dnsServers });
    const ua = new UserAgent({ transport, resolver, clock, timers: opts.timers, userAgent: USER_AGENT });
    const invite = new InviteUsage({ ua, clock, userAgent: USER_AGENT, ...(opts.sessionTimer !== undefined ? { sessionTimer: opts.sessionTimer } : {}) });
    const refers = new ReferUsage({ ua, invite, clock });
    return new SipStack({ transport, resolver, ua, invite, refers });
  }

  localAddresses(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return this.transport.localAddresses();
  }

  /** The wire trace is decoded only while someone listens to `events`' 'sip:trace' (the CLI's --trace, a viewer). */
  traceTo(events: PhoneEvents): void {
    const sink = (e: TraceEvent): void => events.publish('sip:trace', toTraceEntry(e));
    // Node's own events about listeners, outside the typed map.
    const emitter = events as unknown as EventEmitter;
    if (emitter.listenerCount('sip:trace') > 0) this.transport.setTrace(sink);
    emitter.on('newListener', (event: string | symbol) => {
      if (event === 'sip:trace') this.transport.setTrace(sink);
    });
    emitter.on('removeListener', (event: string | symbol) => {
      if (event === 'sip:trace' && emitter.listenerCount('sip:trace') === 0) this.transport.setTrace(undefined);
    });
  }

  /** Close the user agent's transactions and every socket. */
  async close(): Promise<void> {
    this.ua.close();
    await this.transport.stop();
  }
}

function toTraceEntry(e: TraceEvent): SipTraceEntry {
  const fmt = (a: { address: string; port: number }) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
  return { time: e.time, direction: e.direction, transport: e.protocol, local: fmt(e.local), remote: fmt(e.remote), text: e.text };
}
