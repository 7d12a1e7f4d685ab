/**
 * Camera frames to the link's I420 (contract/video.ts: planar Y, then U and V at half width and
 * height, no padding). A WebCodecs VideoFrame of the wanted size is copied once, straight into
 * the buffer that travels (I420 as it is; NV12 with its chroma planes split; RGB converted); any
 * other frame is scaled on a canvas first (`CanvasScaler`). Pure but for the canvas.
 */
import { i420Bytes } from '../../../main/contract/video.ts';
import { coverCrop, scaleI420 } from '../../../main/contract/i420-scale.ts';

/** What we read of a VideoFrame (tests pass their own). */
export interface FrameLike {
  readonly format: string | null;
  readonly visibleRect: { width: number; height: number } | null;
  readonly displayWidth: number;
  readonly displayHeight: number;
  copyTo(destination: Uint8Array, options?: { layout?: Array<{ offset: number; stride: number }> }): Promise<unknown>;
}

/**
 * The frame in I420 at `width` × `height` (even): copied once into the buffer that travels when it
 * has that size already (I420 as it is; NV12 with its chroma planes split; RGB converted), else
 * copied at its own size and scaled into it (`scaleI420`: a camera that cannot give the size
 * asked for, whose frames Chrome crops to the aspect but leaves unscaled). Undefined for a format
 * we do not read or an odd size (then CanvasScaler draws it).
 */
export async function frameToI420(frame: FrameLike, width: number, height: number): Promise<Uint8Array | undefined> {
  const rect = frame.visibleRect;
  if (!rect || rect.width % 2 !== 0 || rect.height % 2 !== 0 || rect.width < 2 || rect.height < 2) return undefined;
  const exact = rect.width === width && rect.height === height;
  const out = new Uint8Array(i420Bytes(width, height));
  const own = exact ? out : new Uint8Array(i420Bytes(rect.width, rect.height));
  if (!(await copyI420(frame, own, rect.width, rect.height))) return undefined;
  if (!exact) scaleI420(own, rect.width, rect.height, out, width, height);
  return out;
}

/** The frame's visible picture into `out` as I420 of its own size `w` × `h`; false for a format we do not read. */
async function copyI420(frame: FrameLike, out: Uint8Array, w: number, h: number): Promise<boolean> {
  const luma = w * h;
  switch (frame.format) {
    case 'I420':
      await frame.copyTo(out, { layout: [{ offset: 0, stride: w }, { offset: luma, stride: w / 2 }, { offset: luma + luma / 4, stride: w / 2 }] });
      return true;
    case 'NV12':
      // Y where it belongs; the interleaved UV plane over the U and V planes' place, then split.
      await frame.copyTo(out, { layout: [{ offset: 0, stride: w }, { offset: luma, stride: w }] });
      splitChroma(out, luma);
      return true;
    case 'RGBA':
    case 'RGBX':
    case 'BGRA':
    case 'BGRX': {
      const rgba = new Uint8Array(luma * 4);
      await frame.copyTo(rgba, { layout: [{ offset: 0, stride: w * 4 }] });
      rgbaToI420(rgba, w, h, frame.format.startsWith('B'), out);
      return true;
    }
    default:
      return false;
  }
}

/** NV12's interleaved chroma (U V U V …, from `offset` on) rewritten as I420's U plane then V plane, in place. */
export function splitChroma(buf: Uint8Array, offset: number): void {
  const uv = buf.slice(offset);
  const quarter = uv.length / 2;
  for (let i = 0; i < quarter; i++) {
    buf[offset + i] = uv[2 * i];
    buf[offset + quarter + i] = uv[2 * i + 1];
  }
}

/**
 * RGBA (or BGRA when `bgr`) to I420 with the BT.601 studio-swing matrix (what VP8 and H.264
 * decoders assume without other signalling); chroma is the mean of each 2 × 2 block.
 */
export function rgbaToI420(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, bgr: boolean, out: Uint8Array = new Uint8Array(i420Bytes(width, height))): Uint8Array {
  const r0 = bgr ? 2 : 0;
  const b0 = bgr ? 0 : 2;
  const luma = width * height;
  const cw = width / 2;
  const uBase = luma;
  const vBase = luma + luma / 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      out[y * width + x] = ((66 * rgba[p + r0] + 129 * rgba[p + 1] + 25 * rgba[p + b0] + 128) >> 8) + 16;
    }
  }
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const p of [(y * width + x) * 4, (y * width + x + 1) * 4, ((y + 1) * width + x) * 4, ((y + 1) * width + x + 1) * 4]) {
        r += rgba[p + r0];
        g += rgba[p + 1];
        b += rgba[p + b0];
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const c = (y / 2) * cw + x / 2;
      out[uBase + c] = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
      out[vBase + c] = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    }
  }
  return out;
}

/**
 * Any picture (a VideoFrame of another size or format, a <video> element) to I420 at the wanted
 * size: drawn, centre-cropped, on a canvas of that size, then converted. One canvas, reused.
 */
type Context2d = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

export class CanvasScaler {
  #canvas: OffscreenCanvas | HTMLCanvasElement | undefined;
  #context: Context2d | undefined;

  scale(source: CanvasImageSource, srcW: number, srcH: number, width: number, height: number): Uint8Array | undefined {
    if (!srcW || !srcH) return undefined;
    const ctx = this.#contextOf(width, height);
    if (!ctx) return undefined;
    const { sx, sy, sw, sh } = coverCrop(srcW, srcH, width, height);
    ctx.drawImage(source, sx, sy, sw, sh, 0, 0, width, height);
    return rgbaToI420(ctx.getImageData(0, 0, width, height).data, width, height, false);
  }

  #contextOf(width: number, height: number): Context2d | undefined {
    if (!this.#canvas || this.#canvas.width !== width || this.#canvas.height !== height) {
      this.#canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
      this.#context = (this.#canvas.getContext('2d', { willReadFrequently: true }) ?? undefined) as Context2d | undefined;
    }
    return this.#context;
  }
}
