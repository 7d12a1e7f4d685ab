/**
 * Placing calls: the target as a sip: URI, the account's From, next hop and credentials (or a
 * direct call through an optional proxy), our media address toward the peer, and the INVITE
 * through the SIP usage. Used by dial and by a transfer's new call (transfers.ts), which goes the
 * way the call it takes over from went.
 */
import { parseUri, type InviteSession, type InviteUsage } from '../sip/index.ts';
import { completeTarget, domainOf } from '../contract/dial-target.ts';
import { Call, type CallMedia } from './call.ts';
import { CallError } from './call-error.ts';
import { toTransport, type Account, type Accounts } from './accounts.ts';
import type { CallRegistry } from './call-registry.ts';
import type { MediaNetwork } from './media-network.ts';
import type { Publish } from './phone-events.ts';

export interface PlaceOptions {
  to: string;
  account: Account | undefined;
  proxy: string | undefined;
  media: CallMedia;
  headers?: Array<[string, string]>;
  onSession?: (session: InviteSession) => void;
}

export class OutgoingCalls {
  readonly #registry: CallRegistry;
  readonly #accounts: Pick<Accounts, 'get' | 'callCredentials'>;
  readonly #network: Pick<MediaNetwork, 'address'>;
  readonly #invite: InviteUsage;
  readonly #publish: Publish;
  /** The outbound proxy a direct call (no account) was placed through: a transfer's new call goes the same way. */
  readonly #callProxies = new WeakMap<Call, string>();

  constructor(opts: { registry: CallRegistry; accounts: Pick<Accounts, 'get' | 'callCredentials'>; network: Pick<MediaNetwork, 'address'>; invite: InviteUsage; publish: Publish }) {
    this.#registry = opts.registry;
    this.#accounts = opts.accounts;
    this.#network = opts.network;
    this.#invite = opts.invite;
    this.#publish = opts.publish;
  }

  /**
   * `to` as a sip:/sips: URI, completed with the contract's rule (contract/dial-target.ts): a user
   * part or a number is dialled at the account's domain, a `tel:` URI as a telephone-subscriber
   * with `user=phone` (RFC 3261 §19.1.6). CallError when it cannot be.
   */
  targetUri(raw: string, account: Account | undefined): string {
    let to = raw.trim();
    if (!/^sips?:/i.test(to)) {
      const target = completeTarget(to, account ? domainOf(account.config.aor) : undefined);
      if ('problem' in target) {
        if (target.problem === 'no-domain') throw new CallError('bad-request', `to: '${to}' is not a sip: URI (and there is no account to dial it at)`);
        throw new CallError('bad-request', `to: '${raw}' is not a valid address`);
      }
      to = target.uri;
    }
    try {
      const uri = parseUri(to);
      if (uri.scheme !== 'sip' && uri.scheme !== 'sips') throw new Error('scheme');
    } catch {
      throw new CallError('bad-request', `to: '${raw}' is not a valid sip: URI`);
    }
    return to;
  }

  /** Create, announce and dial an outgoing call (dial, and a transfer's new call). */
  async place(o: PlaceOptions): Promise<Call> {
    const config = o.account?.config;
    const transport = toTransport(config?.transport);
    const call = Call.outgoing(this.#registry.env(), { to: o.to, ...(o.account ? { accountId: o.account.id } : {}), media: o.media });
    if (o.proxy && !config?.proxy) this.#callProxies.set(call, o.proxy);
    this.#registry.add(call);
    this.#publish('call:state', call.snapshot);
    const address = await this.#network.address(o.to, o.proxy, transport);
    const host = address.includes(':') ? `[${address}]` : address;
    const from = config?.aor ?? `sip:appel@${host}`;
    const credentials = this.#accounts.callCredentials(o.account);
    await call.dial({
      address,
      invite: (offer, delegate) => {
        const session = this.#invite.invite({
          to: o.to,
          from,
          ...(config?.displayName !== undefined ? { displayName: config.displayName } : {}),
          offer,
          delegate,
          ...(o.proxy ? { proxy: o.proxy } : {}),
          ...(transport ? { transport } : {}),
          ...(credentials ? { credentials } : {}),
          ...(o.headers?.length ? { headers: o.headers } : {}),
        });
        o.onSession?.(session);
        return session;
      },
    });
    return call;
  }

  /** A transfer's new call (we are the transferee): from the old call's account and proxy, with its media settings. */
  followUp(from: Call, o: { to: string; headers: Array<[string, string]>; onSession: (session: InviteSession) => void }): Promise<Call> {
    const accountId = from.snapshot.accountId;
    const account = accountId !== undefined ? this.#accounts.get(accountId) : undefined;
    const media = from.media;
    return this.place({
      to: o.to,
      account,
      proxy: account?.config.proxy ?? this.#callProxies.get(from),
      media: this.#registry.freeRecordPaths(media),
      headers: o.headers,
      onSession: o.onSession,
    });
  }
}
