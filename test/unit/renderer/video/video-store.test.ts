/**
 * The call video of the page (stores/video.ts) over CallAudio's link: the camera opens only for
 * a call whose video runs with the camera on, its frames go only while the link is up, the engine
 * hears 'camera-off' when none takes them, and the engine's frames reach whoever watches that
 * call, checked. An audio-only call opens no camera and sends nothing more.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { flushPromises } from '@vue/test-utils';
import type { CallVideo } from '../../../../main/contract/api.ts';
import { i420Bytes, VIDEO_FORMATS } from '../../../../main/contract/video.ts';
import { callSnapshot } from '../fake-appel.ts';
import { CallAudio } from '../../../../renderer/src/audio/call-audio.ts';
import { useAudioStore } from '../../../../renderer/src/stores/audio.ts';
import { useCallsStore } from '../../../../renderer/src/stores/calls.ts';
import { DEFAULT_SETTINGS, useSettingsStore } from '../../../../renderer/src/stores/settings.ts';
import { useVideoStore, type RemoteFrame } from '../../../../renderer/src/stores/video.ts';
import { CameraCapture } from '../../../../renderer/src/video/camera-capture.ts';
import { fakeAudio } from '../audio/fake-audio.ts';
import { fakeCamera, fakeFrame } from './fake-camera.ts';

const video = (over: Partial<CallVideo> = {}): CallVideo => ({ offered: false, active: true, codec: 'vp8', sending: true, receiving: true, camera: true, ...over });

function setup() {
  const a = fakeAudio();
  const cam = fakeCamera();
  useSettingsStore().apply({ ...DEFAULT_SETTINGS, video: { cameraId: 'default', resolution: '360p' } });
  const calls = useCallsStore();
  const audio = useAudioStore();
  const store = useVideoStore();
  const detachAudio = audio.attach({ create: () => new CallAudio(a.deps), devices: { list: async () => [], watch: () => () => undefined } });
  const detach = store.attach({ create: () => new CameraCapture(cam.deps) });
  /** What the page said to the engine on the link (through the worklet's port). */
  const toEngine = () => a.nodes.flatMap((n) => n.port.sent.filter((s) => s.msg.type === 'video').map((s) => (s.msg as { message: { video: string } }).message));
  return { a, cam, calls, store, toEngine, detach: () => (detach(), detachAudio()) };
}

const { width, height } = VIDEO_FORMATS['360p'];

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('the call video store', () => {
  it('an audio-only call opens no camera and puts nothing more on the link', async () => {
    const { cam, calls, toEngine } = setup();
    calls.apply(callSnapshot({ state: 'connected' }));
    await flushPromises();
    expect(cam.asked).toHaveLength(0);
    expect(toEngine()).toEqual([]);
  });

  it("sends the camera while a call's video runs with the camera on, and says 'camera-off' when it stops", async () => {
    const { cam, calls, store, toEngine } = setup();
    calls.apply(callSnapshot({ state: 'connected', video: video() }));
    await flushPromises();
    expect(cam.asked[0]).toMatchObject({ width: { ideal: width }, height: { ideal: height } });
    expect(store.selfStream).toBe(cam.streams[0]);
    cam.push(fakeFrame({ width, height, timestamp: 0 }));
    await new Promise((r) => setTimeout(r, 10));
    expect(toEngine()).toHaveLength(1);
    expect(toEngine()[0]).toMatchObject({ video: 'camera', width, height });

    // Camera off in the call: the camera closes and the engine hears it.
    calls.apply(callSnapshot({ state: 'connected', video: video({ camera: false }) }));
    await flushPromises();
    expect(toEngine().at(-1)).toEqual({ video: 'camera-off' });
    expect(cam.streams[0].tracks[0].readyState).toBe('ended');
    expect(store.selfStream).toBeUndefined();
  });

  it('opens the camera for a held call (self-view) but sends nothing while the direction forbids it', async () => {
    const { cam, calls, toEngine } = setup();
    calls.apply(callSnapshot({ state: 'held', video: video({ sending: false }) }));
    await flushPromises();
    expect(cam.asked).toHaveLength(1);
    cam.push(fakeFrame({ width, height, timestamp: 0 }));
    await new Promise((r) => setTimeout(r, 10));
    expect(toEngine()).toEqual([]);
  });

  it("hands each call's decoded frames to its watchers, the latest at once, and forgets them when the video ends", async () => {
    const { a, calls, store } = setup();
    calls.apply(callSnapshot({ id: 'c1', state: 'connected', video: video() }));
    await flushPromises();
    const frame = { video: 'frame', callId: 'c1', width: 32, height: 16, data: new Uint8Array(i420Bytes(32, 16)) };
    const fromEngine = (message: unknown) => a.nodes[0].port.emit({ type: 'video', message });
    fromEngine(frame);
    fromEngine({ ...frame, width: 30 }); // size and bytes disagree: dropped
    fromEngine({ ...frame, callId: 'nobody' }); // no such call
    expect(store.remote).toEqual({ c1: { width: 32, height: 16 } });
    const seen: Array<RemoteFrame | undefined> = [];
    const stop = store.watchRemote('c1', (f) => seen.push(f));
    expect(seen).toHaveLength(1);
    fromEngine(frame);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ callId: 'c1', width: 32 });
    fromEngine({ video: 'ended', callId: 'c1' });
    expect(seen.at(-1)).toBeUndefined();
    expect(store.remote).toEqual({});
    stop();
    fromEngine(frame);
    expect(seen).toHaveLength(3);
    // The call's video removed: its picture goes too.
    calls.apply(callSnapshot({ id: 'c1', state: 'connected', video: video({ active: false }) }));
    await flushPromises();
    expect(store.remote).toEqual({});
  });

  it('sends nothing once detached (no link), and closes the camera', async () => {
    const { cam, calls, detach, toEngine } = setup();
    calls.apply(callSnapshot({ state: 'connected', video: video() }));
    await flushPromises();
    detach();
    await flushPromises();
    cam.push(fakeFrame({ width, height, timestamp: 0 }));
    await new Promise((r) => setTimeout(r, 10));
    expect(toEngine().filter((m) => m.video === 'camera')).toEqual([]);
    expect(cam.streams[0].tracks[0].readyState).toBe('ended');
  });
});
