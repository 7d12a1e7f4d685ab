/**
 * The call requests' arguments checked at the engine's boundary (CallError 'bad-request' naming
 * the argument): the phone is also driven without the bridge's validator (the CLI, tests).
 */
import { existsSync } from 'node:fs';
import type { CallAudioSource, CallCodec, CallSettings, SrtpMode } from '../contract/api.ts';
import { CALL_CODECS, DIRECT_CALLS, SRTP_MODES, TRANSFER_REQUESTS } from '../contract/values.ts';
import { CallError } from './call.ts';

/** Checks a CallAudioSource at the boundary (a missing WAV fails the request, not the call). */
export function checkPlay(name: string, play: CallAudioSource | undefined): void {
  if (play === undefined) return;
  if (typeof play !== 'object' || play === null) throw new CallError('bad-request', `${name}: expected { wav }, { tone } or { silence }`);
  if ('wav' in play) {
    if (typeof play.wav !== 'string' || !existsSync(play.wav)) throw new CallError('bad-request', `${name}: no such WAV file '${String(play.wav)}'`);
  } else if ('tone' in play) {
    if (!Array.isArray(play.tone) || play.tone.length === 0 || play.tone.length > 2 || play.tone.some((f) => !(f > 0 && f < 24000))) {
      throw new CallError('bad-request', `${name}: tone wants one or two frequencies in Hz`);
    }
  } else if (!('silence' in play)) {
    throw new CallError('bad-request', `${name}: expected { wav }, { tone } or { silence }`);
  }
}

export function checkCodecs(codecs: CallCodec[] | undefined): void {
  if (codecs === undefined) return;
  if (!Array.isArray(codecs) || codecs.length === 0) throw new CallError('bad-request', 'codecs: expected a non-empty list');
  for (const c of codecs) if (!CALL_CODECS.includes(c)) throw new CallError('bad-request', `codecs: unknown codec '${String(c)}' (known: ${CALL_CODECS.join(', ')})`);
}

export function checkSrtp(srtp: SrtpMode | undefined): void {
  if (srtp !== undefined && !SRTP_MODES.includes(srtp)) throw new CallError('bad-request', `srtp: expected off, optional or mandatory, not '${String(srtp)}'`);
}

/** A change of the call settings (`call:settings`, `callSettings`). */
export function checkCallSettings(change: Partial<CallSettings>): void {
  checkCodecs(change.codecs);
  checkSrtp(change.srtp);
  checkPlay('autoAnswerPlay', change.autoAnswerPlay);
  if (change.autoAnswerDelay !== undefined && !(change.autoAnswerDelay >= 0)) throw new CallError('bad-request', 'autoAnswerDelay: seconds ≥ 0');
  if (change.transferRequests !== undefined && !TRANSFER_REQUESTS.includes(change.transferRequests)) {
    throw new CallError('bad-request', `transferRequests: ask, always or never, not '${String(change.transferRequests)}'`);
  }
  if (change.directCalls !== undefined && !DIRECT_CALLS.includes(change.directCalls)) {
    throw new CallError('bad-request', `directCalls: auto, always or never, not '${String(change.directCalls)}'`);
  }
}
