// Video in a call: glass-to-glass latency on loopback at 480p30 (goal ≤ 150 ms), and lip sync
// (picture − sound of a flash and a beep made together, goal ±80 ms) — latency: from a camera
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

export interface AvSyncRow {
  sync: boolean;
  marks: number;
  medianMs: number;
  worstMs: number;
}

/**
 * Lip sync at the engine's output: a flash and a beep made at the same instant on one side (a
 * bright camera frame and a 1 kHz burst in the same 20 ms) come out of the other side's device
 * link; the figure is picture time − sound time (> 0: the picture is late), with the receiver's
 * video lined up on its audio by the sender reports (`syncAudio`), and without.
 */
async function avSync(sync: boolean, seconds: number): Promise<AvSyncRow> {
  const a = new MediaEngineClient();
  const b = new MediaEngineClient();
  const linkA = new MessageChannel();
  const linkB = new MessageChannel();
  try {
    await a.attachDevice(linkA.port1, 48000);
    await b.attachDevice(linkB.port1, 48000);
    const audio = { localAddress: '127.0.0.1', rtcpMux: true, codec: { name: 'opus' as const, payloadType: 111 } };
    const bAudio = await b.createStream({ ...audio, remote: { address: '127.0.0.1', rtpPort: 9 }, source: { kind: 'silence' }, sink: { kind: 'local' } }, 'a');
    const aAudio = await a.createStream({ ...audio, remote: { address: '127.0.0.1', rtpPort: bAudio.localPort }, source: { kind: 'local' }, sink: { kind: 'silence' } }, 'a');
    await b.updateRemote('a', { address: '127.0.0.1', rtpPort: aAudio.localPort });
    await a.setDeviceOwner('a');
    await b.setDeviceOwner('a');
    const base: Omit<VideoSpec, 'remote' | 'source' | 'sink' | 'direction'> = { localAddress: '127.0.0.1', rtcpMux: true, codec: { name: 'vp8', payloadType: 96 }, format: FORMAT, label: 'bench' };
    const rx = await b.createVideo('v', { ...base, remote: { address: '127.0.0.1', rtpPort: 9 }, source: { kind: 'none' }, sink: { kind: 'device' }, direction: 'recvonly', ...(sync ? { syncAudio: 'a' } : {}) });
    const tx = await a.createVideo('v', { ...base, remote: { address: '127.0.0.1', rtpPort: rx.localPort }, source: { kind: 'device' }, sink: { kind: 'none' }, direction: 'sendonly' });
    // RTCP (the sender reports) goes back to where it came from.
    await b.stopVideo('v');
    await b.createVideo('v2', { ...base, localPort: rx.localPort, remote: { address: '127.0.0.1', rtpPort: tx.localPort }, source: { kind: 'none' }, sink: { kind: 'device' }, direction: 'recvonly', ...(sync ? { syncAudio: 'a' } : {}) });
    const soundAt: number[] = [];
    const pictureAt: number[] = [];
    let loud = false;
    let bright = false;
    linkB.port2.on('message', (m: unknown) => {
      const now = performance.now();
      if (m instanceof Int16Array) {
        let peak = 0;
        for (const v of m) peak = Math.max(peak, Math.abs(v));
        const isLoud = peak > 3000;
        if (isLoud && !loud) soundAt.push(now);
        loud = isLoud;
      } else if ((m as { video?: string }).video === 'frame') {
        const f = m as { width: number; data: Uint8Array };
        const isBright = f.data[(BLOCK / 2) * f.width + BLOCK / 2] > 128;
        if (isBright && !bright) pictureAt.push(now);
        bright = isBright;
      }
    });
    const pattern = new TestPattern(FORMAT.width, FORMAT.height);
    const start = performance.now();
    let tick = 0;
    let markedSecond = -1;
    let loudUntil = -1;
    // Every 20 ms a block of sound, and a camera frame when one is due (30 fps); from the 3rd second
    // on, once a second, the frame due is bright and the sound starts a 100 ms beep in the same tick.
    await new Promise<void>((resolve) => {
      const step = (): void => {
        if (performance.now() - start >= seconds * 1000) return resolve();
        const ms = tick * 20;
        const frameDue = Math.floor(((ms + 20) * FORMAT.fps) / 1000) > Math.floor((ms * FORMAT.fps) / 1000);
        const second = Math.floor(ms / 1000);
        const flash = frameDue && ms >= 3000 && second !== markedSecond;
        if (flash) {
          markedSecond = second;
          loudUntil = ms + 100;
        }
        const block = new Int16Array(960);
        if (ms < loudUntil) for (let i = 0; i < block.length; i++) block[i] = Math.round(12000 * Math.sin(2 * Math.PI * 1000 * (i / 48000)));
        linkA.port2.postMessage(block, [block.buffer]);
        if (frameDue) {
          const frame = pattern.next().slice();
          for (let y = 0; y < BLOCK; y++) frame.fill(flash ? 235 : 16, y * FORMAT.width, y * FORMAT.width + BLOCK);
          linkA.port2.postMessage({ video: 'camera', width: FORMAT.width, height: FORMAT.height, data: frame }, [frame.buffer]);
        }
        tick++;
        setTimeout(step, Math.max(0, start + tick * 20 - performance.now()));
      };
      step();
    });
    await new Promise((r) => setTimeout(r, 500));
    // Pair each picture mark with the nearest sound mark.
    const skews = pictureAt.map((p) => soundAt.reduce((best, t) => (Math.abs(p - t) < Math.abs(best) ? p - t : best), Infinity)).filter((x) => Number.isFinite(x) && Math.abs(x) < 500);
    const sorted = skews.slice().sort((x, y) => x - y);
    if (sorted.length === 0) throw new Error(`lip sync: no mark came through (${soundAt.length} sounds, ${pictureAt.length} pictures)`);
    return { sync, marks: sorted.length, medianMs: quantile(sorted, 0.5), worstMs: sorted.reduce((w, x) => (Math.abs(x) > Math.abs(w) ? x : w), 0) };
  } finally {
    linkA.port2.close();
    linkB.port2.close();
    await Promise.all([a.close(), b.close()]);
  }
}

