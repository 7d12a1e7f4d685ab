/**
 * The call requests' arguments checked at the engine's boundary (CallError 'bad-request' naming
 * the argument) with the contract's schemas: the phone is also driven without the dispatcher (the
 * CLI, tests), whose callers may name files; that a WAV file exists is checked here.
 */
import { existsSync } from 'node:fs';
import type { CallAudioSource, CallCodec, CallSettings, SrtpMode } from '../contract/api.ts';
import { fieldOf, oneOf, optional, type Schema } from '../contract/schema.ts';
import { codecList, engineCallSchemas } from '../contract/schemas.ts';
import { SRTP_MODES } from '../contract/values.ts';
import { CallError } from './call-error.ts';

/** Throws CallError 'bad-request' naming the argument when `schema` refuses `value`. */
function checked(schema: Schema, value: unknown, path: string): void {
  const problem = schema(value, path);
  if (problem !== undefined) throw new CallError('bad-request', problem);
}

/** Checks a CallAudioSource at the boundary (a missing WAV fails the request, not the call). */
export function checkPlay(name: string, play: CallAudioSource | undefined): void {
  checked(fieldOf(engineCallSchemas.dial, 'play'), play, name);
  if (play !== undefined && 'wav' in play && !existsSync(play.wav)) throw new CallError('bad-request', `${name}: no such WAV file '${play.wav}'`);
}

export function checkCodecs(codecs: CallCodec[] | undefined): void {
  checked(optional(codecList), codecs, 'codecs');
}

export function checkSrtp(srtp: SrtpMode | undefined): void {
  checked(optional(oneOf(SRTP_MODES)), srtp, 'srtp');
}

/** A change of the call settings (`call:settings`, `callSettings`). */
export function checkCallSettings(change: Partial<CallSettings>): void {
  checked(engineCallSchemas.settings, change, '');
  checkPlay('autoAnswerPlay', change.autoAnswerPlay);
}
