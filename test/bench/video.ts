// Video codec benchmark: Appel's video addon (native/video.ts: libvpx VP8, OpenH264) beside
// ffmpeg encoding and decoding the very same frames in the same run — libvpx for VP8 at the same
// real-time settings, libx264 (ultrafast, zerolatency, baseline) for H.264, ffmpeg's own vp8 and
// h264 decoders, and for VP8 also ffmpeg decoding with libvpx — one thread each, at 480p30 and 720p30.
//
//   node_modules/.bin/node test/bench/video.ts [--seconds 10]
//   import { run } from './video.ts'                 returns the rows
//
// The figure is CPU time per second of video (% of one core for one 30 fps stream). Appel's is
// process.cpuUsage() around the calls; ffmpeg's is its user + system time (GNU time) minus the
// same ffmpeg run that only reads the frames (or the stream) and throws them away. Decoding is
// short, so each side decodes the stream DECODE_ROUNDS times over (ffmpeg with -stream_loop):
// ffmpeg's start-up then weighs little beside the work. Appel decodes as its engine does, into
// the buffer of a frame already shown (media/video/frame-pool.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { i420Size, VideoDecoder, VideoEncoder, type VideoCodecName } from '../../native/video.ts';
import { ivfFileHeader, ivfFrame } from '../../main/media/video/ivf.ts';

const SIZES = [
  { name: '480p', width: 640, height: 480, kbps: 800 },
  { name: '720p', width: 1280, height: 720, kbps: 1500 },
];
const FPS = 30;
const DECODE_ROUNDS = 5;

export interface VideoBenchRow {
  codec: VideoCodecName;
  size: string;
  appelEncode: number;
  ffmpegEncode: number;
  appelDecode: number;
  ffmpegDecode: number;
  /** VP8 only: ffmpeg decoding with libvpx, the very library Appel decodes with (the binding's own cost shows). */
  ffmpegLibvpxDecode?: number;
  /** Encoded bit rate Appel reached (kbit/s) beside the target. */
  appelKbps: number;
  targetKbps: number;
}

/** user + system seconds of one ffmpeg run (GNU time writes them on stderr's last line). */
function ffmpegSeconds(args: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return user + sys;
}

function cpuSeconds(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

export function run(seconds = 10): VideoBenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'appel-video-bench-'));
  const rows: VideoBenchRow[] = [];
  try {
    const frames = seconds * FPS;
    for (const size of SIZES) {
      const raw = join(dir, `${size.name}.yuv`);
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size.width}x${size.height}:rate=${FPS}`, '-frames:v', String(frames), '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-y', raw]);
      const bytes = readFileSync(raw);
      const frameBytes = i420Size(size.width, size.height);
      const input = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${size.width}x${size.height}`, '-r', String(FPS), '-i', raw];
      const readOnly = ffmpegSeconds([...input, '-f', 'null', '-']);
      for (const codec of ['vp8', 'h264'] as VideoCodecName[]) {
        const enc = new VideoEncoder(codec, { width: size.width, height: size.height, fps: FPS, bitrateKbps: size.kbps });
        const out: Uint8Array[] = [];
        const encodeS = cpuSeconds(() => {
          for (let n = 0; n < frames; n++) {
            for (const f of enc.encode(new Uint8Array(bytes.buffer, bytes.byteOffset + n * frameBytes, frameBytes))) out.push(f.data);
          }
        });
        enc.close();
        const dec = new VideoDecoder(codec);
        let spare: Uint8Array | undefined;
        const decodeS = cpuSeconds(() => {
          for (let round = 0; round < DECODE_ROUNDS; round++) for (const f of out) spare = dec.decode(f, spare)?.data ?? spare;
        });
        dec.close();
        const encodedBytes = out.reduce((n, f) => n + f.length, 0);
        // The same frames through ffmpeg's encoder, then its decoder on Appel's stream.
        const stream = join(dir, `${size.name}.${codec === 'vp8' ? 'ivf' : 'h264'}`);
        if (codec === 'vp8') {
          writeFileSync(stream, Buffer.concat([ivfFileHeader({ fourcc: 'VP80', width: size.width, height: size.height, timebase: { numerator: 1, denominator: FPS }, frameCount: out.length }), ...out.map((f, i) => ivfFrame(f, i))]));
        } else {
          writeFileSync(stream, Buffer.concat(out));
        }
        const ffEncode =
          codec === 'vp8'
            ? ffmpegSeconds([...input, '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '6', '-b:v', `${size.kbps}k`, '-minrate', `${size.kbps}k`, '-maxrate', `${size.kbps}k`, '-lag-in-frames', '0', '-error-resilient', '1', '-threads', '1', '-f', 'null', '-'])
            : ffmpegSeconds([...input, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-b:v', `${size.kbps}k`, '-threads', '1', '-f', 'null', '-']);
        const loop = ['-stream_loop', String(DECODE_ROUNDS - 1)];
        const demux = ffmpegSeconds([...loop, '-i', stream, '-c', 'copy', '-f', 'null', '-']);
        const ffDecode = ffmpegSeconds(['-threads', '1', ...loop, '-i', stream, '-f', 'null', '-']);
        const ffLibvpxDecode = codec === 'vp8' ? ffmpegSeconds(['-threads', '1', ...loop, '-c:v', 'libvpx', '-i', stream, '-f', 'null', '-']) : undefined;
        const pct = (cpu: number) => (cpu / seconds) * 100;
        const pctDecoded = (cpu: number) => pct(cpu / DECODE_ROUNDS);
        rows.push({
          codec,
          size: size.name,
          appelEncode: pct(encodeS),
          ffmpegEncode: pct(Math.max(0, ffEncode - readOnly)),
          appelDecode: pctDecoded(decodeS),
          ffmpegDecode: pctDecoded(Math.max(0, ffDecode - demux)),
          ...(ffLibvpxDecode !== undefined ? { ffmpegLibvpxDecode: pctDecoded(Math.max(0, ffLibvpxDecode - demux)) } : {}),
          appelKbps: (encodedBytes * 8) / seconds / 1000,
          targetKbps: size.kbps,
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function format(rows: VideoBenchRow[], seconds: number): string {
  const f = (x: number) => `${x.toFixed(1)} %`;
  const lines = [
    `Video codecs, one 30 fps stream, one thread, ${seconds} s of ffmpeg's testsrc; % of one core (CPU time per second of video):`,
    '| codec | size | Appel encode | ffmpeg encode | ratio | Appel decode | ffmpeg decode (its own decoder) | ratio | ffmpeg decode (libvpx) | ratio | Appel kbit/s (target) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const ref = r.codec === 'vp8' ? 'libvpx' : 'libx264 ultrafast';
    lines.push(
      `| ${r.codec} | ${r.size} | ${f(r.appelEncode)} | ${f(r.ffmpegEncode)} (${ref}) | ${(r.appelEncode / r.ffmpegEncode).toFixed(2)}× | ${f(r.appelDecode)} | ${f(r.ffmpegDecode)} | ${(r.appelDecode / r.ffmpegDecode).toFixed(2)}× | ${r.ffmpegLibvpxDecode !== undefined ? `${f(r.ffmpegLibvpxDecode)} | ${(r.appelDecode / r.ffmpegLibvpxDecode).toFixed(2)}×` : '— | —'} | ${r.appelKbps.toFixed(0)} (${r.targetKbps}) |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
  const seconds = Number(values.seconds ?? 10);
  console.log(format(run(seconds), seconds));
}
