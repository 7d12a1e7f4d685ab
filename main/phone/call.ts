/**
 * One call: an INVITE session (main/sip/usage), the SDP offer/answer around it (main/sdp), and
 * its audio and video in the engine (call-sessions.ts), told to the UI as CallSnapshots.
 *
 *   outgoing  dialing ─180─▶ ringing ─183+SDP─▶ early ─200─▶ connected ⇄ held ─BYE─▶ ended
 *   incoming  ringing ─answer()─▶ connected ⇄ held ──────────────────────────BYE─▶ ended
 *             (decline(), CANCEL, 488 when nothing fits ─────────────────────────▶ ended)
 *
 * Media: the RTP port is reserved in the engine before the offer is written (the offer carries
 * it); the stream follows each answer (call-media.ts). Offers and answers: call-negotiation.ts.
 *
 * What happens is said through `publish` ('call:state' and the media's events); the calls
 * registry hears the call's life through CallOwner.
 */
import { CallError } from './call-error.ts';
import type { Body, InviteSession, InviteSessionDelegate, OfferContext, TerminationInfo } from '../sip/index.ts';
import { createAnswer, parseSdp, type CodecName, type NegotiatedMedia, type SessionDescription } from '../sdp/index.ts';
import type { CallAudioSource, CallCodec, CallSnapshot, CallState, CallTransferState, CallVideoSource } from '../contract/api.ts';
import { DTMF_DIGITS, parseDtmfInfo, sendDtmfByInfo } from './call-dtmf.ts';
import type { EndCode } from '../contract/end-codes.ts';
import { endCodeOf, mediaRefusal, SRTP_REQUIRED_WORDS, type CallEnd } from './call-end.ts';
import type { CallMedia, CallMediaSession } from './call-media.ts';
import type { Negotiation } from './call-negotiation.ts';
import type { CallVideoSession } from './call-video.ts';
import { callSessions } from './call-sessions.ts';
import { hasVideo, hostOfContact, readOffer, reject488, sdpBody, textOf } from './call-sdp.ts';
import { reinvite } from './call-reinvite.ts';
import type { MediaHost } from './media-host.ts';
import type { CallNetwork } from './media-network.ts';
import { receiveInDialog } from './messaging.ts';
import type { Publish } from './phone-events.ts';

export type { CallMedia } from './call-media.ts';

/** What the calls registry hears of each call (the device owner and conferences follow it). */
export interface CallOwner {
  /** The snapshot changed (told before 'call:state' is said). */
  changed(call: Call): void;
  /** A media stream of the call started (a new one after a codec or key change). */
  streamStarted(call: Call): void;
  /** The call's media stream is about to be replaced (codec or keys changed): a conference must let go of it first. */
  streamReplaced(call: Call): void;
  /** The call is over (after its last 'call:state'). */
  ended(call: Call): void;
}

/** What a call is made with. */
export interface CallEnv {
  media: MediaHost;
  /** The port range and STUN server, as they were when the call was made. */
  network: CallNetwork;
  /** Without `play`/`record`, the call speaks and hears through the local user's device (call-media.ts). */
  localAudio: boolean;
  publish: Publish;
  owner: CallOwner;
}

let nextCallNumber = 1;

export class Call {
  readonly id: string;
  readonly #env: CallEnv;
  readonly #snapshot: CallSnapshot;
  readonly #media: CallMediaSession;
  readonly #video: CallVideoSession;
  readonly #sdp: Negotiation;
  #session: InviteSession | undefined;
  /** Our own re-INVITE is out: its answer is read from its result, not from the 'answer' event. */
  #reoffering = false;

  #ended = false;
  #answering = false;
  /** Why an incoming offer could not be read, when it could not. */
  #offerError: string | undefined;
  /** How the call will end, when something of ours decided it before the session ended. */
  #end: (Omit<CallEnd, 'reason'> & { reason?: string }) | undefined;
  #lastPublished = '';
  readonly #endedPromise: Promise<void>;
  #resolveEnded!: () => void;
  /** Cancels the auto-answer waiting to answer this call (armAutoAnswer). */
  #cancelAutoAnswer: (() => void) | undefined;

