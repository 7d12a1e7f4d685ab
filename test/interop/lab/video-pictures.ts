/**
 * Pictures in the video interop tests, read through ffmpeg/ffprobe: what a recording decodes
 * to, and whether a picture one side saw is the picture the other side sent (Appel's colour
 * bars, or a peer's known picture). Checks return what is wrong, one line per miss (empty when
 * the picture is right), so a test's failure says which part of the picture differed.
 */
import { execFileSync } from 'node:child_process';
import { TEST_PATTERN_BARS } from '../../../main/media/video/video-sources.ts';

export type Rgb = [number, number, number];

/** What ffprobe decodes from a recording (IVF, Annex B) or a picture: frames, size, codec. */
export function probeVideo(path: string): { frames: number; width: number; height: number; codec: string } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path], { encoding: 'utf8' });
  const s = (JSON.parse(out) as { streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }> }).streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height, codec: s.codec_name };
}

/** The RGB pixels of a picture (PNG, JPEG, or the first frame of a video), scaled to width×height. */
export function rgbPixels(path: string, width: number, height: number): Uint8Array {
  return new Uint8Array(execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-frames:v', '1', '-s', `${width}x${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 }));
}

/** One named spot of a picture, at fractions of its width and height, and the colour it should have. */
export interface ColourSpot {
  name: string;
  x: number;
  y: number;
  rgb: Rgb;
}

/** Spots whose colour is off by `tolerance` or more on some channel (the picture scaled to 96×72). */
export function colourMisses(path: string, spots: ColourSpot[], tolerance = 40): string[] {
  const W = 96;
  const H = 72;
  const px = rgbPixels(path, W, H);
  const misses: string[] = [];
  for (const spot of spots) {
    const at = (Math.floor(spot.y * H) * W + Math.floor(spot.x * W)) * 3;
    const got = [px[at], px[at + 1], px[at + 2]];
    if (got.some((v, c) => Math.abs(v - spot.rgb[c]) >= tolerance)) misses.push(`${spot.name}: rgb(${got.join(',')}), sent rgb(${spot.rgb.join(',')})`);
  }
  return misses;
}

/** Appel's test pattern bar `bar` (0…7) as RGB (BT.601 studio range → full range). */
export function barRgb(bar: number): Rgb {
  const [y, u, v] = TEST_PATTERN_BARS[bar];
  const c = 1.164 * (y - 16);
  const clamp = (n: number) => Math.max(0, Math.min(255, Math.round(n)));
  return [clamp(c + 1.596 * (v - 128)), clamp(c - 0.392 * (u - 128) - 0.813 * (v - 128)), clamp(c + 2.017 * (u - 128))];
}

/**
 * Bars of Appel's `testsrc` missing from a picture of it (what another side saw): the eight bars,
 * in order, across the top part of the picture.
 */
export function barMisses(path: string, tolerance = 40): string[] {
  const spots = Array.from({ length: 8 }, (_, bar) => ({ name: `bar ${bar}`, x: (bar + 0.5) / 8, y: 0.25, rgb: barRgb(bar) }));
  return colourMisses(path, spots, tolerance);
}

/** A picture of four coloured quadrants (top left, top right, bottom left, bottom right). */
export interface Quadrants {
  topLeft: Rgb;
  topRight: Rgb;
  bottomLeft: Rgb;
  bottomRight: Rgb;
}

/** Writes `q` as a width×height JPEG at `path` (ffmpeg), e.g. for a peer's static-picture camera. */
export function writeQuadrantsJpeg(path: string, q: Quadrants, width = 640, height = 480): string {
  const hex = (c: Rgb) => '0x' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
  const size = `${width / 2}x${height / 2}`;
  const inputs = [q.topLeft, q.topRight, q.bottomLeft, q.bottomRight].flatMap((c) => ['-f', 'lavfi', '-i', `color=c=${hex(c)}:s=${size}`]);
  const graph = '[0][1]hstack[top];[2][3]hstack[bottom];[top][bottom]vstack,format=yuvj420p';
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...inputs, '-filter_complex', graph, '-frames:v', '1', '-q:v', '2', path]);
  return path;
}

/** The centres of the four quadrants of `q`, to check with `colourMisses`. */
export function quadrantSpots(q: Quadrants): ColourSpot[] {
  return [
    { name: 'top left', x: 0.25, y: 0.25, rgb: q.topLeft },
    { name: 'top right', x: 0.75, y: 0.25, rgb: q.topRight },
    { name: 'bottom left', x: 0.25, y: 0.75, rgb: q.bottomLeft },
    { name: 'bottom right', x: 0.75, y: 0.75, rgb: q.bottomRight },
  ];
}
