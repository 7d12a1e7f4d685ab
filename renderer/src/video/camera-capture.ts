/**
 * The camera on this page: opened with getUserMedia as Settings → Video says (device, and the
 * VIDEO_FORMATS size and rate of the chosen resolution), shown by whoever wants its `stream` (the
 * self-view, the settings preview), and, while a sink is given, its frames sent as the link's
 * `{ video: 'camera', width, height, data }` messages: I420 at exactly the format's size, at most
 * its frame rate, each frame copied once into the buffer that travels (i420.ts).
 *
 * Frames come from a MediaStreamTrackProcessor (it keeps one frame waiting, so a slow conversion
 * skips frames instead of queueing them), converted in the camera worker (camera-worker.ts) so the
 * page's thread only passes the bytes on; where there is no worker, on the page (frame-pump.ts).
 * Without a processor, a <video> element is drawn on a canvas at the frame rate. Failures are
 * kept in `problem` as an i18n key (`video.problem.*`), never thrown.
 */
import { ref, shallowRef } from 'vue';
import { VIDEO_FORMATS, type VideoLinkMessage, type VideoResolution } from '../../../main/contract/video.ts';
import { CanvasScaler } from './i420.ts';
import { pumpFrames, type CameraFrame } from './frame-pump.ts';
import type { FromCameraWorker, ToCameraWorker } from './camera-worker.ts';

export { FramePacer, type CameraFrame } from './frame-pump.ts';

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

/** Where camera messages go (CallAudio.sendVideo): false when the link is down. */
export type CameraSink = (message: VideoLinkMessage) => boolean;

export interface CameraCaptureDeps {
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  /** The track's frames (MediaStreamTrackProcessor), or undefined where the browser has none. */
  frames?: (track: MediaStreamTrack) => ReadableStream<CameraFrame> | undefined;
  /** The fallback's picture source: a playing <video> of the stream. */
  createVideo?: (stream: MediaStream) => HTMLVideoElement;
  /** A camera worker for one pump (undefined: frames are converted on the page). */
  createWorker?: () => Worker | undefined;
}

type ProcessorCtor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => { readable: ReadableStream<CameraFrame> };

function processorFrames(track: MediaStreamTrack): ReadableStream<CameraFrame> | undefined {
  const Processor = (globalThis as { MediaStreamTrackProcessor?: ProcessorCtor }).MediaStreamTrackProcessor;
  return Processor ? new Processor({ track, maxBufferSize: 1 }).readable : undefined;
}

function cameraWorker(): Worker | undefined {
  if (typeof Worker !== 'function') return undefined;
  try {
    return new Worker(new URL('./camera-worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return undefined;
  }
}

function playingVideo(stream: MediaStream): HTMLVideoElement {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  void video.play().catch(() => undefined);
  return video;
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
  /** The worker of the pump running now (told to stop when frames are no longer wanted). */
  #worker: Worker | undefined;
  /** A worker failed to run here (a policy, a missing file): frames are converted on the page from then on. */
  #workerFailed = false;

  constructor(deps: CameraCaptureDeps = {}) {
    this.#deps = {
      getUserMedia: deps.getUserMedia ?? ((c) => navigator.mediaDevices.getUserMedia(c)),
      frames: deps.frames ?? processorFrames,
      createVideo: deps.createVideo ?? playingVideo,
      createWorker: deps.createWorker ?? cameraWorker,
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
    if (!sink) this.#stopWorker();
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
    this.#stopWorker();
    this.#generation++;
    this.#opening = undefined;
    this.#settings = undefined;
    this.#release();
  }

  #stopWorker(): void {
    this.#worker?.postMessage({ type: 'stop' } satisfies ToCameraWorker);
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
    const readable = this.#deps.frames(track);
    if (!readable) return this.#pumpVideo(stream, generation, live, () => emit(this.#fromVideo(new CanvasScaler(), stream, width, height)), fps);
    const worker = this.#workerFailed ? undefined : this.#deps.createWorker();
    if (!worker) return pumpFrames(readable.getReader(), { width, height, fps }, live, emit);
    // Off the page's thread: the worker converts, the page passes each frame on and asks for the next.
    this.#worker = worker;
    await new Promise<void>((done) => {
      worker.onmessage = (e: MessageEvent<FromCameraWorker>) => {
        if (e.data?.type === 'done') return done();
        if (e.data?.type !== 'frame') return;
        if (live()) emit(e.data.data);
        worker.postMessage({ type: live() ? 'next' : 'stop' } satisfies ToCameraWorker);
      };
      worker.onerror = () => {
        this.#workerFailed = true;
        done();
      };
      worker.postMessage({ type: 'start', readable, width, height, fps } satisfies ToCameraWorker, [readable as unknown as Transferable]);
    });
    if (this.#worker === worker) this.#worker = undefined;
    worker.terminate();
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
