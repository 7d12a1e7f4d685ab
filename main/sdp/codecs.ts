/**
 * The audio codecs Appel speaks and how SDP names them (a=rtpmap encoding names are
 * case-insensitive, RFC 4855 §3):
 *
 *   opus/48000/2          dynamic PT; always 48000/2 on the wire whatever is sent (RFC 7587 §7)
 *   G722/8000             static PT 9; clock rate 8000 though it samples 16 kHz (RFC 3551 §4.5.2)
 *   PCMU/8000, PCMA/8000  static PT 0 and 8 (RFC 3551 §4.5.14)
 *   G729/8000             static PT 18; we do not do Annex B, so `annexb=no` (RFC 4856 §2.1.9)
 *   GSM/8000              static PT 3 (RFC 3551 §4.5.8)
 *
 * and two helpers that ride along with the codec rather than replace it:
 *
 *   telephone-event/<rate>  dynamic PT, DTMF events `0-16` (RFC 4733 §2.1, §7.1); its clock rate
 *                           should be the audio codec's, so we offer 48000 next to opus, 8000
 *                           next to the others, and accept 16000 (some pair it with G.722)
 *   CN/8000                 static PT 13, comfort noise (RFC 3389)
 *
 * `CodecName` has the same spelling as the native addon's, so a name goes from the
 * negotiation to the media engine unchanged.
 */

import type { CallCodec } from '../contract/api.ts';
import { CALL_CODECS } from '../contract/values.ts';

/** The codec names of the contract (contract/values.ts), in the default order of preference. */
export type CodecName = CallCodec;
export const CODEC_NAMES: readonly CodecName[] = CALL_CODECS;

export interface CodecDefinition {
  name: CodecName;
  /** The a=rtpmap encoding name, spelled as peers expect it. */
  encodingName: string;
  /** RTP clock rate (the a=rtpmap rate). */
  clockRate: number;
  /** The rate at which the codec samples audio (G.722: 16000 under an 8000 clock). */
  sampleRate: number;
  /** a=rtpmap channels; written only when not 1 (opus: 2, RFC 7587 §7). */
  channels: number;
  /** RFC 3551 §6 static payload type, if any; otherwise a dynamic one (96–127) is picked. */
  staticPayloadType?: number;
  /** The a=fmtp we write by default (our receiving preferences), if any. */
  fmtp?: string;
}

export const CODECS: Readonly<Record<CodecName, CodecDefinition>> = {
  // RFC 7587 §6.1: useinbandfec=1 asks the sender for in-band FEC, which our decoder uses.
  opus: { name: 'opus', encodingName: 'opus', clockRate: 48000, sampleRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
  g722: { name: 'g722', encodingName: 'G722', clockRate: 8000, sampleRate: 16000, channels: 1, staticPayloadType: 9 },
  pcmu: { name: 'pcmu', encodingName: 'PCMU', clockRate: 8000, sampleRate: 8000, channels: 1, staticPayloadType: 0 },
  pcma: { name: 'pcma', encodingName: 'PCMA', clockRate: 8000, sampleRate: 8000, channels: 1, staticPayloadType: 8 },
  g729: { name: 'g729', encodingName: 'G729', clockRate: 8000, sampleRate: 8000, channels: 1, staticPayloadType: 18, fmtp: 'annexb=no' },
  gsm: { name: 'gsm', encodingName: 'GSM', clockRate: 8000, sampleRate: 8000, channels: 1, staticPayloadType: 3 },
};

export const TELEPHONE_EVENT = 'telephone-event';
/** RFC 4733 §3.2: DTMF digits 0-9, *, #, A-D (0-15) and flash (16). */
export const TELEPHONE_EVENT_FMTP = '0-16';
/** Clock rates at which we accept telephone-event. */
export const TELEPHONE_EVENT_CLOCK_RATES: readonly number[] = [8000, 16000, 48000];

export const COMFORT_NOISE = 'CN';
/** RFC 3551 §6: CN/8000 has the static payload type 13. */
export const COMFORT_NOISE_PAYLOAD_TYPE = 13;

/** Dynamic payload types (RFC 3551 §6). */
export const DYNAMIC_PAYLOAD_TYPES = { min: 96, max: 127 } as const;

/** What an offered or answered format is, as far as we are concerned. */
export type FormatMeaning =
  | { kind: 'codec'; codec: CodecName }
  | { kind: 'telephone-event'; clockRate: number }
  | { kind: 'comfort-noise'; clockRate: number }
  | { kind: 'unknown'; label: string };

/** RFC 3551 §6: the static payload types that need no a=rtpmap, with their meaning. */
const STATIC: Readonly<Record<number, FormatMeaning>> = {
  0: { kind: 'codec', codec: 'pcmu' },
  3: { kind: 'codec', codec: 'gsm' },
  8: { kind: 'codec', codec: 'pcma' },
  9: { kind: 'codec', codec: 'g722' },
  13: { kind: 'comfort-noise', clockRate: 8000 },
  18: { kind: 'codec', codec: 'g729' },
};

/** RFC 3551 §6 names of static payload types we do not use, to say what was offered. */
const OTHER_STATIC_NAMES: Readonly<Record<number, string>> = {
  4: 'G723/8000',
  5: 'DVI4/8000',
  6: 'DVI4/16000',
  7: 'LPC/8000',
  10: 'L16/44100/2',
  11: 'L16/44100',
  12: 'QCELP/8000',
  14: 'MPA/90000',
  15: 'G728/8000',
  16: 'DVI4/11025',
  17: 'DVI4/22050',
  26: 'JPEG/90000',
  31: 'H261/90000',
  32: 'MPV/90000',
  33: 'MP2T/90000',
  34: 'H263/90000',
};

/**
 * What an rtpmap means to us. Liberal where peers are (opus written without its `/2`, or as
 * `/1`, still means opus), strict on clock rates: `G722/16000` is not G.722 as RFC 3551 defines
 * it, and its timestamps would run twice as fast.
 */
export function meaningOfRtpmap(encodingName: string, clockRate: number, channels: number | undefined): FormatMeaning {
  const name = encodingName.toLowerCase();
  const label = `${encodingName}/${clockRate}${channels !== undefined ? `/${channels}` : ''}`;
  if (name === TELEPHONE_EVENT) return TELEPHONE_EVENT_CLOCK_RATES.includes(clockRate) ? { kind: 'telephone-event', clockRate } : { kind: 'unknown', label };
  if (name === 'cn') return { kind: 'comfort-noise', clockRate };
  if (name === 'opus') return clockRate === 48000 && (channels === undefined || channels <= 2) ? { kind: 'codec', codec: 'opus' } : { kind: 'unknown', label };
  if (channels !== undefined && channels !== 1) return { kind: 'unknown', label };
  for (const codec of CODEC_NAMES) {
    const def = CODECS[codec];
    if (def.encodingName.toLowerCase() === name && def.clockRate === clockRate) return { kind: 'codec', codec };
  }
  return { kind: 'unknown', label };
}

/**
 * What payload type `pt` means in a media description: its a=rtpmap when it has one, else the
 * RFC 3551 static assignment.
 */
export function meaningOfPayloadType(pt: number, rtpmap: { encodingName: string; clockRate: number; channels?: number } | undefined): FormatMeaning {
  if (rtpmap !== undefined) return meaningOfRtpmap(rtpmap.encodingName, rtpmap.clockRate, rtpmap.channels);
  return STATIC[pt] ?? { kind: 'unknown', label: OTHER_STATIC_NAMES[pt] ?? `payload type ${pt}` };
}

/** How a format reads in a reason given to a person: `PCMU/8000`, `opus/48000/2`, `telephone-event/8000`. */
export function describeMeaning(meaning: FormatMeaning): string {
  switch (meaning.kind) {
    case 'codec': {
      const def = CODECS[meaning.codec];
      return `${def.encodingName}/${def.clockRate}${def.channels !== 1 ? `/${def.channels}` : ''}`;
    }
    case 'telephone-event':
      return `${TELEPHONE_EVENT}/${meaning.clockRate}`;
    case 'comfort-noise':
      return `${COMFORT_NOISE}/${meaning.clockRate}`;
    case 'unknown':
      return meaning.label;
  }
}

/** Parses `a=fmtp` parameters `key=value; key2=value2` into a record (keys lower-cased). */
export function parseFmtpParameters(parameters: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of parameters.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) out[item.toLowerCase()] = '';
    else out[item.slice(0, eq).trim().toLowerCase()] = item.slice(eq + 1).trim();
  }
  return out;
}

