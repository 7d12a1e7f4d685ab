import { inject, onUnmounted, watch } from 'vue';
import { piniaSymbol } from 'pinia';
import { useCallsStore } from '../stores/calls.ts';
import { useAudioStore } from '../stores/audio.ts';

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

async function headIsAudio(url: string): Promise<boolean> {
  const res = await fetch(url, { method: 'HEAD', cache: 'no-store' });
  return res.ok && (res.headers.get('Content-Type') ?? '').startsWith('audio/');
}

export interface RingtoneOptions {
  /** Makes the audio element (tests pass a fake). Default: `new Audio()`. */
  createAudio?: () => RingtoneAudio;
  /** Default: the page's URL, so the relative path works from `app://` and from the bridge. */
  url?: string;
  /**
   * Whether the sound is there to play, asked once. Default: a HEAD request answered with an
   * `audio/*` type (the app protocol and `dev:web` both serve `/sounds/`; a server that answers
   * its page for unknown paths would not), so a missing file is skipped without a failed load
   * in the console.
   */
  probe?: (url: string) => Promise<boolean>;
  /** Whether this page rings at all (the incoming-call window leaves it to the main window). */
  enabled?: () => boolean;
}

/**
 * Loops the ringtone while an incoming call rings, on the ringing device chosen in settings
 * (`setSinkId`, where the element has it); stops when no call rings any more (answered,
 * declined, ended). A missing file or a refused autoplay only means silence: the incoming panel
 * still shows.
 */
export function useRingtone(opts: RingtoneOptions = {}) {
  const calls = useCallsStore();
  // The audio store (the ringing device) when a call first rings: the first screen does without it.
  const pinia = inject(piniaSymbol);
  const create = opts.createAudio ?? (() => new Audio() as RingtoneAudio);
  const probe = opts.probe ?? headIsAudio;
  let audio: RingtoneAudio | undefined;
  let playing = false;
  /** Bumped by every start and stop: a start that awaited past a later one gives way. */
  let generation = 0;
  let present: Promise<boolean> | undefined;

  async function start(): Promise<void> {
    if (playing) return;
    playing = true;
    const mine = ++generation;
    try {
      const url = opts.url ?? new URL(RINGTONE_URL, document.baseURI).href;
      present ??= probe(url).catch(() => false);
      if (!(await present) || mine !== generation) return;
      audio ??= create();
      audio.loop = true;
      if (audio.src !== url) audio.src = url;
      // The chosen ringing device, found again by its label if its id changed (pickDevice).
      const device = useAudioStore(pinia).ringing.id;
      if (typeof audio.setSinkId === 'function') {
        // '' is the system's default output; an unplugged device leaves the previous sink ringing.
        await audio.setSinkId(device === 'default' ? '' : device).catch(() => undefined);
      }
      if (mine !== generation) return; // stopped while choosing the device
      audio.currentTime = 0;
      await audio.play();
    } catch {
      // Silence rather than an error: see above.
    }
  }

  function stop(): void {
    if (!playing) return;
    playing = false;
    generation++;
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
