/**
 * Settings → Audio's test sound (composables/useTestSound.ts): the ringtone on the chosen output
 * or ringing device for a few seconds, one at a time, a second press stops it, and a device that
 * cannot be opened is said in words.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import SettingsAudio from '../../../../renderer/src/components/settings/SettingsAudio.vue';
import { TEST_SOUND_MS, useTestSound } from '../../../../renderer/src/composables/useTestSound.ts';
import { mountWith } from '../mount.ts';

class FakeAudio {
  loop = false;
  src = '';
  currentTime = 0;
  sinks: string[] = [];
  playing = false;
  failSink?: Error;
  async play() {
    this.playing = true;
  }
  pause() {
    this.playing = false;
  }
  async setSinkId(id: string) {
    if (this.failSink) throw this.failSink;
    this.sinks.push(id);
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function withTestSound() {
  const audio = new FakeAudio();
  let api!: ReturnType<typeof useTestSound>;
  const Host = defineComponent({
    setup() {
      api = useTestSound({ createAudio: () => audio, url: 'http://127.0.0.1/sounds/ringtone.wav' });
      return () => h('div');
    },
  });
  const { wrapper } = await mountWith(Host);
  return { audio, api: () => api, wrapper };
}

describe('the test sound', () => {
  it('plays on the chosen device for a few seconds, then stops by itself', async () => {
    const { audio, api } = await withTestSound();
    await api().play('output', 'usb-headset');
    expect(audio.sinks).toEqual(['usb-headset']);
    expect(audio.src).toBe('http://127.0.0.1/sounds/ringtone.wav');
    expect(audio.playing).toBe(true);
    expect(api().playing.value).toBe('output');
    vi.advanceTimersByTime(TEST_SOUND_MS);
    expect(audio.playing).toBe(false);
    expect(api().playing.value).toBeUndefined();
  });

  it("'default' is the system's output; a second press stops; the other device's test takes over", async () => {
    const { audio, api } = await withTestSound();
    await api().play('ringing', 'default');
    expect(audio.sinks).toEqual(['']);
    await api().play('ringing', 'default');
    expect(audio.playing).toBe(false);
    await api().play('ringing', 'default');
    await api().play('output', 'speakers');
    expect(audio.sinks).toEqual(['', '', 'speakers']);
    expect(api().playing.value).toBe('output');
    expect(audio.playing).toBe(true);
  });

  it('says why a device cannot play, and stops', async () => {
    const { audio, api } = await withTestSound();
    audio.failSink = new Error('Requested device not found');
    await api().play('output', 'gone');
    expect(api().error.value).toBe('Requested device not found');
    expect(api().playing.value).toBeUndefined();
    expect(audio.playing).toBe(false);
  });

  it('has a labelled button beside the output and ringing devices in Settings, in English and French', async () => {
    const { wrapper } = await mountWith(SettingsAudio, { initialState: { settings: { settings: defaultsForTest() } } });
    expect(wrapper.get('[data-testid="test-output"]').attributes('aria-label')).toBe('Play a test sound on: Speaker');
    expect(wrapper.get('[data-testid="test-ringing"]').text()).toBe('Play a test sound');
    const fr = await mountWith(SettingsAudio, { locale: 'fr', initialState: { settings: { settings: defaultsForTest() } } });
    expect(fr.wrapper.get('[data-testid="test-ringing"]').text()).toBe('Jouer un son d’essai');
  });
});

function defaultsForTest() {
  return {
    language: 'en',
    theme: 'system',
    doNotDisturb: false,
    autoAnswer: { enabled: false, delay: 0 },
    codecs: ['opus', 'pcmu'],
    srtp: 'off',
    audio: { inputDeviceId: 'default', outputDeviceId: 'default', ringingDeviceId: 'default', echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    network: { stunServer: '', rtpPortMin: 16384, rtpPortMax: 32766 },
    closeToTray: false,
    startMinimised: false,
  };
}
