/** A video stream's spec for the engine's tests: VP8 on loopback, 320 × 192 at 30 fps, nothing in or out unless `over` says. */
import type { VideoSpec } from '../../../main/media/media-protocol.ts';

export const SPEC_W = 320;
export const SPEC_H = 192;

export function videoSpec(over: Partial<VideoSpec> = {}): VideoSpec {
  return {
    localAddress: '127.0.0.1',
    remote: { address: '127.0.0.1', rtpPort: 9 },
    codec: { name: 'vp8', payloadType: 96 },
    direction: 'sendrecv',
    format: { width: SPEC_W, height: SPEC_H, fps: 30, bitrateKbps: 600 },
    source: { kind: 'none' },
    sink: { kind: 'none' },
    label: 'call-1',
    ...over,
  };
}
