/**
 * Where a stream sends RTP and RTCP: the address the SDP gave, until symmetric RTP (RFC 4961)
 * learns a better one from what arrives.
 *
 * Latching (symmetric RTP, as COMEDIA-style NAT traversal needs): the first packet that parses
 * as RTP with a negotiated payload type fixes where we send, if it is one we can trust: from the
 * address the SDP gave; or, from anywhere (a peer behind NAT), with the SSRC the SDP announced
 * (a=ssrc, RFC 5576) or having passed SRTP authentication (only the peer holds the key). Plain
 * RTP from another address with no announced SSRC is a blind sprayer's: counted and dropped —
 * unless the SDP's address is a private one (RFC 1918, RFC 6598, link-local, RFC 4193), which we
 * could not reach anyway: then the first source is all a NAT leaves to go by.
 * Once latched, packets from any other address are dropped; the stream moves only when the
 * latched source has been silent for `relatchAfterMs` (default 2 s) and the new source keeps its
 * SSRC (a NAT binding that changed, not somebody else). RTCP latches on its own when a compound
 * packet from the current remote SSRC arrives.
 */
import { isIP, isIPv6 } from 'node:net';

export interface MediaRemote {
  address: string;
  rtpPort: number;
  /** Default: rtpPort + 1 (RFC 3550 §11), or rtpPort with rtcp-mux. */
  rtcpPort?: number;
  /** The peer's SSRC when the SDP announced it (a=ssrc): only that source may latch. */
  ssrc?: number;
}

/** A transport address packets go to or come from. */
export interface Target {
  address: string;
  port: number;
}

export interface RtpLatchOptions {
  remote: MediaRemote;
  rtcpMux: boolean;
  /** Silence of the latched source after which the same SSRC may come from elsewhere (ms). */
  relatchAfterMs: number;
  /** RTP (or RTCP) is now sent somewhere new, learned from what arrived. */
  onLatched: (latched: Target & { rtcp: boolean }) => void;
}

function sameTarget(a: Target | undefined, b: Target): boolean {
  return a !== undefined && a.address === b.address && a.port === b.port;
}

/**
 * An IP address as compared here: lower case, IPv6 compressed, an IPv4-mapped one
 * (::ffff:1.2.3.4) as its IPv4 address.
 */
function canonicalAddress(address: string): string {
  let a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIPv6(a)) a = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  return plainAddress(a);
}

/** RFC 1918, RFC 6598 (carrier-grade NAT), link-local, RFC 4193 unique-local: not reachable from outside. */
function isPrivateAddress(address: string): boolean {
  const a = canonicalAddress(address);
  if (isIP(a) === 4) {
    const [p, q] = a.split('.').map(Number);
    return p === 10 || (p === 172 && q >= 16 && q < 32) || (p === 192 && q === 168) || (p === 100 && q >= 64 && q < 128) || (p === 169 && q === 254);
  }
  return /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a);
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Where a datagram came from, an IPv4-mapped IPv6 source as its IPv4 address. */
export function sourceOf(rinfo: { address: string; port: number }): Target {
  return { address: plainAddress(rinfo.address), port: rinfo.port };
}

export class RtpLatch {
  readonly #rtcpMux: boolean;
  readonly #relatchAfterMs: number;
  readonly #onLatched: RtpLatchOptions['onLatched'];
  #remote!: MediaRemote;
  #rtpTarget!: Target;
  #rtcpTarget!: Target;
  #latched: Target | undefined;
  #latchedRtcp: Target | undefined;
  #lastFromLatchedMs = -Infinity;

  constructor(options: RtpLatchOptions) {
    this.#rtcpMux = options.rtcpMux;
    this.#relatchAfterMs = options.relatchAfterMs;
    this.#onLatched = options.onLatched;
    this.updateRemote(options.remote);
  }

  /** Where RTP goes now. */
  get rtpTarget(): Target {
    return this.#rtpTarget;
  }

  /** RTP has come from a source we now send to (latching is done, until a new remote description). */
  get latched(): boolean {
    return this.#latched !== undefined;
  }

  /** Where RTCP goes now. */
  get rtcpTarget(): Target {
    return this.#rtcpTarget;
  }

  /** A new remote description (re-INVITE, UPDATE): send there, and latch afresh. */
  updateRemote(remote: MediaRemote): void {
    this.#remote = { ...remote };
    this.#rtpTarget = { address: remote.address, port: remote.rtpPort };
    this.#rtcpTarget = this.#defaultRtcpTarget();
    this.#latched = undefined;
    this.#latchedRtcp = undefined;
    this.#lastFromLatchedMs = -Infinity;
  }

  #defaultRtcpTarget(): Target {
    const r = this.#remote;
    return { address: r.address, port: r.rtcpPort ?? (this.#rtcpMux ? r.rtpPort : r.rtpPort + 1) };
  }

  /**
   * The latching rules (see the file comment): whether RTP from `source` with `ssrc` is taken.
   * `currentSsrc` is the remote SSRC heard so far; `authenticated`, that SRTP checked the packet.
   */
  acceptRtp(source: Target, ssrc: number, currentSsrc: number | undefined, now: number, authenticated: boolean): boolean {
    if (this.#latched === undefined) {
      const fromSdpAddress = canonicalAddress(this.#remote.address) === canonicalAddress(source.address);
      const announced = this.#remote.ssrc;
      const trusted =
        fromSdpAddress || authenticated || (announced !== undefined ? ssrc === announced : isPrivateAddress(this.#remote.address));
      if (!trusted) return false;
      this.#latch(source, now);
      return true;
    }
    if (sameTarget(this.#latched, source)) {
      this.#lastFromLatchedMs = now;
      return true;
    }
    if (ssrc === currentSsrc && now - this.#lastFromLatchedMs >= this.#relatchAfterMs) {
      this.#latch(source, now);
      return true;
    }
    return false;
  }

  #latch(source: Target, now: number): void {
    this.#latched = source;
    this.#lastFromLatchedMs = now;
    if (!sameTarget(this.#rtpTarget, source)) {
      this.#rtpTarget = source;
      if (this.#rtcpMux) this.#rtcpTarget = source;
      else if (!this.#latchedRtcp) this.#rtcpTarget = { address: source.address, port: source.port + 1 };
      this.#onLatched({ ...source, rtcp: false });
    }
  }

  /** RTCP from the current remote SSRC arrived from `source`: send RTCP there (not with rtcp-mux). */
  acceptRtcp(source: Target): void {
    if (this.#rtcpMux || sameTarget(this.#latchedRtcp, source)) return;
    this.#latchedRtcp = source;
    if (!sameTarget(this.#rtcpTarget, source)) {
      this.#rtcpTarget = source;
      this.#onLatched({ ...source, rtcp: true });
    }
  }
}
