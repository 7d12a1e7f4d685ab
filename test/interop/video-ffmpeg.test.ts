/**
 * Appel's video media against ffmpeg 5.1 (Debian), VP8 and H.264, in this file's own network
 * namespace on loopback:
 *
 *   - ffmpeg sends 3 s of its testsrc over RTP (libvpx; libx264 baseline, packetization-mode 1);
 *     Appel receives and decodes: at least 90 % of the 90 frames, each matching the same source
 *     frame (chosen by its RTP timestamp) at 30 dB PSNR or better.
 *   - Appel sends the same 90 frames; ffmpeg receives them with an SDP file and decodes them: at
 *     least 90 % of them, matching the source at 30 dB on average.
 *
 * Readiness is a port bound or a line printed, never a sleep; every process is stopped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNs, stopProcess, waitFor } from './lab/netns.ts';
import { NODE } from './lab/appel-cli.ts';

const PEER = join(import.meta.dirname, 'lab/video-peer.ts');
const W = 320;
const H = 240;
const FRAME = (W * H * 3) / 2;
const FRAMES = 90;

let ns: NetNs;
let ref: Buffer;
let refPath: string;

beforeAll(async () => {
  ns = await NetNs.create();
  refPath = join(ns.dir, 'ref.yuv');
  const r = await ns.run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${W}x${H}:rate=30`, '-frames:v', String(FRAMES), '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-y', refPath], 30_000);
  expect(r.code, r.stderr).toBe(0);
  ref = readFileSync(refPath);
}, 60_000);

afterAll(async () => {
  await ns?.close();
});

function psnrY(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < W * H; i++) sum += (a[i] - b[i]) ** 2;
  return sum === 0 ? 99 : 10 * Math.log10((255 * 255 * W * H) / sum);
}
const refFrame = (n: number) => ref.subarray(n * FRAME, (n + 1) * FRAME);

const SENDERS = {
  vp8: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '800k', '-g', '300'],
  h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-b:v', '800k', '-g', '300'],
};

describe.each(['vp8', 'h264'] as const)('%s with ffmpeg', (codec) => {
  it('ffmpeg → Appel: 90 % of the frames or more, each matching its source frame (PSNR ≥ 30 dB)', async () => {
    const out = join(ns.dir, `appel-in-${codec}.yuv`);
    const peer = ns.spawn(NODE, [PEER, 'receive', '--port', '5004', '--codec', codec, '--pt', '96', '--seconds', '6', '--out', out]);
    let stdout = '';
    peer.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderr = '';
    peer.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      expect(await waitFor(peer, (o) => o.includes('"listening"'), 15_000), stderr).toBe(true);
      const send = await ns.run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-r', '30', '-i', refPath, ...SENDERS[codec], '-f', 'rtp', '-payload_type', '96', 'rtp://127.0.0.1:5004?pkt_size=1200'], 30_000);
      expect(send.code, send.stderr).toBe(0);
      const exit = await new Promise<number | null>((resolve) => peer.once('exit', resolve));
      expect(exit, stderr).toBe(0);
    } finally {
      await stopProcess(peer);
    }
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { frames: number; timestamps: number[]; width: number; height: number };
    expect([result.width, result.height]).toEqual([W, H]);
    expect(result.frames).toBeGreaterThanOrEqual(Math.ceil(FRAMES * 0.9));
    const got = readFileSync(out);
    const t0 = result.timestamps[0];
    const scores = result.timestamps.map((ts, i) => psnrY(got.subarray(i * FRAME, (i + 1) * FRAME), refFrame(Math.round(((ts - t0) >>> 0) / 3000))));
    console.log(`${codec} ffmpeg → Appel: ${result.frames}/${FRAMES} frames, PSNR min ${Math.min(...scores).toFixed(1)} dB`);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(30);
  }, 60_000);

  it('Appel → ffmpeg: ffmpeg decodes 90 % of the frames or more, matching the source (PSNR ≥ 30 dB on average)', async () => {
    const sdp = join(ns.dir, `in-${codec}.sdp`);
    const out = join(ns.dir, `ffmpeg-in-${codec}.yuv`);
    writeFileSync(
      sdp,
      ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=appel', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=video 5006 RTP/AVP 96', codec === 'vp8' ? 'a=rtpmap:96 VP8/90000' : 'a=rtpmap:96 H264/90000', ...(codec === 'h264' ? ['a=fmtp:96 packetization-mode=1'] : []), ''].join('\n'),
    );
    const receiver = ns.spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-i', sdp, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-y', out]);
    let ffErr = '';
    receiver.stderr!.on('data', (d: Buffer) => (ffErr += d.toString()));
    try {
      await ns.waitListening('udp', 5006, 15_000);
      const send = await ns.run(NODE, [PEER, 'send', '--to', '5006', '--codec', codec, '--pt', '96', '--input', refPath, '--size', `${W}x${H}`, '--tail', '15'], 30_000);
      expect(send.code, send.stderr).toBe(0);
    } finally {
      await stopProcess(receiver, 5_000);
    }
    const got = readFileSync(out);
    const frames = Math.floor(got.length / FRAME);
    // ffmpeg writes frames in order; each is matched to the best source frame near its position.
    // (The sender repeated the last frame 15 times after the 90: the matches count each source
    // frame once.)
    const scores: number[] = [];
    const matched = new Set<number>();
    for (let i = 0; i < frames; i++) {
      let best = 0;
      let which = -1;
      for (let n = Math.max(0, i - 10); n <= Math.min(FRAMES - 1, i + 10); n++) {
        const p = psnrY(got.subarray(i * FRAME, (i + 1) * FRAME), refFrame(n));
        if (p > best) [best, which] = [p, n];
      }
      scores.push(best);
      matched.add(which);
    }
    expect(matched.size, ffErr).toBeGreaterThanOrEqual(Math.ceil(FRAMES * 0.9));
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    console.log(`${codec} Appel → ffmpeg: ${matched.size}/${FRAMES} frames, PSNR mean ${mean.toFixed(1)} dB`);
    expect(mean).toBeGreaterThanOrEqual(30);
  }, 60_000);
});
