/**
 * The registration client (RFC 3261 §10.2, RFC 5626 §4.2–4.5): one binding of one Contact
 * (this instance) to an address of record, kept alive by refreshes.
 *
 *   unregistered ──register()──▶ registering ──2xx──▶ registered ──refresh timer──▶ registering
 *        ▲                         │  401/407 → retry once with credentials            │
 *        │                         │  423 → retry with Min-Expires                     │
 *        │                         ▼                                                   │
 *        └──unregister()────── failed ◀──────── error / timeout / wrong password ──────┘
 *                                  └── back-off (RFC 5626 §4.5) ──▶ registering
 *
 * A wrong password ends in `failed` with no automatic retry (it will not get better by
 * itself); transport errors, timeouts and 5xx retry with the §4.5 back-off. Without a password,
 * a challenge is not answered (an empty password is not a guess worth sending): it ends in
 * `failed` saying the password is missing, code 'no-password'; a registrar that does not
 * challenge registers the account all the same.
 */
import { createRequest } from '../message/index.ts';
import type { NameAddr, SipRequest, SipResponse, Uri } from '../message/types.ts';
import { parseUri, uriEquals, generateTag, generateCallId } from '../message/index.ts';
import { DigestAuthenticator } from '../auth/index.ts';
import type { Clock, TimerHandle } from '../transaction/timers.ts';
import type { OutOfDialogSender, FlowInfo } from './out-of-dialog-sender.ts';

import type { AccountSnapshot, RegistrationState } from '../../contract/api.ts';
import type { TransportError } from '../transport/types.ts';

export type { RegistrationState };

export interface RegistererOptions {
  /** Address of record (To and From), e.g. `sip:alice@example.com`. */
  aor: string;
  /** Request-URI of REGISTER: the registrar, by default `sip:<domain of the AOR>` (§10.2). */
  registrar?: string;
  username?: string;
  password?: string;
  displayName?: string;
  /** Interval asked for, seconds (§10.2.1.1). */
  expires: number;
  /**
   * The user part of the Contact we register (default the AOR's). A random one per registration
   * means only the registrar knows where to reach us: a scanner guessing `sip:100@our-ip` misses.
   */
  contactUser?: string;
  /** `+sip.instance` (RFC 5626 §4.1): a URN, stable across restarts of the app. */
  instanceId: string;
  /** RFC 5626 outbound: add `reg-id` and `Supported: outbound`. */
  outbound: boolean;
  /** RFC 5626 §4.5 base time in seconds (30 when every flow failed). */
  retryBase: number;
  /** Upper bound of the back-off, seconds (§4.5: max-time, 1800 by default). */
  retryMax?: number;
  userAgent?: string;
  sender: OutOfDialogSender;
  /** The only realm answered (RFC 3261 §22.1); default: whichever realm the registrar names. */
  realm?: string;
  clock: Clock;
  random?: () => number;
}

/**
 * What a registration says of itself: the registration half of the contract's AccountSnapshot.
 * Its error `code` is 'no-password' (the registrar asked for a password and there is none) or a
 * TLS code (its certificate was refused, `certificate` saying what it is).
 */
export type RegistrationSnapshot = Pick<AccountSnapshot, 'state' | 'expires' | 'contact' | 'publicAddress' | 'error' | 'nextAttemptAt'>;

/** Human words for the statuses a registrar answers with. */
function failureReason(aor: string, res: SipResponse, sentCredentials: boolean, hasPassword: boolean): string {
  const who = aor.replace(/^sips?:/i, '');
  const status = `${res.status} ${res.reason}`;
  switch (res.status) {
    case 401:
    case 407:
      return hasPassword ? `wrong password for ${who} (${status})` : `no password is saved for ${who}, and the registrar asks for one (${status})`;
    case 403:
      return sentCredentials ? `wrong password for ${who} (${status})` : `the registrar refused ${who} (${status})`;
    case 404:
      return `the registrar does not know ${who} (${status})`;
    case 408:
    case 503:
      return res.reason; // Already words: the sender explains what did not answer (see OutOfDialogSender).
    default:
      return `the registrar answered ${status} for ${who}`;
  }
}

