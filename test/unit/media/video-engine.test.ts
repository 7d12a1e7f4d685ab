/**
 * The media engine's video streams, in-process, two on loopback: the test pattern sent as VP8 and
 * H.264 (with SRTP) arrives decoded with the pattern's colours, is recorded as ffprobe-readable
 * IVF / Annex B, the camera off sends nothing, a y4m file is a source, and bad specs are refused
 * before any port is taken. Waits end on counts reached, bounded.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VideoDecoder } from '../../../native/video.ts';
import { MediaEngine, MediaEngineError } from '../../../main/media/media-engine.ts';
import type { MediaEvent } from '../../../main/media/media-protocol.ts';
import { SPEC_H, SPEC_W, videoSpec } from './video-spec.ts';
import { readIvf } from '../../../main/media/video/ivf.ts';
import { macroblocks, ScaledSource, TEST_PATTERN_BARS, TestPattern, Y4mSource } from '../../../main/media/video/video-sources.ts';
import { i420Bytes } from '../../../main/contract/video.ts';
import { MessageChannel } from 'node:worker_threads';

const engines: MediaEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.shutdown()));
});

const until = async (test: () => boolean, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function engine(events: MediaEvent[] = []): MediaEngine {
  const e = new MediaEngine({ onEvent: (ev) => events.push(ev) });
  engines.push(e);
  return e;
}

const W = SPEC_W;
const H = SPEC_H;
const spec = videoSpec;
const realDecode = VideoDecoder.prototype.decode;

describe('test pattern and y4m', () => {
  it('draws the eight bars in their colours and moves its square', () => {
    const p = new TestPattern(W, H);
    const a = p.next().slice();
    const b = p.next();
    for (let bar = 0; bar < 8; bar++) {
      const x = Math.floor(((bar + 0.5) * W) / 8);
      expect(a[10 * W + x]).toBe(TEST_PATTERN_BARS[bar][0]);
      expect(a[W * H + 5 * (W / 2) + x / 2]).toBe(TEST_PATTERN_BARS[bar][1]);
    }
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
    expect(() => new TestPattern(15, 16)).toThrow(/even/);
  });

  it('reads a y4m file frame by frame, loops, and refuses what is not one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'appel-y4m-'));
    const frame = (v: number) => new Uint8Array(i420Bytes(32, 16)).fill(v);
    const file = join(dir, 'a.y4m');
    writeFileSync(file, Buffer.concat([Buffer.from('YUV4MPEG2 W32 H16 F25:1 Ip A1:1 C420jpeg\n'), Buffer.from('FRAME\n'), frame(1), Buffer.from('FRAME\n'), frame(2)]));
    const y = new Y4mSource(file);
    expect([y.width, y.height, y.fps]).toEqual([32, 16, 25]);
    expect([y.next()![0], y.next()![0], y.next()![0]]).toEqual([1, 2, 1]);
    y.close();
    const once = new Y4mSource(file, { loop: false });
    expect([once.next()![0], once.next()![0], once.next()]).toEqual([1, 2, null]);
    once.close();
    // A file larger than a call may send is scaled to what it may (max-fs counts 16 × 16 macroblocks).
    const scaled = new ScaledSource(new Y4mSource(file), 16, 8);
    expect([scaled.width, scaled.height, scaled.next()!.length, scaled.next()![0]]).toEqual([16, 8, i420Bytes(16, 8), 2]);
    scaled.close();
    expect([macroblocks({ width: 848, height: 480 }), macroblocks({ width: 1280, height: 720 })]).toEqual([1590, 3600]);
    writeFileSync(join(dir, 'b.y4m'), 'not a video');
    expect(() => new Y4mSource(join(dir, 'b.y4m'))).toThrow(/not a y4m file/);
    writeFileSync(join(dir, 'c.y4m'), 'YUV4MPEG2 W32 H16 C444\nFRAME\n');
    expect(() => new Y4mSource(join(dir, 'c.y4m'))).toThrow(/4:2:0/);
  });
});

describe('video streams in the media engine', () => {
  for (const codec of [
    { name: 'vp8' as const, payloadType: 96 },
    { name: 'h264' as const, payloadType: 97, packetizationMode: 1 as const },
  ]) {
    it(`sends the test pattern as ${codec.name} over SRTP; the far end decodes its colours and records it`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'appel-video-'));
      const file = join(dir, codec.name === 'vp8' ? 'in.ivf' : 'in.h264');
      const bEvents: MediaEvent[] = [];
      const a = engine();
      const b = engine(bEvents);
      const keyA = new Uint8Array(30).fill(7);
      const keyB = new Uint8Array(30).fill(9);
      const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
      const channel = new MessageChannel();
      const frames: Array<{ width: number; height: number; data: Uint8Array; callId: string }> = [];
      channel.port2.on('message', (m: unknown) => {
        if (m && typeof m === 'object' && (m as { video?: string }).video === 'frame') frames.push(m as never);
      });
      await b.handle({ type: 'attach-device', port: channel.port1, sampleRate: 48000 });
      const bDev = await b.handle({ type: 'create-video', streamId: 'v2', spec: spec({ codec, sink: { kind: 'device' }, direction: 'recvonly', label: 'call-9', srtp: { suite, localKey: keyB, remoteKey: keyA } }) });
      await a.handle({ type: 'create-video', streamId: 'v', spec: spec({ codec, source: { kind: 'testsrc' }, remote: { address: '127.0.0.1', rtpPort: bDev.localPort }, srtp: { suite, localKey: keyA, remoteKey: keyB } }) });
      await until(() => frames.length >= 10, 'decoded frames on the device link');
      const f = frames[frames.length - 1];
      expect([f.callId, f.width, f.height]).toEqual(['call-9', W, H]);
      for (let bar = 0; bar < 8; bar++) {
        const x = Math.floor(((bar + 0.5) * W) / 8);
        expect(Math.abs(f.data[20 * W + x] - TEST_PATTERN_BARS[bar][0])).toBeLessThan(12);
      }
      await until(() => bEvents.some((e) => e.type === 'video-stats' && (e.received?.fps ?? 0) > 5), 'a stats report with a frame rate');
      const stats = bEvents.filter((e) => e.type === 'video-stats').at(-1)!;
      expect(stats.type === 'video-stats' && stats.received).toMatchObject({ width: W, height: H });
      // Recording: a receiver that writes what came to a file.
      await b.handle({ type: 'stop-video', streamId: 'v2' });
      const rec = await b.handle({ type: 'create-video', streamId: 'v3', spec: spec({ codec, sink: { kind: 'file', path: file }, direction: 'recvonly', srtp: { suite, localKey: keyB, remoteKey: keyA } }) });
      await a.handle({ type: 'stop-video', streamId: 'v' });
      await a.handle({ type: 'create-video', streamId: 'v', spec: spec({ codec, source: { kind: 'testsrc' }, remote: { address: '127.0.0.1', rtpPort: rec.localPort }, srtp: { suite, localKey: keyA, remoteKey: keyB } }) });
      await until(() => ((bEvents.filter((e) => e.type === 'video-stats' && e.streamId === 'v3').at(-1) as { stats?: { framesDecoded: number } } | undefined)?.stats?.framesDecoded ?? 0) >= 15, 'frames recorded');
      await b.handle({ type: 'stop-video', streamId: 'v3' });
      const bytes = new Uint8Array(readFileSync(file));
      if (codec.name === 'vp8') {
        const ivf = readIvf(bytes);
        expect(ivf.header).toMatchObject({ fourcc: 'VP80', width: W, height: H });
        expect(ivf.frames.length).toBeGreaterThanOrEqual(15);
      } else {
        expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
        expect(bytes.length).toBeGreaterThan(1000);
      }
    });
  }

  it("decodes into the buffers handed back as 'spent', and into new ones while the page keeps them", async () => {
    const into: Array<Uint8Array | undefined> = [];
    const decode = vi.spyOn(VideoDecoder.prototype, 'decode');
    decode.mockImplementation(function (this: VideoDecoder, frame: Uint8Array, buffer?: Uint8Array) {
      into.push(buffer);
      return realDecode.call(this, frame, buffer);
    });
    try {
      const a = engine();
      const b = engine();
      const channel = new MessageChannel();
      let handBack = true;
      const frames: Array<{ data: Uint8Array }> = [];
      channel.port2.on('message', (m: { video?: string; data?: Uint8Array }) => {
        if (m?.video !== 'frame' || !m.data) return;
        frames.push(m as { data: Uint8Array });
        // The main process hands a frame's buffer back once the page's link has sent it.
        if (handBack) channel.port2.postMessage({ video: 'spent', data: m.data }, [m.data.buffer as ArrayBuffer]);
      });
      await b.handle({ type: 'attach-device', port: channel.port1, sampleRate: 48000 });
      const sink = await b.handle({ type: 'create-video', streamId: 'in', spec: spec({ sink: { kind: 'device' }, direction: 'recvonly' }) });
      await a.handle({ type: 'create-video', streamId: 'out', spec: spec({ source: { kind: 'testsrc' }, remote: { address: '127.0.0.1', rtpPort: sink.localPort } }) });
      await until(() => frames.length >= 20, 'frames handed back');
      // The first frame has no size to go by; after it, nearly every one is written into a spent buffer.
      const reused = into.slice(2).filter((b) => b !== undefined).length;
      expect(reused).toBeGreaterThanOrEqual(into.length - 4);
      // A page that keeps its frames: once the spares are used up, each frame gets a new buffer.
      handBack = false;
      const seen = frames.length;
      await until(() => frames.length >= seen + 10, 'frames kept');
      const fromNow = into.length;
      await until(() => into.length >= fromNow + 5, 'more frames');
      expect(into.slice(fromNow).every((b) => b === undefined)).toBe(true);
    } finally {
      decode.mockRestore();
    }
  });

  it('sends nothing while the camera is off, and a key frame when it comes back', async () => {
    const events: MediaEvent[] = [];
    const a = engine(events);
    const b = engine();
    const rx = await b.handle({ type: 'create-video', streamId: 'r', spec: spec({ direction: 'recvonly' }) });
    await a.handle({ type: 'create-video', streamId: 's', spec: spec({ source: { kind: 'testsrc' }, remote: { address: '127.0.0.1', rtpPort: rx.localPort } }) });
    await until(() => ((events.at(-1) as { stats?: { framesSent: number } } | undefined)?.stats?.framesSent ?? 0) > 5, 'frames sent');
    await a.handle({ type: 'video-camera', streamId: 's', on: false });
    const off = (await a.handle({ type: 'get-video-stats', streamId: 's' })).stats;
    await new Promise((r) => setTimeout(r, 300));
    const still = (await a.handle({ type: 'get-video-stats', streamId: 's' })).stats;
    expect(still.framesSent).toBe(off.framesSent);
    await a.handle({ type: 'video-camera', streamId: 's', on: true });
    const before = still.keyFramesSent;
    const end = Date.now() + 5000;
    let now = still;
    while (now.keyFramesSent === before && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      now = (await a.handle({ type: 'get-video-stats', streamId: 's' })).stats;
    }
    expect(now.keyFramesSent).toBe(before + 1);
  });

  it('sends a y4m file at its own size, or scaled down to the format when it is larger (max-fs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appel-y4m-big-'));
    const file = join(dir, 'big.y4m');
    writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W * 2} H${H * 2} F30:1 Ip A1:1 C420jpeg\n`), Buffer.from('FRAME\n'), new Uint8Array(i420Bytes(W * 2, H * 2)).fill(90)]));
    const channel = new MessageChannel();
    const frames: Array<{ width: number; height: number }> = [];
    channel.port2.on('message', (m: { video?: string; width: number; height: number }) => {
      if (m.video === 'frame') frames.push(m);
    });
    const b = engine();
    await b.handle({ type: 'attach-device', port: channel.port1, sampleRate: 48000 });
    const rx = await b.handle({ type: 'create-video', streamId: 'r', spec: spec({ direction: 'recvonly', sink: { kind: 'device' } }) });
    const a = engine();
    await a.handle({ type: 'create-video', streamId: 's', spec: spec({ direction: 'sendonly', source: { kind: 'y4m', path: file }, remote: { address: '127.0.0.1', rtpPort: rx.localPort } }) });
    await until(() => frames.length >= 3, 'frames of the file');
    expect(frames.at(-1)).toMatchObject({ width: W, height: H });
    channel.port2.close();
  });

  it('refuses a source file it cannot read, in words, and holds no port for it', async () => {
    const a = engine();
    const err = await a.handle({ type: 'create-video', streamId: 'x', spec: spec({ source: { kind: 'y4m', path: '/nonexistent/cam.y4m' } }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaEngineError);
    expect((err as MediaEngineError).code).toBe('bad-request');
    expect((err as Error).message).toMatch(/nonexistent\/cam\.y4m/);
    await expect(a.handle({ type: 'video-camera', streamId: 'x', on: true })).rejects.toThrow(/no video stream/);
  });
});
