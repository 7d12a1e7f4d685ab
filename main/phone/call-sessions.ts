/**
 * What a call drives in the media engine, made together because each needs the other: the audio
 * (call-media.ts), the video that lines up with it (call-video.ts), and the offer/answer over both
 * (call-negotiation.ts).
 */
import { CallMediaSession, type CallMedia } from './call-media.ts';
import { Negotiation } from './call-negotiation.ts';
import { CallVideoSession } from './call-video.ts';
import type { CallEnv } from './call.ts';

export interface CallSessions {
  media: CallMediaSession;
  video: CallVideoSession;
  sdp: Negotiation;
}

export function callSessions(env: CallEnv, callId: string, options: CallMedia, hooks: { streamStarted(): void; streamReplaced(): void; videoChanged(): void }): CallSessions {
  const media: CallMediaSession = new CallMediaSession({
    callId,
    media: env.media,
    network: env.network,
    localAudio: env.localAudio,
    publish: env.publish,
    streams: {
      started: () => {
        hooks.streamStarted();
        // A new audio stream (codec or keys changed): the video lines up with it from now on.
        void video.resync();
      },
      replaced: hooks.streamReplaced,
    },
    options,
    videoStats: () => video.stats,
  });
  const video: CallVideoSession = new CallVideoSession({
    callId,
    media: env.media,
    network: env.network,
    // The app's camera and screen, unless the call was given files to send and record.
    localVideo: env.localAudio && options.video?.source === undefined && options.video?.record === undefined,
    options: options.video ?? {},
    audioStreamId: () => media.currentStreamId,
    changed: hooks.videoChanged,
    warn: (message) => env.publish('media:warning', { callId, message }),
  });
  return { media, video, sdp: new Negotiation(media, video) };
}
