/**
 * What `SipTransport` is given and what it hands back: listen specs, TLS settings, limits, the
 * logger, flow failures, connection info and keep-alive handles. Re-exported by sip-transport.ts.
 */
import type { Clock } from '../clock.ts';
import type { SourceLimiter } from './source-limiter.ts';
import type { TraceEvent, TransportProtocol } from './types.ts';

export interface ListenSpec {
  protocol: TransportProtocol;
  /** An IP address; `0.0.0.0` or `::` for every interface. */
  address: string;
  /** 0 = any free port (see `localAddresses()`). */
  port: number;
}

export interface SipTransportTlsOptions {
  /** Extra trusted CA: a PEM file path or PEM text, beside the system's CAs. */
  ca?: string;
  /** Verify server certificates (default true). */
  verify?: boolean;
  /** Our certificate and key for listening (PEM file path or PEM text). */
  cert?: string;
  key?: string;
}

/** Where the transport reports what it drops; never given secrets. */
export interface TransportLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

/** A keep-alive flow that stopped answering (RFC 5626 §4.4.1). */
export interface FlowFailure {
  protocol: TransportProtocol;
  remote: { address: string; port: number };
  local: { address: string; port: number };
  connectionId?: string;
  reason: string;
}

export interface SipTransportOptions {
  listen: ListenSpec[];
  tls?: SipTransportTlsOptions;
  /** A UDP request larger than this goes over TCP (§18.1.1). Default 1300. */
  mtu?: number;
  /** Keep-alive interval for registration flows, seconds; 0 = off (default). */
  keepAliveInterval?: number;
  /** How long to wait for a pong, seconds (RFC 5626 §4.4.1: 10). */
  keepAliveTimeout?: number;
  /** Close a connection after this many seconds without SIP traffic (default 300; 0 never). */
  idleTimeout?: number;
  /** Give up connecting after this many seconds (default 10). */
  connectTimeout?: number;
  /** Requests per source address (SourceLimiter), asked before parsing; none: unlimited. */
  limiter?: SourceLimiter;
  /**
   * Connections we accept (TCP/TLS), at most: in all (default 256) and from one address (default
   * 16). One more from the same address is closed at once; one more in all takes the place of the
   * oldest connection that has not delivered a message yet (or is closed when there is none). Our
   * own connections (registration flows) never count.
   */
  maxAcceptedConnections?: number;
  maxConnectionsPerAddress?: number;
  /** An accepted connection's time to deliver a complete message, seconds (default 32, 64·T1). */
  messageDeadline?: number;
  /**
   * Per server: its own CA file and whether to verify it (an account's `ca` and `tlsVerify`),
   * asked before each TLS connection with the name and address connected to; undefined falls
   * back to `tls`. Verification is on unless a policy or `tls.verify` turns it off.
   */
  tlsPolicy?: (server: { serverName: string; address: string }) => { ca?: string; verify?: boolean } | undefined;
  /** Stream framing limits (defaults 64 KiB of headers, 1 MiB of body). */
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  trace?: (event: TraceEvent) => void;
  logger?: TransportLogger;
  /** Timers (keep-alive, idle, connect timeout, message deadline); the stack's one Clock. */
  clock?: Clock;
  /** For the RFC 5626 keep-alive jitter. */
  random?: () => number;
}

/** One open TCP/TLS connection, for diagnostics and tests. */
export interface ConnectionInfo {
  id: string;
  protocol: TransportProtocol;
  remote: { address: string; port: number };
  local: { address: string; port: number };
  /** We opened it (rather than accepted it). */
  outbound: boolean;
  /** RFC 5626 keep-alive runs on it. */
  keepAlive: boolean;
  /** A ping went out and its pong has not come back yet. */
  awaitingPong: boolean;
}

/** A handle on keep-alives started with `keepAlive()`. */
export interface KeepAliveHandle {
  stop(): void;
}
