/**
 * One call: an INVITE session (main/sip/usage), the SDP offer/answer around it (main/sdp), and
 * one media stream in the engine (main/media), told to the UI as CallSnapshots.
 *
 *   outgoing  dialing ─180─▶ ringing ─183+SDP─▶ early ─200─▶ connected ⇄ held ─BYE─▶ ended
 *   incoming  ringing ─answer()─▶ connected ⇄ held ──────────────────────────BYE─▶ ended
 *             (decline(), CANCEL, 488 when nothing fits ─────────────────────────▶ ended)
 *
 * Media: the RTP port is reserved in the engine before the offer is written (the offer carries
 * it); the stream is created once an answer says which codec, keys and address to use, and
 * created again on the same port when a later exchange changes the codec or the SRTP keys. A
 * hold or a new remote address only updates the running stream.
 *
 * Offers and answers (RFC 3264): we always offer in the INVITE; we answer an incoming offer in
 * the 200 (or offer in the 200 when the INVITE had none, and read the answer in the ACK). The
 * last SDP we sent is the base of every re-offer (§8): hold (sendonly, or inactive when the peer
 * already holds us, §8.4), resume, codec change (§8.3.2). A peer's re-offer is answered with
 * our current codec first, and our own hold kept.
 */
import { AppelError, type ErrorCode } from '../contract/errors.ts';
import { randomBytes } from 'node:crypto';
import { parseNameAddr, quotedString, type Body, type InviteSession, type InviteSessionDelegate, type OfferContext, type TerminationInfo } from '../sip/index.ts';
import {
  createAnswer,
  createCodecChangeOffer,
  createHoldOffer,
  createOffer,
  createResumeOffer,
  formatSdp,
  generateSrtpKey,
  isHeldBy,
  opusParameters,
  parseSdp,
  processAnswer,
  type CodecName,
  type NegotiatedMedia,
  type SessionDescription,
  type SrtpPolicy,
  type SrtpSuite,
} from '../sdp/index.ts';
import type { MediaStreamStats, ReservedPorts, SinkSpec, SourceSpec, StreamSpec, StunServer } from '../media/index.ts';
import type { CallAudioSource, CallCodec, CallDtmf, CallLatched, CallSnapshot, CallState, CallStats, CallTransferState } from '../contract/api.ts';
import { DTMF_DIGITS, formatDtmfRelay, parseDtmfInfo } from './call-dtmf.ts';
import type { MediaHost } from './media-host.ts';

/** Our order of preference when the user names none (those the engine lacks are left out). */
export const DEFAULT_CODECS: readonly CodecName[] = ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'];
/** SDES suites we offer, best first (RFC 4568 §6.2). */
const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
/** Recordings are written at one rate whatever the codec, so a codec change keeps the file's format. */
const RECORD_RATE = 16000;

/** What the phone gives each call. */
export interface CallHost {
  media: MediaHost;
  /**
   * Without `play`/`record`, the call speaks and hears through the local user's device (the
   * app's microphone and speaker, MediaHost.connectDevice) instead of silence. The phone gives
   * the device to one call at a time (`streamStarted`, `changed`).
   */
  localAudio?: boolean;
  /** A media stream of the call started (a new one after a codec or key change). */
  streamStarted?(call: Call): void;
  portRange?: { min: number; max: number };
  /**
   * The STUN server (RFC 5389) for this call's RTP socket, resolved for the family (4 or 6) of
   * our media address; rejects in words. Absent: no STUN, the SDP carries the local address.
   */
  stunServer?(family: 4 | 6): Promise<StunServer>;
  /** Something the call survives but the person may want to know (STUN failed), in words. */
  warning?(call: Call, message: string): void;
  /** The snapshot changed. */
  changed(call: Call): void;
  stats(stats: CallStats): void;
  dtmf(dtmf: CallDtmf): void;
  /** The stream latched onto where the peer's media really comes from (optional). */
  latched?(latched: CallLatched): void;
  /** A MESSAGE inside the call's dialog. */
  message(m: { from: string; text: string; contentType: string }): void;
  /** The call is over (after its last `changed`). */
  ended(call: Call): void;
  /** The call's media stream is about to be replaced (codec or keys changed): a conference must let go of it first. */
  streamReplaced?(call: Call): void;
}

export interface CallMedia {
  /** Wanted codecs, in order (filtered by what the engine has). */
  codecs: readonly CodecName[];
  srtp: SrtpPolicy;
  play?: CallAudioSource;
  record?: string;
  /** Offer and accept RFC 4733 telephone-event (default true); without it DTMF goes by SIP INFO. */
  telephoneEvent?: boolean;
}