export class Registerer {
  private readonly opts: RegistererOptions;
  private readonly aorUri: Uri;
  private readonly callId = generateCallId();
  private readonly fromTag = generateTag();
  private cseq = 1;
  private readonly auth: DigestAuthenticator;
  private readonly hasPassword: boolean;
  private snapshot: RegistrationSnapshot = { state: 'unregistered' };
  private timer?: TimerHandle;
  private failures = 0;
  private wanted = false;
  private expires: number;
  /** The Contact we last registered, to remove it when our public address changes. */
  private registeredContact?: string;
  /** The flow that registration went over (requests for us come back on it, RFC 5626 §5.3). */
  private registeredFlow?: FlowInfo;
  private publicAddress?: { address: string; port: number };
  private running?: Promise<void>;
  private listeners: Array<(s: RegistrationSnapshot) => void> = [];

  constructor(opts: RegistererOptions) {
    this.opts = opts;
    this.aorUri = parseUri(opts.aor);
    this.expires = opts.expires;
    this.hasPassword = (opts.password ?? '') !== '';
    this.auth = new DigestAuthenticator({
      username: opts.username ?? this.aorUri.user,
      password: opts.password ?? '',
      ...(opts.realm ? { realm: opts.realm } : {}),
    });
  }

  /** While registered: the flow the binding lives on (protocol, our and the registrar's address, connection). */
  get flow(): FlowInfo | undefined {
    return this.registeredFlow;
  }

  /** The realms the registrar challenged us with and we answered: the account's realms. */
  get realms(): string[] {
    return this.auth.realms;
  }

  get state(): RegistrationSnapshot {
    return { ...this.snapshot };
  }

