import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { flushPromises } from '@vue/test-utils';
import { callSnapshot } from '../fake-appel.ts';
import { CallAudio } from '../../../../renderer/src/audio/call-audio.ts';
import { DeviceLabels } from '../../../../renderer/src/audio/device-labels.ts';
import { useAudioStore, type DeviceSource } from '../../../../renderer/src/stores/audio.ts';
import { useCallsStore } from '../../../../renderer/src/stores/calls.ts';
import { DEFAULT_SETTINGS, useSettingsStore } from '../../../../renderer/src/stores/settings.ts';
import { fakeAudio } from './fake-audio.ts';

const snapshot = callSnapshot;

type Listed = { deviceId: string; kind: MediaDeviceKind; label: string };

/** The machine's devices: a list a test changes, and a `devicechange` it fires. */
function fakeDevices(list: Listed[]) {
  const listeners = new Set<() => void>();
  const source: DeviceSource = {
    list: async () => list.map((d) => ({ ...d })),
    watch: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  return {
    source,
    list,
    listeners,
    change(next: Listed[]) {
      list.splice(0, list.length, ...next);
      for (const cb of listeners) cb();
    },
  };
}

const mic = (deviceId: string, label: string): Listed => ({ deviceId, kind: 'audioinput', label });
const speaker = (deviceId: string, label: string): Listed => ({ deviceId, kind: 'audiooutput', label });

function memoryLabels(seed: Record<string, string> = {}) {
  const data = new Map([['appel.audio.device-labels', JSON.stringify(seed)]]);
  return new DeviceLabels({ getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) });
}

