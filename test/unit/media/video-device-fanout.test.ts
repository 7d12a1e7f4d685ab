/**
 * Video in a local conference, in the media engine (issue 13): our engine has two video streams
 * whose source and sink are the app's device link (two calls merged), each to another engine on
 * loopback. The camera's frames go to both; the camera off on one call stops only that one; and
 * the decoded frames of the two calls come back on the link named by call, each with its own
 * party's picture (one party sends the test pattern, the other a flat grey from a y4m file).
 * Waits end on counts reached, bounded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { i420Bytes } from '../../../main/contract/video.ts';
import { MediaEngine } from '../../../main/media/media-engine.ts';
import type { VideoSpec } from '../../../main/media/media-protocol.ts';
import { SPEC_H, SPEC_W, videoSpec } from './video-spec.ts';
import { TEST_PATTERN_BARS } from '../../../main/media/video/video-sources.ts';

const W = SPEC_W;
const H = SPEC_H;
/** Luma of the camera's flat picture, and of the y4m file carol sends. */
const CAMERA_Y = 200;
const CAROL_Y = 60;

const dir = mkdtempSync(join(tmpdir(), 'appel-video-conf-'));
const engines: MediaEngine[] = [];
const ports: MessagePort[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await Promise.all(engines.splice(0).map((e) => e.shutdown()));
  for (const p of ports.splice(0)) p.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (test: () => boolean, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

type Frame = { callId: string; width: number; height: number; data: Uint8Array };

/** An engine with a device link; the decoded frames that come back on it, and the link's other end. */
async function withDevice(): Promise<{ engine: MediaEngine; frames: Frame[]; page: MessagePort }> {
  const engine = new MediaEngine({ onEvent: () => undefined });
  engines.push(engine);
  const channel = new MessageChannel();
  ports.push(channel.port1, channel.port2);
  const frames: Frame[] = [];
  channel.port2.on('message', (m: unknown) => {
    if (m && typeof m === 'object' && (m as { video?: string }).video === 'frame') frames.push(m as Frame);
  });
  await engine.handle({ type: 'attach-device', port: channel.port1, sampleRate: 48000 });
  return { engine, frames, page: channel.port2 };
}

/** Both ends of a call's video are the device link unless `over` says. */
const spec = (over: Partial<VideoSpec>): VideoSpec => videoSpec({ source: { kind: 'device' }, sink: { kind: 'device' }, label: 'call', ...over });

/** A flat picture: every luma sample `y`, chroma neutral. */
function flat(y: number): Uint8Array<ArrayBuffer> {
  const f = new Uint8Array(i420Bytes(W, H)).fill(128);
  f.fill(y, 0, W * H);
  return f;
}

/** Luma at the centre of each of the eight bars' columns, a tenth of the way down. */
function lumaAcross(f: Frame): number[] {
  return Array.from({ length: 8 }, (_, bar) => f.data[Math.floor(H / 10) * f.width + Math.floor(((bar + 0.5) * f.width) / 8)]);
}

const sent = async (e: MediaEngine, id: string) => (await e.handle({ type: 'get-video-stats', streamId: id })).stats.framesSent;

describe('the device camera in a local conference', () => {
  it('goes to both calls; camera off on one stops only that one; the two calls\' pictures come back told apart', { timeout: 40_000 }, async () => {
    const y4m = join(dir, 'carol.y4m');
    writeFileSync(y4m, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F30:1 Ip A1:1 C420jpeg\n`), Buffer.from('FRAME\n'), flat(CAROL_Y)]));
    const us = await withDevice();
    const bob = await withDevice();
    const carol = await withDevice();
    // Each party's port first (a reservation), so that each side's stream knows where the other is.
    const [bobPort, carolPort] = await Promise.all([bob, carol].map(async (p) => (await p.engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1' })).localPort));
    const toBob = await us.engine.handle({ type: 'create-video', streamId: 'vb', spec: spec({ label: 'call-bob', remote: { address: '127.0.0.1', rtpPort: bobPort } }) });
    const toCarol = await us.engine.handle({ type: 'create-video', streamId: 'vc', spec: spec({ label: 'call-carol', remote: { address: '127.0.0.1', rtpPort: carolPort } }) });
    await bob.engine.handle({ type: 'create-video', streamId: 'b', spec: spec({ localPort: bobPort, remote: { address: '127.0.0.1', rtpPort: toBob.localPort }, source: { kind: 'testsrc' }, label: 'from-us' }) });
    await carol.engine.handle({ type: 'create-video', streamId: 'c', spec: spec({ localPort: carolPort, remote: { address: '127.0.0.1', rtpPort: toCarol.localPort }, source: { kind: 'y4m', path: y4m }, label: 'from-us' }) });

    // The page's camera: one flat picture 30 times a second, on the device link.
    timers.push(setInterval(() => {
      const data = flat(CAMERA_Y);
      us.page.postMessage({ video: 'camera', width: W, height: H, data }, [data.buffer]);
    }, 1000 / 30));

    // Both parties see our camera.
    await until(() => bob.frames.length >= 10 && carol.frames.length >= 10, 'our camera at both parties');
    for (const p of [bob, carol]) {
      const f = p.frames.at(-1)!;
      expect([f.callId, f.width, f.height]).toEqual(['from-us', W, H]);
      for (const y of lumaAcross(f)) expect(Math.abs(y - CAMERA_Y)).toBeLessThan(8);
    }

    // Their pictures come back to us named by call: bob's bars on call-bob, carol's grey on call-carol.
    await until(() => us.frames.filter((f) => f.callId === 'call-bob').length >= 10 && us.frames.filter((f) => f.callId === 'call-carol').length >= 10, 'both parties\' pictures on the link');
    expect(new Set(us.frames.map((f) => f.callId))).toEqual(new Set(['call-bob', 'call-carol']));
    const fromBob = us.frames.filter((f) => f.callId === 'call-bob').at(-1)!;
    lumaAcross(fromBob).forEach((y, bar) => expect(Math.abs(y - TEST_PATTERN_BARS[bar][0]), `bar ${bar}`).toBeLessThan(12));
    const fromCarol = us.frames.filter((f) => f.callId === 'call-carol').at(-1)!;
    for (const y of lumaAcross(fromCarol)) expect(Math.abs(y - CAROL_Y)).toBeLessThan(8);

    // Camera off for carol's call: it sends nothing more; bob's call goes on sending.
    await us.engine.handle({ type: 'video-camera', streamId: 'vc', on: false });
    const [carolOff, bobAtOff] = [await sent(us.engine, 'vc'), await sent(us.engine, 'vb')];
    // What was on its way to carol when the camera went off has arrived by the time bob sees three more.
    const atOff = bob.frames.length;
    await until(() => bob.frames.length >= atOff + 3, 'bob sees our camera');
    const [bobSeen, carolSeen] = [bob.frames.length, carol.frames.length];
    await until(() => bob.frames.length >= bobSeen + 10, 'bob still sees our camera');
    expect(await sent(us.engine, 'vc')).toBe(carolOff);
    expect(await sent(us.engine, 'vb')).toBeGreaterThanOrEqual(bobAtOff + 10);
    expect(carol.frames.length).toBe(carolSeen);
    // And on again: carol sees us again (a key frame first, so her decoder starts at once).
    await us.engine.handle({ type: 'video-camera', streamId: 'vc', on: true });
    await until(() => carol.frames.length >= carolSeen + 5, 'carol sees our camera again');
  });

  it("scales the camera down for a call whose format is smaller (the other side's max-fs), and only for that one", { timeout: 30_000 }, async () => {
    const us = await withDevice();
    const bob = await withDevice();
    const carol = await withDevice();
    const [bobPort, carolPort] = await Promise.all([bob, carol].map(async (p) => (await p.engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1' })).localPort));
    const small = { width: W / 2, height: H / 2, fps: 30, bitrateKbps: 300 };
    const toBob = await us.engine.handle({ type: 'create-video', streamId: 'vb', spec: spec({ label: 'call-bob', direction: 'sendonly', remote: { address: '127.0.0.1', rtpPort: bobPort } }) });
    const toCarol = await us.engine.handle({ type: 'create-video', streamId: 'vc', spec: spec({ label: 'call-carol', direction: 'sendonly', format: small, remote: { address: '127.0.0.1', rtpPort: carolPort } }) });
    await bob.engine.handle({ type: 'create-video', streamId: 'b', spec: spec({ localPort: bobPort, direction: 'recvonly', remote: { address: '127.0.0.1', rtpPort: toBob.localPort }, source: { kind: 'none' }, label: 'from-us' }) });
    await carol.engine.handle({ type: 'create-video', streamId: 'c', spec: spec({ localPort: carolPort, direction: 'recvonly', format: small, remote: { address: '127.0.0.1', rtpPort: toCarol.localPort }, source: { kind: 'none' }, label: 'from-us' }) });
    timers.push(setInterval(() => {
      const data = flat(CAMERA_Y);
      us.page.postMessage({ video: 'camera', width: W, height: H, data }, [data.buffer]);
    }, 1000 / 30));
    await until(() => bob.frames.length >= 5 && carol.frames.length >= 5, 'our camera at both parties');
    expect([bob.frames.at(-1)!.width, bob.frames.at(-1)!.height]).toEqual([W, H]);
    const c = carol.frames.at(-1)!;
    expect([c.width, c.height]).toEqual([W / 2, H / 2]);
    expect(Math.abs(c.data[(H / 4) * c.width + W / 4] - CAMERA_Y)).toBeLessThan(8);
  });
});
