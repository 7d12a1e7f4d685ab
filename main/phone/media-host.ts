/**
 * The phone's handle on one media engine: a MediaEngineClient, in this thread (`inThread`) or in
 * a worker thread (media-placement.ts keeps one of each), started as a call is being set up
 * (`warm`, from the call registry) and stopped once it has held nothing open (no stream, no
 * reserved port) for `idleStopMs`, or when the phone stops (calls.ts); its events are routed to
 * the call that owns each stream. Idle, the phone has no engine at all (a worker is about 20 MB
 * resident). What the engine can do (`capabilities`) is asked once: it depends on the native
 * addon, not on the engine.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { LOCAL_AUDIO_RATE, MediaEngineClient, type BridgeMessagePort, type DtmfEvent, type MediaStreamStats, type VideoStatsEvent } from '../media/index.ts';
import { realClock, type Clock, type TimerHandle } from '../sip/index.ts';
import { readVideoLinkMessage, type VideoLinkMessage } from '../contract/video.ts';
import type { CodecName, SrtpSuite } from '../../native/index.ts';

/** What a call hears about its stream. Listeners never throw (MediaHost guards them anyway). */
export interface StreamListener {
  stats?(stats: MediaStreamStats): void;
  videoStats?(stats: VideoStatsEvent): void;
  dtmf?(dtmf: DtmfEvent): void;
  sourceEnded?(): void;
  latched?(to: { address: string; port: number; rtcp: boolean }): void;
}

/**
 * The app's end of the audio device link as the engine gets it: Electron's MessagePortMain (from
 * the renderer through the preload), or the WebSocket bridge's adapter. Messages are Int16Array
 * blocks of mono PCM16 (bare or as `event.data`); the string 'bye' ends the link.
 */
export interface DeviceLinkPort extends BridgeMessagePort {
  /** Called when the far end goes away (Electron's MessagePortMain 'close'; a WebSocket closing). */
  on?(event: 'message' | 'close', listener: (value: unknown) => void): unknown;
  /**
   * For a port that still reads a video frame's bytes after it returns (a socket that queues
   * them): sends `message` and calls `done` once the bytes are no longer read. A port without it
   * copies them in `postMessage` (Electron's MessagePortMain serializes the message at once).
   */
  postVideo?(message: VideoLinkMessage, done: () => void): void;
}

/** The largest capture block taken from the app: 100 ms at the link's rate. */
const MAX_BLOCK = LOCAL_AUDIO_RATE / 10;

/** How long an engine stays up with nothing open, by default: a call made soon after the last finds it running. */
export const MEDIA_IDLE_STOP_MS = 30_000;

export interface MediaHostOptions {
  /** The engine in this thread (MediaEngineClient inThread) rather than in a worker of its own. */
  inThread?: boolean;
  /** What its stream ids start with (two hosts of one phone never share an id). Default 'call'. */
  streamPrefix?: string;
  /** Another worker entry point (tests; not for `inThread`); default the worker host next to the engine. */
  workerUrl?: URL;
  /** The engine died (the reason in words): its calls must end. A new one starts on next use. */
  exited?: (reason: string) => void;
  /** Stop the engine after it has held nothing open this long (default MEDIA_IDLE_STOP_MS). */
  idleStopMs?: number;
  /** The idle delay's clock (default the real one). */
  clock?: Clock;
  /** Whether a call of this engine exists (ringing, dialing…): the engine stays for it even with nothing open yet. */
  inUse?: () => boolean;
}

export class MediaHost {
  readonly #opts: MediaHostOptions;
  #client: MediaEngineClient | undefined;
  #capabilities: Promise<{ codecs: CodecName[]; srtpSuites: SrtpSuite[] }> | undefined;
  #videoCapabilities: Promise<{ codecs: Array<'vp8' | 'h264'>; problem?: string }> | undefined;
  readonly #streams = new Map<string, StreamListener>();
  #nextStream = 1;
  #closed = false;
  /** The app's device link, piped into each engine the host starts (a new one after a crash gets it too). */
  #device: { outer: DeviceLinkPort; inner?: MessagePort } | undefined;
  #deviceOwner: string | null = null;
  readonly #clock: Clock;
  readonly #idleStopMs: number;
  #idleTimer: TimerHandle | undefined;

  constructor(opts: MediaHostOptions = {}) {
    const idle = opts.idleStopMs ?? MEDIA_IDLE_STOP_MS;
    if (!Number.isFinite(idle) || idle < 0) throw new RangeError(`idleStopMs: a number of milliseconds ≥ 0, not ${String(idle)}`);
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#idleStopMs = idle;
  }

