/**
 * One call's side of the media engine (main/media): what the engine can do for it (codecs, SRTP
 * suites and keys), its RTP port (reserved before the offer is written, with what STUN learned of
 * it), and its stream: created once an answer says which codec, keys and address to use, created
 * again on the same port when a later exchange changes the codec or the SRTP keys; a hold or a
 * new remote address only updates the running stream. One change at a time, in order.
 *
 * It describes what we can do for the SDP offers and answers (call.ts runs RFC 3264 with it) and
 * says what the stream reports: 'call:stats', 'call:dtmf' (RFC 4733), 'call:latched',
 * 'media:warning'.
 */
import { randomBytes } from 'node:crypto';
import { generateSrtpKey, opusParameters, type CodecName, type NegotiatedMedia, type SessionDescription, type SrtpPolicy, type SrtpSuite } from '../sdp/index.ts';
import type { MediaStreamStats, ReservedPorts, SinkSpec, SourceSpec, StreamSpec, StunServer } from '../media/index.ts';
import type { CallAudioSource, CallStats } from '../contract/api.ts';
import type { MediaHost } from './media-host.ts';
import type { CallNetwork } from './media-network.ts';
import type { Publish } from './phone-events.ts';
import { CallError } from './call-error.ts';
import type { CallVideoOptions } from './call-video.ts';
import type { CallVideoStats } from '../contract/api.ts';

/** SDES suites we offer, best first (RFC 4568 §6.2). */
const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
/** Recordings are written at one rate whatever the codec, so a codec change keeps the file's format. */
const RECORD_RATE = 16000;

export interface CallMedia {
  /** Wanted codecs, in order (filtered by what the engine has). */
  codecs: readonly CodecName[];
  srtp: SrtpPolicy;
  play?: CallAudioSource;
  record?: string;
  /** Offer and accept RFC 4733 telephone-event (default true); without it DTMF goes by SIP INFO. */
  telephoneEvent?: boolean;
  /** DTMF by SIP INFO when no telephone-event was negotiated (default true; false: RFC 4733 only). */
  dtmfInfo?: boolean;
  /** A video call (call-video.ts): offered with the audio; what it sends and records headless. */
  video?: CallVideoOptions;
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

export interface CallMediaSessionOptions {
  callId: string;
  media: MediaHost;
  network: CallNetwork;
  /**
   * Without `play`/`record`, the call speaks and hears through the local user's device (the app's
   * microphone and speaker, MediaHost.connectDevice) instead of silence.
   */
  localAudio: boolean;
  publish: Publish;
  /** Told when a stream starts, and just before one is replaced (a conference must let go of it first). */
  streams: { started(): void; replaced(): void };
  /** The call's video figures, joined to each audio report (call-video.ts). */
  videoStats?: () => CallVideoStats | undefined;
  options: CallMedia;
}

export class CallMediaSession {
  readonly #o: CallMediaSessionOptions;
  #options: CallMedia;
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
  #srtp = false;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: CallMediaSessionOptions) {
    this.#o = opts;
    this.#options = opts.options;
  }

