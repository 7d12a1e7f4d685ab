/**
 * One call's video, beside its audio (call-media.ts): its own RTP port (reserved once video is
 * wanted, released when it goes), its m=video for the offers and answers (sdp/video-media.ts),
 * and its stream in the media engine, created when an exchange gives video and stopped when one
 * removes it. Where the video comes from and goes: the app's camera and screen over the device
 * link, or, headless, the test pattern or a y4m file, and a recording.
 *
 * The camera (`call:camera`) is ours to switch at any time and renegotiates nothing: off, the
 * stream stays and sends no frame. A hold makes the m-line inactive (sdp/re-offer.ts).
 */
import { randomBytes } from 'node:crypto';
import type { CallVideo, CallVideoStats } from '../contract/api.ts';
import { VIDEO_CODECS, VIDEO_FORMATS, VIDEO_RESOLUTIONS, DEFAULT_VIDEO_RESOLUTION, type VideoResolution } from '../contract/video.ts';
import { generateSrtpKey, type LocalVideo, type NegotiatedVideo, type SrtpSuite } from '../sdp/index.ts';
import type { VideoSinkSpec, VideoSourceSpec, VideoSpec, VideoStatsEvent } from '../media/index.ts';
import type { MediaHost } from './media-host.ts';
import type { CallNetwork } from './media-network.ts';
import { CallError } from './call-error.ts';

/** What the call's video sends and records (headless); in the app, the camera and the screen. */
export interface CallVideoOptions {
  /** The test pattern, or the frames of a y4m file (looped). Without it (headless): we only receive. */
  source?: 'testsrc' | { y4m: string };
  /** Record the other side's video (IVF for VP8, Annex B for H.264). */
  record?: string;
  resolution?: VideoResolution;
  /** Offer video with the call (a video call); without it, video can still be added later. */
  offer?: boolean;
}

export interface CallVideoSessionOptions {
  callId: string;
  media: MediaHost;
  network: CallNetwork;
  /** The app's camera and screen (the device link) rather than files. */
  localVideo: boolean;
  options: CallVideoOptions;
  /** The call's audio stream in the engine, which the video keeps in step with (lip sync). */
  audioStreamId: () => string | undefined;
  /** The video's state changed (for the call's snapshot). */
  changed: () => void;
  warn: (message: string) => void;
}

/** What cannot change under a running video stream. */
function streamKey(n: NegotiatedVideo): string {
  const srtp = n.srtp ? `${n.srtp.suite}:${Buffer.from(n.srtp.localKey).toString('base64')}:${Buffer.from(n.srtp.remoteKey).toString('base64')}` : 'rtp';
  return [n.codec, n.payloadType, n.packetizationMode ?? '', n.remoteAddress, n.remoteRtpPort, n.remoteRtcpPort, n.rtcpMux, srtp, n.feedback.nack, n.feedback.pli, n.feedback.fir].join('/');
}

function sends(d: NegotiatedVideo['direction']): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

export class CallVideoSession {
  readonly #o: CallVideoSessionOptions;
  #options: CallVideoOptions;
  #localVideo: boolean;
  #wanted = false;
  #camera: boolean;
  #address = '';
  #port = 0;
  #advertised: { address: string; port: number } | undefined;
  #reserved = false;
  #codecs: Array<'vp8' | 'h264'> = [];
  readonly #keys: Partial<Record<SrtpSuite, Uint8Array>> = {};
  /** Our video SSRC for the whole call, and where its sequence numbers go on after a stream stops (RFC 3550 §5.1). */
  readonly #ssrc = randomBytes(4).readUInt32BE(0);
  #nextSeq = randomBytes(2).readUInt16BE(0) & 0x7fff;
  #negotiated: NegotiatedVideo | undefined;
  #streamId: string | undefined;
  #streamKey: string | undefined;
  #stats: CallVideoStats | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** The call has had (or been offered) video: its snapshot says so from then on, active or not. */
  #seen = false;
  /** The other side's offer had video (an incoming call's, or a re-offer's). */
  offered = false;

  constructor(opts: CallVideoSessionOptions) {
    this.#o = opts;
    this.#options = opts.options;
    this.#localVideo = opts.localVideo;
    // The app's camera starts on for a video call we place or answer with video; headless, a source is a camera.
    this.#camera = this.#localVideo || this.#options.source !== undefined;
  }

  /** What an answer asked the video to send and record (headless), instead of the camera and screen. */
  useOptions(options: CallVideoOptions): void {
    if (!options.source && !options.record) return;
    this.#options = { ...this.#options, ...options };
    this.#localVideo = false;
    this.#camera = this.#options.source !== undefined;
  }

  /**
   * Our camera when the other side adds video: off in the app (a person has to agree to be
   * seen), on headless when the call was given a video source.
   */
  get cameraWhenAdded(): boolean {
    return !this.#localVideo && this.#options.source !== undefined;
  }

