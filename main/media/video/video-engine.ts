/**
 * The media engine's video streams (one per call that has video): each a VideoStream fed by its
 * source (the test pattern, a y4m file, or the app's camera over the device link) and read by its
 * sink (a recording, the device link, or nothing). It says what each stream does once a second
 * ('video-stats') and answers the video requests of media-protocol.ts for media-engine.ts.
 *
 * The camera: the app sends camera frames on the device link (contract/video.ts); each goes to
 * every stream whose source is the device and whose camera is on (a local conference sends it to
 * every member). Decoded frames of a stream whose sink is the device go back on the link, named by
 * the stream's label (the call's id). Everything runs on the media thread, paced by the sources.
 */
import { scaleI420 } from '../../contract/i420-scale.ts';
import { i420Bytes, readVideoLinkMessage, type VideoLinkMessage } from '../../contract/video.ts';
import { FramePool } from './frame-pool.ts';
import type { MediaNative, SrtpLike } from '../media-native.ts';
import type { MediaDirection } from '../media-stream.ts';
import type { BridgeMessagePort } from '../ports/device-bridge.ts';
import { VideoRecorder } from './video-recorder.ts';
import { macroblocks, ScaledSource, TestPattern, Y4mSource, type VideoFrameSource } from './video-sources.ts';
import { VideoStream, type VideoStreamOptions, type VideoStreamStats } from './video-stream.ts';

/** Where the video we send comes from. */
export type VideoSourceSpec = { kind: 'none' } | { kind: 'testsrc' } | { kind: 'y4m'; path: string; loop?: boolean } | { kind: 'device' };
/** Where the video we receive goes. */
export type VideoSinkSpec = { kind: 'none' } | { kind: 'file'; path: string } | { kind: 'device' };

/**
 * A video stream as the client asks for it: the VideoStream's own options (video-stream.ts says
 * what each means) that can cross a thread, with the source and sink as plain specs.
 */
export interface VideoSpec extends Pick<VideoStreamOptions, 'localAddress' | 'localPort' | 'remote' | 'rtcpMux' | 'codec' | 'feedback' | 'remoteMaxBitrateKbps' | 'ssrc' | 'firstSeq'> {
  direction: MediaDirection;
  /** What we send: size (a y4m file's own size wins when it is no larger), frames per second, starting bit rate. */
  format: { width: number; height: number; fps: number; bitrateKbps: number };
  source: VideoSourceSpec;
  sink: VideoSinkSpec;
  /** Our camera sends (default true); off: the stream stays and sends nothing. */
  camera?: boolean;
  /** The name decoded frames carry on the device link (the call's id). */
  label: string;
  /** The call's audio stream: decoded frames wait for the audio of the same instant (lip sync). */
  syncAudio?: string;
  srtp?: { suite: import('../../../native/index.ts').SrtpSuite; localKey: Uint8Array; remoteKey: Uint8Array };
}

/** The figures of one period: what is sent and received, per second. */
export interface VideoRates {
  sent?: { width: number; height: number; fps: number; bitrateKbps: number };
  received?: { width: number; height: number; fps: number; bitrateKbps: number };
}

export type VideoStatsEvent = {
  streamId: string;
  codec: 'vp8' | 'h264';
  stats: VideoStreamStats;
  /** Lip sync: how far the last frame's capture time was ahead of the audio playing (ms; > 0: the frame waited that long). */
  syncOffsetMs?: number;
} & VideoRates;

interface Entry {
  stream: VideoStream;
  /** As created (`syncAudio` follows `video-sync`). */
  spec: VideoSpec;
  camera: boolean;
  source?: VideoFrameSource;
  timer?: NodeJS.Timeout;
  recorder?: VideoRecorder;
  srtp?: SrtpLike[];
  /**
   * Camera pacing: frames earn one credit per frame interval of the format (at most 2 banked);
   * a frame spends one. A camera at the format's rate with a jittery timer loses nothing; a
   * faster one is thinned to the rate.
   */
  cameraPace: { credit: number; at: number };
  /** Decoded frames waiting for their audio (lip sync), in order, and the timer of the next. */
  held: Array<{ due: number; message: VideoLinkMessage }>;
  holdTimer?: NodeJS.Timeout;
  syncOffsetMs?: number;
  last: { at: number; framesSent: number; bytesSent: number; framesDecoded: number; bytesReceived: number };
}

export interface VideoEngineOptions {
  native: () => Promise<MediaNative>;
  /** The sender's wall-clock time (ms) of the audio an audio stream plays now (undefined: unknown). */
  audioPlayout?: (audioStreamId: string) => number | undefined;
  /** Gives up a port held by `reserve-ports` so that the stream can bind it (undefined: none held). */
  takeReservation: (localPort: number) => Promise<void>;
  onStats: (event: VideoStatsEvent) => void;
  onWarning: (streamId: string, message: string) => void;
}

