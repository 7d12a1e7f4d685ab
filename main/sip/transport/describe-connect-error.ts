/**
 * Turns a socket or TLS failure into a TransportError a person can act on:
 * "certificate of 127.0.0.1:5061 is self-signed and not trusted". A certificate refused also
 * gives its code and facts (`TransportError.tls`), so each front end says what to do in its own
 * terms: the CLI names `--ca FILE`, the app its CA field.
 */
import type { CertificateFacts, TlsErrorCode } from '../../contract/api.ts';
import { canonicalIp } from './stamp-via.ts';
import { TransportError } from './types.ts';

interface Where {
  address: string;
  port: number;
  /** The name the certificate had to match (the URI's host). */
  serverName?: string;
}

/** The part of Node's PeerCertificate read here (all public). */
interface PeerCertificate {
  subjectaltname?: string;
  subject?: Record<string, string | string[] | undefined>;
  issuer?: Record<string, string | string[] | undefined>;
  fingerprint256?: string;
  valid_from?: string;
  valid_to?: string;
}

interface NodeError {
  code?: string;
  message?: string;
  reason?: string;
  cert?: PeerCertificate;
}

export function describeConnectError(error: unknown, where: Where): TransportError {
  if (error instanceof TransportError) return error;
  const err = (error ?? {}) as NodeError;
  const code = err.code ?? 'ERROR';
  const at = hostPort(where.address, where.port);
  const cert = `certificate of ${at}`;
  const refused = (message: string, errno: string, tlsCode: TlsErrorCode) => new TransportError(message, errno, { code: tlsCode, ...certificateFacts(err.cert) });
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return refused(`${cert} is self-signed and not trusted`, 'TLS_UNTRUSTED', 'tls-untrusted');
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return refused(`${cert} is issued by a self-signed CA that is not trusted`, 'TLS_UNTRUSTED', 'tls-untrusted');
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return refused(`${cert} is signed by an unknown authority and not trusted`, 'TLS_UNTRUSTED', 'tls-untrusted');
    case 'CERT_HAS_EXPIRED':
      return refused(`${cert} has expired`, 'TLS_EXPIRED', 'tls-expired');
    case 'CERT_NOT_YET_VALID':
      return refused(`${cert} is not valid yet (check the clock)`, 'TLS_NOT_YET_VALID', 'tls-not-yet-valid');
    case 'CERT_REVOKED':
      return refused(`${cert} has been revoked`, 'TLS_REVOKED', 'tls-revoked');
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      const names = certificateNames(err.cert);
      const wanted = where.serverName ?? where.address;
      const has = names.length > 0 ? names.join(', ') : 'another name';
      return refused(`${cert} is for ${has}, not ${wanted}`, 'TLS_HOSTNAME', 'tls-hostname');
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
      if (err.cert !== undefined || /ssl|tls|handshake|alert|cert/i.test(`${code} ${err.message ?? ''}`)) {
        return refused(`TLS handshake with ${at} failed: ${err.reason ?? err.message ?? code}`, 'TLS_HANDSHAKE', 'tls-handshake');
      }
      return new TransportError(`cannot reach ${at}: ${err.message ?? code}`, code);
  }
}

/** What a person can check of a certificate: names, issuer, SHA-256 fingerprint, validity (none when absent). */
function certificateFacts(cert: PeerCertificate | undefined): { certificate?: CertificateFacts } {
  if (!cert?.fingerprint256) return {};
  const names = certificateNames(cert);
  return {
    certificate: {
      subject: distinguishedName(cert.subject),
      issuer: distinguishedName(cert.issuer),
      fingerprint256: cert.fingerprint256,
      validFrom: cert.valid_from ?? '',
      validTo: cert.valid_to ?? '',
      ...(cert.subjectaltname ? { names } : {}),
    },
  };
}

/** `CN=pbx.example.com, O=Example` from Node's `{ CN, O }`. */
function distinguishedName(dn: PeerCertificate['subject']): string {
  if (!dn) return '';
  return Object.entries(dn)
    .flatMap(([k, v]) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((one) => `${k}=${one}`)))
    .join(', ');
}

/** `127.0.0.1:5061`, `[::1]:5061`. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** DNS names and IPs of a peer certificate (subjectAltName, else the CN). */
function certificateNames(cert: PeerCertificate | undefined): string[] {
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
