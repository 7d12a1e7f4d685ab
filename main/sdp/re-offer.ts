/**
 * Re-offers built from the last SDP we sent in a dialog (our offer or our answer), changing one
 * thing and keeping the rest: m-line order, payload type numbers, SRTP keys, o= but for
 * sess-version + 1 (RFC 3264 §8).
 *
 *   hold    (§8.4)  our stream becomes sendonly; inactive when the other side already holds us
 *   resume          back to sendrecv
 *   codecs  (§8.3.2) the codec list restricted to (or reordered as) the codecs asked for
 */
import { CODECS, meaningOfPayloadType } from './codecs.ts';
import type { CodecName, FormatMeaning } from './codecs.ts';
import { isHoldAddress } from './direction.ts';
import { offerFormats } from './create-offer.ts';
import { audioMediaIndex, withNextVersion } from './offer-answer.ts';
import { mediaConnection, mediaDirection } from './session-description.ts';
import type { Direction, MediaDescription, SessionDescription } from './session-description.ts';

function copy(sd: SessionDescription): SessionDescription {
  return structuredClone(sd);
}

/** The active audio m-line of a copy of `previous`, with the session-level direction pushed down. */
function editableAudio(previous: SessionDescription): { next: SessionDescription; audio: MediaDescription } {
  const index = audioMediaIndex(previous);
  if (index < 0 || previous.media[index].port === 0) throw new TypeError('previous: no active audio stream to re-offer');
  const next = copy(previous);
  if (next.direction !== undefined) {
    for (const m of next.media) m.direction ??= next.direction;
    delete next.direction;
  }
  return { next, audio: next.media[index] };
}

/**
 * Audio takes `direction`; an active video stream follows: inactive while held (no "video on
 * hold": nothing to send or show), back to sendrecv on resume.
 */
function withDirection(previous: SessionDescription, direction: Direction): SessionDescription {
  const { next, audio } = editableAudio(previous);
  audio.direction = direction;
  const video = next.media.find((m) => m.type === 'video' && m.port !== 0);
  if (video) video.direction = direction === 'sendonly' || direction === 'inactive' ? 'inactive' : 'sendrecv';
  return withNextVersion(next, previous);
}

/**
 * Whether the other side's last SDP holds us. RFC 3264 §8.4: a side holds the call by writing
 * sendonly (it may still send music on hold but wants nothing back) or inactive; RFC 2543 did it
 * with c=0.0.0.0. Either way its stream no longer receives.
 */
export function isHeldBy(remote: SessionDescription): boolean {
  const index = audioMediaIndex(remote);
  if (index < 0) return false;
  const m = remote.media[index];
  if (m.port === 0) return false;
  const connection = mediaConnection(remote, m);
  if (connection !== undefined && isHoldAddress(connection.address)) return true;
  const direction = mediaDirection(remote, m);
  return direction === 'sendonly' || direction === 'inactive';
}

/**
 * A hold re-offer (RFC 3264 §8.4): sendonly, or inactive when the other side already holds us,
 * so that neither side sends. That is read from `remote` (the other side's last SDP) when given,
 * else from `previous`: our last SDP was recvonly or inactive because we were held.
 */
export function createHoldOffer(options: { previous: SessionDescription; remote?: SessionDescription }): SessionDescription {
  const { previous, remote } = options;
  let heldByRemote: boolean;
  if (remote !== undefined) {
    heldByRemote = isHeldBy(remote);
  } else {
    const index = audioMediaIndex(previous);
    const ours = index < 0 ? 'sendrecv' : mediaDirection(previous, previous.media[index]);
    heldByRemote = ours === 'recvonly' || ours === 'inactive';
  }
  return withDirection(previous, heldByRemote ? 'inactive' : 'sendonly');
}

/** A resume re-offer: sendrecv again (`direction` to resume into something else, e.g. recvonly). */
export function createResumeOffer(options: { previous: SessionDescription; direction?: Direction }): SessionDescription {
  return withDirection(options.previous, options.direction ?? 'sendrecv');
}

/**
 * A re-offer listing only `codecs`, in that order (RFC 3264 §8.3.2): a codec the previous SDP had
 * keeps its payload type and a=fmtp; a new one gets its static or a free dynamic number.
 * telephone-event and CN stay when a codec of their clock rate remains (telephone-event is added
 * at a new codec's rate if the previous SDP had it at all).
 */
export function createCodecChangeOffer(options: { previous: SessionDescription; codecs: readonly CodecName[] }): SessionDescription {
  if (options.codecs.length === 0) throw new TypeError('codecs: at least one codec is needed');
  const { previous } = options;
  const { next, audio } = editableAudio(previous);
  const meanings = new Map<number, FormatMeaning>();
  for (const f of audio.formats) {
    if (!/^\d{1,3}$/.test(f)) continue;
    const pt = Number(f);
    meanings.set(pt, meaningOfPayloadType(pt, audio.rtpmaps.find((r) => r.payloadType === pt)));
  }
  const has = (kind: FormatMeaning['kind']): boolean => [...meanings.values()].some((m) => m.kind === kind);
  const fmtp: Partial<Record<CodecName, string>> = {};
  for (const [pt, meaning] of meanings) {
    if (meaning.kind !== 'codec') continue;
    const f = audio.fmtps.find((x) => x.payloadType === pt);
    fmtp[meaning.codec] = f?.parameters ?? '';
  }
  for (const codec of options.codecs) {
    if (!(codec in CODECS)) throw new TypeError(`codecs: unknown codec "${codec}"`);
    if (!(codec in fmtp)) fmtp[codec] = CODECS[codec].fmtp ?? '';
  }
  const formats = offerFormats({ codecs: options.codecs, telephoneEvent: has('telephone-event'), comfortNoise: has('comfort-noise'), fmtp, previous });
  audio.formats = formats.formats;
  audio.rtpmaps = formats.rtpmaps;
  audio.fmtps = formats.fmtps;
  // The direction stays what it was: a held call stays held.
  audio.direction ??= 'sendrecv';
  return withNextVersion(next, previous);
}
