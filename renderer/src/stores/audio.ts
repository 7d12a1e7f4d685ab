import { computed, effectScope, ref, shallowRef, watch } from 'vue';
import { defineStore } from 'pinia';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { CallAudio, type CallAudioSettings } from '../audio/call-audio.ts';
import { DeviceLabels } from '../audio/device-labels.ts';
import { pickDevice, type DeviceChoice, type ListedDevice } from '../audio/pick-device.ts';
import { useCallsStore } from './calls.ts';
import { useSettingsStore } from './settings.ts';
import type { VideoLinkMessage } from '../../../main/contract/video.ts';

/**
 * A call that needs this page's microphone and speaker: being placed, ringing out, in early media,
 * connected or held. An incoming call that only rings does not: the microphone opens on answer.
 */
export function carriesAudio(c: CallSnapshot): boolean {
  switch (c.state) {
    case 'dialing':
    case 'early':
    case 'connected':
    case 'held':
      return true;
    case 'ringing':
      return c.direction === 'outgoing';
    default:
      return false;
  }
}

/** An outgoing call that rings without early media: the caller hears a local ringback tone. */
export function needsRingback(c: CallSnapshot): boolean {
  return c.direction === 'outgoing' && c.state === 'ringing';
}

/** The machine's audio devices, as the store asks for them (tests pass a fake). */
export interface DeviceSource {
  list(): Promise<Array<Pick<MediaDeviceInfo, 'deviceId' | 'kind' | 'label'>>>;
  /** Calls back on `devicechange`; returns the function that stops listening. */
  watch(cb: () => void): () => void;
}

const browserDevices: DeviceSource = {
  async list() {
    const media = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    return media?.enumerateDevices ? media.enumerateDevices() : [];
  },
  watch(cb) {
    const media = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    media?.addEventListener?.('devicechange', cb);
    return () => media?.removeEventListener?.('devicechange', cb);
  },
};

export interface AudioAttachOptions {
  /** Whether this page carries call audio (the incoming-call window does not). Default: yes. */
  enabled?: () => boolean;
  /** Default: a CallAudio on the page's own WebAudio, microphone and engine link. */
  create?: () => CallAudio;
  devices?: DeviceSource;
  labels?: DeviceLabels;
}

/**
 * The call audio of the page (DESIGN.md, data flow 4): a CallAudio runs while some call carries
 * audio (`carriesAudio`) and stops when none does; the calls store's `muted` mutes the track; the
 * audio settings (devices, voice processing) apply during the call. Devices are chosen by
 * `pickDevice`, again at every `devicechange`: an unplugged device falls back to the system's
 * default and comes back when it is plugged in, with no change to the settings.
 *
 * `attach()` starts all that, once, from App.vue; what it returns undoes it.
 */
export const useAudioStore = defineStore('audio', () => {
  const calls = useCallsStore();
  const settings = useSettingsStore();
  const engine = shallowRef<CallAudio>();
  const inputs = ref<ListedDevice[]>([]);
  const outputs = ref<ListedDevice[]>([]);
  let labels: DeviceLabels | undefined;
  const videoListeners = new Set<(message: VideoLinkMessage) => void>();

  const micLevel = computed(() => engine.value?.micLevel.value ?? 0);
  const speakerLevel = computed(() => engine.value?.speakerLevel.value ?? 0);
  const problem = computed(() => engine.value?.problem.value);
  const running = computed(() => engine.value?.running.value ?? false);

  const choose = (saved: string, list: ListedDevice[]): DeviceChoice => pickDevice({ saved, savedLabel: labels?.labelOf(saved), devices: list });
  const input = computed(() => choose(settings.settings.audio.inputDeviceId, inputs.value));
  const output = computed(() => choose(settings.settings.audio.outputDeviceId, outputs.value));
  /** The ringtone's device, chosen the same way (useRingtone plays on it). */
  const ringing = computed(() => choose(settings.settings.audio.ringingDeviceId, outputs.value));

  const wanted = (): CallAudioSettings => {
    const a = settings.settings.audio;
    return {
      inputDeviceId: input.value.id,
      outputDeviceId: output.value.id,
      echoCancellation: a.echoCancellation,
      noiseSuppression: a.noiseSuppression,
      autoGainControl: a.autoGainControl,
    };
  };

  function attach(opts: AudioAttachOptions = {}): () => void {
    const enabled = opts.enabled ?? (() => true);
    const devices = opts.devices ?? browserDevices;
    labels = opts.labels ?? new DeviceLabels();
    const audio = opts.create?.() ?? new CallAudio();
    engine.value = audio;
    audio.onVideo = (message) => {
      for (const cb of videoListeners) cb(message);
    };

    async function refresh(): Promise<void> {
      try {
        const all = await devices.list();
        const pick = (kind: MediaDeviceKind) => all.filter((d) => d.kind === kind).map((d) => ({ id: d.deviceId, label: d.label }));
        labels?.remember([...pick('audioinput'), ...pick('audiooutput')]);
        inputs.value = pick('audioinput');
        outputs.value = pick('audiooutput');
      } catch {
        // No device list: the saved ids are tried as they are.
      }
    }

    const scope = effectScope(true);
    scope.run(() => {
      const carrying = computed(() => enabled() && calls.live.some(carriesAudio));
      watch(
        carrying,
        (on) => {
          if (!on) return void audio.stop();
          // Labels appear once the microphone was allowed: look again after it opened.
          void audio.start(wanted()).then(refresh);
        },
        { immediate: true },
      );
      watch(() => calls.muted, (m) => audio.setMuted(m), { immediate: true });
      watch(() => enabled() && calls.live.some(needsRingback), (on) => audio.setRingback(on), { immediate: true });
      watch(wanted, (next) => void audio.update(next));
    });
    const unwatch = devices.watch(() => void refresh());
    void refresh();

    return () => {
      scope.stop();
      unwatch();
      void audio.stop();
      audio.onVideo = undefined;
      if (engine.value === audio) engine.value = undefined;
    };
  }

  /** A camera message to the engine on the call's link (false, nothing sent, while it is down). */
  function sendVideo(message: VideoLinkMessage): boolean {
    return engine.value?.sendVideo(message) ?? false;
  }

  /** Hears the engine's video messages on the link; returns the function that stops listening. */
  function onVideo(cb: (message: VideoLinkMessage) => void): () => void {
    videoListeners.add(cb);
    return () => videoListeners.delete(cb);
  }

  return { micLevel, speakerLevel, problem, running, inputs, outputs, input, output, ringing, attach, sendVideo, onVideo };
});
