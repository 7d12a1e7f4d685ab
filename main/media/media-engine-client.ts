/**
 * The phone's handle on a media engine, running in a worker thread (worker-host.ts) or in this
 * thread (`inThread`, on a MessageChannel): typed requests that resolve with the engine's answer,
 * and the engine's events, the same messages either way (engine-serve.ts). Callers see only this
 * class's shape.
 */
import { AppelError } from '../contract/errors.ts';
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, type MessagePort, type Transferable } from 'node:worker_threads';
import { releaseMemory } from './release-memory.ts';
import type { DtmfEvent } from './dtmf-receiver.ts';
import type { ClientMessage, HostMessage, MediaErrorInfo, MediaEvent, MediaRequest, MediaResponses, SinkSpec, SourceSpec, StreamSpec, StunServer, VideoSpec } from './media-protocol.ts';
import type { MediaDirection, MediaRemote, MediaStreamStats } from './media-stream.ts';

/**
 * The worker's V8 heap: a young generation of at most 16 MB (semi-spaces up to ~5 MB; V8 starts
 * them at 1 MB and grows them with the allocation rate). It was capped at 3 MB to save about 1 MB
 * resident in a single call, but a busy worker allocates fast: with 1 MB semi-spaces, scavenges
 * come every few tens of milliseconds and what still waits in a jitter buffer (packets, the
 * transit window) outlives two of them and is promoted, for the old-space collector. Measured
 * (test/bench/media.ts capacity, 500 PCMU streams, interleaved): 3 MB gave stats jitter p95
 * 31 ms at 43 µs per stream-frame; 8 MB, 15 ms at 42 µs; 16 MB, 8–17 ms at 36–42 µs. The cost:
 * about 3 MB more resident in one call (per-call bench: 82.2 MB against 79.0).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 16 };

/** A request the engine refused or failed. */
export class MediaRequestError extends AppelError {
  declare readonly code: MediaErrorInfo['code'];
  constructor(info: MediaErrorInfo) {
    super(info.code, info.message);
    this.name = 'MediaRequestError';
  }
}

type EventOf<T extends MediaEvent['type']> = Omit<Extract<MediaEvent, { type: T }>, 'type'>;

export interface MediaEngineClientEvents {
  stats: [EventOf<'stats'>];
  'video-stats': [EventOf<'video-stats'>];
  dtmf: [EventOf<'dtmf'>];
  latched: [EventOf<'latched'>];
  'ssrc-changed': [EventOf<'ssrc-changed'>];
  bye: [EventOf<'bye'>];
  'source-ended': [EventOf<'source-ended'>];
  warning: [EventOf<'warning'>];
  /** The engine ended (a worker's crash or exit, the engine closed, or it could not load: `reason`); pending requests were rejected. */
  exit: [{ code: number; reason?: string }];
  /** Nothing is open in the engine any more (no stream, no reserved port) and no request is pending (`idle`). */
  idle: [];
}

export class MediaEngineClient extends EventEmitter<MediaEngineClientEvents> {
  readonly #engine: EngineThread;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #nextStream = 1;
  #exited = false;
  /** What the engine holds open for us: streams ('stream:ID') and reserved ports ('port:N'). */
  readonly #open = new Set<string>();
  /** Streams being created: stream id → the id of its create-stream request. */
  readonly #creating = new Map<string, number>();

  constructor(options: { workerUrl?: URL; inThread?: boolean } = {}) {
    super();
    const onExit = (code: number, reason?: string): void => {
      if (this.#exited) return;
      this.#exited = true;
      this.#fail(new Error(reason ?? `media engine exited with code ${code}`));
      try {
        this.emit('exit', reason === undefined ? { code } : { code, reason });
      } catch {
        // listeners must not throw into the engine's event
      }
    };
    this.#engine = options.inThread ? inThreadEngine(onExit) : workerEngine(options.workerUrl, onExit);
    this.#engine.port.on('message', (m: HostMessage) => this.#onMessage(m));
    this.#engine.port.on('error', (err: Error) => this.#fail(err));
  }

  #fail(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #onMessage(m: HostMessage): void {
    if ('events' in m) {
      for (const { type, ...rest } of m.events) {
        try {
          (this.emit as (e: string, v: unknown) => boolean)(type, rest);
        } catch {
          // a listener's exception stays with the listener
        }
      }
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new MediaRequestError(m.error));
  }