export async function run(seconds = 10): Promise<{ latency: VideoLatencyRow[]; sync: AvSyncRow[] }> {
  return {
    latency: [await one('vp8', seconds), await one('h264', seconds)],
    sync: [await avSync(false, seconds + 4), await avSync(true, seconds + 4)],
  };
}

export function format({ latency: rows, sync }: { latency: VideoLatencyRow[]; sync: AvSyncRow[] }): string {
  const lines = [
    `Video glass-to-glass on loopback, ${FORMAT.width}×${FORMAT.height} at ${FORMAT.fps} fps, ${FORMAT.bitrateKbps} kbit/s: camera frame into one engine → picture out of the other (goal ≤ 150 ms):`,
    '| codec | marked frames | median | p95 | max | frames sent | frames shown |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r.codec} | ${r.marks} | ${r.medianMs.toFixed(1)} ms | ${r.p95Ms.toFixed(1)} ms | ${r.maxMs.toFixed(1)} ms | ${r.framesSent} | ${r.framesShown} |`);
  lines.push(
    '',
    "Lip sync at the engine's output (VP8 + Opus, a flash and a beep made together; picture − sound, > 0: picture late; goal within ±80 ms):",
    '| video lined up on the audio (SR) | marks | median | worst |',
    '|---|---|---|---|',
  );
  for (const r of sync) lines.push(`| ${r.sync ? 'yes' : 'no'} | ${r.marks} | ${r.medianMs.toFixed(1)} ms | ${r.worstMs.toFixed(1)} ms |`);
  return lines.join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
  console.log(format(await run(Number(values.seconds ?? 10))));
}