  /** The file the other side's video is recorded to (headless), if any. */
  get recordPath(): string | undefined {
    return this.#options.record;
  }

  /** We offer or accept video now. */
  get wanted(): boolean {
    return this.#wanted;
  }

  get active(): boolean {
    return this.#negotiated !== undefined && this.#streamId !== undefined;
  }

  /** Our camera: whether the engine has something to send for us. */
  get #hasSource(): boolean {
    return this.#localVideo || this.#options.source !== undefined;
  }

  /**
   * What we send: the chosen resolution, or the largest below it that the other side's max-fs
   * takes (RFC 7741 §6.1), at no more frames per second than its max-fr.
   */
  #format(n: NegotiatedVideo): (typeof VIDEO_FORMATS)[VideoResolution] {
    const wanted = this.#options.resolution ?? DEFAULT_VIDEO_RESOLUTION;
    const order = VIDEO_RESOLUTIONS.slice(0, VIDEO_RESOLUTIONS.indexOf(wanted) + 1).reverse();
    const mbs = (f: { width: number; height: number }) => Math.ceil(f.width / 16) * Math.ceil(f.height / 16);
    const fits = order.find((r) => n.maxFs === undefined || mbs(VIDEO_FORMATS[r]) <= n.maxFs) ?? VIDEO_RESOLUTIONS[0];
    const f = VIDEO_FORMATS[fits];
    return n.maxFr !== undefined && n.maxFr < f.fps ? { ...f, fps: Math.max(1, Math.floor(n.maxFr)) } : f;
  }

  /**
   * Video from now on: the codecs the engine has, and a port (reserved once, kept while video is
   * wanted). Throws a CallError in words when the engine has no video.
   */
  async want(address: string, suites: readonly SrtpSuite[], camera?: boolean): Promise<void> {
    if (camera !== undefined) this.#camera = camera && this.#hasSource;
    if (this.#codecs.length === 0) {
      const caps = await this.#o.media.videoCapabilities();
      this.#codecs = VIDEO_CODECS.filter((c) => caps.codecs.includes(c));
      if (this.#codecs.length === 0) throw new CallError('bad-request', `video: the media engine has no video codec (${caps.problem ?? 'none built'})`);
    }
    for (const s of suites) this.#keys[s] ??= generateSrtpKey(s);
    if (!this.#reserved && !this.#streamId) {
      const ports = await this.#o.media.client().reservePorts({ localAddress: address, ...(this.#o.network.portRange ? { portRange: this.#o.network.portRange } : {}) });
      this.#address = address;
      this.#port = ports.localPort;
      this.#reserved = true;
      this.#advertised = { address, port: ports.localPort };
      if (this.#closed) await this.#release();
    }
    this.#wanted = true;
  }

  /** `want()`, its failure said as a warning instead of thrown: the call goes on without video. */
  async tryWant(address: string, suites: readonly SrtpSuite[], camera?: boolean): Promise<void> {
    try {
      await this.want(address, suites, camera);
    } catch (err) {
      this.#o.warn((err as Error).message);
    }
  }

  /** No video from the next exchange on (its m-line goes to port 0). */
  unwant(): void {
    this.#wanted = false;
  }

  /** Our m=video for createOffer/createAnswer: undefined when this call never had video. */
  local(held: boolean): LocalVideo | undefined {
    if (!this.#reserved && !this.#streamId && !this.#wanted) return undefined;
    const at = this.#advertised ?? { address: this.#address, port: this.#port };
    return {
      port: this.#wanted ? at.port : 0,
      codecs: this.#codecs,
      // What we take: the most our own resolution sends, with room for the other side's choice.
      maxBitrateKbps: VIDEO_FORMATS['720p'].bitrateKbps,
      direction: held ? 'inactive' : this.#hasSource ? 'sendrecv' : 'recvonly',
      srtpKeys: this.#keys,
    };
  }

  /** Follow an exchange: start, replace, update or stop the stream (one change at a time, in order). */
  apply(n: NegotiatedVideo | undefined): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#closed) return;
      const media = this.#o.media;
      const previous = this.#negotiated;
      this.#negotiated = n;
      if (n && this.#streamId && streamKey(n) === this.#streamKey) {
        if (previous?.direction !== n.direction) await media.client().setVideoDirection(this.#streamId, n.direction);
        this.#o.changed();
        return;
      }
      if (this.#streamId) {
        const old = this.#streamId;
        this.#streamId = undefined;
        media.forget(old);
        const stopped = await media.client().stopVideo(old).catch(() => null);
        if (stopped) this.#nextSeq = stopped.nextSeq;
      }
      if (!n) {
        this.#stats = undefined;
        if (!this.#wanted) await this.#releaseNow();
        this.#o.changed();
        return;
      }
      const streamId = `${media.newStreamId()}-video`;
      media.listen(streamId, { videoStats: (e) => this.#onStats(e) });
      this.#reserved = false;
      try {
        await media.client().createVideo(streamId, this.#spec(n));
      } catch (err) {
        media.forget(streamId);
        this.#negotiated = undefined;
        this.#o.changed();
        throw err;
      }
      this.#streamId = streamId;
      this.#streamKey = streamKey(n);
      if (!this.#camera) await media.client().setCamera(streamId, false);
      if (this.#closed) await this.#releaseNow();
      this.#o.changed();
    };
    const p = this.#chain.then(run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  #spec(n: NegotiatedVideo): VideoSpec {
    const options = this.#options;
    const localVideo = this.#localVideo;
    const source: VideoSourceSpec = localVideo ? { kind: 'device' } : options.source === 'testsrc' ? { kind: 'testsrc' } : options.source ? { kind: 'y4m', path: options.source.y4m, loop: true } : { kind: 'none' };
    const sink: VideoSinkSpec = options.record ? { kind: 'file', path: options.record } : localVideo ? { kind: 'device' } : { kind: 'none' };
    return {
      localAddress: this.#address,
      localPort: this.#port,
      remote: { address: n.remoteAddress, rtpPort: n.remoteRtpPort, rtcpPort: n.remoteRtcpPort },
      rtcpMux: n.rtcpMux,
      codec: { name: n.codec, payloadType: n.payloadType, ...(n.packetizationMode !== undefined ? { packetizationMode: n.packetizationMode } : {}) },
      feedback: n.feedback,
      ...(n.remoteMaxBitrateKbps !== undefined ? { remoteMaxBitrateKbps: n.remoteMaxBitrateKbps } : {}),
      direction: n.direction,
      format: this.#format(n),
      source,
      sink,
      camera: this.#camera,
      label: this.#o.callId,
      ...(this.#o.audioStreamId() ? { syncAudio: this.#o.audioStreamId() } : {}),
      ssrc: this.#ssrc,
      firstSeq: this.#nextSeq,
      ...(n.srtp ? { srtp: n.srtp } : {}),
    };
  }

  /** The call's audio stream changed: lip sync follows the new one. */
  async resync(): Promise<void> {
    await this.#chain;
    const audio = this.#o.audioStreamId();
    if (this.#streamId && audio) await this.#o.media.client().syncVideo(this.#streamId, audio).catch(() => undefined);
  }

  /** Our camera on or off: off sends nothing; nothing is renegotiated. */
  async setCamera(on: boolean): Promise<void> {
    if (on && !this.#hasSource) throw new CallError('bad-request', 'camera: this call has no video source (headless: --video-source)');
    this.#camera = on;
    await this.#chain;
    if (this.#streamId) await this.#o.media.client().setCamera(this.#streamId, on);
    this.#o.changed();
  }

  #onStats(e: VideoStatsEvent): void {
    const s = e.stats;
    this.#stats = {
      codec: e.codec,
      ...(e.sent ? { sent: e.sent } : {}),
      ...(e.received ? { received: e.received } : {}),
      keyFramesAsked: s.keyFramesAsked,
      keyFramesReceived: s.keyFramesReceived,
      keyFramesAskedOfUs: s.keyFramesAskedOfUs,
      nacksSent: s.nacksSent,
      nacksReceived: s.nacksReceived,
      framesDropped: s.framesDropped,
    };
  }

  /** The latest figures (for `call:stats`), while a stream runs. */
  get stats(): CallVideoStats | undefined {
    return this.#streamId ? this.#stats : undefined;
  }

  /** For the call's snapshot: undefined when the call never had or was offered video. */
  snapshot(): CallVideo | undefined {
    this.#seen ||= this.offered || this.#wanted || this.#negotiated !== undefined;
    if (!this.#seen) return undefined;
    const n = this.active ? this.#negotiated : undefined;
    return {
      offered: this.offered,
      active: n !== undefined,
      ...(n ? { codec: n.codec } : {}),
      sending: n !== undefined && sends(n.direction),
      receiving: n !== undefined && (n.direction === 'sendrecv' || n.direction === 'recvonly'),
      camera: this.#camera,
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#release();
  }

  /** The engine that ran the stream died: nothing of it is to be stopped. */
  forgetStream(): void {
    this.#streamId = undefined;
    this.#reserved = false;
  }

  async #release(): Promise<void> {
    await this.#chain;
    await this.#releaseNow();
  }

  async #releaseNow(): Promise<void> {
    const streamId = this.#streamId;
    const port = this.#reserved ? this.#port : undefined;
    this.#streamId = undefined;
    this.#reserved = false;
    await this.#o.media.release({ ...(streamId ? { streamId } : {}), stop: (c, id) => c.stopVideo(id), ...(port !== undefined ? { port } : {}) });
  }

}