/** Writes fmtp parameters as `key=value;key2=value2` (the form most peers write). */
export function formatFmtpParameters(parameters: Readonly<Record<string, string>>): string {
  return Object.entries(parameters)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(';');
}

/**
 * The opus parameters of an a=fmtp (RFC 7587 §6.1), read as the receiving side's wishes: what
 * our encoder should honour when sending to the side that wrote them.
 */
export interface OpusParameters {
  /** The receiver prefers stereo (default false). */
  stereo: boolean;
  /** The receiver can decode in-band FEC and would like it (default false). */
  useInbandFec: boolean;
  /** The receiver would like DTX (default false). */
  useDtx: boolean;
  /** The receiver would like constant bitrate (default false). */
  cbr: boolean;
  /** Highest audio bandwidth worth sending, in Hz (default 48000). */
  maxPlaybackRate: number;
  /** Highest average bitrate the receiver wants, in bits/s, when it says so. */
  maxAverageBitrate?: number;
}

export function opusParameters(fmtp: Readonly<Record<string, string>>): OpusParameters {
  const flag = (key: string): boolean => fmtp[key] === '1';
  const number = (key: string): number | undefined => {
    const v = fmtp[key];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const params: OpusParameters = {
    stereo: flag('stereo'),
    useInbandFec: flag('useinbandfec'),
    useDtx: flag('usedtx'),
    cbr: flag('cbr'),
    maxPlaybackRate: Math.min(48000, number('maxplaybackrate') ?? 48000),
  };
  const bitrate = number('maxaveragebitrate');
  if (bitrate !== undefined) params.maxAverageBitrate = Math.max(6000, Math.min(510000, bitrate));
  return params;
}

/**
 * Parses the event list of a telephone-event fmtp (`0-15,16`, RFC 4733 §7.1.1) into a sorted set
 * of event codes; an absent fmtp means 0-15 (RFC 4733 §7.1.1).
 */
export function parseEventList(parameters: string | undefined): number[] {
  if (parameters === undefined || parameters.trim() === '') return Array.from({ length: 16 }, (_, i) => i);
  const events = new Set<number>();
  for (const part of parameters.split(',')) {
    const m = /^\s*(\d{1,3})(?:\s*-\s*(\d{1,3}))?\s*$/.exec(part);
    if (m === null) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let e = from; e <= Math.min(to, 255); e++) events.add(e);
  }
  return [...events].sort((a, b) => a - b);
}

/** Writes a sorted event list compactly: [0..16] → `0-16`, [0..11, 16] → `0-11,16`. */
export function formatEventList(events: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < events.length; ) {
    let j = i;
    while (j + 1 < events.length && events[j + 1] === events[j] + 1) j++;
    parts.push(j === i ? String(events[i]) : `${events[i]}-${events[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
