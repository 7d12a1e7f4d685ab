/**
 * The settings a new install starts with, and what a setting reads as when its stored value cannot
 * be read. The store, the engine (a dial without codecs), the CLI and the renderer (until the
 * engine has answered) all take them from here.
 */
import type { Settings } from './api.ts';
import { CALL_CODECS } from './values.ts';
import { DEFAULT_VIDEO_RESOLUTION } from './video.ts';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  language: 'system',
  theme: 'system',
  doNotDisturb: false,
  autoAnswer: { enabled: false, delay: 0 },
  codecs: [...CALL_CODECS],
  srtp: 'off',
  audio: {
    inputDeviceId: 'default',
    outputDeviceId: 'default',
    ringingDeviceId: 'default',
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
  },
  video: { cameraId: 'default', resolution: DEFAULT_VIDEO_RESOLUTION },
  network: { stunServer: '', rtpPortMin: 16384, rtpPortMax: 32766, directCalls: 'auto' },
  transferRequests: 'ask',
  closeToTray: true,
  startMinimised: false,
} satisfies Settings);