  private constructor(env: CallEnv, init: { direction: 'incoming' | 'outgoing'; peer: CallSnapshot['peer']; accountId?: string; media: CallMedia }) {
    this.id = `c${nextCallNumber++}-${Math.floor(Math.random() * 0x10000).toString(16)}`;
    this.#env = env;
    const sessions = callSessions(env, this.id, init.media, {
      streamStarted: () => env.owner.streamStarted(this),
      streamReplaced: () => {
        // A new stream (codec or keys changed) has no recorder: the recording stops with the old one.
        if (this.#snapshot.recording) {
          this.#snapshot.recording = false;
          this.#publish();
        }
        env.owner.streamReplaced(this);
      },
      videoChanged: () => this.#videoChanged(),
    });
    this.#media = sessions.media;
    this.#video = sessions.video;
    this.#sdp = sessions.sdp;
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
  static outgoing(env: CallEnv, init: { to: string; accountId?: string; media: CallMedia }): Call {
    return new Call(env, { direction: 'outgoing', peer: { uri: init.to }, accountId: init.accountId, media: init.media });
  }

  /** An incoming call in state `ringing` (or ended at once when its offer cannot be met). */
  static incoming(env: CallEnv, session: InviteSession, init: { accountId?: string; media: CallMedia }): Call {
    const who = session.remoteIdentity;
    const call = new Call(env, { direction: 'incoming', peer: who.displayName !== undefined ? { uri: who.uri, displayName: who.displayName } : { uri: who.uri }, accountId: init.accountId, media: init.media });
    call.#attach(session);
    call.#video.offered = hasVideo(call.#remoteOffer);
    if (call.#video.offered) call.#snapshot.video = call.#video.snapshot();
    return call;
  }

  get snapshot(): CallSnapshot {
    return { ...this.#snapshot, peer: { ...this.#snapshot.peer } };
  }

  get state(): CallState {
    return this.#snapshot.state;
  }

  get direction(): CallSnapshot['direction'] {
    return this.#snapshot.direction;
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
      await this.#media.prepare(opts.address);
      if (this.#media.options.video?.offer) {
        await this.#video.want(opts.address, this.#media.srtpSuites);
        this.#snapshot.video = this.#video.snapshot();
      }
      if (this.#ended) return;
      const session = opts.invite(sdpBody(this.#sdp.offer()), this.#delegate());
      this.#attach(session);
      this.#publish();
    } catch (err) {
      this.#finish({ code: 'failed', reason: `the call could not be placed: ${(err as Error).message}`, by: 'local' });
      throw err;
    }
  }

  /** Answer a ringing incoming call: 200 with our answer (488 in words when nothing fits). */
  async answer(opts: { play?: CallAudioSource; record?: string; video?: boolean; videoSource?: CallVideoSource; recordVideo?: string } = {}): Promise<void> {
    const session = this.#session;
    if (!session || this.#snapshot.direction !== 'incoming' || this.#snapshot.state !== 'ringing') {
      throw new CallError('wrong-state', `call ${this.id} is ${this.#snapshot.state}, not a ringing incoming call`);
    }
    if (this.#answering) throw new CallError('wrong-state', `call ${this.id} is already being answered`);
    this.#answering = true;
    this.#disarmAutoAnswer();
    this.#media.useSources(opts);
    if (opts.record) this.#snapshot.record = opts.record;
    // What the video would send and record headless, kept for video added later too (its file taken now, as the audio's).
    this.#video.useOptions({ ...(opts.videoSource ? { source: opts.videoSource } : {}), ...(opts.recordVideo ? { record: opts.recordVideo } : {}) });
    try {
      const address = hostOfContact(session.dialog?.localContact ?? '') ?? '127.0.0.1';
      await this.#media.prepare(address);
      if (this.#ended) return;
      const offer = this.#remoteOffer;
      if (opts.video && offer && hasVideo(offer)) await this.#video.tryWant(address, this.#media.srtpSuites, true);
      if (this.#ended) return;
      if (offer) {
        const result = this.#sdp.answer(offer);
        if ('rejected' in result) {
          this.reject488(result.rejected ?? 'no common codec/media', mediaRefusal(offer, this.#media.options.srtp));
          return;
        }
        await this.#applyMedia(result.negotiated);
        if (this.#ended) return;
        session.accept(sdpBody(result.answer));
      } else {
        // §13.2.1: an INVITE without an offer: ours goes in the 200, the answer comes in the ACK.
        session.accept(sdpBody(this.#sdp.offer()));
      }
    } catch (err) {
      // The caller still deserves an answer: the call ends (480) with the reason in words.
      this.failMedia(`the call could not be answered: ${(err as Error).message}`);
      throw err;
    }
  }

  /** An auto-answer waits to answer this call: `cancel` is called when it is answered or ends first. */
  armAutoAnswer(cancel: () => void): void {
    this.#disarmAutoAnswer();
    if (this.#ended) cancel();
    else this.#cancelAutoAnswer = cancel;
  }

  #disarmAutoAnswer(): void {
    this.#cancelAutoAnswer?.();
    this.#cancelAutoAnswer = undefined;
  }

  /**
   * Refuse a ringing incoming call: 486 Busy Here or 603 Decline (the person, do-not-disturb, too
   * many ringing), 480 or 487 when nobody answered in time (a missed call). `code` says why
   * (default: 'no-answer' for 480 and 487, else 'declined').
   */
  decline(status: 486 | 603 | 480 | 487 = 486, reason?: string, code?: EndCode): void {
    if (!this.#session || this.#snapshot.direction !== 'incoming' || this.#snapshot.state !== 'ringing') {
      throw new CallError('wrong-state', `call ${this.id} is ${this.#snapshot.state}, not a ringing incoming call`);
    }
    const why = code ?? (status === 480 || status === 487 ? 'no-answer' : 'declined');
    this.#end = { code: why, ...(reason ? { reason } : {}) };
    this.#session.reject(status);
  }

  /** Whether an incoming offer can be answered at all; undefined when it can, else why not. */
  async check(): Promise<string | undefined> {
    const offer = this.#remoteOffer;
    if (this.#offerError) return this.#offerError;
    if (!offer) return undefined;
    await this.#media.loadCapabilities();
    const dry = createAnswer({ ...this.#sdp.description({ address: '127.0.0.1', port: 9 }), offer });
    return dry.negotiated ? undefined : (dry.rejected ?? 'no common codec/media');
  }

  /** 180 Ringing to the caller. */
  ring(): void {
    this.#session?.ringing();
  }

  /**
   * 488 Not Acceptable Here with a Warning (RFC 3261 §20.43, code 399) that says why in words.
   * `code` defaults to what the offer tells: SRTP required, no common codec, or unreadable SDP.
   */
  reject488(reason: string, code?: EndCode): void {
    const offer = this.#remoteOffer;
    const why = code ?? (this.#offerError ? 'failed' : mediaRefusal(offer, this.#media.options.srtp));
    this.#end = { code: why, reason: `refused: ${reason}` };
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

  // ───────────────────────────── SIP events ─────────────────────────────

  #delegate(): InviteSessionDelegate {
    return {
      onOffer: (offer, ctx) => this.#onOffer(offer, ctx),
      onOfferRequest: () => this.#onOfferRequest(),
      onRequest: (request, reply) => {
        if (request.method === 'MESSAGE') receiveInDialog(request, reply, this.#snapshot.peer.uri, this.#env.publish);
        else reply(501);
      },
    };
  }

  #attach(session: InviteSession): void {
    this.#session = session;
    this.#snapshot.sipCallId = session.callId;
    session.delegate = this.#delegate();
    session.on('ringing', () => {
      if (this.#snapshot.state === 'dialing') this.#setState('ringing');
    });
    session.on('answer', (body, info) => void this.#onAnswer(body, info));
    session.on('accepted', () => {
      if (this.#ended) return;
      this.#snapshot.answeredAt ??= Date.now();
      if (this.#snapshot.direction === 'outgoing') this.#sdp.settle();
      this.#setUp();
    });
    session.on('info', (body) => {
      if (!body) return;
      const dtmf = parseDtmfInfo(body.contentType, textOf(body));
      if (dtmf) this.#env.publish('call:dtmf', { callId: this.id, digit: dtmf.digit, durationMs: dtmf.durationMs, via: 'info' });
    });
    session.on('redirected', (info) => {
      this.#snapshot.peer = { uri: info.target };
      this.#publish();
    });
    session.on('terminated', (info) => this.#onTerminated(info));
  }

  async #onAnswer(body: Body, info: { method: string; early: boolean }): Promise<void> {
    if (this.#reoffering || this.#ended || !this.#sdp.pending) return;
    let negotiated: NegotiatedMedia | undefined;
    try {
      negotiated = this.#sdp.answered(body, info.method === 'ACK');
    } catch (err) {
      const read = readOffer(body);
      const code = mediaRefusal('sdp' in read ? read.sdp : undefined, this.#media.options.srtp);
      this.#end = { code, reason: code === 'srtp-required' ? SRTP_REQUIRED_WORDS : `the other side's answer cannot be used: ${(err as Error).message}` };
      this.#session?.terminate({ reason: { protocol: 'SIP', cause: 488, text: 'Not Acceptable Here' } });
      return;
    }
    if (!negotiated) return;
    const applied = this.#applyMedia(negotiated);
    if (info.early && (this.#snapshot.state === 'dialing' || this.#snapshot.state === 'ringing')) this.#setState('early');
    try {
      await applied;
    } catch (err) {
      this.failMedia(`the audio could not start: ${(err as Error).message}`);
    }
  }

  /** The peer's re-offer (hold, resume, new codec, new address): answer it and follow it. */
  async #onOffer(body: Body, _ctx: OfferContext): Promise<Body> {
    const offer = parseSdp(textOf(body));
    // The other side adds video: taken, our camera off until the person turns it on (a CLI
    // call with a video source sends it); removed (port 0): our m-line follows.
    if (hasVideo(offer)) {
      this.#video.offered = true;
      if (!this.#video.wanted) await this.#video.tryWant(this.#media.address, this.#media.srtpSuites, this.#video.cameraWhenAdded);
    } else if (this.#video.wanted) this.#video.unwant();
    const result = this.#sdp.answer(offer);
    if ('rejected' in result) throw new Error(result.rejected);
    await this.#applyMedia(result.negotiated);
    if (this.#snapshot.answeredAt !== undefined && !this.#ended) this.#setUp();
    return sdpBody(result.answer);
  }

  /** An offerless re-INVITE: our current SDP again as the offer (§14.2); the answer comes in the ACK. */
  #onOfferRequest(): Body {
    return sdpBody(this.#sdp.offer());
  }

  #onTerminated(info: TerminationInfo): void {
    const offered = this.#snapshot.direction === 'outgoing' ? this.#media.options.srtp : undefined;
    const code = this.#end?.code ?? endCodeOf(info, offered);
    const reason = this.#end?.reason ?? (code === 'srtp-required' ? SRTP_REQUIRED_WORDS : info.reason);
    const target = this.#end?.target;
    this.#finish({ code, reason, ...(target !== undefined ? { target } : {}), ...(info.status !== undefined ? { status: info.status } : {}), by: info.by });
  }

  #finish(end: CallEnd & { status?: number; by: 'local' | 'remote' }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#disarmAutoAnswer();
    const s = this.#snapshot;
    s.state = 'ended';
    delete s.heldBy;
    delete s.conferenceId;
    s.endedAt = Date.now();
    s.endReason = end.reason;
    s.endCode = end.code;
    if (end.target !== undefined) s.endTarget = end.target;
    if (end.status !== undefined) s.endStatus = end.status;
    s.endedBy = end.by;
    void Promise.all([this.#media.close(), this.#video.close()]).finally(() => this.#resolveEnded());
    this.#publish();
    this.#env.owner.ended(this);
  }

  /** The media engine died or refused: the call cannot go on. */
  failMedia(reason: string): void {
    if (this.#ended) return;
    this.#end = { code: 'media-failed', reason };
    this.#media.forgetStream();
    this.#video.forgetStream();
    if (this.#session && this.#session.state !== 'Terminated') this.#session.terminate({ reason: { protocol: 'SIP', cause: 500, text: 'Media failure' } });
    else this.#finish({ code: 'media-failed', reason, by: 'local' });
  }

  /** The snapshot says the negotiated media at once (the 'answered' event carries the codec); the engine follows. */
  #applyMedia(n: NegotiatedMedia): Promise<void> {
    if (!this.#ended) {
      this.#snapshot.codec = n.codec.name as CallCodec;
      this.#snapshot.srtp = n.srtp !== undefined;
      this.#snapshot.telephoneEvent = n.telephoneEvent !== undefined;
    }
    // Video follows the audio (it lines up with the audio stream, lip sync); one that cannot
    // start leaves the call as it is, with its audio: said, not fatal.
    const video = this.#sdp.video;
    return this.#media.apply(n).then(() =>
      this.#video.apply(video).catch((err: unknown) => this.#env.publish('media:warning', { callId: this.id, message: `the video could not start: ${(err as Error).message}` })),
    );
  }

  #videoChanged(): void {
    if (this.#ended) return;
    const video = this.#video.snapshot();
    if (video) this.#snapshot.video = video;
    else delete this.#snapshot.video;
    this.#publish();
  }

  /** Add video to the call or remove it, by a re-INVITE (RFC 3264 §8: a new m=video, or its port 0). */
  async setVideo(on: boolean): Promise<void> {
    const session = this.#requireConnected('video');
    if (on === this.#video.wanted && (on ? this.#video.active : true)) return;
    if (on) await this.#video.want(this.#media.address, this.#media.srtpSuites, true);
    else this.#video.unwant();
    try {
      await this.#reoffer(session, this.#sdp.reoffer(), this.#sdp.heldLocal);
    } catch (err) {
      // Refused: the call stays as it was (§14.1).
      if (on) {
        this.#video.unwant();
        await this.#video.apply(this.#sdp.video);
      } else await this.#video.want(this.#media.address, this.#media.srtpSuites);
      throw err;
    }
  }

  /** Our camera on or off for this call (nothing renegotiated). */
  async setCamera(on: boolean): Promise<void> {
    this.#requireConnected('camera');
    await this.#video.setCamera(on);
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
      this.#finish({ code: 'cancelled', reason: 'cancelled', status: 487, by: 'local' });
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
    if (this.#sdp.heldLocal) return;
    await this.#reoffer(session, this.#sdp.holdOffer(), true);
  }

  async resume(): Promise<void> {
    const session = this.#requireConnected('resume');
    if (!this.#sdp.heldLocal) return;
    await this.#reoffer(session, this.#sdp.resumeOffer(), false);
  }

  /** A re-offer with only these codecs (RFC 3264 §8.3.2). */
  async changeCodecs(codecs: CodecName[]): Promise<void> {
    const session = this.#requireConnected('codecs');
    const have = this.#media.codecs;
    const usable = codecs.filter((c) => have.includes(c));
    if (usable.length === 0) throw new CallError('bad-request', `codecs: none of ${codecs.join(', ')} is available (we have ${have.join(', ')})`);
    await this.#reoffer(session, this.#sdp.codecOffer(usable), this.#sdp.heldLocal);
  }

  /** §14.1: a re-INVITE; on a failure nothing changes (the session stays as it was); `heldLocal` is our hold once it succeeds. */
  async #reoffer(session: InviteSession, offer: SessionDescription, heldLocal: boolean): Promise<void> {
    const answer = await reinvite(session, sdpBody(offer), (on) => (this.#reoffering = on));
    await this.#applyMedia(this.#sdp.reoffered(offer, answer, heldLocal));
    if (!this.#ended) this.#setUp();
  }

  /**
   * Record the call from now on, both directions in stereo (us left, the other side right), to
   * `path`; undefined stops. The media engine's `record` request on the running stream.
   */
  async record(path: string | undefined): Promise<void> {
    this.#requireConnected('record');
    const streamId = await this.streamId();
    if (streamId === undefined) throw new CallError('wrong-state', `record: call ${this.id} has no media running`);
    await this.#env.media.client().record(streamId, path ?? null);
    if (path !== undefined) this.#snapshot.record = path;
    this.#snapshot.recording = path !== undefined;
    this.#publish();
  }

  /** DTMF: RFC 4733 in the media when negotiated, else one SIP INFO (dtmf-relay) per digit. */
  async sendDtmf(digits: string): Promise<void> {
    if (!DTMF_DIGITS.test(digits)) throw new CallError('bad-request', `digits: only 0-9, *, # and A-D, not '${digits}'`);
    const session = this.#requireConnected('dtmf');
    if (await this.#media.sendDtmf(digits)) return;
    if (this.#media.options.dtmfInfo === false) throw new CallError('wrong-state', 'the other side takes no RFC 4733 DTMF events, and this call sends DTMF by RFC 4733 only');
    await sendDtmfByInfo(session, digits);
  }

  // ───────────────────────────── transfer and conference (phone/transfers.ts, conference.ts) ─────────────────────────────

  /** The media engine this call's streams run in (media-placement.ts), for its whole life. */
  get mediaHost(): MediaHost {
    return this.#env.media;
  }

  /** What the call sends and records, its codecs and SRTP policy: a call that takes over from it starts from these. */
  get media(): CallMedia {
    return this.#media.options;
  }

  /** Where the video received is recorded (headless), if it is. */
  get videoRecord(): string | undefined {
    return this.#video.recordPath;
  }

  /** The media stream running now (undefined: none yet, or none any more); see streamId() to wait for pending changes. */
  get currentStreamId(): string | undefined {
    return this.#ended ? undefined : this.#media.currentStreamId;
  }

  /** The running media stream's id once the pending media changes are done (undefined: no stream). */
  async streamId(): Promise<string | undefined> {
    const id = await this.#media.streamId();
    return this.#ended ? undefined : id;
  }

  /** How the call will end (a transfer ends it by BYE, which alone would say "call ended"); undefined: forget it. */
  endWith(end: CallEnd | undefined): void {
    if (!this.#ended) this.#end = end;
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

  /** Connected, or held when either side holds it. */
  #setUp(): void {
    this.#setState(this.#sdp.heldBy ? 'held' : 'connected');
  }

  #setState(state: CallState): void {
    const s = this.#snapshot;
    const heldBy = this.#sdp.heldBy;
    s.state = state;
    if (state === 'held' && heldBy) s.heldBy = heldBy;
    else delete s.heldBy;
    this.#publish();
  }

  /** Tell the registry, then everyone ('call:state'), once per actual change of the snapshot. */
  #publish(): void {
    const json = JSON.stringify(this.#snapshot);
    if (json === this.#lastPublished) return;
    this.#lastPublished = json;
    this.#env.owner.changed(this);
    this.#env.publish('call:state', this.snapshot);
  }
}
