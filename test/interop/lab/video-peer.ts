/**
 * Appel's video media (main/media/video/video-stream.ts) as a process a test starts inside its
 * network namespace, facing a real peer (ffmpeg's RTP muxer and demuxer).
 *
 *   receive: node video-peer.ts receive --port 5004 --codec vp8 --pt 96 --seconds 6 --out frames.yuv
 *            decodes what arrives, writes each frame's I420 to --out in arrival order, and prints
 *            one JSON line { frames, timestamps, width, height, stats } when --seconds are up.
 *   send:    node video-peer.ts send --to 5006 --codec h264 --pt 96 --input ref.yuv --size 320x240 [--tail N]
 *            sends the raw I420 frames of --input at 30 fps (real time), then the last one N more
 *            times (a receiver's reorder buffer holds the last few until newer packets push them
 *            out), then prints { stats }.
 */
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { i420Size } from '../../../native/video.ts';
import { VideoStream } from '../../../main/media/video/video-stream.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    to: { type: 'string', default: '9' },
    codec: { type: 'string', default: 'vp8' },
    pt: { type: 'string', default: '96' },
    seconds: { type: 'string', default: '5' },
    out: { type: 'string' },
    input: { type: 'string' },
    size: { type: 'string', default: '320x240' },
    mode: { type: 'string', default: '1' },
    tail: { type: 'string', default: '0' },
  },
});
const codec = { name: values.codec as 'vp8' | 'h264', payloadType: Number(values.pt), packetizationMode: Number(values.mode) as 0 | 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (positionals[0] === 'receive') {
  const out = values.out ? openSync(values.out, 'w') : undefined;
  const timestamps: number[] = [];
  const stream = await VideoStream.start({
    localAddress: '127.0.0.1',
    localPort: Number(values.port),
    remote: { address: '127.0.0.1', rtpPort: 9 },
    codec,
    onFrame: (frame, info) => {
      timestamps.push(info.timestamp);
      if (out !== undefined) writeSync(out, frame.data);
    },
  });
  process.stdout.write(JSON.stringify({ listening: stream.localPort }) + '\n');
  await sleep(Number(values.seconds) * 1000);
  await stream.stop();
  if (out !== undefined) closeSync(out);
  process.stdout.write(JSON.stringify({ frames: timestamps.length, timestamps, width: stream.stats.width, height: stream.stats.height, stats: stream.stats }) + '\n');
} else if (positionals[0] === 'send') {
  const [width, height] = values.size.split('x').map(Number);
  const raw = readFileSync(values.input!);
  const size = i420Size(width, height);
  const stream = await VideoStream.start({
    localAddress: '127.0.0.1',
    remote: { address: '127.0.0.1', rtpPort: Number(values.to) },
    codec,
    send: { width, height, fps: 30, bitrateKbps: 1000, keyFrameInterval: 30 },
  });
  const start = performance.now();
  const count = Math.floor(raw.length / size);
  for (let n = 0; n < count + Number(values.tail); n++) {
    const due = start + (n * 1000) / 30;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const k = Math.min(n, count - 1);
    stream.pushFrame(new Uint8Array(raw.buffer, raw.byteOffset + k * size, size), due);
  }
  await sleep(200);
  await stream.stop();
  process.stdout.write(JSON.stringify({ stats: stream.stats }) + '\n');
} else {
  process.stderr.write('usage: video-peer.ts receive|send …\n');
  process.exit(2);
}
