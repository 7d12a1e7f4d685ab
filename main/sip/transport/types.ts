/**
 * The contract between the transport layer and the layers above it (transaction, usage).
 * `transport/` owns every socket; nothing above it touches `node:net`, `node:dgram` or `node:tls`.
 */
import type { CertificateFacts, TlsErrorCode } from '../../contract/api.ts';
import { AppelError } from '../../contract/errors.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.ts';

export type TransportProtocol = 'UDP' | 'TCP' | 'TLS';

/** Reliable transports have no Timer A/E/G retransmissions (RFC 3261 §17.1.1.2, §17.1.2.2). */
export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'UDP';
}

/** Where a message goes (one resolved target of RFC 3263, or a learned source address). */
export interface Target {
  protocol: TransportProtocol;
  /** An IP address (IPv6 without brackets). Names are resolved before this point. */
  address: string;
  port: number;
  /** TLS server name for SNI and certificate checks (the host of the URI). */
  serverName?: string;
  /** Reuse this connection when it is still open (in-dialog requests, §18.2.2 responses). */
  connectionId?: string;
}

/** What arrived, and from where. */
export interface Incoming {
  message: SipMessage;
  protocol: TransportProtocol;
  /** The packet's real source (what `received`/`rport` describe, RFC 3581). */
  source: { address: string; port: number };
  /** Our socket's address the message arrived on. */
  local: { address: string; port: number };
  /** The stream connection it arrived on (TCP/TLS), for replies and reuse. */
  connectionId?: string;
}

/** One traced message (the trace hook, STYLE.md): secrets already masked. */
export interface TraceEvent {
  time: number;
  direction: 'sent' | 'received';
  protocol: TransportProtocol;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  /** The message text with Authorization/Proxy-Authorization credentials masked. */
  text: string;
}

/**
 * A transport that cannot do what was asked (AppelError 'unavailable'; a failure to send is
 * reported as 503 above); `errno` says which way (`ENOTFOUND`, `ENOTCONN`…). A server refused
 * over TLS also carries `tls`: a code each front end words itself (the CLI names its `--ca`
 * flag, the app its CA field) and the public facts of the certificate it presented.
 */
export class TransportError extends AppelError {
  readonly errno: string;
  readonly tls?: { code: TlsErrorCode; certificate?: CertificateFacts };
  constructor(message: string, errno: string, tls?: { code: TlsErrorCode; certificate?: CertificateFacts }) {
    super('unavailable', message);
    this.name = 'TransportError';
    this.errno = errno;
    if (tls) this.tls = tls;
  }
}

export interface Transport {
  /**
   * Send a request. The top Via's transport and sent-by are filled in here from the socket
   * actually used, and `rport` is added (RFC 3581 §3). Requests larger than the MTU limit that
   * were meant for UDP go over TCP instead (§18.1.1). Resolves with the target actually used
   * (protocol may differ from the one asked for) and the connection id for streams.
   */
  sendRequest(request: SipRequest, target: Target): Promise<Target>;
  /** Send a response per §18.2.2 and RFC 3581 §4 (connection, then received/rport, then sent-by). */
  sendResponse(response: SipResponse, to: Incoming): Promise<void>;
  /** Every valid message received. Malformed requests are answered with 400/505 by the transport itself. */
  onMessage(handler: (incoming: Incoming) => void): void;
  /**
   * Ask whether a UDP target is known to be dead (§18.4: an ICMP port, host or network
   * unreachable is a transport failure). Resolves with the failure, or undefined when nothing
   * says so within a short bound. Streams learn this from connect() and never need it.
   */
  probeUnreachable?(target: Target): Promise<TransportError | undefined>;
}
