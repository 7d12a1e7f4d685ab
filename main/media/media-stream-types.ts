/**
 * What a MediaStream (media-stream.ts) takes and tells: its options, the figures it reports, and
 * its events. Apart so that the stream's file holds the stream's work.
 */
import type { CodecName, CodecOptions, SrtpSuite } from '../../native/index.ts';
import type { DtmfEvent } from './dtmf-receiver.ts';
import type { JitterBufferOptions } from './jitter-buffer.ts';
import type { Scheduler } from './media-clock.ts';
import type { MediaNative } from './media-native.ts';
import type { AudioPort } from './ports/audio-port.ts';
import type { MediaRemote } from './rtp-latch.ts';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface MediaStreamOptions {
  localAddress: string;
  /** 0 or absent: a free even port from `portRange`. */
  localPort?: number;
  portRange?: { min: number; max: number };
  remote: MediaRemote;
  rtcpMux: boolean;
  /**
   * `receivePayloadType`: the number the peer sends the codec with, when it differs from the one
   * we send with (an answer may renumber a dynamic payload type, RFC 3264 §6.1 says SHOULD).
   */
  codec: { name: CodecName; payloadType: number; receivePayloadType?: number; options?: CodecOptions };
  /** RFC 4733 payload type, when negotiated (at the codec's clock rate). */
  telephoneEventPt?: number;
  srtp?: { suite: SrtpSuite; localKey: Uint8Array; remoteKey: Uint8Array };
  source: AudioPort;
  sink: AudioPort;
  /** Packetization time in ms: 20 (default) or a multiple of 20 for frame-based codecs (not Opus). */
  ptime?: number;
  direction?: MediaDirection;
  /** RTCP SDES CNAME (§6.5.1). Default: a random one. */
  cname?: string;
  /**
   * Our SSRC (§8), when the SDP announced it already (a=ssrc, RFC 5576: the peer then lets only
   * it latch, wherever it comes from). Default: a random one.
   */
  ssrc?: number;
  jitterBuffer?: Omit<JitterBufferOptions, 'clockRate' | 'frameMs'>;
  /** Silence of the latched source after which the same SSRC may come from elsewhere (ms). Default 2000. */
  relatchAfterMs?: number;
  /** Mean RTCP interval (§6.2 minimum 5 s). Default 5000. */
  rtcpIntervalMs?: number;
  /** Interval of `stats` events (ms). Default 1000. */
  statsIntervalMs?: number;
  /**
   * Frames a wake-up encodes ahead and plays behind, when the ports allow it (see above): 1
   * (default) wakes every frame. The engine asks for 5 (100 ms).
   */
  lookaheadFrames?: number;
  /** Injected native code (default: the addon). */
  native?: MediaNative;
  /** Injected time and timers (default: performance.now and setTimeout). */
  scheduler?: Scheduler;
  /** Wall clock for RTCP NTP timestamps (default Date.now). */
  wallClock?: () => number;
  /** Random numbers in [0, 1) for SSRC, sequence, timestamp and RTCP jitter (default Math.random). */
  random?: () => number;
}

export interface MediaStreamStats {
  codec: CodecName;
  direction: MediaDirection;
  localSsrc: number;
  remoteSsrc?: number;
  packetsSent: number;
  /** UDP payload bytes sent (RTP + SRTP overhead, RTCP excluded). */
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Cumulative packets lost (RFC 3550 A.3). */
  packetsLost: number;
  /** Loss over the last ~5 stats intervals (5 s), late packets included (percent). */
  lossPercent: number;
  /** Loss since the start (percent). */
  totalLossPercent: number;
  /** Interarrival jitter (A.8) in ms. */
  jitterMs: number;
  /** Round-trip time from RTCP (§6.4.1), once known. */
  rttMs?: number;
  /** Mean time packets wait in the jitter buffer (ms). */
  jitterBufferMs: number;
  /** E-model estimate (G.107), 1..4.5. */
  mos: number;
  concealedFrames: number;
  latePackets: number;
  /** What the peer reports about our stream (last RTCP report block). */
  remote?: { lossPercent: number; cumulativeLost: number; jitterMs: number };
  /** Where we send RTP now. */
  rtpTarget: { address: string; port: number };
  /** Datagrams dropped: SRTP failures, not RTP, unknown payload type, foreign source. */
  dropped: { srtp: number; malformed: number; payloadType: number; foreignSource: number };
}

export interface MediaStreamEvents {
  stats: [MediaStreamStats];
  dtmf: [DtmfEvent];
  /** Media (or RTCP) is now sent to `address`:`port`, learned from what arrived. */
  latched: [{ address: string; port: number; rtcp: boolean }];
  'ssrc-changed': [{ previous?: number; ssrc: number }];
  /** RTCP BYE from the peer (§6.6). */
  bye: [{ ssrc: number; reason?: string }];
  /** Something went wrong but the stream carries on (socket error, listener exception…). */
  warning: [{ code: string; message: string }];
}
