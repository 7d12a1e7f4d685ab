/**
 * The camera on this page: opened with getUserMedia as Settings → Video says (device, and the
 * VIDEO_FORMATS size and rate of the chosen resolution), shown by whoever wants its `stream` (the
 * self-view, the settings preview), and, while a sink is given, its frames sent as the link's
 * `{ video: 'camera', width, height, data }` messages: I420 at exactly the format's size, at most
 * its frame rate, each frame copied once into the buffer that travels (i420.ts).
 *
 * Frames come from a MediaStreamTrackProcessor (it keeps one frame waiting, so a slow conversion
 * skips frames instead of queueing them); without one, a <video> element is drawn on a canvas at
 * the frame rate. Failures are kept in `problem` as an i18n key (`video.problem.*`), never thrown.
 */
import { ref, shallowRef } from 'vue';
import { VIDEO_FORMATS, type VideoLinkMessage, type VideoResolution } from '../../../main/contract/video.ts';
import { CanvasScaler, frameToI420, type FrameLike } from './i420.ts';

export interface CameraSettings {
  /** A device id ('default': the system's). */
  cameraId: string;
  resolution: VideoResolution;
}

export type CameraProblemKey = 'permission' | 'noCamera' | 'busy' | 'unsupported' | 'failed';
export interface CameraProblem {
  key: CameraProblemKey;
  reason?: string;
}

/** A frame as the processor gives it: what i420.ts reads, a timestamp (µs), and close(). */
export type CameraFrame = FrameLike & CanvasImageSource & { readonly timestamp: number; close(): void };

/** Where camera messages go (CallAudio.sendVideo): false when the link is down. */
export type CameraSink = (message: VideoLinkMessage) => boolean;

export interface CameraCaptureDeps {
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  /** The track's frames (MediaStreamTrackProcessor), or undefined where the browser has none. */
  frames?: (track: MediaStreamTrack) => ReadableStream<CameraFrame> | undefined;
  /** The fallback's picture source: a playing <video> of the stream. */
  createVideo?: (stream: MediaStream) => HTMLVideoElement;
}

type ProcessorCtor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => { readable: ReadableStream<CameraFrame> };

function processorFrames(track: MediaStreamTrack): ReadableStream<CameraFrame> | undefined {
  const Processor = (globalThis as { MediaStreamTrackProcessor?: ProcessorCtor }).MediaStreamTrackProcessor;
  return Processor ? new Processor({ track, maxBufferSize: 1 }).readable : undefined;
}

function playingVideo(stream: MediaStream): HTMLVideoElement {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  void video.play().catch(() => undefined);
  return video;
}

/**
 * Frame pacing: at most `fps` a second. A frame is taken when it is due (a quarter of a period
 * early is still due, so camera jitter does not halve the rate); the next is due one period later.
 */
export class FramePacer {
  readonly #period: number;
  #due = -Infinity;

  /** `fps` frames a second; timestamps in µs. */
  constructor(fps: number) {
    this.#period = 1_000_000 / fps;
  }

  take(timestamp: number): boolean {
    if (timestamp < this.#due - this.#period / 4) return false;
    // After a gap, the cadence starts again from this frame rather than catching up.
    this.#due = timestamp > this.#due + this.#period ? timestamp + this.#period : this.#due + this.#period;
    return true;
  }
}

export class CameraCapture {
  /** The open camera (for a <video> to show), undefined while closed. */
  readonly stream = shallowRef<MediaStream>();
  readonly problem = ref<CameraProblem>();
  /** Frames sent since the camera opened. */
  readonly framesSent = ref(0);

  readonly #deps: Required<CameraCaptureDeps>;
  #settings: CameraSettings | undefined;
  #sink: CameraSink | undefined;
  /** Bumped by every open/close/send change: a loop or an open of an older generation stops. */
  #generation = 0;
  #opening: Promise<void> | undefined;
  /** The stream a pump reads now: one reader per track at a time. */
  #pumping: MediaStream | undefined;

  constructor(deps: CameraCaptureDeps = {}) {
    this.#deps = {
      getUserMedia: deps.getUserMedia ?? ((c) => navigator.mediaDevices.getUserMedia(c)),
      frames: deps.frames ?? processorFrames,
      createVideo: deps.createVideo ?? playingVideo,
    };
  }

  get settings(): CameraSettings | undefined {
    return this.#settings;
  }

