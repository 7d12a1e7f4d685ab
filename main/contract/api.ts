/**
 * The one typed contract between the engine and its users: the Electron renderer (through the
 * preload's `window.appel`), the loopback WebSocket bridge, and the CLI. Calls are `domain:verb`
 * requests with one response; events are snapshots the engine pushes. Nothing here carries a
 * password back out: `AccountConfig.password` goes in, and no event or snapshot contains it.
 */

import type { ErrorCode } from './errors.ts';
import type { ContactInput, ContactQuery, ContactSnapshot, ConversationSummary, HistoryEntry, HistoryFilter, HistoryRecording, Settings, SettingsChange, VCardImportResult } from './records.ts';
import type { EndCode } from './end-codes.ts';
import type { VideoCodecName, VideoResolution } from './video.ts';
import type { CALL_CODECS, DIRECT_CALLS, DTMF_MODES, SRTP_MODES, TLS_ERROR_CODES, TRANSFER_REQUESTS, TRANSPORTS } from './values.ts';

export type TransportName = (typeof TRANSPORTS)[number];

export interface AccountConfig {
  /** Address of record, e.g. `sip:alice@example.com`. */
  aor: string;
  /** Authentication user name; defaults to the AOR's user part. */
  username?: string;
  /**
   * The digest realm credentials are given to (RFC 3261 §22.1). Default: the realms the registrar
   * asks for, and the AOR's domain; a challenge from any other realm is refused.
   */
  realm?: string;
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
  /**
   * Extra CAs trusted for TLS (beside the system's): a PEM file's path (the CLI's `--ca`), or the
   * PEM text itself (what the app's account form loads; a window never names a file).
   */
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
  /** SDES-SRTP policy of calls on this account unless a dial names one (default: Settings.srtp). */
  srtp?: SrtpMode;
  /** How calls on this account send DTMF unless a dial names a way (default 'auto'). */
  dtmf?: DtmfMode;
  /** The voicemail number or URI, dialled by "Call voicemail" (a user part dials at the AOR's domain). */
  voicemail?: string;
}

/** What is saved of an account: its config without the password (which lives in a SecretStore). */
export type AccountSettings = Omit<AccountConfig, 'password'>;

/**
 * `account:update`: the account and the fields to change; a field left out stays as it is, and
 * `null` clears an optional one (back to its default). A password given replaces the saved one;
 * none (or '') keeps it. The AOR may change.
 */
export type AccountUpdate = { id: string; aor?: string; password?: string } & { [K in Exclude<keyof AccountConfig, 'aor' | 'password'>]?: AccountConfig[K] | null };

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

/**
 * Why a registration failed, as a code a UI can word itself (the `reason` says it in English):
 * 'no-password': the registrar asks for a password and the account has none (not a wrong one);
 * a TlsErrorCode: its server's certificate was refused (`certificate` then says what it is).
 */
export type RegistrationErrorCode = 'no-password' | TlsErrorCode;

/** contract/values.ts TLS_ERROR_CODES: why a TLS server was refused. */
export type TlsErrorCode = (typeof TLS_ERROR_CODES)[number];

/**
 * The public facts of a server's certificate, shown when it is refused so a person can compare
 * them with what the provider says (never a key: a certificate is public).
 */
export interface CertificateFacts {
  /** Distinguished names as `CN=pbx.example.com, O=Example`. */
  subject: string;
  issuer: string;
  /** SHA-256 of the DER certificate, colon-separated hex. */
  fingerprint256: string;
  /** Validity as the certificate says it (`Dec  7 01:49:21 2026 GMT`). */
  validFrom: string;
  validTo: string;
  /** The DNS names and addresses it is for (subjectAltName). */
  names?: string[];
}

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
  /**
   * Why the last attempt failed, in words a person understands. `reason` may already end with
   * the status (`… (401 Unauthorized)`): a UI shows `status` only when the reason lacks it.
   */
  error?: { status?: number; reason: string; code?: RegistrationErrorCode; certificate?: CertificateFacts };
  /** When the next attempt or refresh is due (ms since the epoch). */
  nextAttemptAt?: number;
  /** The saved settings (never the password), for a UI that edits them; the engine fills it in. */
  config?: AccountSettings;
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