  /** A call is being set up: the engine starts now, so that it is up when the call needs it. */
  warm(): void {
    if (!this.#closed) this.client();
  }

  /** The engine, started on first use. */
  client(): MediaEngineClient {
    if (this.#closed) throw new Error('the media engine is closed');
    if (!this.#client) {
      const client = new MediaEngineClient(this.#opts.inThread ? { inThread: true } : this.#opts.workerUrl ? { workerUrl: this.#opts.workerUrl } : {});
      client.on('idle', () => this.#armIdleStop(client));
      client.on('stats', (e) => this.#guard(() => this.#streams.get(e.streamId)?.stats?.(e.stats)));
      client.on('video-stats', (e) => this.#guard(() => this.#streams.get(e.streamId)?.videoStats?.(e)));
      client.on('dtmf', (e) => this.#guard(() => this.#streams.get(e.streamId)?.dtmf?.(e.dtmf)));
      client.on('latched', (e) => this.#guard(() => this.#streams.get(e.streamId)?.latched?.({ address: e.address, port: e.port, rtcp: e.rtcp })));
      client.on('source-ended', (e) => this.#guard(() => this.#streams.get(e.streamId)?.sourceEnded?.()));
      client.on('exit', ({ code, reason }) => {
        if (this.#client !== client) return;
        this.#disarmIdleStop();
        this.#client = undefined;
        this.#deviceOwner = null;
        this.#capabilities = undefined;
        this.#videoCapabilities = undefined;
        this.#streams.clear();
        this.#guard(() => this.#opts.exited?.(reason ?? `the media engine stopped (exit code ${code})`));
      });
      this.#client = client;
      if (this.#device) this.#pipeDevice(client, this.#device);
      if (this.#deviceOwner !== null) void client.setDeviceOwner(this.#deviceOwner).catch(() => undefined);
    }
    // Whoever asks for the engine is about to use it: the idle delay starts again.
    this.#armIdleStop(this.#client);
    return this.#client;
  }

  /** (Re)starts the idle delay; when it ends with the engine still idle, the engine stops. */
  #armIdleStop(client: MediaEngineClient): void {
    this.#disarmIdleStop();
    if (this.#client !== client) return;
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined;
      // Busy now (a request pending, a stream or ports held): its 'idle' will arm the delay again.
      if (this.#client !== client || !client.idle) return;
      // A call still being set up (ringing for a while) keeps it: look again later.
      if (this.#opts.inUse?.()) this.#armIdleStop(client);
      else this.#stopIdle(client);
    }, this.#idleStopMs);
  }

  #disarmIdleStop(): void {
    if (this.#idleTimer === undefined) return;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Stops an idle engine. The next use starts another (with the device link and its owner). */
  #stopIdle(client: MediaEngineClient): void {
    this.#client = undefined;
    if (this.#device) {
      this.#device.inner?.close();
      delete this.#device.inner;
    }
    void client.close();
  }

  /**
   * Takes the app's audio device link (replacing a previous one). Frames are piped, checked,
   * between `outer` and a MessageChannel whose other end lives in the engine. Returns the
   * function that ends the link; the far end going away ('close', or 'bye') ends it too.
   */
  connectDevice(outer: DeviceLinkPort, sampleRate: number): () => void {
    if (sampleRate !== LOCAL_AUDIO_RATE) throw new RangeError(`sampleRate: the audio link runs at ${LOCAL_AUDIO_RATE} Hz, not ${String(sampleRate)}`);
    this.disconnectDevice();
    const link: { outer: DeviceLinkPort; inner?: MessagePort } = { outer };
    this.#device = link;
    const onValue = (value: unknown): void => {
      if (this.#device !== link) return;
      if (value === 'bye') return this.disconnectDevice();
      // Bad input changes nothing: only PCM16 blocks of a sane size, camera frames whose size and
      // bytes agree, and a sane audio delay (contract/video.ts) reach the engine.
      if (value instanceof Int16Array) {
        if (value.length > 0 && value.length <= MAX_BLOCK) link.inner?.postMessage(value);
        return;
      }
      const video = readVideoLinkMessage(value);
      if (video?.video === 'camera') {
        const own = video.data.byteOffset === 0 && video.data.byteLength === video.data.buffer.byteLength && video.data.buffer instanceof ArrayBuffer;
        const data = own ? video.data : video.data.slice();
        link.inner?.postMessage({ video: 'camera', width: video.width, height: video.height, data }, [data.buffer as ArrayBuffer]);
      } else if (video?.video === 'audio-delay') link.inner?.postMessage({ video: 'audio-delay', ms: video.ms });
    };
    const unwrap = (v: unknown): unknown => (v instanceof Int16Array || typeof v === 'string' || (typeof v === 'object' && v !== null && 'video' in v) ? v : (v as { data?: unknown } | null)?.data);
    if (typeof outer.addEventListener === 'function') outer.addEventListener('message', (e) => onValue((e as { data?: unknown }).data));
    else outer.on?.('message', (v) => onValue(unwrap(v)));
    outer.on?.('close', () => {
      if (this.#device === link) this.disconnectDevice();
    });
    outer.start?.();
    if (this.#client) this.#pipeDevice(this.#client, link);
    return () => {
      if (this.#device === link) this.disconnectDevice();
    };
  }

  /** Ends the device link: calls then send silence and play nowhere. */
  disconnectDevice(): void {
    const link = this.#device;
    if (!link) return;
    this.#device = undefined;
    link.inner?.close();
    try {
      link.outer.close?.();
    } catch {
      // already closed
    }
    if (this.#client) void this.#client.detachDevice().catch(() => undefined);
  }

  /** Gives the local microphone and speaker to one stream (null: to none). */
  setDeviceOwner(streamId: string | null): void {
    if (this.#deviceOwner === streamId) return;
    this.#deviceOwner = streamId;
    if (this.#client) void this.#client.setDeviceOwner(streamId).catch(() => undefined);
  }

  #pipeDevice(client: MediaEngineClient, link: { outer: DeviceLinkPort; inner?: MessagePort }): void {
    link.inner?.close();
    const { port1, port2 } = new MessageChannel();
    link.inner = port1;
    // A decoded frame's buffer goes back to the engine once the link has sent or copied it: its
    // decoder writes a later frame into it (media/video/frame-pool.ts).
    const spent = (data: Uint8Array): void => {
      if (link.inner !== port1 || data.byteLength === 0) return;
      port1.postMessage({ video: 'spent', data } satisfies VideoLinkMessage, [data.buffer as ArrayBuffer]);
    };
    port1.on('message', (frame: unknown) => {
      if (this.#device !== link) return;
      // Played audio, and the calls' decoded video (contract/video.ts) as the engine wrote it.
      if (frame instanceof Int16Array) return link.outer.postMessage(frame);
      if (typeof frame !== 'object' || frame === null || !('video' in frame)) return;
      const video = frame as VideoLinkMessage;
      if (video.video !== 'frame') return link.outer.postMessage(video);
      if (link.outer.postVideo) return link.outer.postVideo(video, () => spent(video.data));
      link.outer.postMessage(video);
      spent(video.data);
    });
    void client.attachDevice(port2, LOCAL_AUDIO_RATE).catch(() => undefined);
  }

  get running(): boolean {
    return this.#client !== undefined;
  }

  /** The video codecs the engine has (asked once: it loads the video addon in the engine's thread). */
  videoCapabilities(): Promise<{ codecs: Array<'vp8' | 'h264'>; problem?: string }> {
    this.#videoCapabilities ??= this.client().videoCapabilities();
    return this.#videoCapabilities;
  }

  capabilities(): Promise<{ codecs: CodecName[]; srtpSuites: SrtpSuite[] }> {
    this.#capabilities ??= this.client().capabilities();
    return this.#capabilities;
  }

  /**
   * Lets go of what a call held in the engine: its stream (`stop` stops it) and a reserved port no
   * stream took. Nothing to do when the engine is gone (it took everything with it).
   */
  async release(held: { streamId?: string; stop: (client: MediaEngineClient, streamId: string) => Promise<unknown>; port?: number }): Promise<void> {
    const client = this.running ? this.client() : undefined;
    if (held.streamId) {
      this.forget(held.streamId);
      await (client ? held.stop(client, held.streamId) : undefined)?.catch(() => undefined);
    }
    if (held.port !== undefined) await client?.releasePorts(held.port).catch(() => undefined);
  }

  newStreamId(): string {
    return `${this.#opts.streamPrefix ?? 'call'}-${this.#nextStream++}`;
  }

  listen(streamId: string, listener: StreamListener): void {
    this.#streams.set(streamId, listener);
  }

  forget(streamId: string): void {
    this.#streams.delete(streamId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#disarmIdleStop();
    this.disconnectDevice();
    const client = this.#client;
    this.#client = undefined;
    this.#streams.clear();
    await client?.close();
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch {
      // A call's listener must not break the others.
    }
  }
}
