import { computed, effectScope, ref, shallowRef, watch } from 'vue';
import { defineStore } from 'pinia';
import type { CallSnapshot, VideoSettings } from '../../../main/contract/api.ts';
import type { VideoLinkMessage } from '../../../main/contract/video.ts';
import { DEFAULT_SETTINGS } from '../../../main/contract/defaults.ts';
import { CameraCapture } from '../video/camera-capture.ts';
import { useAudioStore } from './audio.ts';
import { useCallsStore } from './calls.ts';
import { useSettingsStore } from './settings.ts';

/** A decoded frame of a call's remote video, as the engine sent it. */
export type RemoteFrame = Extract<VideoLinkMessage, { video: 'frame' }>;

/** A call whose negotiated video runs with our camera on: it shows the self-view. */
export function showsCamera(c: CallSnapshot): boolean {
  return !!c.video?.active && c.video.camera && c.state !== 'ended';
}

/** A call that takes our camera's frames now (video running, allowed to send, camera on). */
export function takesCamera(c: CallSnapshot): boolean {
  return showsCamera(c) && !!c.video?.sending;
}

export interface VideoAttachOptions {
  /** Whether this page carries call media (the incoming-call window does not). Default: yes. */
  enabled?: () => boolean;
  /** Default: the page's own camera. */
  create?: () => CameraCapture;
}

/**
 * The call video of the page. The camera opens while a call shows it (`showsCamera`), and its
 * frames go on the call's device link only while the link is up and some call takes them
 * (`takesCamera`); when none does, the engine hears 'camera-off'. An audio-only call opens no
 * camera and sends nothing more on the link.
 *
 * The engine's decoded frames go to whoever watches that call (`watchRemote`: a canvas), never
 * through reactive state; `remote` holds only each call's picture size, so the screen knows what
 * to show. `attach()` starts all that, once, from App.vue; what it returns undoes it.
 */
export const useVideoStore = defineStore('video', () => {
  const calls = useCallsStore();
  const audio = useAudioStore();
  const settings = useSettingsStore();
  const camera = shallowRef<CameraCapture>();
  /** Calls showing remote video now: their picture's size. */
  const remote = ref<Record<string, { width: number; height: number }>>({});
  const last = new Map<string, RemoteFrame>();
  const viewers = new Map<string, Set<(frame: RemoteFrame | undefined) => void>>();

  const videoSettings = computed<VideoSettings>(() => settings.settings.video ?? DEFAULT_SETTINGS.video);
  const selfStream = computed(() => camera.value?.stream.value);
  const problem = computed(() => camera.value?.problem.value);
  const framesSent = computed(() => camera.value?.framesSent.value ?? 0);

  function heard(message: VideoLinkMessage): void {
    if (message.video === 'ended') return forget(message.callId);
    if (message.video !== 'frame') return;
    const id = message.callId;
    // Frames of a call we do not know (ended meanwhile) are not shown.
    if (!calls.live.some((c) => c.id === id)) return;
    last.set(id, message);
    const size = remote.value[id];
    if (!size || size.width !== message.width || size.height !== message.height) remote.value[id] = { width: message.width, height: message.height };
    for (const cb of viewers.get(id) ?? []) cb(message);
  }

  function forget(callId: string): void {
    last.delete(callId);
    if (remote.value[callId]) delete remote.value[callId];
    for (const cb of viewers.get(callId) ?? []) cb(undefined);
  }

  /** Calls `cb` with each frame of the call's remote video (the latest at once), undefined when it ends. */
  function watchRemote(callId: string, cb: (frame: RemoteFrame | undefined) => void): () => void {
    let set = viewers.get(callId);
    if (!set) viewers.set(callId, (set = new Set()));
    set.add(cb);
    const now = last.get(callId);
    if (now) cb(now);
    return () => {
      set.delete(cb);
      if (!set.size) viewers.delete(callId);
    };
  }

  function attach(opts: VideoAttachOptions = {}): () => void {
    const enabled = opts.enabled ?? (() => true);
    const cam = opts.create?.() ?? new CameraCapture();
    camera.value = cam;
    const unlisten = audio.onVideo(heard);
    const scope = effectScope(true);
    scope.run(() => {
      const open = computed(() => enabled() && calls.live.some(showsCamera));
      watch(
        [open, () => videoSettings.value.cameraId, () => videoSettings.value.resolution],
        ([on]) => {
          if (!on) return cam.close();
          void cam.open({ cameraId: videoSettings.value.cameraId, resolution: videoSettings.value.resolution });
        },
        { immediate: true },
      );
      const sending = computed(() => enabled() && audio.running && calls.live.some(takesCamera));
      watch(
        sending,
        (on, before) => {
          cam.send(on ? audio.sendVideo : undefined);
          if (!on && before) audio.sendVideo({ video: 'camera-off' });
        },
        { immediate: true },
      );
      // A call gone, or its video removed: its last picture goes too.
      watch(
        () => calls.live.filter((c) => c.video?.active).map((c) => c.id),
        (ids) => {
          for (const id of Object.keys(remote.value)) if (!ids.includes(id)) forget(id);
        },
      );
    });
    return () => {
      scope.stop();
      unlisten();
      cam.send(undefined);
      cam.close();
      for (const id of Object.keys(remote.value)) forget(id);
      if (camera.value === cam) camera.value = undefined;
    };
  }

  return { remote, selfStream, problem, framesSent, videoSettings, watchRemote, attach };
});
