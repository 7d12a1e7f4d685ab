/**
 * The one place a video codec picks its RTP payload format (RFC 7741 for VP8, RFC 6184 for
 * H.264): what the frame assembler calls to join a frame's payloads.
 */
import type { FrameAssemblerOptions } from './frame-assembler.ts';
import { depacketizeH264 } from './h264-payload.ts';
import { depacketizeVp8 } from './vp8-payload.ts';

export function depacketizerFor(codec: 'vp8' | 'h264'): FrameAssemblerOptions['depacketize'] {
  if (codec === 'vp8') {
    return (payloads) => {
      const r = depacketizeVp8(payloads);
      return { data: r.frame, keyFrame: r.keyFrame };
    };
  }
  return (payloads) => {
    const r = depacketizeH264(payloads);
    return { data: r.accessUnit, keyFrame: r.keyFrame, selfContained: r.selfContained };
  };
}
