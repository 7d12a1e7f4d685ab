/**
 * Where a call's video comes from when no camera sends it (the CLI, tests): a test pattern drawn
 * here, or the frames of a y4m file. Both give packed I420 frames (video.h's layout) of one size.
 *
 * The test pattern: eight vertical colour bars (white, yellow, cyan, green, magenta, red, blue,
 * black: 75 % bars, BT.601 studio range) over the top three quarters, and below them a dark
 * band with a white square that moves one step a frame, so that a receiver can tell a live
 * picture from a frozen one and check the colours.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { i420Bytes } from '../../contract/video.ts';
import { scaleI420 } from '../../contract/i420-scale.ts';

/** The bars' Y, U, V (BT.601, 75 % amplitude, studio range). */
export const TEST_PATTERN_BARS: ReadonlyArray<readonly [number, number, number]> = [
  [180, 128, 128], // white
  [162, 44, 142], // yellow
  [131, 156, 44], // cyan
  [112, 72, 58], // green
  [84, 184, 198], // magenta
  [65, 100, 212], // red
  [35, 212, 114], // blue
  [16, 128, 128], // black
];
const BAND_Y = 40;
const BOX_Y = 235;

export interface VideoFrameSource {
  readonly width: number;
  readonly height: number;
  /** The next frame (null: the source ended). The array may be reused by the next call. */
  next(): Uint8Array | null;
  close(): void;
}

/** 16 × 16 macroblocks of a picture: what max-fs counts (RFC 7741 §6.1, RFC 6184 §8.1). */
export function macroblocks(size: { width: number; height: number }): number {
  return Math.ceil(size.width / 16) * Math.ceil(size.height / 16);
}

/** Another source's frames scaled to `width` × `height` (centre-cropped to its aspect). */
export class ScaledSource implements VideoFrameSource {
  readonly width: number;
  readonly height: number;
  readonly #inner: VideoFrameSource;
  readonly #out: Uint8Array;

  constructor(inner: VideoFrameSource, width: number, height: number) {
    this.#inner = inner;
    this.width = width;
    this.height = height;
    this.#out = new Uint8Array(i420Bytes(width, height));
  }

  next(): Uint8Array | null {
    const frame = this.#inner.next();
    if (!frame) return null;
    scaleI420(frame, this.#inner.width, this.#inner.height, this.#out, this.width, this.height);
    return this.#out;
  }

  close(): void {
    this.#inner.close();
  }
}

/** The test pattern, `width` × `height` (even). */
export class TestPattern implements VideoFrameSource {
  readonly width: number;
  readonly height: number;
  readonly #base: Uint8Array;
  readonly #frame: Uint8Array;
  readonly #box: number;
  #n = 0;

