// The typed loader of Appel's video addon (native/build/Release/appel_video.node, built with the
// audio one by `npm run build:native`): VP8 through libvpx and H.264 constrained baseline through
// OpenH264, encode and decode. It loads on first use, so an audio-only engine never maps the
// video libraries.
//
// Frames are packed I420 (Y plane, then U, then V, no padding: width·height·3/2 bytes for even
// sizes), the layout of y4m files and of ffmpeg's rawvideo. Every argument is checked here and a
// bad one throws a TypeError naming it.
import { loadAddon } from './load-addon.ts';

export type VideoCodecName = 'vp8' | 'h264';

export interface VideoEncoderSettings {
  /** Even, 16..4096. */
  width: number;
  height: number;
  /** Frames per second, 1..120. */
  fps: number;
  /** Target bit rate, 30..20000 kbit/s. */
  bitrateKbps: number;
  /** Frames between key frames when none is asked for; 0 (default): only on demand. */
  keyFrameInterval?: number;
  /** H.264 only: largest NAL unit (packetization-mode 0, RFC 6184 §6.2); 0: one slice per picture. */
  maxNalBytes?: number;
}

export interface EncodedVideoFrame {
  /** VP8: one frame (RFC 7741 payload before its descriptor). H.264: one access unit, Annex B. */
  data: Uint8Array;
  keyFrame: boolean;
}

export interface I420Frame {
  width: number;
  height: number;
  data: Uint8Array;
}

export type VideoCodecErrorCode = 'bad-packet' | 'closed' | 'error';

/** A video codec call that failed on its data (not on a bad argument, which is a TypeError). */
export class VideoCodecError extends Error {
  readonly code: VideoCodecErrorCode;
  constructor(code: VideoCodecErrorCode, message: string) {
    super(message);
    this.name = 'VideoCodecError';
    this.code = code;
  }
}

interface NativeEncoder {
  encode(frame: Uint8Array, keyFrame: boolean): EncodedVideoFrame[];
  configure(settings: Partial<VideoEncoderSettings>): void;
  close(): void;
}

interface NativeDecoder {
  decode(frame: Uint8Array, into?: Uint8Array): I420Frame | null;
  close(): void;
}

interface VideoBinding {
  Vp8Encoder: new (settings: VideoEncoderSettings) => NativeEncoder;
  Vp8Decoder: new (options: object) => NativeDecoder;
  H264Encoder: new (settings: VideoEncoderSettings) => NativeEncoder;
  H264Decoder: new (options: object) => NativeDecoder;
  versions(): { vpx: string; openh264: string };
}

let binding: VideoBinding | undefined;
function video(): VideoBinding {
  binding ??= loadAddon<VideoBinding>('appel_video');
  return binding;
}

/** Bytes of a packed I420 frame. */
export function i420Size(width: number, height: number): number {
  return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
}

function fail(argument: string, expected: string, got: unknown): never {
  const shown = got instanceof Uint8Array ? `Uint8Array(${got.length})` : typeof got === 'object' ? String(got?.constructor?.name) : `${typeof got} ${String(got)}`;
  throw new TypeError(`${argument}: expected ${expected}, got ${shown}`);
}

function checkInt(argument: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(argument, `an integer in ${min}..${max}`, v);
  return v;
}

function checkSettings(s: Partial<VideoEncoderSettings>, all: boolean): Partial<VideoEncoderSettings> {
  if (typeof s !== 'object' || s === null) fail('settings', 'an object', s);
  const out: Partial<VideoEncoderSettings> = {};
  const even = (name: 'width' | 'height') => {
    const v = checkInt(`settings.${name}`, s[name], 16, 4096);
    if (v % 2 !== 0) fail(`settings.${name}`, 'an even number', v);
    return v;
  };
  if (all || s.width !== undefined) out.width = even('width');
  if (all || s.height !== undefined) out.height = even('height');
  if (all || s.fps !== undefined) {
    if (typeof s.fps !== 'number' || !(s.fps >= 1 && s.fps <= 120)) fail('settings.fps', 'a number in 1..120', s.fps);
    out.fps = s.fps;
  }
  if (all || s.bitrateKbps !== undefined) out.bitrateKbps = checkInt('settings.bitrateKbps', s.bitrateKbps, 30, 20000);
  if (s.keyFrameInterval !== undefined) out.keyFrameInterval = checkInt('settings.keyFrameInterval', s.keyFrameInterval, 0, 100000);
  if (s.maxNalBytes !== undefined) out.maxNalBytes = checkInt('settings.maxNalBytes', s.maxNalBytes, 0, 65535);
  return out;
}