export type CallCodec = (typeof CALL_CODECS)[number];
export type SrtpMode = (typeof SRTP_MODES)[number];
export type DtmfMode = (typeof DTMF_MODES)[number];
export type CallState = 'dialing' | 'ringing' | 'early' | 'connected' | 'held' | 'ended';

/** What a call sends: a WAV file (16-bit PCM, any usual rate), a tone, or silence. */
export type CallAudioSource = { wav: string; loop?: boolean } | { tone: number[]; levelDb?: number } | { silence: true };

export interface DialRequest {
  /** A sip:/sips: URI, or a user part alone (dialled at the account's domain). */
  to: string;
  /** The account to call from (its AOR, credentials and proxy); none: a direct call. */
  accountId?: string;
  /** Codecs in order of preference; default: the saved preference (Settings.codecs), of those the engine has. */
  codecs?: CallCodec[];
  /** SDES-SRTP (RFC 4568) policy; default: the saved preference (Settings.srtp). */
  srtp?: SrtpMode;
  /** What we send; default silence (the app: the microphone). */
  play?: CallAudioSource;
  /** A mono WAV file of what we hear (headless: the speaker). */
  record?: string;
  /** Without an account: the outbound proxy URI to send the INVITE through. */
  proxy?: string;
  /** DTMF as RFC 4733 events when the other side has them, else SIP INFO ('auto', default), or always INFO. */
  dtmf?: DtmfMode;
  /** A video call: offer an m=video line beside the audio (default false). */
  video?: boolean;
  /** Headless (the engine's own callers): what the video sends, the test pattern or a y4m file; a window sends its camera. */
  videoSource?: CallVideoSource;
  /** Headless: record the other side's video (IVF for VP8, Annex B for H.264). */
  recordVideo?: string;
}

export type CallVideoSource = 'testsrc' | { y4m: string };

export interface AnswerRequest {
  callId: string;
  play?: CallAudioSource;
  record?: string;
  /** Take the offer's video too (default false: the call is answered with audio only, RFC 3264 §6). */
  video?: boolean;
  videoSource?: CallVideoSource;
  recordVideo?: string;
}

/**
 * What a peer answered to OPTIONS (RFC 3261 §11.2): its status, the methods it allows, the
 * extensions it supports, the software it runs (Server, else User-Agent) and the round trip.
 */
export interface OptionsAnswer {
  status: number;
  reason: string;
  allow?: string[];
  supported?: string[];
  accept?: string[];
  userAgent?: string;
  /** ms from sending the request to its final response (retransmissions included). */
  rttMs: number;
}

/** A call as the UI shows it. */
export interface CallSnapshot {
  id: string;
  /** The SIP Call-ID of its dialog, once the INVITE is sent or received (for traces and the server's logs). */
  sipCallId?: string;
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
  /** The call's video, when it has or is offered some. */
  video?: CallVideo;
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
  /** Why the call ended, as a code the UI words in its own language (`endReason` is the engine's English). */
  endCode?: EndCode;
  /** The address the call was transferred to, with `endCode` 'transferred'. */
  endTarget?: string;
  /** A transfer of this call under way or just done (see CallTransferState). */
  transfer?: CallTransferState;
  /** This call took the place of another of ours (a transfer, RFC 3891 Replaces): that call's id. */
  replacesCallId?: string;
  /** The local conference this call is part of, while it is. */
  conferenceId?: string;
  /** The WAV file this call records to, when it records (another call's file is never shared: `-2`, `-3`… are added). */
  record?: string;
  /** A recording asked for during the call (`call:record`) is running now (stereo: us left, the other side right). */
  recording?: boolean;
}

/**
 * A transfer as the UI shows it on the call concerned (RFC 5589 roles):
 *   transferor  we asked the other side to call `to` (blind or attended);
 *   transferee  the other side asked us to call `to` (our new call is `newCallId`);
 *   target      a call from `to` replaced this one (the new call is `newCallId`).
 * `state` goes trying → ringing → transferred, or → failed (with `reason` in words).
 */
