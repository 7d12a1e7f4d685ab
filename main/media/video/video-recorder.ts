/**
 * `--record-video FILE`: the other side's video as it came, not decoded and encoded again: VP8 in
 * an IVF file (ivf.ts), H.264 as an Annex B byte stream (.h264), both what ffprobe and ffplay
 * read. Recording starts at the first key frame (nothing before it can be decoded); the IVF
 * header gets the picture's size and the frame count when the file is closed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { VideoCodecName } from '../../contract/video.ts';
import { ivfFileHeader, ivfFrame } from './ivf.ts';

const CLOCK = 90000;

export class VideoRecorder {
  readonly path: string;
  readonly #codec: VideoCodecName;
  readonly #fd: number;
  #started = false;
  #firstTimestamp = 0;
  #frames = 0;
  #width = 0;
  #height = 0;
  #closed = false;

  constructor(path: string, codec: VideoCodecName) {
    this.path = path;
    this.#codec = codec;
    this.#fd = openSync(path, 'w');
    if (codec === 'vp8') writeSync(this.#fd, this.#header());
  }

  get frames(): number {
    return this.#frames;
  }

  /** The decoded picture's size, for the IVF header. */
  setSize(width: number, height: number): void {
    this.#width = width;
    this.#height = height;
  }

  /** One whole received frame (RTP timestamp at 90 kHz). */
  write(frame: { data: Uint8Array; keyFrame: boolean; timestamp: number }): void {
    if (this.#closed) return;
    if (!this.#started) {
      if (!frame.keyFrame) return;
      this.#started = true;
      this.#firstTimestamp = frame.timestamp;
    }
    this.#frames++;
    if (this.#codec === 'h264') writeSync(this.#fd, frame.data);
    else writeSync(this.#fd, ivfFrame(frame.data, (frame.timestamp - this.#firstTimestamp) >>> 0));
  }

  #header(): Uint8Array {
    return ivfFileHeader({ fourcc: 'VP80', width: this.#width, height: this.#height, timebase: { numerator: 1, denominator: CLOCK }, frameCount: this.#frames });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#codec === 'vp8') writeSync(this.#fd, this.#header(), 0, 32, 0);
    } finally {
      closeSync(this.#fd);
    }
  }
}
