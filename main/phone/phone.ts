/**
 * The engine people use (DESIGN.md "phone/"): accounts and their registrations, instant
 * messages, OPTIONS, and the SIP trace, over our SIP stack. It speaks `api.ts`: the CLI calls it
 * directly; the desktop app reaches it over IPC, and the browser bridge over a WebSocket.
 */
import { EventEmitter } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  SipTransport,
  SipResolver,
  UserAgent,
  Registerer,
  parseUri,
  realClock,
  type Clock,
  type RegistrationSnapshot,
  type TraceEvent,
  type TransportProtocol,
} from '../sip/index.ts';
import type { AccountConfig, AccountSnapshot, ApiEvents, MessageSnapshot, SipTraceEntry } from './api.ts';

export const USER_AGENT = 'Appel/0.1';

export interface PhoneOptions {
  /** Local sockets; default UDP and TCP on 0.0.0.0 with any free port. */
  listen?: Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /** DNS servers for RFC 3263 look-ups (`ip` or `ip:port`); default the system's. */
  dnsServers?: string[];
  tls?: { ca?: string; verify?: boolean; cert?: string; key?: string };
  /** RFC 3261 timers, ms (tests shorten them). */
  timers?: { T1?: number; T2?: number; T4?: number };
  /** RFC 5626 keep-alive interval on registration flows, seconds (default 30; 0 = off). */
  keepAlive?: number;
  clock?: Clock;
}

interface Account {
  id: string;
  config: AccountConfig;
  registerer?: Registerer;
  snapshot: AccountSnapshot;
}

type Events = { [K in keyof ApiEvents]: [ApiEvents[K]] };