export interface CallTransferState {
  role: 'transferor' | 'transferee' | 'target';
  to: string;
  kind: 'blind' | 'attended';
  /** 'asking': a transferee's request waits for the person (`call:transfer-answer`). */
  state: 'asking' | 'trying' | 'ringing' | 'transferred' | 'failed';
  reason?: string;
  /** The last status reported (NOTIFY sipfrag, RFC 3515), e.g. 100, 180, 200, 486. */
  status?: number;
  newCallId?: string;
}

/** The outcome of a transfer we asked for (`call:transfer`, `call:attended-transfer`). */
export interface CallTransferOutcome {
  ok: boolean;
  /** In words: "transferred", "the transfer target is busy (486)"… */
  reason: string;
  status?: number;
}

/** `call:transferred`: a transfer ended, whichever role we had. */
export interface CallTransferred extends CallTransferOutcome {
  callId: string;
  role: CallTransferState['role'];
  kind: CallTransferState['kind'];
  to: string;
  outcome: 'transferred' | 'failed';
  newCallId?: string;
}

/** A local three-way conference (mixed here, mix-minus: nobody hears themselves). */
export interface ConferenceSnapshot {
  id: string;
  /** The calls in it, the first one lends the local user's audio (microphone/speaker, or --play/--record). */
  members: string[];
  state: 'active' | 'ended';
  /** Why it ended, in words ("split", "sip:bob@… hung up"…). */
  endReason?: string;
}

/** A call's video as the UI shows it. */
export interface CallVideo {
  /** The other side's offer has video (an incoming call: answer with or without it). */
  offered: boolean;
  /** A video stream is negotiated and running. */
  active: boolean;
  codec?: VideoCodecName;
  /** What the negotiated direction lets us do (a hold stops both). */
  sending: boolean;
  receiving: boolean;
  /** Our camera is on: off, the stream stays and sends nothing (`call:camera`). */
  camera: boolean;
}

/** A call's video figures (in `call:stats`), over the last report period unless said. */
export interface CallVideoStats {
  codec: VideoCodecName;
  /** What we send: size of the last frame encoded, frames per second, kbit/s. */
  sent?: { width: number; height: number; fps: number; bitrateKbps: number };
  /** What we receive: size of the last frame decoded, frames per second, kbit/s. */
  received?: { width: number; height: number; fps: number; bitrateKbps: number };
  /** Since the stream started: key frames we asked for (PLI/FIR), received, and the other side asked of us. */
  keyFramesAsked: number;
  keyFramesReceived: number;
  keyFramesAskedOfUs: number;
  nacksSent: number;
  nacksReceived: number;
  framesDropped: number;
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
  video?: CallVideoStats;
}

/** Symmetric RTP: a call now sends its RTP (or RTCP) where the peer's really came from (Phone's 'call:latched'; the CLI prints it). */
export interface CallLatched {
  callId: string;
  address: string;
  port: number;
  rtcp: boolean;
}

export interface CallDtmf {
  callId: string;
  digit: string;
  durationMs: number;
  /** How it came: RFC 4733 in the media, or SIP INFO. */
  via: 'rtp' | 'info';
}

/**
 * Calls sent straight to this computer (`sip:user@our-address`, not through an account's server):
 * 'auto' takes them only while no account registers; 'always'; 'never'.
 */
export type DirectCalls = (typeof DIRECT_CALLS)[number];

