/** What CallAudio and the 'appel-device' worklet say to each other on the node's own port. */
import type { VideoLinkMessage } from '../../../main/contract/video.ts';

/** The name the worklet registers its processor under. */
export const DEVICE_PROCESSOR = 'appel-device';

export type ToWorklet =
  /** The link to the engine (transferred): capture goes out on it, playback comes in. */
  | { type: 'link'; port: MessagePort }
  /** End the link: the worklet says 'bye' on it, closes it and answers 'closed'. */
  | { type: 'bye' }
  /** A camera message for the engine: the worklet holds the link, so it passes it on (bytes transferred). */
  | { type: 'video'; message: VideoLinkMessage };

export type FromWorklet =
  /**
   * RMS levels in dBFS over the last ~100 ms: what the microphone sent, what the speaker played;
   * and how much call audio waited in the playback buffer then, on average (ms; 0 when not playing).
   */
  | { type: 'levels'; capture: number; playback: number; bufferedMs: number }
  | { type: 'closed' }
  /** A video message the engine sent on the link (a decoded frame, an end), bytes transferred. */
  | { type: 'video'; message: VideoLinkMessage };