const STATS_MS = 1000;
/** Lip sync holds a frame at most this long, and at most this many frames (a wider gap is not a sync problem). */
const MAX_HOLD_MS = 400;
const MAX_HELD = 15;

function directionOf(d: MediaDirection): { send: boolean; receive: boolean } {
  return { send: d === 'sendrecv' || d === 'sendonly', receive: d === 'sendrecv' || d === 'recvonly' };
}

export class VideoEngine {
  readonly #opts: VideoEngineOptions;
  readonly #entries = new Map<string, Entry>();
  #device: BridgeMessagePort | undefined;
  /** How long the device holds audio before its speaker plays it (its 'audio-delay'), ms. */
  #deviceAudioDelayMs = 0;
  #statsTimer: NodeJS.Timeout | undefined;
  /** Decoded-frame buffers handed back (by the CLI path at once, by the app's link as 'spent'), for every stream's decoder. */
  readonly #frames = new FramePool();

  constructor(opts: VideoEngineOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(streamId: string): boolean {
    return this.#entries.has(streamId);
  }

  async create(streamId: string, spec: VideoSpec): Promise<{ localPort: number; ssrc: number }> {
    if (this.#entries.has(streamId)) throw new TypeError(`streamId: ${JSON.stringify(streamId)} already exists`);
    // Open the source and the sink first: a file that cannot be read is the caller's mistake, said before any port is taken.
    let source: VideoFrameSource | undefined;
    let format = spec.format;
    if (spec.source.kind === 'testsrc') source = new TestPattern(format.width, format.height);
    else if (spec.source.kind === 'y4m') {
      const y4m = new Y4mSource(spec.source.path, { loop: spec.source.loop ?? true });
      // The file's own size, unless it is more than the call may send (max-fs): then scaled down.
      source = macroblocks(y4m) <= macroblocks(format) ? y4m : new ScaledSource(y4m, format.width, format.height);
      format = { ...format, width: source.width, height: source.height, fps: y4m.fps };
    }
    const recorder = spec.sink.kind === 'file' ? new VideoRecorder(spec.sink.path, spec.codec.name) : undefined;
    const srtp: SrtpLike[] = [];
    try {
      let srtpPair: { outbound: SrtpLike; inbound: SrtpLike } | undefined;
      if (spec.srtp) {
        const native = await this.#opts.native();
        const outbound = native.createSrtp({ suite: spec.srtp.suite, key: spec.srtp.localKey, direction: 'outbound' });
        srtp.push(outbound);
        const inbound = native.createSrtp({ suite: spec.srtp.suite, key: spec.srtp.remoteKey, direction: 'inbound' });
        srtp.push(inbound);
        srtpPair = { outbound, inbound };
      }
      if (spec.localPort) await this.#opts.takeReservation(spec.localPort);
      const deviceSink = spec.sink.kind === 'device';
      const stream = await VideoStream.start({
        localAddress: spec.localAddress,
        ...(spec.localPort ? { localPort: spec.localPort } : {}),
        remote: spec.remote,
        rtcpMux: spec.rtcpMux ?? false,
        codec: spec.codec,
        ...(spec.source.kind !== 'none' ? { send: { width: format.width, height: format.height, fps: format.fps, bitrateKbps: format.bitrateKbps } } : {}),
        direction: directionOf(spec.direction),
        ...(spec.ssrc !== undefined ? { ssrc: spec.ssrc } : {}),
        ...(spec.firstSeq !== undefined ? { firstSeq: spec.firstSeq } : {}),
        ...(spec.feedback ? { feedback: spec.feedback } : {}),
        ...(spec.remoteMaxBitrateKbps !== undefined ? { remoteMaxBitrateKbps: spec.remoteMaxBitrateKbps } : {}),
        ...(srtpPair ? { srtp: srtpPair } : {}),
        ...(recorder ? { onEncodedFrame: (f) => recorder.write(f) } : {}),
        frames: this.#frames,
        onFrame: (picture, info) => {
          recorder?.setSize(picture.width, picture.height);
          if (deviceSink) this.#show(streamId, info.timestamp, { video: 'frame', callId: spec.label, width: picture.width, height: picture.height, data: picture.data });
          else this.#frames.give(picture.data);
        },
        onWarning: (message) => this.#opts.onWarning(streamId, message),
      });
      const entry: Entry = {
        stream,
        spec,
        camera: spec.camera ?? true,
        recorder,
        srtp,
        cameraPace: { credit: 1, at: performance.now() },
        held: [],
        last: { at: performance.now(), framesSent: 0, bytesSent: 0, framesDecoded: 0, bytesReceived: 0 },
      };
      if (source) {
        entry.source = source;
        entry.timer = setInterval(() => this.#pump(entry), 1000 / format.fps);
      }
      this.#entries.set(streamId, entry);
      this.#statsTimer ??= setInterval(() => this.#report(), STATS_MS);
      return { localPort: stream.localPort, ssrc: stream.ssrc };
    } catch (err) {
      source?.close();
      recorder?.close();
      for (const s of srtp) s.close();
      throw err;
    }
  }

  /** A file source's next frame, while the camera is on. */
  #pump(e: Entry): void {
    if (!e.camera || !e.source) return;
    const frame = e.source.next();
    if (!frame) {
      clearInterval(e.timer);
      e.timer = undefined;
      return;
    }
    e.stream.pushFrame(frame);
  }

  setDirection(streamId: string, direction: MediaDirection): void {
    this.#entry(streamId).stream.setDirection(directionOf(direction));
  }

  /** Lip sync with another audio stream from now on. */
  syncWith(streamId: string, audioStreamId: string): void {
    const e = this.#entry(streamId);
    e.spec = { ...e.spec, syncAudio: audioStreamId };
  }

  setCamera(streamId: string, on: boolean): void {
    const e = this.#entry(streamId);
    if (on && !e.camera) e.stream.sendKeyFrame();
    e.camera = on;
  }

  /** Stops a stream; says the sequence number its next packet would have had (null: no such stream). */
  async stop(streamId: string): Promise<{ nextSeq: number } | null> {
    const e = this.#entries.get(streamId);
    if (!e) return null;
    this.#entries.delete(streamId);
    if (e.timer) clearInterval(e.timer);
    if (e.holdTimer) clearTimeout(e.holdTimer);
    for (const h of e.held.splice(0)) if ('data' in h.message) this.#frames.give(h.message.data);
    e.source?.close();
    await e.stream.stop();
    e.recorder?.close();
    for (const s of e.srtp ?? []) s.close();
    if (e.spec.sink.kind === 'device') this.#toDevice({ video: 'ended', callId: e.spec.label });
    if (this.#entries.size === 0) this.#frames.clear();
    if (this.#entries.size === 0 && this.#statsTimer) {
      clearInterval(this.#statsTimer);
      this.#statsTimer = undefined;
    }
    return { nextSeq: e.stream.nextSeq };
  }

  stats(streamId: string): VideoStatsEvent {
    const e = this.#entry(streamId);
    return { streamId, codec: e.spec.codec.name, stats: { ...e.stream.stats }, ...(e.syncOffsetMs !== undefined ? { syncOffsetMs: e.syncOffsetMs } : {}) };
  }

  /** The app's device link (the same port as the audio's): camera frames come on it, decoded frames go out. */
  attachDevice(port: BridgeMessagePort): void {
    this.#device = port;
    this.#deviceAudioDelayMs = 0;
    const onValue = (value: unknown): void => {
      if (this.#device !== port || value instanceof Int16Array) return;
      const m = readVideoLinkMessage(value instanceof Object && 'data' in value && !('video' in value) ? (value as { data: unknown }).data : value);
      if (m?.video === 'camera') this.#camera(m.data, m.width, m.height);
      else if (m?.video === 'audio-delay') this.#deviceAudioDelayMs = m.ms;
      else if (m?.video === 'spent' && this.#entries.size > 0) this.#frames.give(m.data);
    };
    if (typeof port.addEventListener === 'function') port.addEventListener('message', (e) => onValue((e as { data?: unknown }).data));
    else port.on?.('message', onValue);
  }

  detachDevice(): void {
    this.#device = undefined;
    this.#deviceAudioDelayMs = 0;
  }

  #camera(data: Uint8Array, width: number, height: number): void {
    const now = performance.now();
    /** This frame scaled down, per size asked for (a conference's streams may want different ones). */
    const scaled = new Map<string, Uint8Array>();
    for (const e of this.#entries.values()) {
      if (e.spec.source.kind !== 'device' || !e.camera) continue;
      const pace = e.cameraPace;
      pace.credit = Math.min(2, pace.credit + ((now - pace.at) * e.spec.format.fps) / 1000);
      pace.at = now;
      if (pace.credit < 1) continue;
      pace.credit -= 1;
      if (data.byteLength !== i420Bytes(width, height)) continue;
      const frame = this.#fitted(e.spec.format, data, width, height, scaled);
      const settings = e.stream.encoderSettings;
      if (settings && (settings.width !== frame.width || settings.height !== frame.height)) e.stream.configure({ width: frame.width, height: frame.height });
      e.stream.pushFrame(frame.data, now);
    }
  }

  /**
   * A camera frame within the stream's format: as it is when it fits (its macroblocks no more than
   * the format's), else scaled down to the format, which respects the other side's max-fs
   * (RFC 7741 §6.1, RFC 6184 §8.1: a sender must not exceed it).
   */
  #fitted(format: VideoSpec['format'], data: Uint8Array, width: number, height: number, scaled: Map<string, Uint8Array>): { data: Uint8Array; width: number; height: number } {
    if (macroblocks({ width, height }) <= macroblocks(format)) return { data, width, height };
    const key = `${format.width}x${format.height}`;
    let out = scaled.get(key);
    if (!out) {
      out = new Uint8Array(i420Bytes(format.width, format.height));
      scaleI420(data, width, height, out, format.width, format.height);
      scaled.set(key, out);
    }
    return { data: out, width: format.width, height: format.height };
  }

  /**
   * Lip sync (RFC 3550 §6.4.1): a decoded frame whose capture time, by the video's SR, is ahead
   * of the audio now playing, by the audio's SR, waits that long (at most MAX_HOLD_MS, at most
   * MAX_HELD frames); one that is behind is shown at once. The audio handed to the device now
   * reaches its speaker `audio-delay` ms later, so a picture waits that much longer too.
   */
  #show(streamId: string, timestamp: number, message: VideoLinkMessage): void {
    const e = this.#entries.get(streamId);
    const audio = e?.spec.syncAudio ? this.#opts.audioPlayout?.(e.spec.syncAudio) : undefined;
    const video = e?.stream.senderTimeOf(timestamp);
    if (!e || audio === undefined || video === undefined) return this.#toDevice(message);
    const ahead = video - audio + this.#deviceAudioDelayMs;
    e.syncOffsetMs = Math.round(ahead);
    if (ahead <= 1 || ahead > MAX_HOLD_MS) {
      if (e.held.length === 0) return this.#toDevice(message);
      e.held.push({ due: 0, message });
    } else e.held.push({ due: performance.now() + ahead, message });
    while (e.held.length > MAX_HELD) this.#toDevice(e.held.shift()!.message);
    this.#releaseHeld(e);
  }

  #releaseHeld(e: Entry): void {
    if (e.holdTimer) clearTimeout(e.holdTimer);
    e.holdTimer = undefined;
    const now = performance.now();
    while (e.held.length > 0 && e.held[0].due <= now) this.#toDevice(e.held.shift()!.message);
    if (e.held.length > 0) e.holdTimer = setTimeout(() => this.#releaseHeld(e), Math.max(1, e.held[0].due - now));
  }

  #toDevice(message: VideoLinkMessage): void {
    const port = this.#device;
    if (!port) {
      if ('data' in message) this.#frames.give(message.data);
      return;
    }
    try {
      if ('data' in message) {
        // A decoded frame's buffer is its own: it moves to the link rather than being copied, and
        // comes back as 'spent' once the link has sent it on.
        const d = message.data;
        const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer;
        const data = own ? d : d.slice();
        port.postMessage({ ...message, data }, [data.buffer as ArrayBuffer]);
      } else port.postMessage(message);
    } catch {
      // The link closed under us: frames go nowhere until another is attached.
    }
  }

  #report(): void {
    const now = performance.now();
    for (const [streamId, e] of this.#entries) {
      const s = e.stream.stats;
      const secs = Math.max(0.001, (now - e.last.at) / 1000);
      const rates: VideoRates = {};
      const settings = e.stream.encoderSettings;
      if (settings && s.framesSent > 0) {
        rates.sent = { width: settings.width, height: settings.height, fps: round1((s.framesSent - e.last.framesSent) / secs), bitrateKbps: Math.round(((s.bytesSent - e.last.bytesSent) * 8) / secs / 1000) };
      }
      if (s.framesDecoded > 0 && s.width !== undefined && s.height !== undefined) {
        rates.received = { width: s.width, height: s.height, fps: round1((s.framesDecoded - e.last.framesDecoded) / secs), bitrateKbps: Math.round(((s.bytesReceived - e.last.bytesReceived) * 8) / secs / 1000) };
      }
      e.last = { at: now, framesSent: s.framesSent, bytesSent: s.bytesSent, framesDecoded: s.framesDecoded, bytesReceived: s.bytesReceived };
      try {
        this.#opts.onStats({ streamId, codec: e.spec.codec.name, stats: { ...s }, ...rates, ...(e.syncOffsetMs !== undefined ? { syncOffsetMs: e.syncOffsetMs } : {}) });
      } catch {
        // The host's sink must not stop the reports.
      }
    }
  }

  #entry(streamId: string): Entry {
    const e = this.#entries.get(streamId);
    if (!e) throw new RangeError(`streamId: no video stream ${JSON.stringify(streamId)}`);
    return e;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((id) => this.stop(id).catch(() => undefined)));
    this.#device = undefined;
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
