/**
 * The names `window.appel` may use, in one place for the main process (ipc.ts) and, through one
 * synchronous message at start, for the sandboxed preload (which cannot import our modules):
 * the calls are the bridge's validators' keys, complete by type (main/bridge/validate.ts), so the
 * list cannot drift from `ApiCalls`; the events are below, complete by type against `ApiEvents`.
 */
import type { ApiCalls, ApiEvents } from '../phone/api.ts';
import { validators } from '../bridge/validate.ts';

/** The preload asks for the contract on this channel (ipcRenderer.sendSync). */
export const CONTRACT_CHANNEL = 'appel:contract';

export interface Contract {
  channels: string[];
  events: string[];
}

/**
 * Every ApiEvents name (a missing one does not type-check). Names a colleague is adding to
 * api.ts may be listed ahead of time: the index signature lets them through until they land.
 */
const EVENTS: Record<keyof ApiEvents, true> & Record<string, true> = {
  'account:state': true,
  'message:received': true,
  'message:state': true,
  'sip:trace': true,
  'call:incoming': true,
  'call:state': true,
  'call:stats': true,
  'call:dtmf': true,
  'call:transferred': true,
  'conference:state': true,
  'contacts:changed': true,
  'history:changed': true,
  'settings:changed': true,
  'app:status': true,
  'app:link': true,
};

export const CHANNEL_NAMES = Object.keys(validators) as Array<keyof ApiCalls>;
export const EVENT_NAMES = Object.keys(EVENTS) as Array<keyof ApiEvents>;

export function contract(): Contract {
  return { channels: [...CHANNEL_NAMES], events: [...EVENT_NAMES] };
}
