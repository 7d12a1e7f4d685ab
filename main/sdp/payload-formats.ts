/**
 * The formats of an audio m-line by what they mean (a codec, telephone-event, comfort noise), not
 * by number: a payload type number means something only with its a=rtpmap, or as a static one
 * (RFC 3551), and offer and answer compare meanings (RFC 3264 §6.1).
 */
import { CODECS, COMFORT_NOISE, TELEPHONE_EVENT, meaningOfPayloadType } from './codecs.ts';
import type { CodecName, FormatMeaning } from './codecs.ts';
import type { MediaDescription, RtpMap } from './session-description.ts';

/** The numeric formats of `m` with what each means (by its a=rtpmap, else as a static type). */
export function meaningsOf(m: MediaDescription): { pt: number; meaning: FormatMeaning; format: string }[] {
  const out: { pt: number; meaning: FormatMeaning; format: string }[] = [];
  for (const format of m.formats) {
    if (!/^\d{1,3}$/.test(format)) continue;
    const pt = Number(format);
    out.push({ pt, format, meaning: meaningOfPayloadType(pt, m.rtpmaps.find((r) => r.payloadType === pt)) });
  }
  return out;
}

/** Whether two formats are the same thing, whatever their numbers. */
export function sameMeaning(a: FormatMeaning, b: FormatMeaning): boolean {
  switch (a.kind) {
    case 'codec':
      return b.kind === 'codec' && a.codec === b.codec;
    case 'telephone-event':
    case 'comfort-noise':
      return b.kind === a.kind && a.clockRate === b.clockRate;
    case 'unknown':
      return b.kind === 'unknown' && a.label.toLowerCase() === b.label.toLowerCase();
  }
}

/** The a=fmtp parameters of payload type `pt` in `m`. */
export function fmtpOf(m: MediaDescription, pt: number): string | undefined {
  return m.fmtps.find((f) => f.payloadType === pt)?.parameters;
}

/**
 * RFC 4733 §2.1: telephone-event should run at the audio codec's clock rate. Prefer that, then
 * the codec's sampling rate (telephone-event/16000 beside G.722), then 8000, then any.
 */
export function pickTelephoneEvent<T extends { clockRate: number }>(events: T[], codec: CodecName): T | undefined {
  const def = CODECS[codec];
  return events.find((e) => e.clockRate === def.clockRate) ?? events.find((e) => e.clockRate === def.sampleRate) ?? events.find((e) => e.clockRate === 8000) ?? events[0];
}

/** The a=rtpmap we write for `meaning` under number `pt`. */
export function rtpmapFor(pt: number, meaning: FormatMeaning): RtpMap {
  switch (meaning.kind) {
    case 'codec': {
      const def = CODECS[meaning.codec];
      return { payloadType: pt, encodingName: def.encodingName, clockRate: def.clockRate, ...(def.channels !== 1 ? { channels: def.channels } : {}) };
    }
    case 'telephone-event':
      return { payloadType: pt, encodingName: TELEPHONE_EVENT, clockRate: meaning.clockRate };
    case 'comfort-noise':
      return { payloadType: pt, encodingName: COMFORT_NOISE, clockRate: meaning.clockRate };
    case 'unknown':
      throw new Error('no rtpmap for an unknown format');
  }
}
