/**
 * The device link's video messages on a WebSocket (the loopback bridge, main/bridge/ws-bridge.ts,
 * and its page side, renderer/src/bridge-client.ts): a message is its JSON without `data` as a text
 * frame, then, for the kinds that carry a frame ('camera', 'frame'), `data` as the very next
 * binary frame. Both sides write and read it with this file, so the framing is written once.
 *
 * A reader keeps at most one header waiting for its bytes: a newer header replaces it (its bytes
 * never came). What it puts together is checked by `readVideoLinkMessage`; a bad message is
 * dropped whole, its bytes included, and changes nothing. Pure: no Node, no DOM.
 */
import { readVideoLinkMessage, type VideoLinkHeader, type VideoLinkMessage } from './video.ts';

type Kind = VideoLinkMessage['video'];

/** The kinds whose `data` follows the header as a binary frame. */
const WITH_DATA: ReadonlySet<string> = new Set<Kind>(['camera', 'frame']);

/** What a side may receive: the page takes 'frame' and 'ended', the engine 'camera', 'camera-off' and 'audio-delay'. */
export const FROM_PAGE: ReadonlySet<Kind> = new Set<Kind>(['camera', 'camera-off', 'audio-delay']);
export const FROM_ENGINE: ReadonlySet<Kind> = new Set<Kind>(['frame', 'ended']);

/** A message as the socket sends it: the header's JSON text, then the bytes if it has any. */
export function videoWireFrames(msg: VideoLinkMessage): { header: string; data?: Uint8Array } {
  if (!('data' in msg)) return { header: JSON.stringify(msg) };
  const { data, ...header } = msg;
  return { header: JSON.stringify(header satisfies VideoLinkHeader), data };
}

/** A parsed text frame that is a video header (any `video` string; the reader decides the rest). */
export function isVideoHeader(value: unknown): value is { video: string } {
  return typeof value === 'object' && value !== null && typeof (value as { video?: unknown }).video === 'string';
}

export class VideoWireReader {
  readonly #accept: ReadonlySet<Kind>;
  /** The header whose bytes come next: at most one. */
  #pending: Record<string, unknown> | undefined;

  /** `accept`: the kinds this side takes (FROM_PAGE on the engine's side, FROM_ENGINE on the page's). */
  constructor(accept: ReadonlySet<Kind>) {
    this.#accept = accept;
  }

  /** A header's bytes are awaited: the next binary frame is video, not audio. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * A text frame that was a video header: the message when it is complete without bytes, else
   * nothing now (its bytes are awaited, or it was refused).
   */
  header(value: { video: string }): VideoLinkMessage | undefined {
    this.#pending = undefined;
    if (WITH_DATA.has(value.video)) {
      // Awaited whatever its fields: the bytes that follow are consumed even if the header is bad.
      this.#pending = value as Record<string, unknown>;
      return undefined;
    }
    return this.#check(value);
  }

  /**
   * The binary frame after a header (call only when `pending`): the whole message, checked, or
   * undefined when it is not one this side takes.
   */
  bytes(data: Uint8Array): VideoLinkMessage | undefined {
    const header = this.#pending;
    this.#pending = undefined;
    if (!header) return undefined;
    return this.#check({ ...header, data });
  }

  /** Forget a half-received message (the link ended). */
  reset(): void {
    this.#pending = undefined;
  }

  #check(value: unknown): VideoLinkMessage | undefined {
    const msg = readVideoLinkMessage(value);
    return msg && this.#accept.has(msg.video) ? msg : undefined;
  }
}