export interface CallSettings {
  /** Answer incoming calls by themselves (after `autoAnswerDelay` seconds). */
  autoAnswer: boolean;
  autoAnswerDelay: number;
  /** What auto-answered calls play and record (see AnswerRequest). */
  autoAnswerPlay?: CallAudioSource;
  autoAnswerRecord?: string;
  /** Auto-answered calls take the offer's video (headless: sending `autoAnswerVideoSource`, recording to `autoAnswerRecordVideo`, `{n}` numbered). */
  autoAnswerVideo?: boolean;
  autoAnswerVideoSource?: CallVideoSource;
  autoAnswerRecordVideo?: string;
  /** What video calls capture and send (Settings → Video). */
  videoResolution?: VideoResolution;
  /** Refuse every incoming call with 486 (busy). */
  doNotDisturb: boolean;
  /** Codecs and SRTP policy for incoming calls (default: as for dial). */
  codecs?: CallCodec[];
  srtp?: SrtpMode;
  /** Whether calls, messages and OPTIONS sent straight to this computer are taken (default 'auto'). */
  directCalls?: DirectCalls;
  /**
   * A transfer the other side asks of us (REFER, RFC 3515): 'ask' the person (default), follow
   * it 'always', or refuse it 'never'. It always places the new call on the call's own account.
   */
  transferRequests?: TransferRequests;
}

export type TransferRequests = (typeof TRANSFER_REQUESTS)[number];

// ---- store: contacts, history, messages, settings (records.ts) ---------------------------------

export type * from './records.ts';

// ---- the desktop shell ---------------------------------------------------------------------------

/** Something the person should know about the engine itself, in words (not about a call). */
export interface AppNotice {
  /** Stable per kind: 'database-damaged', 'database-unavailable', 'calls-interrupted', 'passwords-not-kept'… */
  id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** ms since the epoch. */
  time: number;
}

export interface AppStatus {
  notices: AppNotice[];
}

/** A `sip:`/`sips:`/`tel:`/`callto:` link opened with Appel (main/app/protocol.ts parsed it). */
export interface AppLink {
  /** What to put in the dialpad: a `sip:`/`sips:` URI, or a number (`+33123456789`). */
  target: string;
  /** The link as it was given. */
  link: string;
}