/** A call request refused for what was asked (the caller's mistake), not for what SIP said. */
export class CallError extends AppelError {
  declare readonly code: Extract<ErrorCode, 'bad-request' | 'not-found' | 'wrong-state'>;
  constructor(code: CallError['code'], message: string) {
    super(code, message);
    this.name = 'CallError';
  }
}

function sdpBody(sd: SessionDescription): Body {
  return { contentType: 'application/sdp', body: formatSdp(sd) };
}

/** Why an incoming offer is not SDP we can read, in words; undefined when it is. */
export function unreadableOffer(body: Body): string | undefined {
  const read = readOffer(body);
  return 'problem' in read ? read.problem : undefined;
}

/** An incoming offer parsed once: the SDP, or why it is not SDP we can read. */
function readOffer(body: Body): { sdp: SessionDescription } | { problem: string } {
  try {
    return { sdp: parseSdp(textOf(body)) };
  } catch (err) {
    return { problem: `the caller's session description is not valid SDP (${(err as Error).message})` };
  }
}

/** 488 Not Acceptable Here with a Warning (RFC 3261 §20.43, code 399): why, in printable words. */
export function reject488(session: InviteSession, reason: string): void {
  session.reject(488, { headers: [['Warning', `399 appel ${quotedString(reason)}`]] });
}

function textOf(body: Body): string {
  return typeof body.body === 'string' ? body.body : new TextDecoder().decode(body.body);
}

