import { onUnmounted, ref } from 'vue';
import { RINGTONE_URL, type RingtoneAudio } from './useRingtone.ts';

/** How long a test plays, ms. */
export const TEST_SOUND_MS = 3000;

export interface TestSoundOptions {
  /** Makes the audio element (tests pass a fake). Default: `new Audio()`. */
  createAudio?: () => RingtoneAudio;
  /** Default: the ringtone beside the page (`app://appel/sounds/…`, or `/sounds/…` through the bridge). */
  url?: string;
}

/**
 * Settings' "Play a test sound": the ringtone for a few seconds on one output device
 * (`setSinkId`; '' is the system's default), so a person hears which device is which. One test
 * at a time; a second press stops it. A device that cannot be opened is said in words.
 */
export function useTestSound(opts: TestSoundOptions = {}) {
  const playing = ref<'output' | 'ringing'>();
  const error = ref<string>();
  let audio: RingtoneAudio | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function stop(): void {
    clearTimeout(timer);
    timer = undefined;
    audio?.pause();
    playing.value = undefined;
  }

  async function play(which: 'output' | 'ringing', deviceId: string): Promise<void> {
    const again = playing.value === which;
    stop();
    if (again) return;
    error.value = undefined;
    audio ??= (opts.createAudio ?? (() => new Audio() as RingtoneAudio))();
    audio.loop = true;
    audio.src = opts.url ?? new URL(RINGTONE_URL, document.baseURI).href;
    playing.value = which;
    try {
      if (typeof audio.setSinkId === 'function') await audio.setSinkId(deviceId === 'default' ? '' : deviceId);
      audio.currentTime = 0;
      await audio.play();
      timer = setTimeout(stop, TEST_SOUND_MS);
    } catch (err) {
      stop();
      error.value = (err as Error)?.message || String(err);
    }
  }

  onUnmounted(stop);
  return { playing, error, play, stop };
}
