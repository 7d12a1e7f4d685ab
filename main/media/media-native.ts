/**
 * What the media engine needs from native code, as an interface: the stream takes it as an
 * option so that unit tests can run on a tiny TypeScript codec, and `loadMediaNative()` gives
 * the real one, backed by `native/index.ts` (loaded only when first needed).
 */
import type { Codec, CodecName, CodecOptions, SrtpSuite } from '../../native/index.ts';
import type { ResamplerLike } from './ports/wav-file-source.ts';
import type { PolledSocket } from './rtp-sockets.ts';

export interface SrtpLike {
  protectRtp(packet: Uint8Array): Uint8Array;
  unprotectRtp(packet: Uint8Array): Uint8Array;
  protectRtcp(packet: Uint8Array): Uint8Array;
  unprotectRtcp(packet: Uint8Array): Uint8Array;
  close(): void;
}

export interface MediaNative {
  createCodec(name: CodecName, options?: CodecOptions): Codec;
  createResampler(options: { from: number; to: number }): ResamplerLike;
  createSrtp(options: { suite: SrtpSuite; key: Uint8Array; direction: 'inbound' | 'outbound' }): SrtpLike;
  codecNames(): CodecName[];
  /** A polled UDP socket (rtp-sockets.ts); absent, audio streams use node:dgram's. */
  createUdpSocket?(family: 4 | 6): PolledSocket;
}

let loaded: Promise<MediaNative> | undefined;

/** The addon-backed implementation (the addon is loaded on first call). */
export function loadMediaNative(): Promise<MediaNative> {
  loaded ??= Promise.all([import('../../native/index.ts'), import('../../native/udp.ts')]).then(([native, udp]) => ({
    createCodec: (name, options) => native.createCodec(name, options),
    createResampler: (options) => new native.Resampler({ ...options, quality: 5 }),
    createSrtp: (options) => new native.SrtpSession(options),
    codecNames: () => native.codecNames(),
    ...(udp.polledUdpAvailable ? { createUdpSocket: (family: 4 | 6) => new udp.UdpSocket(family) } : {}),
  }));
  return loaded;
}
