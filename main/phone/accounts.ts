/**
 * The phone's accounts and their registrations (RFC 3261 §10, RFC 5626 outbound), keyed by the
 * ids their owner gives: the store's ids in the app (stable across restarts), the CLI's and the
 * tests' own elsewhere. Each change of a registration is said once as 'account:state'; an
 * account removed (or replaced under the same id) is heard no more, whatever its old
 * registration still does on its way out.
 *
 * It also answers what the rest of the phone asks of accounts: the stack's TLS settings and
 * rate-limit exemptions (StackTrust), the incoming policy's view (PolicyAccount), and the From,
 * next hop and credentials of a request sent on an account's behalf.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { DigestAuthenticator, Registerer, parseUri, type Clock, type RegistrationSnapshot, type TransportProtocol, type UserAgent } from '../sip/index.ts';
import type { AccountConfig, AccountSettings, AccountSnapshot } from '../contract/api.ts';
import { isAccountServer, realmTrust, tlsPolicyFor } from './account-trust.ts';
import { registrationContactUser, type PolicyAccount } from './incoming-policy.ts';
import type { Publish } from './phone-events.ts';
import { USER_AGENT, type StackTrust } from './sip-stack.ts';

export interface Account {
  id: string;
  config: AccountConfig;
  /** The user part of its AOR, and of the Contact it registers (incoming-policy.ts). */
  aorUser: string;
  contactUser: string;
  /** Every address its registrar or outbound proxy resolves to, learned once it registers. */
  serverAddresses?: string[];
  registerer?: Registerer;
  snapshot: AccountSnapshot;
  /** Its own keep-alive on the registration flow (config.keepAlive), while registered. */
  keepAlive?: { stop(): void };
}

/** Keep a flow alive every `interval` seconds (SipTransport.keepAlive); throws when the flow is gone. */
export type FlowKeeper = (flow: { protocol: TransportProtocol; address: string; port: number; connectionId?: string }, interval: number) => { stop(): void };

