/**
 * Where a call's media goes on the network: our RTP address (the one the SIP flow toward the
 * peer leaves from, unless one is set), the RTP port range, and the STUN server (RFC 5389) that
 * tells each call its RTP socket's public address. Settings → Network changes the next call;
 * a call under way keeps what it started with (`forCall()`).
 */
import { isIP, isIPv6 } from 'node:net';
import { check } from '../contract/schema.ts';
import { portRangeSchema } from '../contract/schemas.ts';
import { parseStunServer } from '../contract/stun-server.ts';
import type { Clock, SipResolver, TransportProtocol, UserAgent } from '../sip/index.ts';
import type { StunServer } from '../media/index.ts';

export interface MediaNetworkOptions {
  /** Our RTP address; default the address the SIP flow toward the peer leaves from. */
  address?: string;
  /** RTP ports (default 16384-32766). */
  portRange?: { min: number; max: number };
  /**
   * A STUN server (RFC 5389), `host[:port]` (default port 3478; `stun:` URI form too, RFC 7064):
   * each call learns its RTP socket's public address and puts it in its SDP. '' or absent: none.
   */
  stun?: string;
}

/** What one call is given of the network, as it was when the call was made. */
export interface CallNetwork {
  portRange?: { min: number; max: number };
  /**
   * The STUN server for the call's RTP socket, resolved for the family (4 or 6) of our media
   * address; rejects in words. Absent: no STUN, the SDP carries the local address.
   */
  stunServer?(family: 4 | 6): Promise<StunServer>;
}

/** A STUN server as configured: a name or an IP address, and a port. */
interface StunTarget {
  host: string;
  port: number;
}

/** How long a call waits for the STUN server's name to resolve (its own query is bounded too). */
const STUN_DNS_MS = 1500;

/** The STUN server of Settings → Network, read by the contract's one reader; undefined for none. */
function stunTarget(text: string): StunTarget | undefined {
  const stun = parseStunServer(text);
  if (!stun) return undefined;
  // Over TLS the server would see a TCP connection, not the RTP socket's UDP mapping.
  if (stun.secure) throw new TypeError(`the STUN server ${JSON.stringify(text)} is over TLS (stuns:), which cannot learn the address of a UDP port; use stun: or host[:port]`);
  return { host: stun.host, port: stun.port };
}

export class MediaNetwork {
  readonly #ua: UserAgent;
  readonly #resolver: SipResolver;
  readonly #clock: Clock;
  readonly #address: string | undefined;
  readonly #localAddresses: () => Array<{ address: string }>;
  /** STUN server and RTP ports for the next call (`set`). */
  #next: { stun?: StunTarget | { error: string }; portRange?: { min: number; max: number } } = {};

  constructor(opts: MediaNetworkOptions & { ua: UserAgent; resolver: SipResolver; clock: Clock; localAddresses: () => Array<{ address: string }> }) {
    this.#ua = opts.ua;
    this.#resolver = opts.resolver;
    this.#clock = opts.clock;
    this.#address = opts.address;
    this.#localAddresses = opts.localAddresses;
    this.set({ ...(opts.stun !== undefined ? { stun: opts.stun } : {}), ...(opts.portRange ? { portRange: opts.portRange } : {}) });
  }

  /**
   * The STUN server (`host[:port]`, '' for none) and RTP port range the next call uses (a call
   * under way keeps its own). Keys left out stay as they are. A port range out of bounds throws
   * TypeError; a STUN server that cannot be used is each call's warning (the call goes on).
   */
  set(change: { stun?: string; portRange?: { min: number; max: number } }): void {
    const next = { ...this.#next };
    if (change.stun !== undefined) {
      if (typeof change.stun !== 'string') throw new TypeError('stun: expected host[:port] or an empty string');
      let stun: StunTarget | { error: string } | undefined;
      try {
        stun = stunTarget(change.stun);
      } catch (err) {
        stun = { error: (err as Error).message };
      }
      if (stun) next.stun = stun;
      else delete next.stun;
    }
    if (change.portRange !== undefined) {
      check(portRangeSchema, change.portRange, 'portRange');
      next.portRange = { min: change.portRange.min, max: change.portRange.max };
    }
    this.#next = next;
  }

  /** The network settings as they are now: a later `set` is for the next call. */
  forCall(): CallNetwork {
    const { stun, portRange } = this.#next;
    return {
      ...(portRange ? { portRange } : {}),
      ...(stun ? { stunServer: (family: 4 | 6) => ('error' in stun ? Promise.reject(new Error(stun.error)) : this.#resolveStun(stun, family)) } : {}),
    };
  }

  /** The address our RTP should use toward `uri`: where the SIP flow leaves from. */
  async address(uri: string, proxy: string | undefined, transport: TransportProtocol | undefined): Promise<string> {
    if (this.#address) return this.#address;
    try {
      const targets = await this.#ua.resolveNextHop(proxy ?? uri, transport ? { transport } : {});
      if (targets.length > 0) return (await this.#ua.flowFor(targets[0])).local.address;
    } catch {
      // The INVITE will say what is wrong with the address.
    }
    const first = this.#localAddresses()[0]?.address;
    return first && first !== '0.0.0.0' && first !== '::' ? first : '127.0.0.1';
  }

  /**
   * The STUN server's address for a socket of `family`: an IP literal as it is, a name through
   * the phone's own resolver (A/AAAA, the configured DNS servers), bounded so a call is not held
   * up. Rejects in words.
   */
  async #resolveStun(stun: StunTarget, family: 4 | 6): Promise<StunServer> {
    const named = stun.host.includes(':') ? `[${stun.host}]:${stun.port}` : `${stun.host}:${stun.port}`;
    let addresses: string[];
    if (isIP(stun.host)) addresses = [stun.host];
    else {
      let timer: unknown;
      const bound = new Promise<never>((_, reject) => {
        timer = this.#clock.setTimeout(() => reject(new Error(`no DNS answer for ${stun.host} within ${STUN_DNS_MS / 1000} s`)), STUN_DNS_MS);
      });
      try {
        const targets = await Promise.race([this.#resolver.resolve({ host: stun.host, port: stun.port, transport: 'UDP' }), bound]);
        addresses = targets.map((t) => t.address);
      } catch (err) {
        throw new Error(`the STUN server ${named} could not be found: ${(err as Error).message}`, { cause: err });
      } finally {
        this.#clock.clearTimeout(timer as never);
      }
    }
    const address = addresses.find((a) => (isIPv6(a) ? 6 : 4) === family);
    if (address === undefined) throw new Error(`the STUN server ${named} has no IPv${family} address, and the call's audio uses IPv${family}`);
    return { address, port: stun.port };
  }
}
