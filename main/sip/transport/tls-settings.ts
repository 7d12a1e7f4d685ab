/**
 * TLS for the transport: the options of a connection we open (SNI, trusted CAs, verification,
 * TLS 1.2 at least) and of the server we listen with. The CA lists are built once per set of
 * extra CA files (a few at most: one per account with its own).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { SipTransportOptions, SipTransportTlsOptions } from './sip-transport-options.ts';
import type { Target } from './types.ts';

/**
 * node:tls, loaded the first time TLS is used rather than with the stack: a phone on UDP or TCP
 * never pays for it (about 3 MB resident).
 */
export function nodeTls(): typeof import('node:tls') {
  return process.getBuiltinModule('node:tls');
}

export class TlsSettings {
  readonly #tls: SipTransportTlsOptions;
  readonly #policy: SipTransportOptions['tlsPolicy'];
  /** Trusted CA lists by the extra CA files they add. */
  readonly #cas = new Map<string, string[]>();

  constructor(options: { tls?: SipTransportTlsOptions; tlsPolicy?: SipTransportOptions['tlsPolicy'] }) {
    this.#tls = options.tls ?? {};
    this.#policy = options.tlsPolicy;
  }

  /** How to open a TLS connection to `target`, leaving from `localAddress` when given. */
  connectOptions(target: Target, localAddress: string | undefined): ConnectionOptions & { localAddress?: string } {
    const serverName = target.serverName ?? target.address;
    const policy = this.#policy?.({ serverName, address: target.address });
    return {
      host: target.address,
      port: target.port,
      localAddress,
      // SNI carries names only (RFC 6066 §3); Node warns when given an IP literal.
      servername: net.isIP(serverName) ? undefined : serverName,
      ca: this.#trustedCas(policy?.ca),
      rejectUnauthorized: policy?.verify ?? this.#tls.verify ?? true,
      // RFC 8996 retired TLS 1.0 and 1.1; SIP over TLS (RFC 5630 §3) wants 1.2 at least.
      minVersion: 'TLSv1.2',
      checkServerIdentity: (_host, cert) => nodeTls().checkServerIdentity(serverName, cert),
    };
  }

  /** The options to listen on TLS with; undefined without our certificate and key. */
  serverOptions(): TlsOptions | undefined {
    const t = this.#tls;
    if (!t.cert || !t.key) return undefined;
    // A handshake that does not finish in 10 s holds no descriptor longer (Node's default: 120 s).
    return { cert: pemOrFile(t.cert), key: pemOrFile(t.key), minVersion: 'TLSv1.2', handshakeTimeout: 10_000 };
  }

  /** System CAs plus the transport's CA file and a server's own (undefined = Node's defaults only). */
  #trustedCas(own?: string): string[] | undefined {
    const extras = [this.#tls.ca, own].filter((c): c is string => c !== undefined && c !== '');
    if (extras.length === 0) return undefined;
    const key = extras.join('\n');
    let cas = this.#cas.get(key);
    if (!cas) {
      const system = new Set<string>(nodeTls().getCACertificates('default'));
      try {
        for (const c of nodeTls().getCACertificates('system')) system.add(c);
      } catch {
        // No readable system store: the bundled roots remain.
      }
      cas = [...system, ...extras.map(pemOrFile)];
      this.#cas.set(key, cas);
    }
    return cas;
  }
}

function pemOrFile(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}
