/**
 * Stand-ins for a camera: a stream whose one video track gives frames a test pushes, shaped like
 * the parts CameraCapture reads (format, visible size, copyTo, timestamp, close).
 */
import type { CameraCaptureDeps, CameraFrame } from '../../../../renderer/src/video/camera-capture.ts';

export class FakeVideoTrack {
  readonly kind = 'video';
  readyState: 'live' | 'ended' = 'live';
  readonly deviceId: string;
  constructor(deviceId: string) {
    this.deviceId = deviceId;
  }
  stop(): void {
    this.readyState = 'ended';
  }
}

export class FakeVideoStream {
  readonly tracks: FakeVideoTrack[];
  constructor(deviceId: string) {
    this.tracks = [new FakeVideoTrack(deviceId)];
  }
  getVideoTracks(): FakeVideoTrack[] {
    return this.tracks;
  }
  getTracks(): FakeVideoTrack[] {
    return this.tracks;
  }
}

// A MediaStream to the page (a <video>'s srcObject takes nothing else), with our own tracks.
if (typeof MediaStream === 'function') Object.setPrototypeOf(FakeVideoStream.prototype, MediaStream.prototype);

/** An I420 (or NV12) frame of `width` × `height` whose planes hold `y`, `u`, `v`. */
export function fakeFrame(opts: { width: number; height: number; timestamp: number; format?: 'I420' | 'NV12' | 'WEIRD'; y?: number; u?: number; v?: number }): CameraFrame & { closed: boolean } {
  const { width, height } = opts;
  const luma = width * height;
  const frame = {
    format: opts.format ?? 'I420',
    visibleRect: { width, height },
    displayWidth: width,
    displayHeight: height,
    timestamp: opts.timestamp,
    closed: false,
    async copyTo(dest: Uint8Array, o?: { layout?: Array<{ offset: number; stride: number }> }) {
      const layout = o?.layout ?? [];
      dest.fill(opts.y ?? 0, layout[0]?.offset ?? 0, (layout[0]?.offset ?? 0) + luma);
      if (frame.format === 'NV12') {
        for (let i = 0; i < luma / 4; i++) {
          dest[layout[1].offset + 2 * i] = opts.u ?? 0;
          dest[layout[1].offset + 2 * i + 1] = opts.v ?? 0;
        }
      } else {
        dest.fill(opts.u ?? 0, layout[1].offset, layout[1].offset + luma / 4);
        dest.fill(opts.v ?? 0, layout[2].offset, layout[2].offset + luma / 4);
      }
      return layout;
    },
    close() {
      frame.closed = true;
    },
  };
  return frame as unknown as CameraFrame & { closed: boolean };
}

export interface FakeCamera {
  deps: CameraCaptureDeps;
  /** Every getUserMedia video constraint, in order. */
  asked: MediaTrackConstraints[];
  streams: FakeVideoStream[];
  cameras: Set<string>;
  refuseNext?: { name: string; message: string };
  /** Pushes a frame into the open track's processor. */
  push(frame: CameraFrame): void;
  /** Frames pushed, for their `closed`. */
  pushed: Array<CameraFrame & { closed?: boolean }>;
}

export function fakeCamera(): FakeCamera {
  let controller: ReadableStreamDefaultController<CameraFrame> | undefined;
  const f: FakeCamera = {
    asked: [],
    streams: [],
    pushed: [],
    cameras: new Set(['cam-a']),
    push(frame) {
      f.pushed.push(frame);
      controller?.enqueue(frame);
    },
    deps: {
      getUserMedia: async (constraints) => {
        const video = constraints.video as MediaTrackConstraints;
        f.asked.push(video);
        if (f.refuseNext) {
          const e = f.refuseNext;
          f.refuseNext = undefined;
          throw Object.assign(new Error(e.message), { name: e.name });
        }
        const exact = (video.deviceId as { exact?: string } | undefined)?.exact;
        if (exact && !f.cameras.has(exact)) throw Object.assign(new Error('no such device'), { name: 'OverconstrainedError' });
        const s = new FakeVideoStream(exact ?? 'default');
        f.streams.push(s);
        return s as unknown as MediaStream;
      },
      frames: () =>
        new ReadableStream<CameraFrame>(
          {
            start(c) {
              controller = c;
            },
          },
          { highWaterMark: 1000 },
        ),
      createVideo: () => {
        throw new Error('the fake camera has a processor');
      },
      // The page's own pump (frame-pump.ts): the worker's is the same loop, in a worker.
      createWorker: () => undefined,
    },
  };
  return f;
}
