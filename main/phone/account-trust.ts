/**
 * What an account trusts, apart from the engine that uses it: the digest realms it gives
 * credentials to, the TLS settings of its servers, whether its calls go out over TLS, and the
 * addresses of its servers (exempt from the per-source rate limit). SECURITY.md says why.
 */
import type { AccountConfig } from '../contract/api.ts';
import { parseUri } from '../sip/index.ts';
import { sameAddress } from './incoming-policy.ts';

/** What these rules read of an account. */
export interface TrustedAccount {
  config: AccountConfig;
  registerer?: { readonly realms: string[]; readonly flow?: { remote: { address: string } } };
  /** Every address its registrar or outbound proxy resolves to, once learned. */
  serverAddresses?: string[];
}

/**
 * The realms an account gives credentials to (RFC 3261 §22.1): the one set, else those its
 * registrar asked for and the AOR's domain. A callee or a stranger answering 401 with a realm of
 * its own gets nothing it could attack offline.
 */
export function realmTrust(account: TrustedAccount): (realm: string) => boolean {
  const { config } = account;
  if (config.realm) return (realm) => realm === config.realm;
  const domain = parseUri(config.aor).host.toLowerCase();
  return (realm) => realm.toLowerCase() === domain || (account.registerer?.realms.includes(realm) ?? false);
}

/** Whether a call to `to` goes out over TLS: a sips: target, or an account or proxy on TLS. */
export function secureSignalling(to: string, config: AccountConfig | undefined, proxy: string | undefined): boolean {
  if (/^sips:/i.test(to) || config?.transport === 'tls') return true;
  const hop = config?.proxy ?? proxy;
  return hop !== undefined && (/^<?sips:/i.test(hop) || /;transport=tls\b/i.test(hop));
}

/**
 * An account's own TLS settings (`ca`, `tlsVerify`) for a server it uses: its outbound proxy, or
 * its AOR's domain (by name or address). The first account that names the server decides.
 */
export function tlsPolicyFor(accounts: Iterable<TrustedAccount>, server: { serverName: string; address: string }): { ca?: string; verify?: boolean } | undefined {
  const names = [server.serverName.toLowerCase(), server.address.toLowerCase()];
  for (const a of accounts) {
    const { ca, tlsVerify } = a.config;
    if (ca === undefined && tlsVerify === undefined) continue;
    const hosts = [parseUri(a.config.aor).host];
    if (a.config.proxy) {
      try {
        hosts.push(parseUri(a.config.proxy.replace(/^<|>$/g, '')).host);
      } catch {
        // The proxy says what is wrong with it when it is used.
      }
    }
    if (hosts.some((h) => names.includes(h.replace(/^\[|\]$/g, '').toLowerCase()))) {
      return { ...(ca !== undefined ? { ca } : {}), ...(tlsVerify !== undefined ? { verify: tlsVerify } : {}) };
    }
  }
  return undefined;
}

/** Whether `address` is a server one of our registered accounts uses (its registrar or outbound proxy). */
export function isAccountServer(accounts: Iterable<TrustedAccount>, address: string): boolean {
  for (const a of accounts) {
    const flow = a.registerer?.flow;
    if (!flow) continue;
    if (sameAddress(flow.remote.address, address) || a.serverAddresses?.some((s) => sameAddress(s, address))) return true;
  }
  return false;
}
