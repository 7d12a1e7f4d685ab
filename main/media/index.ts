/**
 * The media engine's public face: what the rest of Appel (phone/, the CLI, the shell) may use of
 * media/. The engine itself runs behind MediaEngineClient, in a worker or in the phone's own
 * thread (phone/media-placement.ts); the types below are the messages it takes and the stats it gives.
 * Everything else in media/ is its inside: import it from here, never by path. One file is reached
 * by path without being imported: worker-host.ts, the worker's entry (phone/engine.ts's
 * defaultWorkerUrl). MediaStream and the parts it composes (media-stream.ts) stay inside.
 */
export { MediaEngineClient, MediaRequestError } from './media-engine-client.ts';
export type { DtmfEvent, MediaStreamStats } from './media-engine-client.ts';
export type { ReservedPorts, SinkSpec, SourceSpec, StreamSpec, StunServer, VideoSinkSpec, VideoSourceSpec, VideoSpec, VideoStatsEvent } from './media-protocol.ts';
export type { BridgeMessagePort } from './ports/device-bridge.ts';
export { LOCAL_AUDIO_RATE } from './ports/local-audio.ts';
export { STUN_DEFAULT_PORT } from './stun.ts';
