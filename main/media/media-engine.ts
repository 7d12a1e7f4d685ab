/**
 * The media engine: owns the streams, their ports, recorders and conferences, and answers the
 * requests of media-protocol.ts. It runs wherever its host puts it (engine-serve.ts: in a Node
 * worker thread through worker-host.ts, or in the phone's own thread).
 */
import { AppelError } from '../contract/errors.ts';
import type { Socket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import type { SrtpSuite } from '../../native/index.ts';
import { MediaClock, realScheduler, type Scheduler } from './media-clock.ts';
import { loadMediaNative, type MediaNative } from './media-native.ts';
import type { MediaErrorInfo, MediaEvent, MediaRequest, MediaResponses, PortLike, ReservedPorts, SinkSpec, SourceSpec, StreamSpec } from './media-protocol.ts';
import { MediaStream } from './media-stream.ts';
import type { AudioPort } from './ports/audio-port.ts';
import { DeviceBridge } from './ports/device-bridge.ts';
import { LocalAudio } from './ports/local-audio.ts';
import { Mixer, type MixerParticipant } from './ports/mixer.ts';
import { SilenceSource } from './ports/silence-source.ts';
import { ToneSource } from './ports/tone-source.ts';
import { WavFileSource } from './ports/wav-file-source.ts';
import { WavRecorder } from './ports/wav-recorder.ts';
import { RateAdapter } from './rate-adapter.ts';
import { bindUdp, closeSockets, STUN_TIMING, stunBinding, type Reservation, type StunTiming } from './port-reservation.ts';
import { STUN_DEFAULT_PORT } from './stun.ts';
import type { VideoEngine } from './video/video-engine.ts';

export class MediaEngineError extends AppelError {
  declare readonly code: MediaErrorInfo['code'];
  constructor(code: MediaErrorInfo['code'], message: string) {
    super(code, message);
    this.name = 'MediaEngineError';
  }
}

interface StreamEntry {
  stream: MediaStream;
  /** Ports this engine created for the stream (closed with it). */
  owned: Set<AudioPort>;
  recorder?: WavRecorder;
  conferenceId?: string;
  /** The stream's own ports while it sits in a conference. */
  saved?: { source: AudioPort; sink: AudioPort };
  device?: DeviceBridge;
}

interface Conference {
  mixer: Mixer;
  members: Map<string, MixerParticipant>;
  local?: { participant: MixerParticipant; source: AudioPort; sink: AudioPort; clock: MediaClock; toMix: RateAdapter; fromMix: RateAdapter; owned: AudioPort[] };
}

export interface MediaEngineOptions {
  /** Unsolicited events for the client. */
  onEvent: (event: MediaEvent) => void;
  native?: MediaNative;
  scheduler?: Scheduler;
  /** SRTP suites to report in `capabilities` (default: from the addon). */
  srtpSuites?: () => Promise<SrtpSuite[]>;
  /** STUN retransmission (`reserve-ports` with `stun`): first RTO and the whole wait, ms (default 500 and 1500). */
  stunTiming?: Partial<StunTiming>;
}

const MIX_RATE = 16000;
/**
 * Frames a stream of files and generated signals encodes ahead and plays behind, one wake-up for
 * them all (media-stream.ts): 500 ms. On this kind of machine a wake-up of the JavaScript thread
 * costs about what 25 frames of work do (the event loop, timers, system calls: measured per
 * thread with test/bench/lab/prof-call.ts), so two a second instead of fifty. What a hold or a hang-up takes
 * back from the pacer, and what a digit waits for, is at most this much.
 */
const LOOKAHEAD_FRAMES = 25;

/** The PCM rate a codec will run at (before the codec exists). */
function codecRate(codec: StreamSpec['codec']): number {
  if (codec.name === 'opus') return codec.options?.sampleRate ?? 48000;
  return codec.name === 'g722' ? 16000 : 8000;
}

export class MediaEngine {
  readonly #onEvent: (event: MediaEvent) => void;
  readonly #streams = new Map<string, StreamEntry>();
  /** Set by `shutdown`: the engine makes nothing more. */
  #shutDown = false;
  readonly #conferences = new Map<string, Conference>();
  readonly #scheduler: Scheduler | undefined;
  #native: MediaNative | undefined;
  readonly #srtpSuites: (() => Promise<SrtpSuite[]>) | undefined;
  readonly #reserved = new Map<number, Reservation>();
  readonly #local = new LocalAudio();
  readonly #stunTiming: StunTiming;
  /** Video streams: loaded with the first one, so an audio-only engine never maps the video code. */
  #video: Promise<VideoEngine> | undefined;
  #devicePort: PortLike | undefined;

  constructor(options: MediaEngineOptions) {
    this.#onEvent = options.onEvent;
    this.#native = options.native;
    this.#scheduler = options.scheduler;
    this.#srtpSuites = options.srtpSuites;
    this.#stunTiming = { ...STUN_TIMING, ...options.stunTiming };
  }

  async #getNative(): Promise<MediaNative> {
    this.#native ??= await loadMediaNative();
    return this.#native;
  }

  #emit(event: MediaEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // The host's sink must not break the engine.
    }
  }

  #entry(streamId: string): StreamEntry {
    const e = this.#streams.get(streamId);
    if (!e) throw new MediaEngineError('not-found', `streamId: no stream ${JSON.stringify(streamId)}`);
    return e;
  }

  /** Runs one request; rejects with a MediaEngineError. */
  async handle<T extends MediaRequest>(request: T): Promise<MediaResponses[T['type']]> {
    const makes = request.type === 'create-stream' || request.type === 'create-video' || request.type === 'reserve-ports';
    if (makes && this.#shutDown) throw new MediaEngineError('failed', 'the media engine has shut down');
    const value = await this.#dispatch(request);
    // Shut down while this request ran (it came first): what it made goes too. Nothing outlives
    // the engine, in a worker (which terminate would end anyway) or in the phone's own thread.
    if (makes && this.#shutDown) {
      await this.shutdown();
      throw new MediaEngineError('failed', 'the media engine has shut down');
    }
    return value as MediaResponses[T['type']];
  }

  async #dispatch(r: MediaRequest): Promise<unknown> {
    switch (r.type) {
      case 'create-stream':
        return this.#createStream(r.streamId, r.spec);
      case 'stop-stream':
        await this.#stopStream(r.streamId, r.reason);
        return null;
      case 'set-direction':
        this.#entry(r.streamId).stream.setDirection(r.direction);
        return null;
      case 'send-dtmf': {
        let sent: Promise<void>;
        try {
          sent = this.#entry(r.streamId).stream.sendDtmf(r.digits);
        } catch (err) {
          if (err instanceof MediaEngineError) throw err;
          throw new MediaEngineError('bad-request', (err as Error).message);
        }
        // The reply once the digits have left (the caller may hang up next).
        await sent;
        return null;
      }
      case 'update-remote':
        this.#entry(r.streamId).stream.updateRemote(r.remote);
        return null;
      case 'set-source': {
        const e = this.#entry(r.streamId);
        const port = await this.#makeSource(r.source, r.streamId, e, r.device);
        const old = e.conferenceId ? e.saved!.source : e.stream.source;
        if (e.conferenceId) e.saved!.source = port;
        else e.stream.setPorts({ source: port });
        this.#release(e, old);
        return null;
      }
      case 'set-sink': {
        const e = this.#entry(r.streamId);
        const port = await this.#makeSink(r.sink, r.streamId, e, r.device);
        const old = e.conferenceId ? e.saved!.sink : e.stream.sink;
        if (e.conferenceId) e.saved!.sink = port;
        else e.stream.setPorts({ sink: port });
        this.#release(e, old);
        return null;
      }
      case 'record': {
        const e = this.#entry(r.streamId);
        e.stream.setRecorder(undefined);
        e.recorder?.close();
        e.recorder = undefined;
        if (r.path !== null) {
          const recorder = new WavRecorder({ path: r.path, sampleRate: e.stream.codecSampleRate, channels: 2 });
          e.recorder = recorder;
          e.stream.setRecorder(recorder);
        }
        return null;
      }
      case 'conference':
        return this.#conference(r);
      case 'end-conference':
        this.#endConference(r.conferenceId);
        return null;
      case 'get-stats':
        return this.#entry(r.streamId).stream.stats();
      case 'create-video':
        return this.#createVideo(r.streamId, r.spec);
      case 'stop-video':
        return this.#video ? (await this.#video).stop(r.streamId) : null;
      case 'video-direction':
        (await this.#videoOf(r.streamId)).setDirection(r.streamId, r.direction);
        return null;
      case 'video-camera':
        (await this.#videoOf(r.streamId)).setCamera(r.streamId, r.on === true);
        return null;
      case 'video-capabilities':
        try {
          (await import('../../native/video.ts')).videoVersions();
          return { codecs: ['vp8', 'h264'] };
        } catch (err) {
          return { codecs: [], problem: (err as Error).message };
        }
      case 'video-sync':
        if (typeof r.audioStreamId !== 'string') throw new MediaEngineError('bad-request', 'audioStreamId: expected a stream id');
        (await this.#videoOf(r.streamId)).syncWith(r.streamId, r.audioStreamId);
        return null;
      case 'get-video-stats':
        return (await this.#videoOf(r.streamId)).stats(r.streamId);
      case 'reserve-ports':
        return this.#reservePorts(r);
      case 'release-ports': {
        const held = this.#reserved.get(r.localPort);
        if (!held) throw new MediaEngineError('not-found', `localPort: no reservation of port ${r.localPort}`);
        this.#reserved.delete(r.localPort);
        await closeSockets(held.sockets);
        return null;
      }
      case 'capabilities': {
        const native = await this.#getNative();
        const srtpSuites = this.#srtpSuites ? await this.#srtpSuites() : (await import('../../native/index.ts')).srtpSuites();
        return { codecs: native.codecNames(), srtpSuites };
      }
      case 'attach-device':
        try {
          this.#local.attach(r.port, r.sampleRate);
        } catch (err) {
          r.port?.close?.();
          throw new MediaEngineError('bad-request', (err as Error).message);
        }
        this.#devicePort = r.port;
        if (this.#video) (await this.#video).attachDevice(r.port);
        return null;
      case 'detach-device':
        this.#local.detach();
        this.#devicePort = undefined;
        if (this.#video) (await this.#video).detachDevice();
        return null;
      case 'device-owner':
        if (r.streamId !== null && typeof r.streamId !== 'string') throw new MediaEngineError('bad-request', 'streamId: expected a stream id or null');
        this.#local.setOwner(r.streamId ?? undefined);
        return null;
      case 'shutdown':
        await this.shutdown();
        return null;
      default:
        throw new MediaEngineError('bad-request', `type: unknown request ${JSON.stringify((r as { type?: unknown }).type)}`);
    }
  }

  async #createStream(streamId: string, spec: StreamSpec): Promise<MediaResponses['create-stream']> {
    if (typeof streamId !== 'string' || streamId === '') throw new MediaEngineError('bad-request', 'streamId: expected a non-empty string');
    if (this.#streams.has(streamId)) throw new MediaEngineError('bad-request', `streamId: ${JSON.stringify(streamId)} already exists`);
    const native = await this.#getNative();
    const held = spec.localPort ? this.#reserved.get(spec.localPort) : undefined;
    if (held && spec.localPort) {
      // The stream binds the reserved ports itself, right after they are let go.
      this.#reserved.delete(spec.localPort);
      await closeSockets(held.sockets);
    }
    const entry = { owned: new Set<AudioPort>() } as StreamEntry;
    let source: AudioPort;
    let sink: AudioPort;
    try {
      source = await this.#makeSource(spec.source, streamId, entry, spec.device, codecRate(spec.codec));
      sink = await this.#makeSink(spec.sink, streamId, entry, spec.device, codecRate(spec.codec));
    } catch (err) {
      for (const p of entry.owned) p.close();
      throw err instanceof MediaEngineError ? err : new MediaEngineError('bad-request', (err as Error).message);
    }
    const { device: _device, source: _s, sink: _k, ...rest } = spec;
    // On real time, a stream of files and generated signals sends 100 ms ahead (media-stream.ts).
    const stream = new MediaStream({ ...rest, source, sink, native, ...(this.#scheduler ? { scheduler: this.#scheduler } : { lookaheadFrames: LOOKAHEAD_FRAMES }) });
    entry.stream = stream;
    stream.on('stats', (stats) => this.#emit({ type: 'stats', streamId, stats }));
    stream.on('dtmf', (dtmf) => this.#emit({ type: 'dtmf', streamId, dtmf }));
    stream.on('latched', (l) => this.#emit({ type: 'latched', streamId, ...l }));
    stream.on('ssrc-changed', (s) => this.#emit({ type: 'ssrc-changed', streamId, ...s }));
    stream.on('bye', (b) => this.#emit({ type: 'bye', streamId, ...b }));
    stream.on('warning', (w) => this.#emit({ type: 'warning', streamId, ...w }));
    try {
      const { localPort, localRtcpPort } = await stream.start();
      this.#streams.set(streamId, entry);
      return { streamId, localPort, localRtcpPort, ssrc: stream.ssrc, codecSampleRate: stream.codecSampleRate };
    } catch (err) {
      for (const p of entry.owned) p.close();
      throw new MediaEngineError(err instanceof TypeError ? 'bad-request' : 'failed', (err as Error).message);
    }
  }

  #videoEngine(): Promise<VideoEngine> {
    this.#video ??= import('./video/video-engine.ts').then(({ VideoEngine }) => {
      const video = new VideoEngine({
        native: () => this.#getNative(),
        audioPlayout: (id) => {
          const stream = this.#streams.get(id)?.stream;
          // Lip sync reads the audio's playout between frames: that stream wakes every frame.
          stream?.wakeEveryFrame();
          return stream?.playoutSenderTime();
        },
        takeReservation: async (port) => {
          const held = this.#reserved.get(port);
          if (!held) return;
          this.#reserved.delete(port);
          await closeSockets(held.sockets);
        },
        onStats: (e) => this.#emit({ type: 'video-stats', ...e }),
        onWarning: (streamId, message) => this.#emit({ type: 'warning', streamId, code: 'video', message }),
      });
      if (this.#devicePort) video.attachDevice(this.#devicePort);
      return video;
    });
    return this.#video;
  }

  async #videoOf(streamId: string): Promise<VideoEngine> {
    const video = this.#video ? await this.#video : undefined;
    if (!video?.has(streamId)) throw new MediaEngineError('not-found', `streamId: no video stream ${JSON.stringify(streamId)}`);
    return video;
  }

  async #createVideo(streamId: string, spec: Extract<MediaRequest, { type: 'create-video' }>['spec']): Promise<MediaResponses['create-video']> {
    if (typeof streamId !== 'string' || streamId === '') throw new MediaEngineError('bad-request', 'streamId: expected a non-empty string');
    if (this.#streams.has(streamId)) throw new MediaEngineError('bad-request', `streamId: ${JSON.stringify(streamId)} is an audio stream`);
    const video = await this.#videoEngine();
    try {
      return { streamId, ...(await video.create(streamId, spec)) };
    } catch (err) {
      const code = err instanceof TypeError || err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'bad-request' : 'failed';
      throw new MediaEngineError(code, (err as Error).message);
    }
  }

  /** RFC 3550 §11: an even RTP port and, without rtcp-mux, the odd one above it for RTCP. */
  async #reservePorts(r: Extract<MediaRequest, { type: 'reserve-ports' }>): Promise<MediaResponses['reserve-ports']> {
    if (typeof r.localAddress !== 'string' || r.localAddress === '') throw new MediaEngineError('bad-request', 'localAddress: expected an IP address');
    if (r.stun !== undefined) {
      const { address, port = STUN_DEFAULT_PORT } = r.stun ?? {};
      if (typeof address !== 'string' || !isIP(address)) throw new MediaEngineError('bad-request', `stun.address: expected the STUN server's IP address, not ${JSON.stringify(address)}`);
      if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new MediaEngineError('bad-request', `stun.port: expected 1-65535, not ${JSON.stringify(port)}`);
      if (isIPv6(address) !== isIPv6(r.localAddress)) throw new MediaEngineError('bad-request', `stun.address: ${address} cannot be reached from the ${isIPv6(r.localAddress) ? 'IPv6' : 'IPv4'} address ${r.localAddress}`);
    }
    const { min, max } = r.portRange ?? { min: 16384, max: 32766 };
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1024 && max <= 65535 && min + 1 < max)) {
      throw new MediaEngineError('bad-request', `portRange: expected 1024 ≤ min < max ≤ 65535, not ${min}-${max}`);
    }
    const evens = Math.floor((max - min - 1) / 2) + 1;
    let lastErr: unknown;
    for (let i = 0; i < 64; i++) {
      const port = min + (min % 2) + 2 * Math.floor(Math.random() * evens);
      if (port + (r.rtcpMux ? 0 : 1) > max || this.#reserved.has(port)) continue;
      let rtp: Socket | undefined;
      try {
        rtp = await bindUdp(r.localAddress, port);
        const sockets = [rtp];
        if (!r.rtcpMux) sockets.push(await bindUdp(r.localAddress, port + 1));
        const localRtcpPort = r.rtcpMux ? port : port + 1;
        this.#reserved.set(port, { sockets, localRtcpPort });
        if (!r.stun) return { localPort: port, localRtcpPort };
        return { localPort: port, localRtcpPort, ...(await this.#stunMapped(sockets, { address: r.stun.address, port: r.stun.port ?? STUN_DEFAULT_PORT }, port)) };
      } catch (err) {
        lastErr = err;
        if (rtp) await closeSockets([rtp]);
      }
    }
    throw new MediaEngineError('failed', `no free RTP port in ${min}-${max} on ${r.localAddress}: ${String(lastErr)}`);
  }

  /**
   * The public address of each reserved socket (RTP, then RTCP), asked of the STUN server at the
   * same time. Failure is no error: the answer lacks `mapped` and a warning says why.
   */
  async #stunMapped(sockets: Socket[], server: { address: string; port: number }, port: number): Promise<Pick<ReservedPorts, 'mapped' | 'mappedRtcp' | 'stunError'>> {
    const scheduler = this.#scheduler ?? realScheduler;
    const [rtp, rtcp] = await Promise.allSettled(sockets.map((s) => stunBinding(s, server, scheduler, this.#stunTiming)));
    if (rtp.status === 'rejected') {
      const why = (rtp.reason as Error).message;
      this.#emit({ type: 'warning', code: 'stun', message: `the public address of RTP port ${port} is unknown: ${why}` });
      return { stunError: why };
    }
    return { mapped: rtp.value, ...(rtcp?.status === 'fulfilled' ? { mappedRtcp: rtcp.value } : {}) };
  }

  #deviceBridge(entry: StreamEntry | undefined, device: { port: PortLike; sampleRate: number } | undefined): DeviceBridge {
    if (entry?.device) return entry.device;
    if (!device) throw new MediaEngineError('bad-request', "device: needed for a 'device' source or sink");
    const bridge = new DeviceBridge({ port: device.port, sampleRate: device.sampleRate });
    if (entry) {
      entry.device = bridge;
      entry.owned.add(bridge);
    }
    return bridge;
  }

  /** The local device as one stream sees it (a conference's own local ports have no stream: refused). */
  #localPort(side: 'source' | 'sink', streamId: string | undefined): AudioPort {
    if (streamId === undefined) throw new MediaEngineError('bad-request', `${side}.kind: 'local' belongs to a stream (a conference takes it with fromStream)`);
    return this.#local.port(streamId);
  }

  async #makeSource(spec: SourceSpec, streamId: string | undefined, entry: StreamEntry | undefined, device?: { port: PortLike; sampleRate: number }, rateHint?: number): Promise<AudioPort> {
    let port: AudioPort;
    // Made at the codec's rate, a generated signal reaches the encoder without a resampler.
    const rate = rateHint ?? entry?.stream?.codecSampleRate ?? 16000;
    switch (spec?.kind) {
      case 'silence':
        port = new SilenceSource({ sampleRate: rate });
        break;
      case 'tone':
        if (!Array.isArray(spec.frequencies) || spec.frequencies.length === 0) throw new MediaEngineError('bad-request', 'source.frequencies: expected one or two frequencies');
        port = new ToneSource({ sampleRate: rate, frequencies: spec.frequencies, ...(spec.levelDb !== undefined ? { levelDb: spec.levelDb } : {}), ...(spec.cadence ? { cadence: spec.cadence } : {}) });
        break;
      case 'wav': {
        const native = await this.#getNative();
        // Play the file at its own rate when it is a usual one; the stream adapts it to the codec
        // (an 8 kHz file sent as PCMU is never resampled).
        try {
          port = new WavFileSource({
            path: spec.path,
            sampleRate: 'file',
            loop: spec.loop ?? false,
            createResampler: native.createResampler,
            onEnd: () => streamId !== undefined && this.#emit({ type: 'source-ended', streamId }),
          });
        } catch (err) {
          throw new MediaEngineError('bad-request', `source.path: ${(err as Error).message}`);
        }
        break;
      }
      case 'device':
        return this.#deviceBridge(entry, device);
      case 'local':
        port = this.#localPort('source', streamId);
        break;
      default:
        throw new MediaEngineError('bad-request', `source.kind: expected silence, tone, wav, device or local`);
    }
    entry?.owned.add(port);
    return port;
  }

  async #makeSink(spec: SinkSpec, streamId: string | undefined, entry: StreamEntry | undefined, device?: { port: PortLike; sampleRate: number }, rateHint?: number): Promise<AudioPort> {
    let port: AudioPort;
    switch (spec?.kind) {
      case 'silence':
        // At the codec's rate: what is thrown away is not resampled first.
        port = new SilenceSource({ sampleRate: rateHint ?? entry?.stream?.codecSampleRate ?? 8000 });
        break;
      case 'wav': {
        const rate = spec.sampleRate ?? rateHint ?? entry?.stream?.codecSampleRate ?? 8000;
        try {
          port = new WavRecorder({ path: spec.path, sampleRate: rate });
        } catch (err) {
          throw new MediaEngineError('bad-request', `sink.path: ${(err as Error).message}`);
        }
        break;
      }
      case 'device':
        return this.#deviceBridge(entry, device);
      case 'local':
        port = this.#localPort('sink', streamId);
        break;
      default:
        throw new MediaEngineError('bad-request', `sink.kind: expected silence, wav, device or local`);
    }
    entry?.owned.add(port);
    return port;
  }

  /** Closes a port the engine made once nothing uses it any more. */
  #release(entry: StreamEntry, port: AudioPort): void {
    if (!entry.owned.has(port)) return;
    const inUse = entry.stream.source === port || entry.stream.sink === port || entry.saved?.source === port || entry.saved?.sink === port;
    if (inUse) return;
    entry.owned.delete(port);
    if (entry.device === port) entry.device = undefined;
    port.close();
  }

  async #stopStream(streamId: string, reason?: string): Promise<void> {
    const e = this.#entry(streamId);
    if (e.conferenceId) this.#leaveConference(streamId, e);
    this.#streams.delete(streamId);
    await e.stream.stop(reason);
    e.recorder?.close();
    for (const p of e.owned) p.close();
  }

  async #conference(r: Extract<MediaRequest, { type: 'conference' }>): Promise<{ members: string[] }> {
    for (const id of r.streamIds) {
      const e = this.#entry(id);
      if (e.conferenceId !== undefined && e.conferenceId !== r.conferenceId) throw new MediaEngineError('bad-request', `streamIds: ${id} is already in conference ${e.conferenceId}`);
    }
    let conf = this.#conferences.get(r.conferenceId);
    if (!conf) {
      conf = { mixer: new Mixer({ sampleRate: MIX_RATE, ...(this.#scheduler ? { now: () => this.#scheduler!.now() } : {}) }), members: new Map() };
      this.#conferences.set(r.conferenceId, conf);
    }
    if (r.local && !conf.local) await this.#addLocal(conf, r.local);
    for (const id of r.streamIds) {
      const e = this.#entry(id);
      if (e.conferenceId === r.conferenceId) continue;
      const participant = conf.mixer.join(id);
      e.conferenceId = r.conferenceId;
      e.saved = { source: e.stream.source, sink: e.stream.sink };
      e.stream.setPorts({ source: participant, sink: participant });
      conf.members.set(id, participant);
    }
    return { members: [...conf.members.keys()] };
  }

  async #addLocal(conf: Conference, local: NonNullable<Extract<MediaRequest, { type: 'conference' }>['local']>): Promise<void> {
    let source: AudioPort;
    let sink: AudioPort;
    const owned: AudioPort[] = [];
    if ('fromStream' in local) {
      const e = this.#entry(local.fromStream);
      source = e.saved?.source ?? e.stream.source;
      sink = e.saved?.sink ?? e.stream.sink;
    } else {
      const holder = { owned: new Set<AudioPort>() } as StreamEntry;
      source = await this.#makeSource(local.source, undefined, holder, local.device);
      sink = await this.#makeSink(local.sink, undefined, holder, local.device);
      owned.push(...holder.owned);
    }
    const native = await this.#getNative();
    const participant = conf.mixer.join('local');
    const toMix = new RateAdapter({ from: source.sampleRate, to: MIX_RATE, createResampler: native.createResampler });
    const fromMix = new RateAdapter({ from: MIX_RATE, to: sink.sampleRate, createResampler: native.createResampler });
    // The local user is pumped by a media clock of its own: speak into the mix, hear the rest.
    const clock = new MediaClock({ frameMs: 20, ...(this.#scheduler ? { scheduler: this.#scheduler } : { align: true }) });
    clock.start(() => {
      try {
        participant.putFrame(toMix.process(source.getFrame()));
        sink.putFrame(fromMix.process(participant.getFrame()));
      } catch (err) {
        this.#emit({ type: 'warning', code: 'conference', message: (err as Error).message });
      }
    });
    conf.local = { participant, source, sink, clock, toMix, fromMix, owned };
  }

  #leaveConference(streamId: string, e: StreamEntry): void {
    const conf = this.#conferences.get(e.conferenceId!);
    if (e.saved) e.stream.setPorts(e.saved);
    e.saved = undefined;
    e.conferenceId = undefined;
    if (!conf) return;
    conf.members.get(streamId)?.close();
    conf.members.delete(streamId);
  }

  #endConference(conferenceId: string): void {
    const conf = this.#conferences.get(conferenceId);
    if (!conf) throw new MediaEngineError('not-found', `conferenceId: no conference ${JSON.stringify(conferenceId)}`);
    for (const id of [...conf.members.keys()]) {
      const e = this.#streams.get(id);
      if (e) this.#leaveConference(id, e);
    }
    if (conf.local) {
      conf.local.clock.stop();
      conf.local.participant.close();
      conf.local.toMix.close();
      conf.local.fromMix.close();
      for (const p of conf.local.owned) p.close();
    }
    this.#conferences.delete(conferenceId);
  }

  /** Stops every stream and conference; later requests that would make one are refused. */
  async shutdown(): Promise<void> {
    this.#shutDown = true;
    for (const id of [...this.#conferences.keys()]) this.#endConference(id);
    await Promise.all([...this.#streams.keys()].map((id) => this.#stopStream(id).catch(() => {})));
    if (this.#video) await (await this.#video).shutdown();
    this.#local.close();
    const held = [...this.#reserved.values()].flatMap((r) => r.sockets);
    this.#reserved.clear();
    await closeSockets(held);
  }
}
