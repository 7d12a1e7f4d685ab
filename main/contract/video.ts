/**
 * Video: the values every side shares (codecs, the resolutions a user picks, what each sends), and
 * the messages that carry camera and decoded frames over the device link, the same link as call
 * audio (a MessagePort in the app, the bridge's WebSocket in a browser).
 *
 * Frames are I420 (planar Y, then U and V at half width and height, no padding): what a camera's
 * VideoFrame gives with `copyTo({ format: 'I420' })` and what libvpx and OpenH264 take and give.
 * Nothing in this file needs Node or a DOM.
 */

/** Video codecs in the default order of preference: VP8 (RFC 7741), H.264 constrained baseline (RFC 6184). */
export const VIDEO_CODECS = ['vp8', 'h264'] as const;
export type VideoCodecName = (typeof VIDEO_CODECS)[number];

/** The camera resolutions Settings → Video offers (16:9). */
export const VIDEO_RESOLUTIONS = ['360p', '480p', '720p'] as const;
export type VideoResolution = (typeof VIDEO_RESOLUTIONS)[number];

/**
 * What each resolution captures and sends: width and height (multiples of 16, so that the codecs'
 * macroblocks fit), frames per second and the bit rate the encoder starts at (kbit/s).
 */
export const VIDEO_FORMATS: Readonly<Record<VideoResolution, { width: number; height: number; fps: number; bitrateKbps: number }>> = Object.freeze({
  '360p': { width: 640, height: 360, fps: 30, bitrateKbps: 600 },
  '480p': { width: 848, height: 480, fps: 30, bitrateKbps: 1000 },
  '720p': { width: 1280, height: 720, fps: 30, bitrateKbps: 1800 },
});

export const DEFAULT_VIDEO_RESOLUTION: VideoResolution = '480p';

/** The largest frame the link carries either way (1920×1088): a bigger one is dropped. */
export const VIDEO_MAX_WIDTH = 1920;
export const VIDEO_MAX_HEIGHT = 1088;

/** Bytes of an I420 frame of `width` × `height` (both even). */
export function i420Bytes(width: number, height: number): number {
  return width * height + 2 * ((width / 2) * (height / 2));
}

/** A frame size the link and the codecs take: even, 16 × 16 at least, VIDEO_MAX_* at most. */
export function isVideoSize(width: unknown, height: unknown): width is number {
  return (
    typeof width === 'number' &&
    typeof height === 'number' &&
    Number.isInteger(width) &&
    Number.isInteger(height) &&
    width % 2 === 0 &&
    height % 2 === 0 &&
    width >= 16 &&
    height >= 16 &&
    width <= VIDEO_MAX_WIDTH &&
    height <= VIDEO_MAX_HEIGHT
  );
}

/** The most audio delay a page may report (ms): the engine holds a picture at most 400 ms anyway. */
export const MAX_AUDIO_DELAY_MS = 1000;

/**
 * The video messages on the device link. Audio blocks stay bare Int16Arrays; video messages are
 * plain objects (a MessagePort transfers `data`'s buffer). On the bridge's WebSocket, a video
 * message is its JSON without `data` as a text frame, followed by `data` as the next binary frame.
 *
 * page → engine:
 *   camera       one camera frame; the engine sends it on the calls whose camera is on
 *   camera-off   the camera stopped (the calls keep their video streams and send nothing)
 *   audio-delay  how long the page holds call audio before the speaker plays it (its buffer and
 *                the output's latency, ms): the engine shows each picture that much later, so
 *                that lip sync (RFC 3550 §6.4.1) holds at the screen and speaker, not at the link
 * engine → page:
 *   frame        one decoded frame of a call's remote video
 *   ended        that call's remote video ended (stream stopped or video removed)
 * host → engine (inside the app's main process, never from a page):
 *   spent        a decoded frame's buffer, handed back once the page's link has sent or copied
 *                it: the engine's decoder writes a later frame into it instead of new memory
 */
export type VideoLinkMessage =
  | { video: 'camera'; width: number; height: number; data: Uint8Array }
  | { video: 'camera-off' }
  | { video: 'audio-delay'; ms: number }
  | { video: 'frame'; callId: string; width: number; height: number; data: Uint8Array }
  | { video: 'ended'; callId: string }
  | { video: 'spent'; data: Uint8Array };

/** The message's header: what the WebSocket sends as text before the binary `data`. */
export type VideoLinkHeader = { [K in VideoLinkMessage['video']]: Omit<Extract<VideoLinkMessage, { video: K }>, 'data'> }[VideoLinkMessage['video']];

/**
 * Checks a video message from the other side of the link (bad input changes nothing): undefined
 * when it is not one, or when a frame's size and bytes disagree.
 */
export function readVideoLinkMessage(value: unknown): VideoLinkMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.video) {
    case 'camera-off':
      return { video: 'camera-off' };
    case 'audio-delay':
      return typeof m.ms === 'number' && m.ms >= 0 && m.ms <= MAX_AUDIO_DELAY_MS ? { video: 'audio-delay', ms: m.ms } : undefined;
    case 'ended':
      return typeof m.callId === 'string' && m.callId.length <= 200 ? { video: 'ended', callId: m.callId } : undefined;
    case 'spent':
      return m.data instanceof Uint8Array && m.data.byteLength <= i420Bytes(VIDEO_MAX_WIDTH, VIDEO_MAX_HEIGHT) ? { video: 'spent', data: m.data } : undefined;
    case 'camera':
    case 'frame': {
      if (!isVideoSize(m.width, m.height) || !(m.data instanceof Uint8Array)) return undefined;
      const height = m.height as number;
      if (m.data.byteLength !== i420Bytes(m.width, height)) return undefined;
      if (m.video === 'camera') return { video: 'camera', width: m.width, height, data: m.data };
      return typeof m.callId === 'string' && m.callId.length <= 200 ? { video: 'frame', callId: m.callId, width: m.width, height, data: m.data } : undefined;
    }
    default:
      return undefined;
  }
}