  /** Opens the camera with these settings (again if they changed). Failures land in `problem`. */
  async open(settings: CameraSettings): Promise<void> {
    if (this.stream.value && this.#settings?.cameraId === settings.cameraId && this.#settings.resolution === settings.resolution) return;
    if (this.#opening && this.#settings?.cameraId === settings.cameraId && this.#settings.resolution === settings.resolution) return this.#opening;
    this.#release();
    this.#settings = { ...settings };
    const generation = ++this.#generation;
    this.#opening = this.#acquire(settings, generation).finally(() => {
      if (this.#generation === generation) this.#opening = undefined;
    });
    return this.#opening;
  }

  /** Frames go to `sink` (undefined: they stop), from now on while the camera is open. */
  send(sink: CameraSink | undefined): void {
    if (this.#sink === sink) return;
    this.#sink = sink;
    const stream = this.stream.value;
    if (sink && stream) this.#startPump(stream, this.#generation);
  }

  #startPump(stream: MediaStream, generation: number): void {
    if (this.#pumping === stream) return;
    this.#pumping = stream;
    void this.#pump(stream, generation).finally(() => {
      if (this.#pumping === stream) this.#pumping = undefined;
      // The sink came back while the last read was still pending: go on with it.
      const track = stream.getVideoTracks()[0];
      if (this.#sink && this.stream.value === stream && this.#generation === generation && track?.readyState === 'live') this.#startPump(stream, generation);
    });
  }

  get sending(): boolean {
    return this.#sink !== undefined;
  }

  /** Camera off: tracks stopped, frames stopped. */
  close(): void {
    this.#generation++;
    this.#opening = undefined;
    this.#settings = undefined;
    this.#release();
  }

  #release(): void {
    this.stream.value?.getTracks().forEach((t) => t.stop());
    this.stream.value = undefined;
  }

  async #acquire(settings: CameraSettings, generation: number): Promise<void> {
    const format = VIDEO_FORMATS[settings.resolution];
    const video = (deviceId?: string): MediaTrackConstraints =>
      ({
        ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
        width: { ideal: format.width },
        height: { ideal: format.height },
        frameRate: { ideal: format.fps, max: format.fps },
        // Chrome scales (and crops) to the size asked: frames then need no canvas.
        resizeMode: 'crop-and-scale',
      }) as MediaTrackConstraints;
    const wanted = settings.cameraId && settings.cameraId !== 'default' ? settings.cameraId : undefined;
    let stream: MediaStream;
    try {
      try {
        stream = await this.#deps.getUserMedia({ video: video(wanted), audio: false });
      } catch (err) {
        // The chosen camera is gone: the system's default rather than none.
        if (!wanted || !['OverconstrainedError', 'NotFoundError'].includes(nameOf(err))) throw err;
        stream = await this.#deps.getUserMedia({ video: video(), audio: false });
      }
    } catch (err) {
      if (this.#generation === generation) this.problem.value = cameraProblemOf(err);
      return;
    }
    if (this.#generation !== generation) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.problem.value = undefined;
    this.framesSent.value = 0;
    this.stream.value = stream;
    if (this.#sink) this.#startPump(stream, generation);
  }

  /** Reads, converts and sends frames while this stream is the open one and a sink is set. */
  async #pump(stream: MediaStream, generation: number): Promise<void> {
    const track = stream.getVideoTracks()[0];
    const settings = this.#settings;
    if (!track || !settings) return;
    const { width, height, fps } = VIDEO_FORMATS[settings.resolution];
    const live = () => this.#generation === generation && this.#sink !== undefined && this.stream.value === stream;
    const emit = (data: Uint8Array | undefined) => {
      if (!data || !live()) return;
      if (this.#sink?.({ video: 'camera', width, height, data })) this.framesSent.value++;
    };
    const scaler = new CanvasScaler();
    const readable = this.#deps.frames(track);
    if (!readable) return this.#pumpVideo(stream, generation, live, () => emit(this.#fromVideo(scaler, stream, width, height)), fps);
    const reader = readable.getReader();
    const pacer = new FramePacer(fps);
    try {
      while (live()) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        try {
          if (!live() || !pacer.take(frame.timestamp)) continue;
          emit((await frameToI420(frame, width, height)) ?? scaler.scale(frame, frame.displayWidth, frame.displayHeight, width, height));
        } finally {
          frame.close();
        }
      }
    } catch {
      // The track ended under us: nothing more to send.
    } finally {
      void reader.cancel().catch(() => undefined);
    }
  }

  #videos = new WeakMap<MediaStream, HTMLVideoElement>();

  #fromVideo(scaler: CanvasScaler, stream: MediaStream, width: number, height: number): Uint8Array | undefined {
    const video = this.#videos.get(stream);
    if (!video || video.readyState < 2) return undefined;
    return scaler.scale(video, video.videoWidth, video.videoHeight, width, height);
  }

  /** Without a processor: a <video> drawn at the frame rate. */
  async #pumpVideo(stream: MediaStream, generation: number, live: () => boolean, tick: () => void, fps: number): Promise<void> {
    if (!this.#videos.has(stream)) this.#videos.set(stream, this.#deps.createVideo(stream));
    while (live()) {
      tick();
      await new Promise((r) => setTimeout(r, 1000 / fps));
    }
    if (this.#generation !== generation || this.stream.value !== stream) {
      const video = this.#videos.get(stream);
      if (video) video.srcObject = null;
      this.#videos.delete(stream);
    }
  }
}

function nameOf(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

/** getUserMedia's DOMException names (Media Capture and Streams §9.2) in a person's terms. */
export function cameraProblemOf(err: unknown): CameraProblem {
  switch (nameOf(err)) {
    case 'NotAllowedError':
    case 'SecurityError':
      return { key: 'permission' };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { key: 'noCamera' };
    case 'NotReadableError':
    case 'AbortError':
      return { key: 'busy' };
    case 'NotSupportedError':
    case 'TypeError':
      return { key: 'unsupported' };
    default:
      return { key: 'failed', reason: (err as Error | undefined)?.message || String(err) };
  }
}