  /**
   * True when the engine holds nothing open for us (no stream, no reserved port) and no request
   * is pending: stopping the engine now loses nothing (MediaHost does so after a while).
   */
  get idle(): boolean {
    return this.#pending.size === 0 && this.#open.size === 0;
  }

  /** Sends any request (the typed helpers below are shorthands). */
  request<T extends MediaRequest>(request: T, transfer: Transferable[] = []): Promise<MediaResponses[T['type']]> {
    if (this.#exited) return Promise.reject(new Error('media engine has exited'));
    const id = this.#nextId++;
    this.#track(request, id);
    const sent = new Promise<MediaResponses[T['type']]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const message: ClientMessage = { id, request };
      this.#engine.port.postMessage(message, transfer);
    });
    // What the engine opened is known once it answers.
    const opened = sent.then((value) => {
      if ((request.type === 'create-stream' || request.type === 'create-video') && this.#creating.get(request.streamId) === id) {
        this.#creating.delete(request.streamId);
        this.#open.add(`stream:${request.streamId}`);
      } else if (request.type === 'reserve-ports') this.#open.add(`port:${(value as MediaResponses['reserve-ports']).localPort}`);
    });
    void opened.then(
      () => this.#settled(),
      () => this.#settled(),
    );
    return sent;
  }

  /**
   * What stops being open does so as its request leaves: a stream stopped (even one whose
   * creation is still unanswered), ports released, or taken over by a stream (the engine drops
   * the reservation whatever the stream's fate).
   */
  #track(request: MediaRequest, id: number): void {
    switch (request.type) {
      case 'create-stream':
      case 'create-video':
        this.#creating.set(request.streamId, id);
        if (request.spec.localPort) this.#open.delete(`port:${request.spec.localPort}`);
        break;
      case 'stop-stream':
      case 'stop-video':
        this.#creating.delete(request.streamId);
        this.#open.delete(`stream:${request.streamId}`);
        break;
      case 'release-ports':
        this.#open.delete(`port:${request.localPort}`);
        break;
      case 'shutdown':
        this.#creating.clear();
        this.#open.clear();
        break;
    }
  }

  #settled(): void {
    if (!this.idle || this.#exited) return;
    try {
      this.emit('idle');
    } catch {
      // a listener's exception stays with the listener
    }
  }

  /** Creates and starts a stream; `streamId` defaults to a fresh one. */
  createStream(spec: StreamSpec, streamId = `s${this.#nextStream++}`): Promise<MediaResponses['create-stream']> {
    const transfer = spec.device ? [spec.device.port as unknown as Transferable] : [];
    return this.request({ type: 'create-stream', streamId, spec }, transfer);
  }

  stopStream(streamId: string, reason?: string): Promise<null> {
    return this.request(reason === undefined ? { type: 'stop-stream', streamId } : { type: 'stop-stream', streamId, reason });
  }

  setDirection(streamId: string, direction: MediaDirection): Promise<null> {
    return this.request({ type: 'set-direction', streamId, direction });
  }

  sendDtmf(streamId: string, digits: string): Promise<null> {
    return this.request({ type: 'send-dtmf', streamId, digits });
  }

  updateRemote(streamId: string, remote: MediaRemote): Promise<null> {
    return this.request({ type: 'update-remote', streamId, remote });
  }

  setSource(streamId: string, source: SourceSpec): Promise<null> {
    return this.request({ type: 'set-source', streamId, source });
  }

  setSink(streamId: string, sink: SinkSpec): Promise<null> {
    return this.request({ type: 'set-sink', streamId, sink });
  }

  /** Stereo call recording to `path` (local left, remote right); null stops it. */
  record(streamId: string, path: string | null): Promise<null> {
    return this.request({ type: 'record', streamId, path });
  }

  conference(conferenceId: string, streamIds: string[], local?: { fromStream: string }): Promise<{ members: string[] }> {
    return this.request(local ? { type: 'conference', conferenceId, streamIds, local } : { type: 'conference', conferenceId, streamIds });
  }

  endConference(conferenceId: string): Promise<null> {
    return this.request({ type: 'end-conference', conferenceId });
  }

  getStats(streamId: string): Promise<MediaStreamStats> {
    return this.request({ type: 'get-stats', streamId });
  }

  /** Creates and starts a call's video stream (video/video-engine.ts). */
  createVideo(streamId: string, spec: VideoSpec): Promise<MediaResponses['create-video']> {
    return this.request({ type: 'create-video', streamId, spec });
  }

  stopVideo(streamId: string): Promise<MediaResponses['stop-video']> {
    return this.request({ type: 'stop-video', streamId });
  }

  setVideoDirection(streamId: string, direction: MediaDirection): Promise<null> {
    return this.request({ type: 'video-direction', streamId, direction });
  }

  /** Lip sync: the video stream lines up with this audio stream from now on. */
  syncVideo(streamId: string, audioStreamId: string): Promise<null> {
    return this.request({ type: 'video-sync', streamId, audioStreamId });
  }

  setCamera(streamId: string, on: boolean): Promise<null> {
    return this.request({ type: 'video-camera', streamId, on });
  }

  videoCapabilities(): Promise<MediaResponses['video-capabilities']> {
    return this.request({ type: 'video-capabilities' });
  }

  getVideoStats(streamId: string): Promise<MediaResponses['get-video-stats']> {
    return this.request({ type: 'get-video-stats', streamId });
  }

  /** Holds an RTP (and RTCP) port for a stream to come; `createStream({ localPort })` takes it over. */
  reservePorts(options: { localAddress: string; portRange?: { min: number; max: number }; rtcpMux?: boolean; stun?: StunServer }): Promise<MediaResponses['reserve-ports']> {
    return this.request({ type: 'reserve-ports', ...options });
  }

  releasePorts(localPort: number): Promise<null> {
    return this.request({ type: 'release-ports', localPort });
  }

  /** Gives the engine the local user's device link (ports/local-audio.ts); the port is transferred. */
  attachDevice(port: MessagePort, sampleRate: number): Promise<null> {
    return this.request({ type: 'attach-device', port, sampleRate }, [port as unknown as Transferable]);
  }

  detachDevice(): Promise<null> {
    return this.request({ type: 'detach-device' });
  }

  /** Gives the local microphone and speaker to `streamId` (null: to no stream). */
  setDeviceOwner(streamId: string | null): Promise<null> {
    return this.request({ type: 'device-owner', streamId });
  }

  capabilities(): Promise<MediaResponses['capabilities']> {
    return this.request({ type: 'capabilities' });
  }

  /**
   * Stops every stream, then the engine (a worker, or this thread's engine), then hands back to
   * the system what it freed (release-memory.ts): after a few calls in a worker, measured, its
   * malloc arena held 8 MB that glibc would otherwise keep for this process's life.
   */
  async close(): Promise<void> {
    if (this.#exited) return;
    try {
      await this.request({ type: 'shutdown' });
    } catch {
      // already gone
    }
    await this.#engine.stop();
    void releaseMemory();
  }
}

