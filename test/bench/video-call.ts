// Video in a call: glass-to-glass latency on loopback at 480p30 (goal ≤ 150 ms) — from a camera
// frame handed to the sending engine to the same picture decoded and handed out by the receiving
// engine, each engine in its own worker thread with its device link as in the app (a MessagePort),
// VP8 and H.264. The frames are the test pattern with a white marker block painted in one frame
// of every 15; the receiver spots each marker by its luma, so every figure is one real frame's
// trip: encode, packetize, UDP, frame assembly, decode, and the two MessagePort hops.
//
//   node_modules/.bin/node test/bench/video-call.ts [--seconds 10]
import { MessageChannel } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { MediaEngineClient } from '../../main/media/media-engine-client.ts';
import type { VideoSpec } from '../../main/media/media-protocol.ts';
import { TestPattern } from '../../main/media/video/video-sources.ts';
import { VIDEO_FORMATS } from '../../main/contract/video.ts';

const FORMAT = VIDEO_FORMATS['480p'];
const MARK_EVERY = 15;
const BLOCK = 64;

export interface VideoLatencyRow {
  codec: 'vp8' | 'h264';
  marks: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  framesSent: number;
  framesShown: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function one(codec: 'vp8' | 'h264', seconds: number): Promise<VideoLatencyRow> {
  const a = new MediaEngineClient();
  const b = new MediaEngineClient();
  const camera = new MessageChannel();
  const screen = new MessageChannel();
  try {
    await a.attachDevice(camera.port1, 48000);
    await b.attachDevice(screen.port1, 48000);
    const base: Omit<VideoSpec, 'remote' | 'source' | 'sink' | 'direction'> = {
      localAddress: '127.0.0.1',
      rtcpMux: true,
      codec: codec === 'vp8' ? { name: 'vp8', payloadType: 96 } : { name: 'h264', payloadType: 97, packetizationMode: 1 },
      format: FORMAT,
      label: 'bench',
    };
    const rx = await b.createVideo('v', { ...base, remote: { address: '127.0.0.1', rtpPort: 9 }, source: { kind: 'none' }, sink: { kind: 'device' }, direction: 'recvonly' });
    await a.createVideo('v', { ...base, remote: { address: '127.0.0.1', rtpPort: rx.localPort }, source: { kind: 'device' }, sink: { kind: 'none' }, direction: 'sendonly' });
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let shown = 0;
    let wasMarked = false;
    let marksSeen = 0;
    screen.port2.on('message', (m: { video?: string; width?: number; data?: Uint8Array }) => {
      if (m.video !== 'frame' || !m.data || !m.width) return;
      const now = performance.now();
      shown++;
      const marked = m.data[(BLOCK / 2) * m.width + BLOCK / 2] > 128;
      if (marked && !wasMarked) {
        const t = sentAt.get(marksSeen);
        if (t !== undefined) latencies.push(now - t);
        marksSeen++;
      }
      wasMarked = marked;
    });
    const pattern = new TestPattern(FORMAT.width, FORMAT.height);
    let n = 0;
    let marks = 0;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const elapsed = performance.now() - start;
        if (elapsed >= seconds * 1000) return resolve();
        const frame = pattern.next().slice();
        const mark = n % MARK_EVERY === MARK_EVERY - 1;
        for (let y = 0; y < BLOCK; y++) frame.fill(mark ? 235 : 16, y * FORMAT.width, y * FORMAT.width + BLOCK);
        if (mark) sentAt.set(marks++, performance.now());
        camera.port2.postMessage({ video: 'camera', width: FORMAT.width, height: FORMAT.height, data: frame }, [frame.buffer]);
        n++;
        // Paced by the wall clock (as a camera is), not by the timer's drift.
        setTimeout(tick, Math.max(0, start + (n * 1000) / FORMAT.fps - performance.now()));
      };
      tick();
    });
    await new Promise((r) => setTimeout(r, 300));
    const sorted = latencies.slice().sort((x, y) => x - y);
    return { codec, marks: sorted.length, medianMs: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95), maxMs: sorted.at(-1) ?? NaN, framesSent: n, framesShown: shown };
  } finally {
    camera.port2.close();
    screen.port2.close();
    await Promise.all([a.close(), b.close()]);
  }
}

export async function run(seconds = 10): Promise<VideoLatencyRow[]> {
  return [await one('vp8', seconds), await one('h264', seconds)];
}

export function format(rows: VideoLatencyRow[]): string {
  const lines = [
    `Video glass-to-glass on loopback, ${FORMAT.width}×${FORMAT.height} at ${FORMAT.fps} fps, ${FORMAT.bitrateKbps} kbit/s: camera frame into one engine → picture out of the other (goal ≤ 150 ms):`,
    '| codec | marked frames | median | p95 | max | frames sent | frames shown |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r.codec} | ${r.marks} | ${r.medianMs.toFixed(1)} ms | ${r.p95Ms.toFixed(1)} ms | ${r.maxMs.toFixed(1)} ms | ${r.framesSent} | ${r.framesShown} |`);
  return lines.join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
  console.log(format(await run(Number(values.seconds ?? 10))));
}