  onChange(listener: (s: RegistrationSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Register now, and keep the binding refreshed until `unregister()`. */
  register(): Promise<void> {
    this.wanted = true;
    return this.run(() => this.attempt());
  }

  /**
   * Register again at once (wake from sleep, network change, failed flow), whatever the timer
   * said; back-off counters start over.
   */
  refreshNow(): Promise<void> {
    if (!this.wanted) return Promise.resolve();
    this.failures = 0;
    return this.run(() => this.attempt());
  }

  /**
   * The flow the registration used has failed (RFC 5626 §4.4.1: a connection lost, keep-alive
   * pongs missing): register again on a new flow after the §4.5 back-off, so a registrar that
   * is restarting is not hammered and a dying socket is not raced.
   */
  flowFailed(): void {
    if (!this.wanted) return;
    this.fail({ reason: 'the connection to the registrar was lost' }, true);
  }

  /** Remove our binding (Contact with expires=0, §10.2.2) and stop refreshing. */
  async unregister(): Promise<void> {
    this.wanted = false;
    this.cancelTimer();
    if (this.running) await this.running.catch(() => {});
    if (this.snapshot.state !== 'registered' || !this.registeredContact) {
      this.set({ state: 'unregistered' });
      return;
    }
    const contact = this.registeredContact;
    this.registeredContact = undefined;
    this.registeredFlow = undefined;
    try {
      await this.transaction(0, () => contact);
    } catch {
      // Best effort: the binding expires by itself at the registrar.
    }
    this.set({ state: 'unregistered' });
  }

  /** Stop timers without sending anything (the app is shutting down hard). */
  dispose(): void {
    this.wanted = false;
    this.cancelTimer();
  }

  private run(fn: () => Promise<void>): Promise<void> {
    const previous = this.running ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    this.running = next;
    return next.finally(() => {
      if (this.running === next) this.running = undefined;
    });
  }

  private set(s: RegistrationSnapshot): void {
    this.snapshot = s;
    for (const l of this.listeners) {
      try {
        l({ ...s });
      } catch {
        // A listener's bug must not stop registration.
      }
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(seconds: number, fn: () => void): number {
    this.cancelTimer();
    const ms = Math.max(0, Math.round(seconds * 1000));
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
    // A wall-clock time for people (the injected clock may be monotonic).
    return Date.now() + ms;
  }

  /** Contact URI for a flow: our public address once the registrar told us (RFC 3581), else the local one. */
  private contactFor(flow: FlowInfo): string {
    const addr = this.publicAddress ?? flow.local;
    const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    const scheme = flow.protocol === 'TLS' && this.aorUri.scheme === 'sips' ? 'sips' : 'sip';
    const transport = flow.protocol === 'UDP' ? '' : `;transport=${flow.protocol.toLowerCase()}`;
    const name = this.opts.contactUser ?? this.aorUri.user;
    const user = name ? `${encodeURIComponent(name).replace(/%40/g, '@')}@` : '';
    return `<${scheme}:${user}${host}:${addr.port}${transport}>`;
  }

  private contactParams(expires: number): string {
    let p = `;+sip.instance="<${this.opts.instanceId}>"`;
    if (this.opts.outbound) p += ';reg-id=1';
    return `${p};expires=${expires}`;
  }

  /**
   * One REGISTER transaction chain: the request, then at most one authenticated retry per
   * challenge, and one retry after 423. Resolves with the final response and the flow used.
   */
  private async transaction(
    expires: number,
    contact: (flow: FlowInfo) => string,
  ): Promise<{ res: SipResponse; flow: FlowInfo; contact: string; sentCredentials: boolean; refused?: string; failure?: TransportError }> {
    let intervalRetried = false;
    let challenges = 0;
    let usedContact = '';
    const req = this.buildRegister(expires);
    let sentCredentials = this.auth.preAuthorize(req) > 0;
    for (;;) {
      const { response, flow, failure } = await this.opts.sender.send(req, {
        prepare: (f) => {
          usedContact = contact(f);
          req.setHeader('Contact', usedContact + this.contactParams(expires));
        },
      });
      // §10.2.4 and §22.2: a retry is the same request with the next CSeq (the transaction
      // layer gives it a new branch).
      const retry = () => req.setHeader('CSeq', `${this.cseq++} REGISTER`);
      if (response.status === 401 || response.status === 407) {
        // Nothing to answer with: the caller says the password is missing, not wrong.
        if (!this.hasPassword) return { res: response, flow, contact: usedContact, sentCredentials };
        const verdict = this.auth.authorize(req, response);
        if (verdict !== 'retry' && verdict.kind === 'refused') {
          return { res: response, flow, contact: usedContact, sentCredentials: false, refused: verdict.reason };
        }
        if (verdict !== 'retry' || challenges >= 2) return { res: response, flow, contact: usedContact, sentCredentials: true };
        challenges++;
        sentCredentials = true;
        retry();
        // The rewritten request goes out as it is: tell the authenticator, so that a later
        // refresh is known as a pre-authorization (a challenge to it is answered once, not
        // taken for a wrong password).
        this.auth.retrySent();
        continue;
      }
      if (response.status === 423 && !intervalRetried && expires !== 0) {
        // RFC 3261 §10.2.8: retry with an interval no shorter than Min-Expires.
        const min = Number(response.header('Min-Expires'));
        if (Number.isFinite(min) && min > expires) {
          intervalRetried = true;
          expires = min;
          this.expires = min;
          req.setHeader('Expires', String(min));
          retry();
          // Fresh credentials: the same nonce needs the next nonce count (RFC 7616 §3.4).
          req.removeHeader('Authorization');
          req.removeHeader('Proxy-Authorization');
          this.auth.preAuthorize(req);
          continue;
        }
      }
      return { res: response, flow, contact: usedContact, sentCredentials, ...(failure ? { failure } : {}) };
    }
  }

  private buildRegister(expires: number): SipRequest {
    const registrar = this.opts.registrar ?? `${this.aorUri.scheme}:${this.aorUri.host}${this.aorUri.port ? `:${this.aorUri.port}` : ''}`;
    const display = this.opts.displayName ? `"${this.opts.displayName.replace(/["\\]/g, '\\$&')}" ` : '';
    const fields: Array<[string, string]> = [
      ['Max-Forwards', '70'],
      ['To', `${display}<${this.opts.aor}>`],
      ['From', `${display}<${this.opts.aor}>;tag=${this.fromTag}`],
      ['Call-ID', this.callId],
      ['CSeq', `${this.cseq++} REGISTER`],
      ['Expires', String(expires)],
      ['Supported', this.opts.outbound ? 'path, outbound, gruu' : 'path, gruu'],
      // Allow and Allow-Events: the UserAgent that sends it adds what its usages really handle.
    ];
    if (this.opts.userAgent) fields.push(['User-Agent', this.opts.userAgent]);
    return createRequest({ method: 'REGISTER', uri: registrar, fields });
  }

  /** Our binding among the Contacts of a 2xx (§10.2.4): by +sip.instance, else by URI. */
  private findBinding(res: SipResponse, sentContact: string): NameAddr | undefined {
    const contacts = res.contacts();
    const ours = contacts.find((c) => {
      const inst = c.params.get('+sip.instance');
      return inst !== undefined && inst !== null && inst.replace(/^"|"$/g, '') === `<${this.opts.instanceId}>`;
    });
    if (ours) return ours;
    const sent = parseUri(sentContact.replace(/^<|>$/g, ''));
    return contacts.find((c) => uriEquals(c.uri, sent));
  }

  private async attempt(): Promise<void> {
    if (!this.wanted) return;
    this.cancelTimer();
    this.set({ ...this.snapshot, state: 'registering', error: undefined, nextAttemptAt: undefined });
    let outcome;
    try {
      outcome = await this.transaction(this.expires, (f) => this.contactFor(f));
    } catch (err) {
      this.fail({ reason: (err as Error).message }, true);
      return;
    }
    if (!this.wanted) return;
    const { res, flow, contact, sentCredentials, refused, failure } = outcome;
    if (res.status >= 200 && res.status < 300) {
      // RFC 3581 §4 / RFC 5626 §4.2: the registrar saw us at received/rport. When that differs
      // from the Contact we registered, register again with the address it sees.
      const via = res.topVia();
      const received = via.params.get('received');
      const rport = via.params.get('rport');
      const seen = {
        address: received ?? flow.local.address,
        port: rport ? Number(rport) : flow.local.port,
      };
      const natted = flow.protocol === 'UDP' && (seen.address !== (this.publicAddress ?? flow.local).address || seen.port !== (this.publicAddress ?? flow.local).port);
      const binding = this.findBinding(res, contact);
      const granted = Number(binding?.params.get('expires') ?? res.header('Expires') ?? this.expires);
      const expires = Number.isFinite(granted) && granted > 0 ? granted : this.expires;
      this.failures = 0;
      this.registeredContact = contact;
      this.registeredFlow = flow;
      if (natted) {
        const old = contact;
        this.publicAddress = seen;
        // Remove the binding with the private address, then register the public one.
        await this.transaction(0, () => old).catch(() => {});
        return this.attempt();
      }
      const refreshIn = expires > 120 ? expires - 60 : expires / 2;
      const at = this.schedule(refreshIn, () => void this.run(() => this.attempt()));
      this.set({
        state: 'registered',
        expires,
        contact: contact.replace(/^<|>$/g, ''),
        publicAddress: this.publicAddress ? `${this.publicAddress.address}:${this.publicAddress.port}` : undefined,
        nextAttemptAt: at,
      });
      return;
    }
    const reason = refused ?? failureReason(this.opts.aor, res, sentCredentials, this.hasPassword);
    const noPassword = !this.hasPassword && (res.status === 401 || res.status === 407);
    // A wrong (or missing) password or a refusal will not change by itself: no retry loop.
    const permanent = [401, 403, 404, 407, 423].includes(res.status) || (res.status >= 400 && res.status < 500 && res.status !== 408);
    // A refused TLS certificate: its code and facts, for the UI to say what to do about it.
    const tls = failure?.tls ? { code: failure.tls.code, ...(failure.tls.certificate ? { certificate: failure.tls.certificate } : {}) } : {};
    this.fail({ status: res.status, reason, ...(noPassword ? { code: 'no-password' as const } : {}), ...tls }, !permanent);
  }

  private fail(error: NonNullable<RegistrationSnapshot['error']>, retry: boolean): void {
    this.registeredContact = undefined;
    this.registeredFlow = undefined;
    if (!retry || !this.wanted) {
      this.set({ state: 'failed', error });
      return;
    }
    // RFC 5626 §4.5: W = min(max-time, base-time · 2^consecutive-failures), wait 50–100 % of W.
    const max = this.opts.retryMax ?? 1800;
    const w = Math.min(max, this.opts.retryBase * 2 ** this.failures);
    this.failures++;
    const wait = w * (0.5 + 0.5 * (this.opts.random ?? Math.random)());
    const at = this.schedule(wait, () => void this.run(() => this.attempt()));
    this.set({ state: 'failed', error, nextAttemptAt: at });
  }
}
