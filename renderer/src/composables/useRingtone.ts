import { onUnmounted, watch } from 'vue';
import { useCallsStore } from '../stores/calls.ts';
import { useSettingsStore } from '../stores/settings.ts';

/** The part of HTMLAudioElement the ringtone uses (`setSinkId` is missing in some browsers). */
export interface RingtoneAudio {
  loop: boolean;
  src: string;
  play(): Promise<void>;
  pause(): void;
  currentTime: number;
  setSinkId?: (sinkId: string) => Promise<void>;
}

/**
 * The ringtone file, relative to the page: `app://appel/sounds/ringtone.wav` in Electron (the app
 * protocol serves assets/sounds there), `/sounds/ringtone.wav` beside the page in a browser.
 */
export const RINGTONE_URL = 'sounds/ringtone.wav';

export interface RingtoneOptions {
  /** Makes the audio element (tests pass a fake). Default: `new Audio()`. */
  createAudio?: () => RingtoneAudio;
  /** Default: the page's URL, so the relative path works from `app://` and from the bridge. */
  url?: string;
  /** Whether this page rings at all (the incoming-call window leaves it to the main window). */
  enabled?: () => boolean;
}

/**
 * Loops the ringtone while an incoming call rings, on the ringing device chosen in settings
 * (`setSinkId`, where the element has it); stops when no call rings any more (answered,
 * declined, ended). A missing file, a refused autoplay or a Content-Security-Policy without
 * `media-src` (the browser bridge) only means silence: the incoming panel still shows.
 */
export function useRingtone(opts: RingtoneOptions = {}) {
  const calls = useCallsStore();
  const settings = useSettingsStore();
  const create = opts.createAudio ?? (() => new Audio() as RingtoneAudio);
  let audio: RingtoneAudio | undefined;
  let playing = false;

  async function start(): Promise<void> {
    if (playing) return;
    playing = true;
    try {
      audio ??= create();
      audio.loop = true;
      audio.src = opts.url ?? new URL(RINGTONE_URL, document.baseURI).href;
      const device = settings.settings.audio?.ringingDeviceId;
      if (device && device !== 'default' && typeof audio.setSinkId === 'function') {
        await audio.setSinkId(device).catch(() => undefined); // an unplugged device: the default one rings
      }
      if (!playing) return; // stopped while choosing the device
      audio.currentTime = 0;
      await audio.play();
    } catch {
      // Silence rather than an error: see above.
    }
  }

  function stop(): void {
    if (!playing) return;
    playing = false;
    try {
      audio?.pause();
      if (audio) audio.currentTime = 0;
    } catch {
      // An element that never loaded: nothing to stop.
    }
  }

  const enabled = opts.enabled ?? (() => true);
  const ringing = () => enabled() && calls.ringing.length > 0;
  watch(ringing, (now) => (now ? void start() : stop()), { immediate: true });
  onUnmounted(stop);
  return { start, stop, isPlaying: () => playing };
}