function sourceSpec(play: CallAudioSource | undefined, localAudio: boolean): SourceSpec {
  if (!play) return localAudio ? { kind: 'local' } : { kind: 'silence' };
  if ('silence' in play) return { kind: 'silence' };
  if ('wav' in play) return { kind: 'wav', path: play.wav, loop: play.loop ?? false };
  return { kind: 'tone', frequencies: play.tone, ...(play.levelDb !== undefined ? { levelDb: play.levelDb } : {}) };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** What cannot change under a running stream: a change of any of it needs a new stream. */
function streamKey(n: NegotiatedMedia): string {
  const srtp = n.srtp ? `${n.srtp.suite}:${b64(n.srtp.localKey)}:${b64(n.srtp.remoteKey)}` : 'rtp';
  return [n.codec.name, n.codec.payloadType, n.codec.receivePayloadType ?? '', n.codec.ptime, n.telephoneEvent?.payloadType ?? '', n.rtcpMux, srtp].join('/');
}

/** Where our SDP says to send media (RFC 4566 c= and m=, RFC 3605 a=rtcp). */
interface Advertised {
  address: string;
  port: number;
  /** Only when it is not port + 1. */
  rtcpPort?: number;
}

/**
 * The STUN-mapped address and ports when STUN found a public address other than ours; else our
 * own. Without rtcp-mux the RTCP socket has its own mapping: a NAT need not keep it at RTP + 1.
 */
function advertisedOf(address: string, ports: ReservedPorts): Advertised {
  const mapped = ports.mapped;
  if (!mapped || mapped.address === address) return { address, port: ports.localPort };
  const rtcp = ports.mappedRtcp;
  if (rtcp && rtcp.port !== mapped.port + 1 && ports.localRtcpPort !== ports.localPort) return { address: mapped.address, port: mapped.port, rtcpPort: rtcp.port };
  return { address: mapped.address, port: mapped.port };
}

function hostOfContact(contact: string): string | undefined {
  try {
    return parseNameAddr(contact).uri.host.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

let nextCallNumber = 1;

export class Call {
  readonly id: string;
  readonly #host: CallHost;
  readonly #snapshot: CallSnapshot;
  #session: InviteSession | undefined;
  #media: CallMedia;
  #codecs: CodecName[] = [];
  #suites: SrtpSuite[] = [];
  readonly #srtpKeys: Partial<Record<SrtpSuite, Uint8Array>> = {};
  /** Our RTP SSRC and RTCP CNAME for the whole call (RFC 3550 §8, §6.5.1), announced in every SDP. */
  readonly #ssrc = randomBytes(4).readUInt32BE(0);
  readonly #cname = `appel-${randomBytes(6).toString('hex')}`;

  /** Our media address and RTP port (reserved, then the stream's). */
  #address = '';
  #port = 0;
  /** What the SDP says: #address/#port, or what STUN learned of them. */
  #advertised: Advertised | undefined;
  #reserved = false;
  #streamId: string | undefined;
  #streamKey: string | undefined;
  #negotiated: NegotiatedMedia | undefined;
  #mediaChain: Promise<void> = Promise.resolve();

  /** The last SDP we sent, the other side's last one, and our offer still waiting for its answer. */
  #localSdp: SessionDescription | undefined;
  #remoteSdp: SessionDescription | undefined;
  #pendingOffer: SessionDescription | undefined;
  /** Our own re-INVITE is out: its answer is read from its result, not from the 'answer' event. */
  #reoffering = false;
  #heldLocal = false;
  #heldRemote = false;

  #ended = false;
  #answering = false;
  /** Why an incoming offer could not be read, when it could not. */
  #offerError: string | undefined;
  #endReason: string | undefined;
  #lastPublished = '';
  readonly #endedPromise: Promise<void>;
  #resolveEnded!: () => void;
  autoAnswerTimer: (() => void) | undefined;

  private constructor(host: CallHost, init: { direction: 'incoming' | 'outgoing'; peer: CallSnapshot['peer']; accountId?: string; media: CallMedia }) {
    this.id = `c${nextCallNumber++}-${Math.floor(Math.random() * 0x10000).toString(16)}`;
    this.#host = host;
    this.#media = init.media;
    this.#snapshot = {
      id: this.id,
      direction: init.direction,
      ...(init.accountId !== undefined ? { accountId: init.accountId } : {}),
      peer: init.peer,
      state: init.direction === 'outgoing' ? 'dialing' : 'ringing',
      srtp: false,
      startedAt: Date.now(),
      ...(init.media.record ? { record: init.media.record } : {}),
    };
    this.#endedPromise = new Promise((resolve) => (this.#resolveEnded = resolve));
  }

  /** An outgoing call in state `dialing`; `dial()` places it. */
  static outgoing(host: CallHost, init: { to: string; accountId?: string; media: CallMedia }): Call {
    return new Call(host, { direction: 'outgoing', peer: { uri: init.to }, accountId: init.accountId, media: init.media });
  }

  /** An incoming call in state `ringing` (or ended at once when its offer cannot be met). */
  static incoming(host: CallHost, session: InviteSession, init: { accountId?: string; media: CallMedia }): Call {
    const who = session.remoteIdentity;
    const call = new Call(host, { direction: 'incoming', peer: who.displayName !== undefined ? { uri: who.uri, displayName: who.displayName } : { uri: who.uri }, accountId: init.accountId, media: init.media });
    call.#attach(session);
    return call;
  }

  get snapshot(): CallSnapshot {
    return { ...this.#snapshot, peer: { ...this.#snapshot.peer } };
  }

  get state(): CallState {
    return this.#snapshot.state;
  }

  get session(): InviteSession | undefined {
    return this.#session;
  }

  /** Resolves once the call has ended (whatever ended it). */
  get ended(): Promise<void> {
    return this.#endedPromise;
  }

  // ───────────────────────────── placing and answering ─────────────────────────────

  /**
   * Reserve the RTP port, write the offer, send the INVITE. `address` is our media address (the
   * one the SIP flow leaves from); `invite` hands the INVITE to the SIP usage.
   */
  async dial(opts: { address: string; invite: (offer: Body, delegate: InviteSessionDelegate) => InviteSession }): Promise<void> {
    try {
      await this.#prepareMedia(opts.address);
      if (this.#ended) return;
      const offer = createOffer(this.#localMedia());
      this.#pendingOffer = offer;
      const session = opts.invite(sdpBody(offer), this.#delegate());
      this.#attach(session);
      this.#publish();
    } catch (err) {
      this.#finish({ reason: `the call could not be placed: ${(err as Error).message}`, by: 'local' });
      throw err;
    }
  }

  /** Answer a ringing incoming call: 200 with our answer (488 in words when nothing fits). */
  async answer(opts: { play?: CallAudioSource; record?: string } = {}): Promise<void> {
    const session = this.#session;
    if (!session || this.#snapshot.direction !== 'incoming' || this.#snapshot.state !== 'ringing') {
      throw new CallError('wrong-state', `call ${this.id} is ${this.#snapshot.state}, not a ringing incoming call`);
    }
    if (this.#answering) throw new CallError('wrong-state', `call ${this.id} is already being answered`);
    this.#answering = true;
    this.autoAnswerTimer?.();
    this.autoAnswerTimer = undefined;
    this.#media = { ...this.#media, ...(opts.play ? { play: opts.play } : {}), ...(opts.record ? { record: opts.record } : {}) };
    if (opts.record) this.#snapshot.record = opts.record;
    try {
      const address = hostOfContact(session.dialog?.localContact ?? '') ?? '127.0.0.1';
      await this.#prepareMedia(address);
      if (this.#ended) return;
      const offer = this.#remoteOffer;
      if (offer) {
        const result = createAnswer({ ...this.#localMedia(), offer });
        if (!result.negotiated) {
          this.reject488(result.rejected ?? 'no common codec/media');
          return;
        }
        this.#localSdp = result.answer;
        this.#remoteSdp = offer;
        this.#heldRemote = isHeldBy(offer);
        await this.#applyMedia(result.negotiated);
        if (this.#ended) return;
        session.accept(sdpBody(result.answer));
      } else {
        // §13.2.1: an INVITE without an offer: ours goes in the 200, the answer comes in the ACK.
        const ours = createOffer(this.#localMedia());
        this.#pendingOffer = ours;
        session.accept(sdpBody(ours));
      }
    } catch (err) {
      // The caller still deserves an answer: the call ends (480) with the reason in words.
      this.failMedia(`the call could not be answered: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Refuse a ringing incoming call: 486 Busy Here or 603 Decline (the person, do-not-disturb, too
   * many ringing), 480 or 487 when nobody answered in time (a missed call).
   */
  decline(status: 486 | 603 | 480 | 487 = 486, reason?: string): void {
    if (!this.#session || this.#snapshot.direction !== 'incoming' || this.#snapshot.state !== 'ringing') {
      throw new CallError('wrong-state', `call ${this.id} is ${this.#snapshot.state}, not a ringing incoming call`);
    }
    if (reason) this.#endReason = reason;
    this.#session.reject(status);
  }

  /** Whether an incoming offer can be answered at all; undefined when it can, else why not. */
  async check(): Promise<string | undefined> {
    const offer = this.#remoteOffer;
    if (this.#offerError) return this.#offerError;
    if (!offer) return undefined;
    await this.#loadCapabilities();
    const dry = createAnswer({ ...this.#localMedia({ address: '127.0.0.1', port: 9 }), offer });
    return dry.negotiated ? undefined : (dry.rejected ?? 'no common codec/media');
  }

  /** 180 Ringing to the caller. */
  ring(): void {
    this.#session?.ringing();
  }

  /** 488 Not Acceptable Here with a Warning (RFC 3261 §20.43, code 399) that says why in words. */
  reject488(reason: string): void {
    this.#endReason = `refused: ${reason}`;
    if (this.#session) reject488(this.#session, reason);
  }

  /** The offer of an incoming INVITE, parsed (undefined: none, or unreadable: see #offerError). */
  get #remoteOffer(): SessionDescription | undefined {
    const body = this.#snapshot.direction === 'incoming' ? this.#session?.offer : undefined;
    if (!body) return undefined;
    const read = readOffer(body);
    if ('problem' in read) this.#offerError = read.problem;
    return 'sdp' in read ? read.sdp : undefined;
  }

  async #loadCapabilities(): Promise<void> {
    if (this.#codecs.length > 0) return;
    const caps = await this.#host.media.capabilities();
    const codecs = this.#media.codecs.filter((c) => caps.codecs.includes(c));
    if (codecs.length === 0) throw new CallError('bad-request', `codecs: none of ${this.#media.codecs.join(', ')} is available (the engine has ${caps.codecs.join(', ')})`);
    this.#codecs = codecs;
    this.#suites = SRTP_SUITES.filter((s) => caps.srtpSuites.includes(s));
    if (this.#media.srtp !== 'off' && this.#suites.length === 0) throw new CallError('bad-request', 'srtp: the media engine has no SDES suite we offer');
    for (const s of this.#suites) this.#srtpKeys[s] = generateSrtpKey(s);
  }

  async #prepareMedia(address: string): Promise<void> {
    await this.#loadCapabilities();
    const stun = await this.#stunServer(address);
    const ports = await this.#host.media.client().reservePorts({
      localAddress: address,
      ...(this.#host.portRange ? { portRange: this.#host.portRange } : {}),
      ...(stun ? { stun } : {}),
    });
    this.#address = address;
    this.#port = ports.localPort;
    this.#reserved = true;
    this.#advertised = advertisedOf(address, ports);
    if (stun && !ports.mapped) this.#warn(`${ports.stunError ?? 'STUN gave no answer'}; the call offers its local address ${address}`);
    if (this.#ended) await this.#releaseMedia();
  }

  /** The STUN server for this call, once per call (a failure to find it is a warning, not an end). */
  async #stunServer(address: string): Promise<StunServer | undefined> {
    if (!this.#host.stunServer) return undefined;
    try {
      return await this.#host.stunServer(address.includes(':') ? 6 : 4);
    } catch (err) {
      this.#warn(`${(err as Error).message}; the call offers its local address ${address}`);
      return undefined;
    }
  }

  #warn(message: string): void {
    try {
      this.#host.warning?.(this, message);
    } catch {
      // The host's listener must not break the call.
    }
  }

  /** What we can do, for createOffer/createAnswer. */
  #localMedia(at: Advertised = this.#advertised ?? { address: this.#address, port: this.#port }) {
    const direction = this.#heldLocal ? ('sendonly' as const) : ('sendrecv' as const);
    const current = this.#negotiated?.codec.name;
    const codecs = current ? [current, ...this.#codecs.filter((c) => c !== current)] : this.#codecs;
    return {
      address: at.address,
      port: at.port,
      ...(at.rtcpPort !== undefined ? { rtcpPort: at.rtcpPort } : {}),
      codecs,
      srtp: this.#media.srtp,
      cryptoSuites: this.#suites,
      srtpKeys: this.#srtpKeys,
      telephoneEvent: this.#media.telephoneEvent ?? true,
      direction,
      // RFC 5576: our SSRC in the SDP, so that the other side latches to our media only (and
      // finds it behind a NAT); the stream sends with it.
      ssrc: this.#ssrc,
      cname: this.#cname,
      ...(this.#localSdp ? { previous: this.#localSdp } : {}),
    };
  }

  // ───────────────────────────── SIP events ─────────────────────────────

  #delegate(): InviteSessionDelegate {
    return {
      onOffer: (offer, ctx) => this.#onOffer(offer, ctx),
      onOfferRequest: () => this.#onOfferRequest(),
      onRequest: (request, reply) => {
        if (request.method === 'MESSAGE') {
          const type = (request.header('Content-Type') ?? 'text/plain').trim();
          if (!/^text\//i.test(type)) {
            reply(415, { headers: [['Accept', 'text/plain']] });
            return;
          }
          reply(200);
          this.#host.message({ from: this.#snapshot.peer.uri, text: new TextDecoder().decode(request.body), contentType: type });
          return;
        }
        reply(501);
      },
    };
  }

  #attach(session: InviteSession): void {
    this.#session = session;
    session.delegate = this.#delegate();
    session.on('ringing', () => {
      if (this.#snapshot.state === 'dialing') this.#setState('ringing');
    });
    session.on('answer', (body, info) => void this.#onAnswer(body, info));
    session.on('accepted', () => {
      if (this.#ended) return;
      this.#snapshot.answeredAt ??= Date.now();
      if (this.#snapshot.direction === 'outgoing') this.#pendingOffer = undefined;
      this.#setState(this.#heldLocal || this.#heldRemote ? 'held' : 'connected');
    });
    session.on('info', (body) => {
      if (!body) return;
      const dtmf = parseDtmfInfo(body.contentType, textOf(body));
      if (dtmf) this.#host.dtmf({ callId: this.id, digit: dtmf.digit, durationMs: dtmf.durationMs, via: 'info' });
    });
    session.on('redirected', (info) => {
      this.#snapshot.peer = { uri: info.target };
      this.#publish();
    });
    session.on('terminated', (info) => this.#onTerminated(info));
  }

  async #onAnswer(body: Body, info: { method: string; early: boolean }): Promise<void> {
    if (this.#reoffering || this.#ended) return;
    const offer = this.#pendingOffer;
    if (!offer) return;
    let negotiated: NegotiatedMedia;
    let answer: SessionDescription;
    try {
      answer = parseSdp(textOf(body));
      negotiated = processAnswer({ offer, answer });
    } catch (err) {
      this.#endReason = `the other side's answer cannot be used: ${(err as Error).message}`;
      this.#session?.terminate({ reason: { protocol: 'SIP', cause: 488, text: 'Not Acceptable Here' } });
      return;
    }
    this.#localSdp = offer;
    this.#remoteSdp = answer;
    this.#heldRemote = isHeldBy(answer);
    if (info.method === 'ACK') this.#pendingOffer = undefined;
    const applied = this.#applyMedia(negotiated);
    if (info.early && (this.#snapshot.state === 'dialing' || this.#snapshot.state === 'ringing')) this.#setState('early');
    try {
      await applied;
    } catch (err) {
      this.#failMedia(err);
    }
  }

  /** The peer's re-offer (hold, resume, new codec, new address): answer it and follow it. */
  async #onOffer(body: Body, _ctx: OfferContext): Promise<Body> {
    const offer = parseSdp(textOf(body));
    const result = createAnswer({ ...this.#localMedia(), offer });
    if (!result.negotiated) throw new Error(result.rejected);
    this.#localSdp = result.answer;
    this.#remoteSdp = offer;
    this.#heldRemote = isHeldBy(offer);
    await this.#applyMedia(result.negotiated);
    if (this.#snapshot.answeredAt !== undefined && !this.#ended) this.#setState(this.#heldLocal || this.#heldRemote ? 'held' : 'connected');
    return sdpBody(result.answer);
  }

  /** An offerless re-INVITE: our current SDP again as the offer (§14.2); the answer comes in the ACK. */
  #onOfferRequest(): Body {
    const offer = createOffer(this.#localMedia());
    this.#pendingOffer = offer;
    return sdpBody(offer);
  }

  #onTerminated(info: TerminationInfo): void {
    this.#finish({ reason: this.#endReason ?? info.reason, status: info.status, by: info.by });
  }

  #finish(end: { reason: string; status?: number; by: 'local' | 'remote' }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.autoAnswerTimer?.();
    this.autoAnswerTimer = undefined;
    const s = this.#snapshot;
    s.state = 'ended';
    delete s.heldBy;
    delete s.conferenceId;
    s.endedAt = Date.now();
    s.endReason = end.reason;
    if (end.status !== undefined) s.endStatus = end.status;
    s.endedBy = end.by;
    void this.#releaseMedia().finally(() => this.#resolveEnded());
    this.#publish();
    this.#host.ended(this);
  }

  /** The media engine died or refused: the call cannot go on. */
  failMedia(reason: string): void {
    if (this.#ended) return;
    this.#endReason = reason;
    this.#streamId = undefined;
    if (this.#session && this.#session.state !== 'Terminated') this.#session.terminate({ reason: { protocol: 'SIP', cause: 500, text: 'Media failure' } });
    else this.#finish({ reason, by: 'local' });
  }

  #failMedia(err: unknown): void {
    this.failMedia(`the audio could not start: ${(err as Error).message}`);
  }

  // ───────────────────────────── media ─────────────────────────────

  /** Start, update or replace the stream to match `n` (in order: one change at a time). */
  #applyMedia(n: NegotiatedMedia): Promise<void> {
    // The snapshot says it at once (the 'answered' event carries the codec); the engine follows.
    if (!this.#ended) {
      this.#snapshot.codec = n.codec.name as CallCodec;
      this.#snapshot.srtp = n.srtp !== undefined;
      this.#snapshot.telephoneEvent = n.telephoneEvent !== undefined;
    }
    const run = async (): Promise<void> => {
      if (this.#ended) return;
      const client = this.#host.media.client();
      const previous = this.#negotiated;
      this.#negotiated = n;
      const key = streamKey(n);
      if (this.#streamId && key === this.#streamKey && previous) {
        if (previous.remoteAddress !== n.remoteAddress || previous.remoteRtpPort !== n.remoteRtpPort || previous.remoteRtcpPort !== n.remoteRtcpPort) {
          await client.updateRemote(this.#streamId, this.#remoteOf(n));
        }
        if (previous.direction !== n.direction) await client.setDirection(this.#streamId, n.direction);
        return;
      }
      if (this.#streamId) {
        const old = this.#streamId;
        this.#streamId = undefined;
        this.#host.media.forget(old);
        this.#host.streamReplaced?.(this);
        await client.stopStream(old, 'codec change');
      }
      const streamId = this.#host.media.newStreamId();
      this.#host.media.listen(streamId, {
        stats: (s) => this.#onStats(s),
        dtmf: (d) => this.#host.dtmf({ callId: this.id, digit: d.digit, durationMs: d.durationMs, via: 'rtp' }),
        latched: (l) => {
          if (!this.#ended) this.#host.latched?.({ callId: this.id, ...l });
        },
      });
      this.#reserved = false;
      try {
        await client.createStream(this.#streamSpec(n), streamId);
      } catch (err) {
        this.#host.media.forget(streamId);
        throw err;
      }
      this.#streamId = streamId;
      this.#streamKey = key;
      if (this.#ended) await this.#releaseMedia();
      else this.#host.streamStarted?.(this);
    };
    const p = this.#mediaChain.then(run);
    this.#mediaChain = p.catch(() => undefined);
    return p;
  }

  #remoteOf(n: NegotiatedMedia): StreamSpec['remote'] {
    return { address: n.remoteAddress, rtpPort: n.remoteRtpPort, rtcpPort: n.remoteRtcpPort, ...(n.remoteSsrc !== undefined ? { ssrc: n.remoteSsrc } : {}) };
  }

  #streamSpec(n: NegotiatedMedia): StreamSpec {
    const local = this.#host.localAudio === true;
    const sink: SinkSpec = this.#media.record ? { kind: 'wav', path: this.#media.record, sampleRate: RECORD_RATE } : local ? { kind: 'local' } : { kind: 'silence' };
    const codec: StreamSpec['codec'] = { name: n.codec.name, payloadType: n.codec.payloadType };
    if (n.codec.receivePayloadType !== undefined) codec.receivePayloadType = n.codec.receivePayloadType;
    if (n.codec.name === 'opus') {
      // RFC 7587 §6.1: the receiver's fmtp wishes, honoured by our encoder.
      const o = opusParameters(n.codec.fmtp);
      codec.options = { fec: o.useInbandFec, dtx: o.useDtx, ...(o.maxAverageBitrate !== undefined ? { bitrate: o.maxAverageBitrate } : {}) };
    }
    return {
      localAddress: this.#address,
      localPort: this.#port,
      ssrc: this.#ssrc,
      cname: this.#cname,
      remote: this.#remoteOf(n),
      rtcpMux: n.rtcpMux,
      codec,
      ...(n.telephoneEvent ? { telephoneEventPt: n.telephoneEvent.payloadType } : {}),
      ...(n.srtp ? { srtp: { suite: n.srtp.suite, localKey: n.srtp.localKey, remoteKey: n.srtp.remoteKey } } : {}),
      source: sourceSpec(this.#media.play, local),
      sink,
      ptime: n.codec.ptime,
      direction: n.direction,
    };
  }

  async #releaseMedia(): Promise<void> {
    await this.#mediaChain;
    const client = this.#host.media.running ? this.#host.media.client() : undefined;
    const streamId = this.#streamId;
    this.#streamId = undefined;
    if (streamId) {
      this.#host.media.forget(streamId);
      await client?.stopStream(streamId, 'call ended').catch(() => undefined);
    }
    if (this.#reserved) {
      this.#reserved = false;
      await client?.releasePorts(this.#port).catch(() => undefined);
    }
  }

  #onStats(s: MediaStreamStats): void {
    if (this.#ended) return;
    const stats: CallStats = {
      callId: this.id,
      codec: s.codec,
      srtp: this.#snapshot.srtp,
      mos: s.mos,
      jitterMs: s.jitterMs,
      lossPercent: s.lossPercent,
      packetsSent: s.packetsSent,
      packetsReceived: s.packetsReceived,
    };
    if (s.rttMs !== undefined) stats.rttMs = s.rttMs;
    this.#host.stats(stats);
  }

  // ───────────────────────────── in the call ─────────────────────────────

  #requireConnected(what: string): InviteSession {
    const s = this.#snapshot.state;
    if (!this.#session || (s !== 'connected' && s !== 'held')) throw new CallError('wrong-state', `${what}: call ${this.id} is ${s}, not connected`);
    return this.#session;
  }

  /** End the call whatever its state (CANCEL, 486 to a ringing call, or BYE); resolves once ended. */
  async hangup(): Promise<void> {
    if (this.#ended) return;
    const session = this.#session;
    if (!session) {
      // Still reserving the port: no INVITE will be sent.
      this.#finish({ reason: 'cancelled', status: 487, by: 'local' });
      return;
    }
    if (session.state === 'Confirmed') {
      await session.bye();
      return;
    }
    session.terminate({ status: 486 });
    await this.#endedPromise;
  }

  async hold(): Promise<void> {
    const session = this.#requireConnected('hold');
    if (this.#heldLocal) return;
    const offer = createHoldOffer({ previous: this.#localSdp!, ...(this.#remoteSdp ? { remote: this.#remoteSdp } : {}) });
    await this.#reoffer(session, offer, () => (this.#heldLocal = true));
  }

  async resume(): Promise<void> {
    const session = this.#requireConnected('resume');
    if (!this.#heldLocal) return;
    const offer = createResumeOffer({ previous: this.#localSdp! });
    await this.#reoffer(session, offer, () => (this.#heldLocal = false));
  }

  /** A re-offer with only these codecs (RFC 3264 §8.3.2). */
  async changeCodecs(codecs: CodecName[]): Promise<void> {
    const session = this.#requireConnected('codecs');
    const usable = codecs.filter((c) => this.#codecs.includes(c));
    if (usable.length === 0) throw new CallError('bad-request', `codecs: none of ${codecs.join(', ')} is available (we have ${this.#codecs.join(', ')})`);
    const offer = createCodecChangeOffer({ previous: this.#localSdp!, codecs: usable });
    await this.#reoffer(session, offer, () => undefined);
  }

  /** §14.1: a re-INVITE; on a failure nothing changes (the session stays as it was). */
  async #reoffer(session: InviteSession, offer: SessionDescription, onSuccess: () => void): Promise<void> {
    // An incoming call is 'connected' from our 200 on; a re-INVITE waits for the ACK (§14.1),
    // which the session's own timers bound (no ACK: the call ends).
    if (session.state === 'Accepted') {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          session.off('confirmed', done);
          session.off('terminated', done);
          resolve();
        };
        session.once('confirmed', done);
        session.once('terminated', done);
      });
    }
    this.#reoffering = true;
    let result;
    try {
      result = await session.reinvite({ body: sdpBody(offer) });
    } finally {
      this.#reoffering = false;
    }
    if (!result.ok) throw new Error(`the other side refused the change: ${result.reason}${result.status ? ` (${result.status})` : ''}`);
    if (!result.answer) throw new Error('the other side answered the re-INVITE without a session description');
    const answer = parseSdp(textOf(result.answer));
    const negotiated = processAnswer({ offer, answer });
    this.#localSdp = offer;
    this.#remoteSdp = answer;
    onSuccess();
    this.#heldRemote = isHeldBy(answer);
    await this.#applyMedia(negotiated);
    if (!this.#ended) this.#setState(this.#heldLocal || this.#heldRemote ? 'held' : 'connected');
  }

  /** DTMF: RFC 4733 in the media when negotiated, else one SIP INFO (dtmf-relay) per digit. */
  async sendDtmf(digits: string): Promise<void> {
    if (!DTMF_DIGITS.test(digits)) throw new CallError('bad-request', `digits: only 0-9, *, # and A-D, not '${digits}'`);
    const session = this.#requireConnected('dtmf');
    await this.#mediaChain;
    if (this.#negotiated?.telephoneEvent && this.#streamId) {
      await this.#host.media.client().sendDtmf(this.#streamId, digits.toUpperCase());
      return;
    }
    for (const digit of digits) {
      const r = await session.info({ contentType: 'application/dtmf-relay', body: formatDtmfRelay(digit) });
      if (r.status >= 300) throw new Error(`the other side refused DTMF by INFO (${r.status} ${r.reason})`);
    }
  }

  // ───────────────────────────── transfer and conference (phone/transfers.ts, conference.ts) ─────────────────────────────

  /** What the call sends and records, its codecs and SRTP policy: a call that takes over from it starts from these. */
  get media(): CallMedia {
    return { ...this.#media };
  }

  /** The media stream running now (undefined: none yet, or none any more); see streamId() to wait for pending changes. */
  get currentStreamId(): string | undefined {
    return this.#ended ? undefined : this.#streamId;
  }

  /** The running media stream's id once the pending media changes are done (undefined: no stream). */
  async streamId(): Promise<string | undefined> {
    await this.#mediaChain;
    return this.#ended ? undefined : this.#streamId;
  }

  /** The reason the call will end with (a transfer ends it by BYE, which alone would say "call ended"); undefined: forget it. */
  endWith(reason: string | undefined): void {
    if (!this.#ended) this.#endReason = reason;
  }

  /** Show a transfer (or clear it): the snapshot changes, `call:state` tells the UI. */
  setTransfer(transfer: CallTransferState | undefined): void {
    if (this.#ended) return;
    if (transfer) this.#snapshot.transfer = { ...transfer };
    else delete this.#snapshot.transfer;
    this.#publish();
  }

  setConference(conferenceId: string | undefined): void {
    if (this.#ended) return;
    if (conferenceId) this.#snapshot.conferenceId = conferenceId;
    else delete this.#snapshot.conferenceId;
    this.#publish();
  }

  /** This call took the place of `callId` (a transfer): said once, in the snapshot. */
  setReplaces(callId: string): void {
    this.#snapshot.replacesCallId = callId;
    this.#publish();
  }

  #setState(state: CallState): void {
    const s = this.#snapshot;
    const heldBy = this.#heldLocal && this.#heldRemote ? 'both' : this.#heldLocal ? 'local' : this.#heldRemote ? 'remote' : undefined;
    s.state = state;
    if (state === 'held' && heldBy) s.heldBy = heldBy;
    else delete s.heldBy;
    this.#publish();
  }

  /** Tell the phone, once per actual change of the snapshot. */
  #publish(): void {
    const json = JSON.stringify(this.#snapshot);
    if (json === this.#lastPublished) return;
    this.#lastPublished = json;
    this.#host.changed(this);
  }
}
