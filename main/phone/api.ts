/**
 * The one typed contract between the engine and its users: the Electron renderer (through the
 * preload's `window.appel`), the loopback WebSocket bridge, and the CLI. Calls are `domain:verb`
 * requests with one response; events are snapshots the engine pushes. Nothing here carries a
 * password back out: `AccountConfig.password` goes in, and no event or snapshot contains it.
 */

export type TransportName = 'udp' | 'tcp' | 'tls';

export interface AccountConfig {
  /** Address of record, e.g. `sip:alice@example.com`. */
  aor: string;
  /** Authentication user name; defaults to the AOR's user part. */
  username?: string;
  /** The secret; never echoed in events, snapshots, logs or traces. */
  password?: string;
  /** Display name for From. */
  displayName?: string;
  /**
   * Outbound proxy URI (`sip:127.0.0.1:5061;transport=tls`). When set, every request goes there
   * and RFC 3263 look-ups of the AOR's domain are skipped.
   */
  proxy?: string;
  /** Transport to use when neither the proxy nor DNS says (default: RFC 3263 decides, else UDP). */
  transport?: TransportName;
  /** PEM file of extra CAs trusted for TLS (beside the system's). */
  ca?: string;
  /** Verify TLS certificates (default true). */
  tlsVerify?: boolean;
  /** Registration interval asked for, seconds (default 600). */
  expires?: number;
  /** RFC 5626 outbound: `reg-id`, `Supported: outbound`, keep-alive on the flow (default true). */
  outbound?: boolean;
  /** Keep-alive interval, seconds (RFC 5626 CRLF; 0 = off). Default 30 on UDP, 90 on TCP/TLS. */
  keepAlive?: number;
  /** RFC 5626 §4.5 back-off base, seconds, after a failed registration (default 30). */
  retryBase?: number;
  /** Do not register at all (direct calls only). */
  register?: boolean;
}

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

export interface AccountSnapshot {
  id: string;
  aor: string;
  state: RegistrationState;
  /** Granted expiry in seconds, when registered. */
  expires?: number;
  /** Our Contact as the registrar accepted it. */
  contact?: string;
  /** The address the registrar saw us at (RFC 3581 received/rport), when it differs from ours. */
  publicAddress?: string;
  /** Why the last attempt failed, in words a person understands. */
  error?: { status?: number; reason: string };
  /** When the next attempt or refresh is due (ms since the epoch). */
  nextAttemptAt?: number;
}

/** One SIP message on the wire, as the trace viewer and `--trace` show it (credentials masked). */
export interface SipTraceEntry {
  time: number;
  direction: 'sent' | 'received';
  transport: string;
  local: string;
  remote: string;
  text: string;
}

export interface MessageSnapshot {
  id: string;
  direction: 'incoming' | 'outgoing';
  peer: string;
  text: string;
  contentType: string;
  time: number;
  status: 'sending' | 'sent' | 'failed' | 'received';
  error?: string;
}

/** Invokable calls: `channel → { req; res }`. */
export interface ApiCalls {
  'account:add': { req: AccountConfig; res: AccountSnapshot };
  'account:remove': { req: { id: string }; res: void };
  'account:list': { req: void; res: AccountSnapshot[] };
  /** Re-register every account now (wake from sleep, network change). */
  'network:changed': { req: void; res: void };
  /** Without an account, `proxy` (an outbound proxy URI) may say where to send. */
  'message:send': { req: { accountId?: string; to: string; text: string; proxy?: string }; res: MessageSnapshot };
  'options:ping': { req: { accountId?: string; to: string; proxy?: string }; res: { status: number; reason: string } };
}

/** Pushed events: `channel → payload`. */
export interface ApiEvents {
  'account:state': AccountSnapshot;
  'message:received': MessageSnapshot;
  'message:state': MessageSnapshot;
  'sip:trace': SipTraceEntry;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
