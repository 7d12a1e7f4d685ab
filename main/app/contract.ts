/**
 * The names `window.appel` may use, in one place for the main process (ipc.ts) and, through one
 * synchronous message at start, for the sandboxed preload (which cannot import our modules):
 * the calls are the request schemas' keys, complete by type (main/contract/schemas.ts), so the
 * list cannot drift from `ApiCalls`; the events are below, complete by type against `ApiEvents`.
 */
import { CHANNEL_NAMES } from '../contract/schemas.ts';
import { EVENT_NAMES } from '../contract/events.ts';

/** The preload asks for the contract on this channel (ipcRenderer.sendSync). */
export const CONTRACT_CHANNEL = 'appel:contract';

export interface Contract {
  channels: string[];
  events: string[];
}

export { CHANNEL_NAMES, EVENT_NAMES };

export function contract(): Contract {
  return { channels: [...CHANNEL_NAMES], events: [...EVENT_NAMES] };
}
