/**
 * Turns a socket or TLS failure into a TransportError a person can act on:
 * "certificate of 127.0.0.1:5061 is self-signed and not trusted; pass --ca FILE".
 */
import { canonicalIp } from './stamp-via.ts';
import { TransportError } from './types.ts';

interface Where {
  address: string;
  port: number;
  /** The name the certificate had to match (the URI's host). */
  serverName?: string;
}

interface NodeError {
  code?: string;
  message?: string;
  reason?: string;
  cert?: { subjectaltname?: string; subject?: { CN?: string | string[] }; valid_to?: string };
}

const CA_HINT = 'pass --ca FILE';

export function describeConnectError(error: unknown, where: Where): TransportError {
  if (error instanceof TransportError) return error;
  const err = (error ?? {}) as NodeError;
  const code = err.code ?? 'ERROR';
  const at = hostPort(where.address, where.port);
  const cert = `certificate of ${at}`;
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return new TransportError(`${cert} is self-signed and not trusted; ${CA_HINT}`, 'TLS_UNTRUSTED');
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return new TransportError(`${cert} is issued by a self-signed CA that is not trusted; ${CA_HINT}`, 'TLS_UNTRUSTED');
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return new TransportError(`${cert} is signed by an unknown authority and not trusted; ${CA_HINT}`, 'TLS_UNTRUSTED');
    case 'CERT_HAS_EXPIRED':
      return new TransportError(`${cert} has expired`, 'TLS_EXPIRED');
    case 'CERT_NOT_YET_VALID':
      return new TransportError(`${cert} is not valid yet (check the clock)`, 'TLS_NOT_YET_VALID');
    case 'CERT_REVOKED':
      return new TransportError(`${cert} has been revoked`, 'TLS_REVOKED');
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      const names = certificateNames(err.cert);
      const wanted = where.serverName ?? where.address;
      const has = names.length > 0 ? names.join(', ') : 'another name';
      return new TransportError(`${cert} is for ${has}, not ${wanted}`, 'TLS_HOSTNAME');
    }
    case 'ECONNREFUSED':
      return new TransportError(`connection to ${at} refused (nothing listens there)`, 'ECONNREFUSED');
    case 'ECONNRESET':
    case 'EPIPE':
      return new TransportError(`connection to ${at} was reset`, code);
    case 'ETIMEDOUT':
      return new TransportError(`connection to ${at} timed out`, 'ETIMEDOUT');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError(`${at} is unreachable from here`, code);
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new TransportError(`cannot reach ${at}: no local address of that family`, code);
    default:
      if (/ssl|tls|handshake|alert/i.test(`${code} ${err.message ?? ''}`)) {
        return new TransportError(`TLS handshake with ${at} failed: ${err.reason ?? err.message ?? code}`, 'TLS_HANDSHAKE');
      }
      return new TransportError(`cannot reach ${at}: ${err.message ?? code}`, code);
  }
}

/** `127.0.0.1:5061`, `[::1]:5061`. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** DNS names and IPs of a peer certificate (subjectAltName, else the CN). */
function certificateNames(cert: NodeError['cert']): string[] {
  const san = cert?.subjectaltname;
  if (san) {
    return san
      .split(',')
      .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
      .map((s) => canonicalIp(s))
      .filter((s) => s !== '');
  }
  const cn = cert?.subject?.CN;
  return cn === undefined ? [] : Array.isArray(cn) ? cn : [cn];
}
