/**
 * The renderer's one way to the engine: `window.appel`, which the Electron preload exposes and
 * the loopback WebSocket bridge provides in a plain browser (./bridge-client.ts). Of main/ only the
 * contract comes in (types and plain values): the renderer never imports the engine's code.
 */
import type { ApiCalls, ApiEvents, ApiResult } from '../../main/contract/api.ts';
import { AppelError, type ErrorCode } from '../../main/contract/errors.ts';

export type Calls = ApiCalls;
export type Events = ApiEvents;

export type Channel = keyof Calls & string;
export type EventName = keyof Events & string;
export type Req<K extends Channel> = Calls[K]['req'];
export type Res<K extends Channel> = Calls[K]['res'];

export interface AppelApi {
  /** One request, one answer; failures come back as `{ ok: false, error }`, never as a rejection. */
  invoke<K extends Channel>(channel: K, req: Req<K>): Promise<ApiResult<Res<K>>>;
  /** Listen to an engine event; returns the function that stops listening. */
  on<K extends EventName>(event: K, cb: (payload: Events[K]) => void): () => void;
}

declare global {
  interface Window {
    appel?: AppelApi;
  }
}

/** A failed call, as stores keep it for the UI (code for logic, message for people). */
export class ApiFailure extends AppelError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'ApiFailure';
  }
}

export function appel(): AppelApi {
  const api = window.appel;
  if (!api) throw new ApiFailure('unavailable', 'window.appel is missing: the page runs neither in Electron nor through the bridge');
  return api;
}

/** invoke() that unwraps the result: resolves with the value or rejects with an ApiFailure. */
export async function call<K extends Channel>(channel: K, req: Req<K>): Promise<Res<K>> {
  const result = await appel().invoke(channel, req);
  if (result.ok) return result.value as Res<K>;
  throw new ApiFailure(result.error.code, result.error.message);
}

/**
 * The call audio link (issue 4 §4). The renderer makes a MessageChannel, keeps one port for its
 * device worklet and hands the other here; both implementations of `window.appel` (the Electron
 * preload, the browser bridge client) take it from this one window message, because a
 * MessagePort cannot cross Electron's contextBridge as an argument.
 *
 * On the port, both ways: `Int16Array` blocks of mono PCM16 at `sampleRate` (capture from the
 * worklet, any block size; playback from the engine, 20 ms frames). The string `'bye'` from the
 * renderer ends the link (the engine then hears nothing and plays nowhere); a new connect replaces
 * the previous link.
 */
export const AUDIO_CONNECT = 'appel:audio-connect';

/** The only rate the engine's device link runs at: AudioContext({ sampleRate: 48000 }). */
export const AUDIO_LINK_RATE = 48000;

export interface AudioConnectMessage {
  type: typeof AUDIO_CONNECT;
  sampleRate: number;
}

/** Gives the engine its end of the audio link (see AUDIO_CONNECT). */
export function connectAudio(port: MessagePort, sampleRate: number = AUDIO_LINK_RATE): void {
  const message: AudioConnectMessage = { type: AUDIO_CONNECT, sampleRate };
  window.postMessage(message, location.origin === 'null' ? '*' : location.origin, [port]);
}

export type { ApiResult };