/** Where the engine runs, as the client sees it: a port to talk on, and a way to stop it. */
interface EngineThread {
  port: Pick<Worker, 'postMessage' | 'on'>;
  stop(): Promise<unknown>;
}

/** The engine in a worker thread of its own. */
function workerEngine(workerUrl: URL | undefined, onExit: (code: number, reason?: string) => void): EngineThread {
  const worker = new Worker(workerUrl ?? new URL(`./worker-host.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url), { resourceLimits: WORKER_LIMITS });
  worker.on('exit', onExit);
  return { port: worker, stop: () => worker.terminate() };
}

/**
 * The engine in this thread, on a MessageChannel: the same messages, the same cloning and
 * transfers, no thread. Its socket and timer callbacks run between this thread's other work.
 */
function inThreadEngine(onExit: (code: number, reason?: string) => void): EngineThread {
  const { port1, port2 } = new MessageChannel();
  // The engine's side closes its port after 'shutdown'; either side closing ends the channel.
  port1.on('close', () => onExit(0));
  import('./engine-serve.ts').then(
    ({ serveMediaEngine }) => serveMediaEngine(port2),
    (err: unknown) => {
      // It could not load (a missing build): the calls that wait for it end, saying why.
      onExit(1, `the media engine could not load: ${err instanceof Error ? err.message : String(err)}`);
      port1.close();
      port2.close();
    },
  );
  return {
    port: port1 as unknown as Pick<Worker, 'postMessage' | 'on'>,
    stop: async () => {
      port1.close();
      port2.close();
    },
  };
}

export type { DtmfEvent, MediaStreamStats };
