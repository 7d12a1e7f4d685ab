/**
 * The message protocol between the media engine's host (engine-serve.ts, in a Node worker thread
 * or on a MessageChannel in the phone's own thread) and its client. Plain structured-clone data;
 * MessagePorts for audio devices travel in the transfer list.
 *
 *   client → host:  { id, request }               host → client: { id, ok: true, value }
 *                                                                 { id, ok: false, error }
 *                                                 host → client: { event }   (unsolicited)
 */
import { type ErrorCode } from '../contract/errors.ts';
import type { CodecName, SrtpSuite } from '../../native/index.ts';
import type { DtmfEvent } from './dtmf-receiver.ts';
import type { MediaDirection, MediaRemote, MediaStreamOptions, MediaStreamStats } from './media-stream.ts';
import type { VideoSpec, VideoStatsEvent } from './video/video-engine.ts';

export type { VideoSinkSpec, VideoSourceSpec, VideoSpec, VideoStatsEvent } from './video/video-engine.ts';

/** A MessagePort as the host sees it (Node's worker_threads port, Electron's MessagePortMain). */
export type PortLike = import('./ports/device-bridge.ts').BridgeMessagePort;

/** Where the audio we send comes from. */
export type SourceSpec =
  | { kind: 'silence' }
  | { kind: 'tone'; frequencies: number[]; levelDb?: number; cadence?: { onMs: number; offMs: number } }
  | { kind: 'wav'; path: string; loop?: boolean }
  /** The app's capture worklet over `device.port` (see CreateStreamRequest.device). */
  | { kind: 'device' }
  /** The engine's local microphone (`attach-device`), while this stream owns it (`device-owner`). */
  | { kind: 'local' };

/** Where the audio we receive goes. */
export type SinkSpec =
  | { kind: 'silence' }
  /** A mono PCM16 WAV file at `sampleRate` (default: the codec's rate). */
  | { kind: 'wav'; path: string; sampleRate?: number }
  | { kind: 'device' }
  /** The engine's local speaker (`attach-device`), while this stream owns it (`device-owner`). */
  | { kind: 'local' };

/**
 * A stream as the client asks for it: the MediaStream's own options (media-stream.ts says what
 * each means), less what cannot cross a thread (ports, injected clocks and natives), with the
 * audio source and sink as plain specs and the device link as a transferable MessagePort.
 */
export interface StreamSpec
  extends Omit<MediaStreamOptions, 'source' | 'sink' | 'jitterBuffer' | 'native' | 'scheduler' | 'wallClock' | 'random'> {
  source: SourceSpec;
  sink: SinkSpec;
  jitterBuffer?: { initialDelayMs?: number; minDelayMs?: number; maxDelayMs?: number };
  /** The audio device link, when source or sink is 'device'. */
  device?: { port: PortLike; sampleRate: number };
}

/** A STUN server (RFC 5389) as the engine gets it: already resolved to an IP address. */
export interface StunServer {
  address: string;
  /** Default 3478. */
  port?: number;
}

export interface ReservedPorts {
  localPort: number;
  localRtcpPort: number;
  /** The RTP socket's address as the STUN server saw it (behind a NAT: the public one). */
  mapped?: { address: string; port: number };
  /** The same for the RTCP socket (without rtcp-mux), when its query succeeded too. */
  mappedRtcp?: { address: string; port: number };
  /** Why STUN gave no `mapped`, in words (the `warning` event says the same). */
  stunError?: string;
}

