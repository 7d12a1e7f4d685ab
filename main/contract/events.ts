/**
 * Every engine event, for every boundary (IPC, the bridge, the preload); complete by type. `true`:
 * pushed to every window. `false`: on request only. The SIP trace is decoded and sent only while
 * a viewer listens (it would otherwise carry every packet a scanner sends to every window for nothing).
 */
import type { ApiEvents } from './api.ts';

export const EVENTS = {
  'account:state': true,
  'message:received': true,
  'message:state': true,
  'sip:trace': false,
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
} as const satisfies Record<keyof ApiEvents, boolean>;

/** The events pushed to every window. */
export const EVENT_NAMES = (Object.keys(EVENTS) as Array<keyof ApiEvents>).filter((name) => EVENTS[name]);