/** A stable `urn:uuid` per machine and AOR (RFC 5626 §4.1: the same across restarts). */
function instanceIdFor(aor: string): string {
  const h = createHash('sha256').update(`appel:${hostname()}:${aor}`).digest('hex');
  // Shaped as a version-5-style UUID (RFC 4122 §4.3 layout, our own hash).
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function toTransport(name?: string): TransportProtocol | undefined {
  return name ? (name.toUpperCase() as TransportProtocol) : undefined;
}

/** An account's config as its snapshot shows it: never the password. */
function shown(config: AccountConfig): AccountSettings {
  const { password: _password, ...settings } = config;
  return settings;
}

export class Accounts implements StackTrust {
  readonly #ua: UserAgent;
  readonly #clock: Clock;
  readonly #publish: Publish;
  readonly #accounts = new Map<string, Account>();
  readonly #keepFlow?: FlowKeeper;

  constructor(opts: { ua: UserAgent; clock: Clock; publish: Publish; keepFlow?: FlowKeeper }) {
    this.#ua = opts.ua;
    this.#keepFlow = opts.keepFlow;
    this.#clock = opts.clock;
    this.#publish = opts.publish;
  }

  /** Run an account under `id` (registering it unless `register` is false). A bad AOR or a taken id throws TypeError. */
  add(id: string, config: AccountConfig): AccountSnapshot {
    if (typeof id !== 'string' || id === '') throw new TypeError('id: an account id is needed');
    if (this.#accounts.has(id)) throw new TypeError(`id: account '${id}' is running already`);
    const aor = parseUri(config.aor);
    if (aor.scheme !== 'sip' && aor.scheme !== 'sips') throw new TypeError(`aor: a sip: or sips: URI is needed, not '${config.aor}'`);
    const registers = config.register !== false;
    const account: Account = {
      id,
      config: { ...config },
      aorUser: aor.user,
      contactUser: registers ? registrationContactUser(aor.user) : aor.user,
      snapshot: { id, aor: config.aor, state: 'unregistered', config: shown(config) },
    };
    this.#accounts.set(id, account);
    if (registers) {
      const registerer = new Registerer({
        aor: config.aor,
        contactUser: account.contactUser,
        username: config.username,
        password: config.password,
        ...(config.realm ? { realm: config.realm } : {}),
        displayName: config.displayName,
        expires: config.expires ?? 600,
        instanceId: instanceIdFor(config.aor),
        outbound: config.outbound ?? true,
        retryBase: config.retryBase ?? 30,
        userAgent: USER_AGENT,
        sender: {
          send: (req, o) => this.#ua.send(req, { ...o, proxy: config.proxy, transport: toTransport(config.transport) }),
        },
        clock: this.#clock,
      });
      registerer.onChange((s) => {
        if (this.#accounts.get(id) === account) this.#update(account, s);
      });
      account.registerer = registerer;
      void registerer.register();
    }
    return { ...account.snapshot };
  }

  /** Stop running an account: its binding is removed (un-REGISTER) and its states are heard no more. */
  async remove(id: string): Promise<void> {
    const account = this.#accounts.get(id);
    if (!account) throw new TypeError(`id: no account '${id}'`);
    this.#accounts.delete(id);
    account.keepAlive?.stop();
    await account.registerer?.unregister();
  }

  get(id: string): Account | undefined {
    return this.#accounts.get(id);
  }

  has(id: string): boolean {
    return this.#accounts.has(id);
  }

  list(): AccountSnapshot[] {
    return [...this.#accounts.values()].map((a) => ({ ...a.snapshot }));
  }

  /** Wake from sleep or a network change: every account registers again at once. */
  async networkChanged(): Promise<void> {
    await Promise.all([...this.#accounts.values()].map((a) => a.registerer?.refreshNow()));
  }

  /** RFC 5626 §4.4.1: a failed flow is replaced by registering again on a new one, after the §4.5 back-off. */
  flowFailed(): void {
    for (const a of this.#accounts.values()) a.registerer?.flowFailed();
  }

  tlsPolicy(server: { serverName: string; address: string }): { ca?: string; verify?: boolean } | undefined {
    return tlsPolicyFor(this.#accounts.values(), server);
  }

  isAccountServer(address: string): boolean {
    return isAccountServer(this.#accounts.values(), address);
  }

  /** The accounts as the incoming policy sees them (incoming-policy.ts). */
  policyAccounts(): PolicyAccount[] {
    return [...this.#accounts.values()].map((a) => ({
      id: a.id,
      aorUser: a.aorUser,
      contactUser: a.contactUser,
      registers: a.registerer !== undefined,
      flow: a.registerer?.flow,
      ...(a.serverAddresses ? { serverAddresses: a.serverAddresses } : {}),
    }));
  }

  /** From, next hop and credentials of a request outside a dialog: the account's, else none. */
  outOfDialogRoute(account: Account | undefined, proxy?: string) {
    const config = account?.config;
    return {
      from: config?.aor,
      proxy: config?.proxy ?? proxy,
      transport: toTransport(config?.transport),
      credentials: account && { username: config!.username, password: config!.password, trust: realmTrust(account) },
    };
  }

  /** The digest credentials of a call placed from `account` (none without a password). */
  callCredentials(account: Account | undefined): DigestAuthenticator | undefined {
    const config = account?.config;
    if (!account || config?.password === undefined) return undefined;
    return new DigestAuthenticator({ username: config.username ?? parseUri(config.aor).user, password: config.password, trust: realmTrust(account) });
  }

  /** Unregister every account (bounded) and let go of them: their last states are still said. */
  async stop(): Promise<void> {
    const accounts = [...this.#accounts.values()];
    const unregister = Promise.all(accounts.map((a) => a.registerer?.unregister()));
    await Promise.race([unregister, new Promise((r) => setTimeout(r, 5000).unref())]);
    for (const a of accounts) {
      a.keepAlive?.stop();
      a.registerer?.dispose();
    }
    this.#accounts.clear();
  }

  /** Every address the account's server resolves to (RFC 3263): requests may come from any of them. */
  async #learnServerAddresses(account: Account): Promise<void> {
    const { config } = account;
    try {
      const hop = config.proxy ?? `sip:${parseUri(config.aor).host}`;
      const transport = toTransport(config.transport);
      const targets = await this.#ua.resolveNextHop(hop, transport ? { transport } : {});
      account.serverAddresses = [...new Set(targets.map((t) => t.address))].slice(0, 16);
    } catch {
      // The registration's own flow still counts.
    }
  }

  /**
   * The account's own keep-alive interval (RFC 5626 §4.4.1) on its registration flow, in place of
   * the phone's: started once registered, stopped when not. 0 (off) and none leave the phone's.
   */
  #keepAlive(account: Account, registered: boolean): void {
    account.keepAlive?.stop();
    account.keepAlive = undefined;
    const interval = account.config.keepAlive;
    const flow = account.registerer?.flow;
    if (!registered || !this.#keepFlow || !interval || !flow) return;
    try {
      account.keepAlive = this.#keepFlow({ protocol: flow.protocol, address: flow.remote.address, port: flow.remote.port, connectionId: flow.connectionId }, interval);
    } catch {
      // The flow closed meanwhile: the registration hears of it and registers again.
    }
  }

  #update(account: Account, s: RegistrationSnapshot): void {
    if (s.state === 'registered' && account.serverAddresses === undefined) void this.#learnServerAddresses(account);
    this.#keepAlive(account, s.state === 'registered');
    account.snapshot = {
      id: account.id,
      aor: account.config.aor,
      state: s.state,
      expires: s.expires,
      contact: s.contact,
      publicAddress: s.publicAddress,
      error: s.error,
      nextAttemptAt: s.nextAttemptAt,
      config: shown(account.config),
    };
    this.#publish('account:state', { ...account.snapshot });
  }
}
