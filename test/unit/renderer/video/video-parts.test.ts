/**
 * The renderer's video pieces that need no page: camera frames to the link's I420 (copied once,
 * NV12 split, RGB converted, another size scaled), frame pacing, and the camera capture's rules
 * (the format's size and rate, the chosen camera or the default, frames only while a sink takes
 * them, every frame closed).
 */
import { describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { i420Bytes, VIDEO_FORMATS, type VideoLinkMessage } from '../../../../main/contract/video.ts';
import { frameToI420, rgbaToI420, splitChroma } from '../../../../renderer/src/video/i420.ts';
import { coverCrop, scaleI420 } from '../../../../main/contract/i420-scale.ts';
import { CameraCapture, cameraProblemOf, FramePacer } from '../../../../renderer/src/video/camera-capture.ts';
import { fakeCamera, fakeFrame } from './fake-camera.ts';

describe('frames to I420', () => {
  it('copies an I420 frame of the wanted size once, in tight planes', async () => {
    const out = await frameToI420(fakeFrame({ width: 32, height: 16, timestamp: 0, y: 100, u: 90, v: 200 }), 32, 16);
    expect(out).toHaveLength(i420Bytes(32, 16));
    expect(out![0]).toBe(100);
    expect(out![32 * 16]).toBe(90);
    expect(out![32 * 16 + 128]).toBe(200);
    expect(out!.at(-1)).toBe(200);
  });

  it('splits NV12 chroma into the U and V planes', async () => {
    const out = await frameToI420(fakeFrame({ width: 16, height: 16, timestamp: 0, format: 'NV12', y: 50, u: 60, v: 70 }), 16, 16);
    expect([...out!.subarray(256, 320)].every((b) => b === 60)).toBe(true);
    expect([...out!.subarray(320)].every((b) => b === 70)).toBe(true);
    const buf = Uint8Array.from([9, 9, 1, 2, 3, 4]);
    splitChroma(buf, 2);
    expect([...buf]).toEqual([9, 9, 1, 3, 2, 4]);
  });

  it('scales a frame of another size into the wanted one, and leaves unknown formats to the canvas', async () => {
    const out = await frameToI420(fakeFrame({ width: 64, height: 36, timestamp: 0, y: 120, u: 80, v: 160 }), 32, 18);
    expect(out).toHaveLength(i420Bytes(32, 18));
    expect(new Set(out!.subarray(0, 32 * 18))).toEqual(new Set([120]));
    expect(new Set(out!.subarray(32 * 18, 32 * 18 + 144))).toEqual(new Set([80]));
    expect(await frameToI420(fakeFrame({ width: 32, height: 16, timestamp: 0, format: 'WEIRD' }), 32, 16)).toBeUndefined();
  });

  it('scales bilinearly, centre-cropped to the new aspect', () => {
    // A horizontal ramp of luma over 8 × 4, halved: each output pixel between its two sources.
    const src = new Uint8Array(i420Bytes(8, 4));
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) src[y * 8 + x] = x * 32;
    const dst = new Uint8Array(i420Bytes(4, 2));
    scaleI420(src, 8, 4, dst, 4, 2);
    expect([...dst.subarray(0, 8)]).toEqual([16, 80, 144, 208, 16, 80, 144, 208]);
    // 8 × 2 into 4 × 2: the middle half, not a squeezed whole.
    const wide = new Uint8Array(i420Bytes(8, 2));
    for (let x = 0; x < 8; x++) wide[x] = wide[8 + x] = x * 32;
    const mid = new Uint8Array(i420Bytes(4, 2));
    scaleI420(wide, 8, 2, mid, 4, 2);
    expect([...mid.subarray(0, 4)]).toEqual([64, 96, 128, 160]);
    expect(coverCrop(1280, 720, 640, 480)).toEqual({ sx: 160, sy: 0, sw: 960, sh: 720 });
  });

  it('converts RGB with the BT.601 studio-swing matrix', () => {
    const white = rgbaToI420(new Uint8Array(4 * 4).fill(255), 2, 2, false);
    expect([...white]).toEqual([235, 235, 235, 235, 128, 128]);
    const red = rgbaToI420(Uint8Array.from({ length: 16 }, (_, i) => [255, 0, 0, 255][i % 4]), 2, 2, false);
    expect([red[0], red[4], red[5]]).toEqual([82, 90, 240]);
    const blueAsBgr = rgbaToI420(Uint8Array.from({ length: 16 }, (_, i) => [255, 0, 0, 255][i % 4]), 2, 2, true);
    expect([blueAsBgr[0], blueAsBgr[4], blueAsBgr[5]]).toEqual([41, 240, 110]);
  });
});