function toVideoError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'bad-packet' || code === 'closed' || code === 'error') return new VideoCodecError(code, (err as Error).message);
  return err;
}

/** Encodes I420 frames; bit rate, frame rate and size can change while it runs; key frames on demand. */
export class VideoEncoder {
  readonly codec: VideoCodecName;
  #settings: VideoEncoderSettings;
  readonly #handle: NativeEncoder;
  #keyFrameAsked = false;
  #closed = false;

  constructor(codec: VideoCodecName, settings: VideoEncoderSettings) {
    if (codec !== 'vp8' && codec !== 'h264') fail('codec', "'vp8' or 'h264'", codec);
    this.codec = codec;
    this.#settings = { keyFrameInterval: 0, maxNalBytes: 0, ...(checkSettings(settings, true) as VideoEncoderSettings) };
    const Encoder = codec === 'vp8' ? video().Vp8Encoder : video().H264Encoder;
    try {
      this.#handle = new Encoder(this.#settings);
    } catch (err) {
      throw toVideoError(err);
    }
  }

  get settings(): Readonly<VideoEncoderSettings> {
    return this.#settings;
  }

  /** The next frame out is a key frame (the peer asked: RFC 4585 PLI, RFC 5104 FIR). */
  requestKeyFrame(): void {
    this.#keyFrameAsked = true;
  }

  /** One frame in; usually one encoded frame out (none when the rate control skips it). */
  encode(frame: Uint8Array): EncodedVideoFrame[] {
    const size = i420Size(this.#settings.width, this.#settings.height);
    if (!(frame instanceof Uint8Array) || frame.length !== size) fail('frame', `${size} bytes of I420 ${this.#settings.width}x${this.#settings.height}`, frame);
    const key = this.#keyFrameAsked;
    this.#keyFrameAsked = false;
    try {
      return this.#handle.encode(frame, key);
    } catch (err) {
      throw toVideoError(err);
    }
  }

  /** Changes bit rate, frame rate or size; a new size restarts the encoder (key frame next). */
  configure(changes: Partial<Pick<VideoEncoderSettings, 'width' | 'height' | 'fps' | 'bitrateKbps'>>): void {
    const checked = checkSettings(changes, false);
    try {
      this.#handle.configure(checked);
    } catch (err) {
      throw toVideoError(err);
    }
    this.#settings = { ...this.#settings, ...checked };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }
}

/** Decodes VP8 frames or H.264 access units to I420; null while a frame is still incomplete. */
export class VideoDecoder {
  readonly codec: VideoCodecName;
  readonly #handle: NativeDecoder;
  #closed = false;

  constructor(codec: VideoCodecName) {
    if (codec !== 'vp8' && codec !== 'h264') fail('codec', "'vp8' or 'h264'", codec);
    this.codec = codec;
    const Decoder = codec === 'vp8' ? video().Vp8Decoder : video().H264Decoder;
    try {
      this.#handle = new Decoder({});
    } catch (err) {
      throw toVideoError(err);
    }
  }

  /**
   * A frame that cannot be decoded (it refers to a lost one) throws VideoCodecError('bad-packet').
   * The picture is written into `into` when that is exactly its size (a buffer handed back from an
   * earlier frame: no new memory to zero and fault in), else into a new buffer.
   */
  decode(frame: Uint8Array, into?: Uint8Array): I420Frame | null {
    if (!(frame instanceof Uint8Array)) fail('frame', 'a Uint8Array', frame);
    if (into !== undefined && !(into instanceof Uint8Array)) fail('into', 'a Uint8Array', into);
    try {
      return this.#handle.decode(frame, into);
    } catch (err) {
      throw toVideoError(err);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }
}

/** libvpx's and OpenH264's versions. */
export function videoVersions(): { vpx: string; openh264: string } {
  return video().versions();
}