function setup(opts: { enabled?: () => boolean; devices?: Listed[]; labels?: Record<string, string>; audio?: Partial<typeof DEFAULT_SETTINGS.audio> } = {}) {
  const f = fakeAudio();
  const devices = fakeDevices(opts.devices ?? [mic('mic-a', 'Built-in Microphone'), mic('mic-b', 'USB Headset'), speaker('spk-1', 'Speakers'), speaker('spk-2', 'USB Headset')]);
  const settings = useSettingsStore();
  settings.apply({ ...DEFAULT_SETTINGS, audio: { ...DEFAULT_SETTINGS.audio, ...opts.audio } });
  const calls = useCallsStore();
  const store = useAudioStore();
  const detach = store.attach({ enabled: opts.enabled, create: () => new CallAudio(f.deps), devices: devices.source, labels: memoryLabels(opts.labels) });
  return { f, devices, settings, calls, store, detach };
}

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('the call audio store', () => {
  it('starts when a call is dialled: link up, microphone open', async () => {
    const { f, calls, store } = setup();
    expect(f.contexts).toHaveLength(0);
    calls.apply(snapshot({ state: 'dialing' }));
    await flushPromises();
    expect(f.contexts).toHaveLength(1);
    expect(f.links).toHaveLength(1);
    expect(f.live()).toBeDefined();
    expect(store.running).toBe(true);
  });

  it('does not open the microphone for an incoming call that only rings, and does on answer', async () => {
    const { f, calls } = setup();
    calls.apply(snapshot({ direction: 'incoming', state: 'ringing' }));
    await flushPromises();
    expect(f.contexts).toHaveLength(0);
    expect(f.asked).toHaveLength(0);
    calls.apply(snapshot({ direction: 'incoming', state: 'connected', answeredAt: 2000 }));
    await flushPromises();
    expect(f.asked).toHaveLength(1);
  });

  it('runs through ringing, early media, connected and held, once', async () => {
    const { f, calls } = setup();
    for (const state of ['dialing', 'ringing', 'early', 'connected', 'held', 'connected'] as const) {
      calls.apply(snapshot({ state }));
      await flushPromises();
    }
    expect(f.contexts).toHaveLength(1);
    expect(f.contexts[0].closed).toBe(false);
  });

  it('stops when the call ends: bye on the link, microphone off, context closed', async () => {
    const { f, calls, store } = setup();
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    calls.apply(snapshot({ state: 'ended', endReason: 'the other side hung up' }));
    await flushPromises();
    expect(f.nodes[0].port.sent.map((s) => s.msg.type)).toEqual(['link', 'bye']);
    expect(f.streams[0].tracks[0].stopped).toBe(true);
    expect(f.contexts[0].closed).toBe(true);
    expect(store.running).toBe(false);
  });

  it('keeps running while a second call is still on', async () => {
    const { f, calls } = setup();
    calls.apply(snapshot({ id: 'c1', state: 'held' }));
    calls.apply(snapshot({ id: 'c2', state: 'connected' }));
    await flushPromises();
    calls.apply(snapshot({ id: 'c2', state: 'ended' }));
    await flushPromises();
    expect(f.contexts[0].closed).toBe(false);
  });

  it("follows the calls store's mute", async () => {
    const { f, calls } = setup();
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    calls.toggleMute();
    await flushPromises();
    expect(f.live()!.tracks[0].enabled).toBe(false);
    calls.toggleMute();
    await flushPromises();
    expect(f.live()!.tracks[0].enabled).toBe(true);
  });

  it('carries no audio in a page that is not the main window', async () => {
    const { f, calls } = setup({ enabled: () => false });
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    expect(f.contexts).toHaveLength(0);
  });

  it('plays the ringback while an outgoing call rings without early media', async () => {
    const { f, calls } = setup();
    calls.apply(snapshot({ state: 'dialing' }));
    await flushPromises();
    expect(f.contexts[0].tones).toHaveLength(0);
    calls.apply(snapshot({ state: 'ringing' }));
    await flushPromises();
    const tone = f.contexts[0].tones[0];
    expect(tone.started).toBe(true);
    calls.apply(snapshot({ state: 'early' }));
    await flushPromises();
    expect(tone.stopped).toBe(true);
  });

  it('stops the ringback on answer', async () => {
    const { f, calls } = setup();
    calls.apply(snapshot({ state: 'ringing' }));
    await flushPromises();
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    expect(f.contexts[0].tones[0].stopped).toBe(true);
  });

  it('opens the chosen devices', async () => {
    const { f, calls, store } = setup({ audio: { inputDeviceId: 'mic-b', outputDeviceId: 'spk-2' } });
    calls.apply(snapshot());
    await flushPromises();
    expect(f.asked[0].deviceId).toEqual({ exact: 'mic-b' });
    expect(f.contexts[0].sinkIds).toEqual(['spk-2']);
    expect(store.input).toEqual({ id: 'mic-b', match: 'id' });
  });

  it('finds the chosen headset by its label when its id changed', async () => {
    const { f, calls, store } = setup({ audio: { inputDeviceId: 'old-id' }, labels: { 'old-id': 'USB Headset' } });
    await flushPromises();
    expect(store.input).toEqual({ id: 'mic-b', match: 'label' });
    calls.apply(snapshot());
    await flushPromises();
    expect(f.asked[0].deviceId).toEqual({ exact: 'mic-b' });
  });

  it('falls back to the default when the chosen devices are unplugged mid-call, and goes back when they return', async () => {
    const { f, devices, settings, calls } = setup({ audio: { inputDeviceId: 'mic-b', outputDeviceId: 'spk-2' } });
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    const all = [...devices.list];
    devices.change(all.filter((d) => d.label !== 'USB Headset'));
    await flushPromises();
    expect(f.asked.at(-1)?.deviceId).toBeUndefined(); // the default microphone
    expect(f.contexts[0].sinkIds.at(-1)).toBe('');
    devices.change(all);
    await flushPromises();
    expect(f.asked.at(-1)?.deviceId).toEqual({ exact: 'mic-b' });
    expect(f.contexts[0].sinkIds.at(-1)).toBe('spk-2');
    expect(f.links).toHaveLength(1); // one link all along
    expect(settings.settings.audio.inputDeviceId).toBe('mic-b'); // settings untouched
  });

  it('applies a settings change during the call (new microphone, new speaker)', async () => {
    const { f, settings, calls } = setup();
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    settings.apply({ ...settings.settings, audio: { ...settings.settings.audio, inputDeviceId: 'mic-a', outputDeviceId: 'spk-1', autoGainControl: false } });
    await flushPromises();
    expect(f.asked.at(-1)).toMatchObject({ deviceId: { exact: 'mic-a' }, autoGainControl: false });
    expect(f.contexts[0].sinkIds.at(-1)).toBe('spk-1');
    expect(f.streams[0].tracks[0].stopped).toBe(true);
  });

  it('keeps a refused microphone as a problem for the call screen', async () => {
    const { f, calls, store } = setup();
    f.refuseNext = { name: 'NotAllowedError', message: 'Permission denied' };
    calls.apply(snapshot());
    await flushPromises();
    expect(store.problem).toEqual({ key: 'permission' });
  });

  it('detaching stops everything and listens no more', async () => {
    const { f, devices, calls, detach } = setup();
    calls.apply(snapshot({ state: 'connected' }));
    await flushPromises();
    detach();
    await flushPromises();
    expect(f.contexts[0].closed).toBe(true);
    expect(devices.listeners.size).toBe(0);
    calls.apply(snapshot({ id: 'c2', state: 'dialing' }));
    await flushPromises();
    expect(f.contexts).toHaveLength(1);
  });
});
