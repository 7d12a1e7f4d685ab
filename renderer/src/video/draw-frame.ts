/**
 * A decoded frame of the remote video on a canvas: the I420 bytes wrapped in a WebCodecs
 * VideoFrame (WebCodecs §9.4, `VideoFrame(data, init)`), drawn, and closed at once so the
 * browser's frame memory is released. The canvas takes the frame's size; CSS scales it.
 */
import type { VideoLinkMessage } from '../../../main/contract/video.ts';

type Frame = Extract<VideoLinkMessage, { video: 'frame' }>;

type VideoFrameCtor = new (data: BufferSource, init: { format: 'I420'; codedWidth: number; codedHeight: number; timestamp: number }) => CanvasImageSource & { close(): void };

/** Draws `frame` on `canvas`; false when this page cannot (no 2D context or no WebCodecs). */
export function drawFrame(canvas: HTMLCanvasElement, frame: Frame, Ctor = (globalThis as { VideoFrame?: VideoFrameCtor }).VideoFrame): boolean {
  const ctx = canvas.getContext('2d');
  if (!ctx || !Ctor) return false;
  if (canvas.width !== frame.width) canvas.width = frame.width;
  if (canvas.height !== frame.height) canvas.height = frame.height;
  const picture = new Ctor(frame.data as Uint8Array<ArrayBuffer>, { format: 'I420', codedWidth: frame.width, codedHeight: frame.height, timestamp: 0 });
  try {
    ctx.drawImage(picture, 0, 0);
  } finally {
    picture.close();
  }
  return true;
}