  constructor(width: number, height: number) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 16 && height >= 16 && width % 2 === 0 && height % 2 === 0)) {
      throw new RangeError(`test pattern size: even and at least 16×16, not ${width}×${height}`);
    }
    this.width = width;
    this.height = height;
    this.#base = drawBars(width, height);
    this.#frame = new Uint8Array(this.#base.length);
    // An even size, so that the box covers whole chroma samples.
    this.#box = Math.max(2, Math.floor(height / 8) & ~1);
  }

  next(): Uint8Array {
    const { width, height } = this;
    this.#frame.set(this.#base);
    const band = Math.floor((height * 3) / 4) & ~1;
    const span = Math.max(1, width - this.#box);
    const x0 = ((this.#n * 4) % span) & ~1;
    const y0 = Math.min(height - this.#box, band + ((((height - band - this.#box) / 2) | 0) & ~1));
    for (let y = y0; y < y0 + this.#box; y++) this.#frame.fill(BOX_Y, y * width + x0, y * width + x0 + this.#box);
    this.#n++;
    return this.#frame;
  }

  close(): void {}
}

function drawBars(width: number, height: number): Uint8Array {
  const out = new Uint8Array(i420Bytes(width, height));
  const band = Math.floor((height * 3) / 4) & ~1;
  const cw = width / 2;
  const uAt = width * height;
  const vAt = uAt + cw * (height / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = y < band ? TEST_PATTERN_BARS[Math.floor((x * 8) / width)][0] : BAND_Y;
  }
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < cw; x++) {
      const bar = TEST_PATTERN_BARS[Math.floor((x * 2 * 8) / width)];
      out[uAt + y * cw + x] = y * 2 < band ? bar[1] : 128;
      out[vAt + y * cw + x] = y * 2 < band ? bar[2] : 128;
    }
  }
  return out;
}

/**
 * The frames of a YUV4MPEG2 (y4m) file in 4:2:0 (`C420`, `C420jpeg`, `C420paldv`, `C420mpeg2`, or
 * no C tag), read one at a time; `loop` starts again at the end. Throws a RangeError in words on a
 * file it cannot read.
 */
export class Y4mSource implements VideoFrameSource {
  readonly width: number;
  readonly height: number;
  /** Frames per second from the header's F tag (30 when absent). */
  readonly fps: number;
  readonly #fd: number;
  readonly #size: number;
  readonly #first: number;
  readonly #fileSize: number;
  readonly #frame: Uint8Array;
  readonly #loop: boolean;
  #at: number;

  constructor(path: string, options: { loop?: boolean } = {}) {
    this.#loop = options.loop ?? true;
    this.#fd = openSync(path, 'r');
    try {
      this.#fileSize = fstatSync(this.#fd).size;
      const head = Buffer.alloc(Math.min(512, this.#fileSize));
      readSync(this.#fd, head, 0, head.length, 0);
      const end = head.indexOf(0x0a);
      const line = head.subarray(0, end < 0 ? 0 : end).toString('latin1');
      if (end < 0 || !line.startsWith('YUV4MPEG2 ')) throw new RangeError(`${path}: not a y4m file (no YUV4MPEG2 header)`);
      const tags = new Map(line.split(' ').slice(1).map((t) => [t[0], t.slice(1)] as const));
      const width = Number(tags.get('W'));
      const height = Number(tags.get('H'));
      const colour = tags.get('C') ?? '420jpeg';
      if (!colour.startsWith('420')) throw new RangeError(`${path}: colour space C${colour} is not 4:2:0 (convert it: ffmpeg -i IN -pix_fmt yuv420p OUT.y4m)`);
      if (!(Number.isInteger(width) && Number.isInteger(height) && width % 2 === 0 && height % 2 === 0 && width >= 16 && height >= 16 && width <= 4096 && height <= 4096)) {
        throw new RangeError(`${path}: frame size ${tags.get('W')}×${tags.get('H')} is not even, 16 to 4096`);
      }
      const [num, den] = (tags.get('F') ?? '30:1').split(':').map(Number);
      this.fps = num > 0 && den > 0 ? Math.min(120, Math.max(1, num / den)) : 30;
      this.width = width;
      this.height = height;
      this.#size = i420Bytes(width, height);
      this.#first = end + 1;
      this.#at = this.#first;
      this.#frame = new Uint8Array(this.#size);
      if (this.#fileSize < this.#first + 6 + this.#size) throw new RangeError(`${path}: no whole frame in the file`);
    } catch (err) {
      closeSync(this.#fd);
      throw err;
    }
  }

  next(): Uint8Array | null {
    if (this.#at + 6 + this.#size > this.#fileSize) {
      if (!this.#loop) return null;
      this.#at = this.#first;
    }
    // "FRAME" and optional parameters up to a newline (§ of the y4m format: FRAME[ params]\n).
    const tag = Buffer.alloc(64);
    const got = readSync(this.#fd, tag, 0, Math.min(tag.length, this.#fileSize - this.#at), this.#at);
    const nl = tag.subarray(0, got).indexOf(0x0a);
    if (nl < 0 || tag.subarray(0, 5).toString('latin1') !== 'FRAME') {
      if (!this.#loop || this.#at === this.#first) return null;
      this.#at = this.#first;
      return this.next();
    }
    const start = this.#at + nl + 1;
    if (start + this.#size > this.#fileSize) {
      if (!this.#loop || this.#at === this.#first) return null;
      this.#at = this.#first;
      return this.next();
    }
    readSync(this.#fd, this.#frame, 0, this.#size, start);
    this.#at = start + this.#size;
    return this.#frame;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