describe('frame pacing', () => {
  it('takes at most the rate asked for, and the whole rate of a jittery camera at that rate', () => {
    const fast = new FramePacer(30);
    let taken = 0;
    for (let i = 0; i < 60; i++) if (fast.take(i * 16_667)) taken++;
    expect(taken).toBeGreaterThanOrEqual(29);
    expect(taken).toBeLessThanOrEqual(31);
    const jittery = new FramePacer(30);
    taken = 0;
    for (let i = 0; i < 30; i++) if (jittery.take(i * 33_333 + (i % 2 ? 4000 : -4000))) taken++;
    expect(taken).toBe(30);
  });
});

function capture() {
  const f = fakeCamera();
  const cam = new CameraCapture(f.deps);
  const sent: VideoLinkMessage[] = [];
  let linkUp = true;
  const sink = (m: VideoLinkMessage) => (linkUp ? (sent.push(m), true) : false);
  return { f, cam, sent, sink, down: () => (linkUp = false) };
}

describe('the camera capture', () => {
  it("opens the chosen camera at the format's size and rate, and the default when it is gone", async () => {
    const { f, cam } = capture();
    await cam.open({ cameraId: 'cam-a', resolution: '720p' });
    expect(f.asked[0]).toMatchObject({ deviceId: { exact: 'cam-a' }, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, max: 30 } });
    expect(cam.stream.value).toBe(f.streams[0]);
    await cam.open({ cameraId: 'cam-gone', resolution: '360p' });
    expect(f.streams[0].tracks[0].readyState).toBe('ended');
    expect(f.asked.slice(1).map((a) => (a.deviceId as { exact?: string } | undefined)?.exact)).toEqual(['cam-gone', undefined]);
    expect(cam.stream.value).toBe(f.streams[1]);
    cam.close();
    expect(f.streams[1].tracks[0].readyState).toBe('ended');
    expect(cam.stream.value).toBeUndefined();
  });

  it('says in words why there is no camera', async () => {
    const { f, cam } = capture();
    f.refuseNext = { name: 'NotAllowedError', message: 'denied' };
    await cam.open({ cameraId: 'default', resolution: '480p' });
    expect(cam.problem.value).toEqual({ key: 'permission' });
    expect(cam.stream.value).toBeUndefined();
    expect(cameraProblemOf({ name: 'NotReadableError' })).toEqual({ key: 'busy' });
    expect(cameraProblemOf(new Error('odd'))).toEqual({ key: 'failed', reason: 'odd' });
  });

  it('sends I420 frames of the format only while a sink takes them, at most its rate, closing every frame', async () => {
    const { f, cam, sent, sink } = capture();
    await cam.open({ cameraId: 'default', resolution: '360p' });
    const { width, height } = VIDEO_FORMATS['360p'];
    cam.send(sink);
    for (let i = 1; i <= 6; i++) f.push(fakeFrame({ width, height, timestamp: i * 16_667, y: i })); // 60 fps for 100 ms
    await flushPromises();
    await new Promise((r) => setTimeout(r, 20));
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeLessThanOrEqual(4);
    expect(sent[0]).toMatchObject({ video: 'camera', width, height });
    expect((sent[0] as { data: Uint8Array }).data).toHaveLength(i420Bytes(width, height));
    expect(cam.framesSent.value).toBe(sent.length);
    cam.send(undefined);
    const before = sent.length;
    f.push(fakeFrame({ width, height, timestamp: 1_000_000 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(before);
    expect(f.pushed.map((fr) => (fr as { closed?: boolean }).closed)).toEqual(f.pushed.map(() => true));
  });
});
