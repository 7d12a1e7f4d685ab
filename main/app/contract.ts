/**
 * The names `window.appel` may use, in one place for the main process (ipc.ts) and, through one
 * synchronous message at start, for the sandboxed preload (which cannot import our modules):
 * the calls are the bridge's validators' keys, complete by type (main/bridge/validate.ts), so the
 * list cannot drift from `ApiCalls`; the events are below, complete by type against `ApiEvents`.
 */
import type { ApiCalls } from '../contract/api.ts';
import { validators, EVENT_NAMES } from '../bridge/validate.ts';

/** The preload asks for the contract on this channel (ipcRenderer.sendSync). */
export const CONTRACT_CHANNEL = 'appel:contract';

export interface Contract {
  channels: string[];
  events: string[];
}

export const CHANNEL_NAMES = Object.keys(validators) as Array<keyof ApiCalls>;
export { EVENT_NAMES };

export function contract(): Contract {
  return { channels: [...CHANNEL_NAMES], events: [...EVENT_NAMES] };
}
