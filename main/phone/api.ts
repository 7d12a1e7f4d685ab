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

// ---- calls ---------------------------------------------------------------------------------------

export type CallCodec = 'opus' | 'g722' | 'pcmu' | 'pcma' | 'g729' | 'gsm';
export type SrtpMode = 'off' | 'optional' | 'mandatory';
export type CallState = 'dialing' | 'ringing' | 'early' | 'connected' | 'held' | 'ended';

/** What a call sends: a WAV file (16-bit PCM, any usual rate), a tone, or silence. */
export type CallAudioSource = { wav: string; loop?: boolean } | { tone: number[]; levelDb?: number } | { silence: true };

export interface DialRequest {
  /** A sip:/sips: URI, or a user part alone (dialled at the account's domain). */
  to: string;
  /** The account to call from (its AOR, credentials and proxy); none: a direct call. */
  accountId?: string;
  /** Codecs in order of preference; default opus, g722, pcmu, pcma, g729, gsm (those the engine has). */
  codecs?: CallCodec[];
  /** SDES-SRTP (RFC 4568) policy; default 'off'. */
  srtp?: SrtpMode;
  /** What we send; default silence (the app: the microphone). */
  play?: CallAudioSource;
  /** A mono WAV file of what we hear (headless: the speaker). */
  record?: string;
  /** Without an account: the outbound proxy URI to send the INVITE through. */
  proxy?: string;
  /** DTMF as RFC 4733 events when the other side has them, else SIP INFO ('auto', default), or always INFO. */
  dtmf?: 'auto' | 'info';
}

export interface AnswerRequest {
  callId: string;
  play?: CallAudioSource;
  record?: string;
}

/** A call as the UI shows it. */
export interface CallSnapshot {
  id: string;
  direction: 'incoming' | 'outgoing';
  accountId?: string;
  peer: { uri: string; displayName?: string };
  state: CallState;
  /** Who holds the call, while it is held. */
  heldBy?: 'local' | 'remote' | 'both';
  /** The codec in use once media flows (`opus`, `pcmu`…). */
  codec?: CallCodec;
  /** Media is encrypted (SDES-SRTP). */
  srtp: boolean;
  /** RFC 4733 DTMF was negotiated (else DTMF goes as SIP INFO). */
  telephoneEvent?: boolean;
  /** ms since the epoch. */
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  /** Why the call ended, in words ("busy", "the other side hung up"…). */
  endReason?: string;
  /** The SIP status behind the end, when there was one (486, 487…). */
  endStatus?: number;
  /** Who ended it. */
  endedBy?: 'local' | 'remote';
}

export interface CallStats {
  callId: string;
  codec: CallCodec;
  srtp: boolean;
  /** E-model estimate (G.107), 1..4.5. */
  mos: number;
  jitterMs: number;
  /** Recent loss, percent. */
  lossPercent: number;
  rttMs?: number;
  packetsSent: number;
  packetsReceived: number;
}

export interface CallDtmf {
  callId: string;
  digit: string;
  durationMs: number;
  /** How it came: RFC 4733 in the media, or SIP INFO. */
  via: 'rtp' | 'info';
}

export interface CallSettings {
  /** Answer incoming calls by themselves (after `autoAnswerDelay` seconds). */
  autoAnswer: boolean;
  autoAnswerDelay: number;
  /** What auto-answered calls play and record (see AnswerRequest). */
  autoAnswerPlay?: CallAudioSource;
  autoAnswerRecord?: string;
  /** Refuse every incoming call with 486 (busy). */
  doNotDisturb: boolean;
  /** Codecs and SRTP policy for incoming calls (default: as for dial). */
  codecs?: CallCodec[];
  srtp?: SrtpMode;
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
  'call:dial': { req: DialRequest; res: CallSnapshot };
  'call:answer': { req: AnswerRequest; res: CallSnapshot };
  'call:decline': { req: { callId: string; status?: 486 | 603 }; res: void };
  'call:hangup': { req: { callId: string }; res: void };
  'call:hold': { req: { callId: string }; res: CallSnapshot };
  'call:resume': { req: { callId: string }; res: CallSnapshot };
  'call:dtmf': { req: { callId: string; digits: string }; res: void };
  /** Re-offer with these codecs only (RFC 3264 §8.3.2), e.g. to move from opus to pcmu. */
  'call:codecs': { req: { callId: string; codecs: CallCodec[] }; res: CallSnapshot };
  'call:list': { req: void; res: CallSnapshot[] };
  'call:settings': { req: Partial<CallSettings>; res: CallSettings };
}

/** Pushed events: `channel → payload`. */
export interface ApiEvents {
  'account:state': AccountSnapshot;
  'message:received': MessageSnapshot;
  'message:state': MessageSnapshot;
  'sip:trace': SipTraceEntry;
  /** A new incoming call (state `ringing`). */
  'call:incoming': CallSnapshot;
  /** Any change of a call: state, hold, codec, its end. */
  'call:state': CallSnapshot;
  'call:stats': CallStats;
  'call:dtmf': CallDtmf;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