/** Invokable calls: `channel → { req; res }`. */
export interface ApiCalls {
  'account:add': { req: AccountConfig; res: AccountSnapshot };
  /**
   * Change a saved account (see AccountUpdate) and restart its registration with the new config
   * (the old binding un-REGISTERed first). A bad field changes nothing: the error names it.
   */
  'account:update': { req: AccountUpdate; res: AccountSnapshot };
  'account:remove': { req: { id: string }; res: void };
  'account:list': { req: void; res: AccountSnapshot[] };
  /** Re-register every account now (wake from sleep, network change). */
  'network:changed': { req: void; res: void };
  /** Without an account, `proxy` (an outbound proxy URI) may say where to send. */
  'message:send': { req: { accountId?: string; to: string; text: string; proxy?: string }; res: MessageSnapshot };
  'options:ping': { req: { accountId?: string; to: string; proxy?: string }; res: OptionsAnswer };
  'call:dial': { req: DialRequest; res: CallSnapshot };
  'call:answer': { req: AnswerRequest; res: CallSnapshot };
  'call:decline': { req: { callId: string; status?: 486 | 603 }; res: void };
  'call:hangup': { req: { callId: string }; res: void };
  'call:hold': { req: { callId: string }; res: CallSnapshot };
  /** Start or stop recording a connected call; the engine chooses the file, under the app's data directory. */
  'call:record': { req: { callId: string; on: boolean }; res: CallSnapshot };
  'call:resume': { req: { callId: string }; res: CallSnapshot };
  'call:dtmf': { req: { callId: string; digits: string }; res: void };
  /** Re-offer with these codecs only (RFC 3264 §8.3.2), e.g. to move from opus to pcmu. */
  'call:codecs': { req: { callId: string; codecs: CallCodec[] }; res: CallSnapshot };
  /** Add video to the call, or remove it, by a re-offer (RFC 3264 §8.2, §8.4: port 0). */
  'call:video': { req: { callId: string; on: boolean }; res: CallSnapshot };
  /** Our camera on or off for this call: off sends no frames; nothing is renegotiated. */
  'call:camera': { req: { callId: string; on: boolean }; res: CallSnapshot };
  'call:list': { req: void; res: CallSnapshot[] };
  'call:settings': { req: Partial<CallSettings>; res: CallSettings };
  /**
   * Blind transfer (RFC 5589 §6): the call is held, its peer is REFERred to `to`; on success the
   * call ends, on failure it is resumed. Resolves once the transfer succeeded or failed.
   */
  'call:transfer': { req: { callId: string; to: string }; res: CallTransferOutcome };
  /** Accept or decline the transfer the other side asked for (CallTransferState 'asking'). */
  'call:transfer-answer': { req: { callId: string; accept: boolean }; res: void };
  /** Attended transfer (RFC 5589 §7): connect the peer of `callId` with the peer of `targetCallId` (Replaces); both calls end on success. */
  'call:attended-transfer': { req: { callId: string; targetCallId: string }; res: CallTransferOutcome };
  /** Two calls into a local three-way conference (held ones are resumed). */
  'conference:merge': { req: { callIds: string[] }; res: ConferenceSnapshot };
  /** Back to separate calls: the first member stays active, the others are put on hold. */
  'conference:split': { req: { conferenceId: string }; res: CallSnapshot[] };
  'contacts:list': { req: ContactQuery | void; res: ContactSnapshot[] };
  'contacts:get': { req: { id: string }; res: ContactSnapshot };
  /** Create (no id) or replace a contact. */
  'contacts:save': { req: ContactInput; res: ContactSnapshot };
  'contacts:delete': { req: { id: string }; res: void };
  'contacts:favourite': { req: { id: string; favourite: boolean }; res: ContactSnapshot };
  /** vCard 2.1, 3.0 or 4.0 text (one or many cards). */
  'contacts:import-vcard': { req: { text: string }; res: VCardImportResult };
  /** vCard 4.0 (RFC 6350) of these contacts, or of all. */
  'contacts:export-vcard': { req: { ids?: string[] } | void; res: { text: string; count: number } };
  'history:list': { req: HistoryFilter | void; res: HistoryEntry[] };
  'history:delete': { req: { id: number }; res: void };
  'history:clear': { req: void; res: void };
  /**
   * The recording of a history entry, a piece at a time from `offset` (default 0): read only from
   * the recordings directory the engine writes to, never from a path the request names.
   * 'not-found': no such entry, no recording, or its file is gone.
   */
  'history:recording': { req: { id: number; offset?: number }; res: HistoryRecording };
  /** The last message with each peer, newest first, with unread counts. */
  'messages:conversations': { req: void; res: ConversationSummary[] };
  /** One conversation, oldest first; `before` (a time, ms) pages back. */
  'messages:list': { req: { peer: string; limit?: number; before?: number }; res: MessageSnapshot[] };
  'messages:mark-read': { req: { peer: string }; res: void };
  'settings:get': { req: void; res: Settings };
  'settings:set': { req: SettingsChange; res: Settings };
  /** The shell's notices (a damaged database set aside, passwords not kept…). */
  'app:status': { req: void; res: AppStatus };
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
  /** A transfer ended (we transferred, were transferred, or a call of ours was replaced). */
  'call:transferred': CallTransferred;
  /** A conference started, changed or ended. */
  'conference:state': ConferenceSnapshot;
  'contacts:changed': { saved: ContactSnapshot[]; removed: string[] };
  /** A call row added or completed, rows deleted, or everything cleared. */
  'history:changed': { saved: HistoryEntry[]; removed: number[]; cleared: boolean };
  'settings:changed': Settings;
  /** A notice was added to the shell's status. */
  'app:status': AppStatus;
  /** A link was opened with Appel (protocol handler, second instance): put `target` in the dialpad. */
  'app:link': AppLink;
}

/** A call's outcome as it crosses a boundary: the value, or an error code (contract/errors.ts) and its message in words. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** What serves one call. Requests reaching it were validated at the boundary (contract/schemas.ts). */
export type ApiHandler<K extends keyof ApiCalls> = (req: ApiCalls[K]['req']) => ApiCalls[K]['res'] | Promise<ApiCalls[K]['res']>;

/** The engine's calls for both UI boundaries (IPC, bridge); a channel without one answers 'unavailable'. */
export type ApiHandlers = { [K in keyof ApiCalls]?: ApiHandler<K> };