export type MediaRequest =
  | { type: 'create-stream'; streamId: string; spec: StreamSpec }
  | { type: 'stop-stream'; streamId: string; reason?: string }
  | { type: 'set-direction'; streamId: string; direction: MediaDirection }
  | { type: 'send-dtmf'; streamId: string; digits: string }
  | { type: 'update-remote'; streamId: string; remote: MediaRemote }
  | { type: 'set-source'; streamId: string; source: SourceSpec; device?: { port: PortLike; sampleRate: number } }
  | { type: 'set-sink'; streamId: string; sink: SinkSpec; device?: { port: PortLike; sampleRate: number } }
  /** Stereo call recording (local left, remote right) to `path`; null stops it. */
  | { type: 'record'; streamId: string; path: string | null }
  /**
   * Puts streams into a local conference (mix-minus). `local` is the user's own audio: the
   * ports of one member stream (`fromStream`), or new ones. Calling again adds streams.
   */
  | { type: 'conference'; conferenceId: string; streamIds: string[]; local?: { fromStream: string } | { source: SourceSpec; sink: SinkSpec; device?: { port: PortLike; sampleRate: number } } }
  /** Ends a conference: every member gets its own ports back. */
  | { type: 'end-conference'; conferenceId: string }
  | { type: 'get-stats'; streamId: string }
  /** A call's video stream (video/video-engine.ts): its own ports, codec, source and sink. */
  | { type: 'create-video'; streamId: string; spec: VideoSpec }
  | { type: 'stop-video'; streamId: string }
  | { type: 'video-direction'; streamId: string; direction: MediaDirection }
  /** Our camera on or off for this stream: off, it sends nothing and stays. */
  | { type: 'video-camera'; streamId: string; on: boolean }
  | { type: 'get-video-stats'; streamId: string }
  /** Lip sync: the video stream waits for this audio stream's playout (a new one after a codec change). */
  | { type: 'video-sync'; streamId: string; audioStreamId: string }
  /** The video codecs the engine has (loads the video addon; empty, with why, when it cannot). */
  | { type: 'video-capabilities' }
  /**
   * Binds an RTP port (even, RFC 3550 §11) and, without rtcp-mux, the RTCP port above it, and
   * holds them for a stream to come: an SDP offer needs its port before the codec is known.
   * `create-stream` with `localPort` set to a reserved port takes the reservation over.
   * With `stun` (a STUN server's IP address and port), each bound socket then asks it for its
   * public address (RFC 5389 Binding, bounded to about 1.5 s): the answer says `mapped`, or
   * nothing (and a `warning` event says why) when STUN failed.
   */
  | { type: 'reserve-ports'; localAddress: string; portRange?: { min: number; max: number }; rtcpMux?: boolean; stun?: StunServer }
  /** Frees a reservation no stream took (a call that failed before media). */
  | { type: 'release-ports'; localPort: number }
  | { type: 'capabilities' }
  /**
   * The local user's audio device link (ports/local-audio.ts): a MessagePort to the app's
   * capture/playback worklet, at LOCAL_AUDIO_RATE. Replaces a previous link.
   */
  | { type: 'attach-device'; port: PortLike; sampleRate: number }
  | { type: 'detach-device' }
  /** Which stream has the local microphone and speaker (null: none). */
  | { type: 'device-owner'; streamId: string | null }
  | { type: 'shutdown' };

export interface MediaResponses {
  'create-stream': { streamId: string; localPort: number; localRtcpPort: number; ssrc: number; codecSampleRate: number };
  'stop-stream': null;
  'set-direction': null;
  'send-dtmf': null;
  'update-remote': null;
  'set-source': null;
  'set-sink': null;
  record: null;
  conference: { members: string[] };
  'end-conference': null;
  'get-stats': MediaStreamStats;
  'create-video': { streamId: string; localPort: number; ssrc: number };
  /** The sequence number the stream's next packet would have had (null: no such stream). */
  'stop-video': { nextSeq: number } | null;
  'video-direction': null;
  'video-camera': null;
  'video-sync': null;
  'get-video-stats': VideoStatsEvent;
  'video-capabilities': { codecs: Array<'vp8' | 'h264'>; problem?: string };
  'reserve-ports': ReservedPorts;
  'release-ports': null;
  capabilities: { codecs: CodecName[]; srtpSuites: SrtpSuite[] };
  'attach-device': null;
  'detach-device': null;
  'device-owner': null;
  shutdown: null;
}

export type MediaEvent =
  | { type: 'stats'; streamId: string; stats: MediaStreamStats }
  | ({ type: 'video-stats' } & VideoStatsEvent)
  | { type: 'dtmf'; streamId: string; dtmf: DtmfEvent }
  | { type: 'latched'; streamId: string; address: string; port: number; rtcp: boolean }
  | { type: 'ssrc-changed'; streamId: string; previous?: number; ssrc: number }
  | { type: 'bye'; streamId: string; ssrc: number; reason?: string }
  | { type: 'source-ended'; streamId: string }
  | { type: 'warning'; streamId?: string; code: string; message: string };

export interface MediaErrorInfo {
  /** 'bad-request' (argument), 'not-found' (unknown id), 'failed' (the operation failed). */
  code: Extract<ErrorCode, 'bad-request' | 'not-found' | 'failed'>;
  message: string;
}

export type MediaReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: MediaErrorInfo };

/** Events travel in batches, in the order the engine emitted them (event-batcher.ts). */
export type HostMessage = MediaReply | { events: MediaEvent[] };
export type ClientMessage = { id: number; request: MediaRequest };
