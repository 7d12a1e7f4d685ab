/**
 * The one way to hear the phone: a typed EventEmitter of every `ApiEvents` event, plus the two
 * the engine keeps to itself (no UI is sent them; the CLI prints them, the engine turns warnings
 * into a notice):
 *
 *   'call:latched'   symmetric RTP: a call's RTP (or RTCP) now goes where the peer's really came from
 *   'media:warning'  what a call survived but the person may want to know (a STUN server that did
 *                    not answer), in words
 *
 * Every part of the phone is given `publish`, never the emitter: it says what happened, and a
 * listener's exception stays with the listener (socket and timer callbacks never throw).
 */
import { EventEmitter } from 'node:events';
import type { ApiEvents, CallLatched } from '../contract/api.ts';

export interface MediaWarning {
  callId: string;
  message: string;
}

/** The events that stay inside the engine (not in `ApiEvents`, so never pushed to a window). */
export interface EngineOnlyEvents {
  'call:latched': CallLatched;
  'media:warning': MediaWarning;
}

/** Every event the phone says, by name. */
export interface PhoneEventPayloads extends ApiEvents, EngineOnlyEvents {}

/** As Node's EventEmitter wants it: each event's listener arguments. */
export type PhoneEventMap = { [K in keyof PhoneEventPayloads]: [PhoneEventPayloads[K]] };

/** Say that something happened; never throws. */
export type Publish = <K extends keyof PhoneEventPayloads>(event: K, payload: PhoneEventPayloads[K]) => void;

export class PhoneEvents extends EventEmitter<PhoneEventMap> {
  /** Emit without letting a listener's exception reach the emitting part (it stays with the listener). */
  readonly publish: Publish = (event, payload) => {
    try {
      (this.emit as (e: string, p: unknown) => boolean)(event, payload);
    } catch {
      // The listener's bug stays with the listener.
    }
  };
}
