/**
 * A STUN server as a person writes it in Settings → Network or `--stun`: `host[:port]`,
 * `[v6]:port`, a bare IPv6 address, or the `stun:`/`stuns:` URI of RFC 7064 §3.1; '' is none.
 * The settings schema and the engine both read it here.
 */

/** The port a STUN server listens on when none is given (RFC 8489 §9). */
export const STUN_DEFAULT_PORT = 3478;

export interface StunServerAddress {
  host: string;
  port: number;
  /** Written as `stuns:` (over TLS): kept, but a TLS connection cannot learn a UDP port's mapping. */
  secure: boolean;
}

/** The address, undefined for '' (none), or a TypeError saying what is wrong. */
export function parseStunServer(text: string): StunServerAddress | undefined {
  let s = text.trim();
  if (s === '') return undefined;
  const secure = /^stuns:/i.test(s);
  s = s.replace(/^stuns?:/i, '');
  let host: string | undefined;
  let port: string | undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracketed) [, host, port] = bracketed;
  // A bare IPv6 address has two colons at least; `name:3478` is a host and a port.
  else if (/^[0-9A-Fa-f:.]+$/.test(s) && s.split(':').length > 2) host = s;
  else {
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(s);
    if (!m) throw new TypeError(`the STUN server ${JSON.stringify(text)} is not host[:port]`);
    [, host, port] = m;
  }
  const n = port === undefined ? STUN_DEFAULT_PORT : Number(port);
  if (!(n >= 1 && n <= 65535)) throw new TypeError(`the STUN server ${JSON.stringify(text)} has port ${port}, not 1-65535`);
  return { host: host!.toLowerCase(), port: n, secure };
}