/** A stable `urn:uuid` per machine and AOR (RFC 5626 §4.1: the same across restarts). */
function instanceIdFor(aor: string): string {
  const h = createHash('sha256').update(`appel:${hostname()}:${aor}`).digest('hex');
  // Shaped as a version-5-style UUID (RFC 4122 §4.3 layout, our own hash).
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function toTransport(name?: string): TransportProtocol | undefined {
  return name ? (name.toUpperCase() as TransportProtocol) : undefined;
}

export class Phone extends EventEmitter<Events> {
  private readonly opts: PhoneOptions;
  private readonly clock: Clock;
  private transport?: SipTransport;
  private ua?: UserAgent;
  private readonly accounts = new Map<string, Account>();
  private nextId = 1;

  constructor(opts: PhoneOptions = {}) {
    super();
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
  }

  async start(): Promise<void> {
    const listen = this.opts.listen?.length
      ? this.opts.listen
      : [
          { protocol: 'UDP' as const, address: '0.0.0.0', port: 0 },
          { protocol: 'TCP' as const, address: '0.0.0.0', port: 0 },
        ];
    this.transport = new SipTransport({
      listen,
      tls: {
        ca: this.opts.tls?.ca,
        verify: this.opts.tls?.verify ?? true,
        cert: this.opts.tls?.cert,
        key: this.opts.tls?.key,
      },
      keepAliveInterval: this.opts.keepAlive ?? 30,
      trace: (e: TraceEvent) => this.emit('sip:trace', toTraceEntry(e)),
    });
    await this.transport.start();
    const resolver = new SipResolver({ servers: this.opts.dnsServers });
    this.ua = new UserAgent({
      transport: this.transport,
      resolver,
      clock: this.clock,
      timers: this.opts.timers,
      userAgent: USER_AGENT,
    });
    this.ua.onMessage((m) => {
      const snap: MessageSnapshot = {
        id: randomUUID(),
        direction: 'incoming',
        peer: m.from,
        text: m.text,
        contentType: m.contentType,
        time: Date.now(),
        status: 'received',
      };
      this.emit('message:received', snap);
    });
    this.transport.onFlowFailed(() => {
      // RFC 5626 §4.4.1: a failed flow is replaced by registering again on a new one.
      for (const a of this.accounts.values()) void a.registerer?.refreshNow();
    });
  }

  localAddresses(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return this.transport?.localAddresses() ?? [];
  }

  addAccount(config: AccountConfig): AccountSnapshot {
    if (!this.ua) throw new Error('the phone is not started');
    const aor = parseUri(config.aor);
    if (aor.scheme !== 'sip' && aor.scheme !== 'sips') throw new TypeError(`aor: a sip: or sips: URI is needed, not '${config.aor}'`);
    const id = String(this.nextId++);
    const account: Account = { id, config: { ...config }, snapshot: { id, aor: config.aor, state: 'unregistered' } };
    this.accounts.set(id, account);
    if (config.register !== false) {
      const registerer = new Registerer({
        aor: config.aor,
        username: config.username,
        password: config.password,
        displayName: config.displayName,
        expires: config.expires ?? 600,
        instanceId: instanceIdFor(config.aor),
        outbound: config.outbound ?? true,
        retryBase: config.retryBase ?? 30,
        userAgent: USER_AGENT,
        sender: {
          send: (req, o) => this.ua!.send(req, { ...o, proxy: config.proxy, transport: toTransport(config.transport) }),
        },
        clock: this.clock,
      });
      registerer.onChange((s) => this.updateAccount(account, s));
      account.registerer = registerer;
      void registerer.register();
    }
    return { ...account.snapshot };
  }

  async removeAccount(id: string): Promise<void> {
    const account = this.accounts.get(id);
    if (!account) throw new TypeError(`id: no account '${id}'`);
    this.accounts.delete(id);
    await account.registerer?.unregister();
  }

  listAccounts(): AccountSnapshot[] {
    return [...this.accounts.values()].map((a) => ({ ...a.snapshot }));
  }

  /** Wake from sleep or a network change: every account registers again at once. */
  async networkChanged(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((a) => a.registerer?.refreshNow()));
  }

  async options(req: { accountId?: string; to: string; proxy?: string }): Promise<{ status: number; reason: string }> {
    const account = req.accountId ? this.accounts.get(req.accountId) : undefined;
    const res = await this.ua!.sendOutOfDialog({
      method: 'OPTIONS',
      to: req.to,
      from: account?.config.aor,
      proxy: account?.config.proxy ?? req.proxy,
      transport: toTransport(account?.config.transport),
      credentials: account && { username: account.config.username, password: account.config.password },
      fields: [['Accept', 'application/sdp']],
    });
    return { status: res.status, reason: res.reason };
  }

  async sendMessage(req: { accountId?: string; to: string; text: string; proxy?: string }): Promise<MessageSnapshot> {
    const account = req.accountId ? this.accounts.get(req.accountId) : undefined;
    const snap: MessageSnapshot = {
      id: randomUUID(),
      direction: 'outgoing',
      peer: req.to,
      text: req.text,
      contentType: 'text/plain;charset=UTF-8',
      time: Date.now(),
      status: 'sending',
    };
    // RFC 3428 §4: MESSAGE outside a dialog, text/plain body.
    const res = await this.ua!.sendOutOfDialog({
      method: 'MESSAGE',
      to: req.to,
      from: account?.config.aor,
      proxy: account?.config.proxy ?? req.proxy,
      transport: toTransport(account?.config.transport),
      credentials: account && { username: account.config.username, password: account.config.password },
      fields: [['Content-Type', snap.contentType]],
      body: req.text,
    });
    if (res.status >= 200 && res.status < 300) snap.status = 'sent';
    else {
      snap.status = 'failed';
      snap.error = res.status === 408 || res.status === 503 ? res.reason : `${req.to} answered ${res.status} ${res.reason}`;
    }
    this.emit('message:state', { ...snap });
    return snap;
  }

  /** Unregister every account (bounded), then close every socket. */
  async stop(): Promise<void> {
    const unregister = Promise.all([...this.accounts.values()].map((a) => a.registerer?.unregister()));
    await Promise.race([unregister, new Promise((r) => setTimeout(r, 5000).unref())]);
    for (const a of this.accounts.values()) a.registerer?.dispose();
    this.accounts.clear();
    this.ua?.close();
    await this.transport?.stop();
    this.transport = undefined;
    this.ua = undefined;
  }

  private updateAccount(account: Account, s: RegistrationSnapshot): void {
    account.snapshot = {
      id: account.id,
      aor: account.config.aor,
      state: s.state,
      expires: s.expires,
      contact: s.contact,
      publicAddress: s.publicAddress,
      error: s.error,
      nextAttemptAt: s.nextAttemptAt,
    };
    this.emit('account:state', { ...account.snapshot });
  }
}

function toTraceEntry(e: TraceEvent): SipTraceEntry {
  const fmt = (a: { address: string; port: number }) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
  return { time: e.time, direction: e.direction, transport: e.protocol, local: fmt(e.local), remote: fmt(e.remote), text: e.text };
}