  /** What the call sends and records, its codecs and SRTP policy. */
  get options(): CallMedia {
    return { ...this.#options };
  }

  /** What an answer asked the call to send and record instead. */
  useSources(sources: { play?: CallAudioSource; record?: string }): void {
    this.#options = { ...this.#options, ...(sources.play ? { play: sources.play } : {}), ...(sources.record ? { record: sources.record } : {}) };
  }

  /** Our media address (once prepared). */
  get address(): string {
    return this.#address;
  }

  /** The SDES suites the call offers and takes (none with SRTP off): the video's keys are made for them. */
  get srtpSuites(): readonly SrtpSuite[] {
    return this.#options.srtp === 'off' ? [] : this.#suites;
  }

  /** The codecs the call can use (those wanted that the engine has); empty before `loadCapabilities`. */
  get codecs(): readonly CodecName[] {
    return this.#codecs;
  }

  get negotiated(): NegotiatedMedia | undefined {
    return this.#negotiated;
  }

  async loadCapabilities(): Promise<void> {
    if (this.#codecs.length > 0) return;
    const caps = await this.#o.media.capabilities();
    const codecs = this.#options.codecs.filter((c) => caps.codecs.includes(c));
    if (codecs.length === 0) throw new CallError('bad-request', `codecs: none of ${this.#options.codecs.join(', ')} is available (the engine has ${caps.codecs.join(', ')})`);
    this.#codecs = codecs;
    this.#suites = SRTP_SUITES.filter((s) => caps.srtpSuites.includes(s));
    if (this.#options.srtp !== 'off' && this.#suites.length === 0) throw new CallError('bad-request', 'srtp: the media engine has no SDES suite we offer');
    for (const s of this.#suites) this.#srtpKeys[s] = generateSrtpKey(s);
  }

  /** Reserve the RTP port on `address` (our media address), asking STUN what it looks like from outside. */
  async prepare(address: string): Promise<void> {
    await this.loadCapabilities();
    const stun = await this.#stunServer(address);
    const ports = await this.#o.media.client().reservePorts({
      localAddress: address,
      ...(this.#o.network.portRange ? { portRange: this.#o.network.portRange } : {}),
      ...(stun ? { stun } : {}),
    });
    this.#address = address;
    this.#port = ports.localPort;
    this.#reserved = true;
    this.#advertised = advertisedOf(address, ports);
    if (stun && !ports.mapped) this.#warn(`${ports.stunError ?? 'STUN gave no answer'}; the call offers its local address ${address}`);
    if (this.#closed) await this.#release();
  }

  /** The STUN server for this call, once per call (a failure to find it is a warning, not an end). */
  async #stunServer(address: string): Promise<StunServer | undefined> {
    if (!this.#o.network.stunServer) return undefined;
    try {
      return await this.#o.network.stunServer(address.includes(':') ? 6 : 4);
    } catch (err) {
      this.#warn(`${(err as Error).message}; the call offers its local address ${address}`);
      return undefined;
    }
  }

  #warn(message: string): void {
    this.#o.publish('media:warning', { callId: this.#o.callId, message });
  }

  /**
   * What we can do, for createOffer/createAnswer: our address and port (or `at`, for a dry run),
   * the current codec first, `held` as sendonly, `previous` our last SDP (RFC 3264 §8).
   */
  description(opts: { held: boolean; previous?: SessionDescription }, at: Advertised = this.#advertised ?? { address: this.#address, port: this.#port }) {
    const direction = opts.held ? ('sendonly' as const) : ('sendrecv' as const);
    const current = this.#negotiated?.codec.name;
    const codecs = current ? [current, ...this.#codecs.filter((c) => c !== current)] : this.#codecs;
    return {
      address: at.address,
      port: at.port,
      ...(at.rtcpPort !== undefined ? { rtcpPort: at.rtcpPort } : {}),
      codecs,
      srtp: this.#options.srtp,
      cryptoSuites: this.#suites,
      srtpKeys: this.#srtpKeys,
      telephoneEvent: this.#options.telephoneEvent ?? true,
      direction,
      // RFC 5576: our SSRC in the SDP, so that the other side latches to our media only (and
      // finds it behind a NAT); the stream sends with it.
      ssrc: this.#ssrc,
      cname: this.#cname,
      ...(opts.previous ? { previous: opts.previous } : {}),
    };
  }

  /** Start, update or replace the stream to match `n` (in order: one change at a time). */
  apply(n: NegotiatedMedia): Promise<void> {
    if (!this.#closed) this.#srtp = n.srtp !== undefined;
    const run = async (): Promise<void> => {
      if (this.#closed) return;
      const { media } = this.#o;
      const client = media.client();
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
        media.forget(old);
        this.#o.streams.replaced();
        await client.stopStream(old, 'codec change');
      }
      const streamId = media.newStreamId();
      const callId = this.#o.callId;
      media.listen(streamId, {
        stats: (s) => this.#onStats(s),
        dtmf: (d) => this.#o.publish('call:dtmf', { callId, digit: d.digit, durationMs: d.durationMs, via: 'rtp' }),
        latched: (l) => {
          if (!this.#closed) this.#o.publish('call:latched', { callId, ...l });
        },
      });
      this.#reserved = false;
      try {
        await client.createStream(this.#streamSpec(n), streamId);
      } catch (err) {
        media.forget(streamId);
        throw err;
      }
      this.#streamId = streamId;
      this.#streamKey = key;
      if (this.#closed) await this.#release();
      else this.#o.streams.started();
    };
    const p = this.#chain.then(run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  #remoteOf(n: NegotiatedMedia): StreamSpec['remote'] {
    return { address: n.remoteAddress, rtpPort: n.remoteRtpPort, rtcpPort: n.remoteRtcpPort, ...(n.remoteSsrc !== undefined ? { ssrc: n.remoteSsrc } : {}) };
  }

  #streamSpec(n: NegotiatedMedia): StreamSpec {
    const local = this.#o.localAudio;
    const sink: SinkSpec = this.#options.record ? { kind: 'wav', path: this.#options.record, sampleRate: RECORD_RATE } : local ? { kind: 'local' } : { kind: 'silence' };
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
      source: sourceSpec(this.#options.play, local),
      sink,
      ptime: n.codec.ptime,
      direction: n.direction,
    };
  }

  /** The call is over: the stream stops and the ports go back (once the pending changes are done). */
  close(): Promise<void> {
    this.#closed = true;
    return this.#release();
  }

  /** The engine that ran the stream is gone (it died): nothing of it is to be stopped. */
  forgetStream(): void {
    this.#streamId = undefined;
  }

  async #release(): Promise<void> {
    await this.#chain;
    const streamId = this.#streamId;
    const port = this.#reserved ? this.#port : undefined;
    this.#streamId = undefined;
    this.#reserved = false;
    await this.#o.media.release({ ...(streamId ? { streamId } : {}), stop: (c, id) => c.stopStream(id, 'call ended'), ...(port !== undefined ? { port } : {}) });
  }


  #onStats(s: MediaStreamStats): void {
    if (this.#closed) return;
    const stats: CallStats = {
      callId: this.#o.callId,
      codec: s.codec,
      srtp: this.#srtp,
      mos: s.mos,
      jitterMs: s.jitterMs,
      lossPercent: s.lossPercent,
      packetsSent: s.packetsSent,
      packetsReceived: s.packetsReceived,
    };
    if (s.rttMs !== undefined) stats.rttMs = s.rttMs;
    const video = this.#o.videoStats?.();
    if (video) stats.video = video;
    this.#o.publish('call:stats', stats);
  }

  /** Send DTMF as RFC 4733 events when they were negotiated and a stream runs; false: use SIP INFO instead. */
  async sendDtmf(digits: string): Promise<boolean> {
    await this.#chain;
    if (!this.#negotiated?.telephoneEvent || !this.#streamId) return false;
    await this.#o.media.client().sendDtmf(this.#streamId, digits.toUpperCase());
    return true;
  }

  /** The media stream running now (undefined: none yet, or none any more); see streamId() to wait for pending changes. */
  get currentStreamId(): string | undefined {
    return this.#closed ? undefined : this.#streamId;
  }

  /** The running media stream's id once the pending media changes are done (undefined: no stream). */
  async streamId(): Promise<string | undefined> {
    await this.#chain;
    return this.#closed ? undefined : this.#streamId;
  }
}
