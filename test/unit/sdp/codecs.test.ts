import { describe, expect, it } from 'vitest';
import { CODECS, CODEC_NAMES, formatFmtpParameters, opusParameters, parseFmtpParameters } from '../../../main/sdp/index.ts';
import { describeMeaning, formatEventList, meaningOfPayloadType, meaningOfRtpmap, parseEventList } from '../../../main/sdp/codecs.ts';

describe('codecs and their SDP names', () => {
  it('static payload types of RFC 3551 §6: PCMU 0, GSM 3, PCMA 8, G722 9, CN 13, G729 18; opus is dynamic', () => {
    expect(Object.fromEntries(CODEC_NAMES.map((c) => [c, CODECS[c].staticPayloadType]))).toEqual({ opus: undefined, g722: 9, pcmu: 0, pcma: 8, g729: 18, gsm: 3 });
    for (const pt of [0, 3, 8, 9, 18]) expect(meaningOfPayloadType(pt, undefined).kind).toBe('codec');
    expect(meaningOfPayloadType(13, undefined)).toEqual({ kind: 'comfort-noise', clockRate: 8000 });
    expect(meaningOfPayloadType(96, undefined)).toEqual({ kind: 'unknown', label: 'payload type 96' });
    expect(describeMeaning(meaningOfPayloadType(4, undefined))).toBe('G723/8000');
  });

  it('G.722: RTP clock rate 8000 though it samples at 16 kHz (RFC 3551 §4.5.2)', () => {
    expect(CODECS.g722).toMatchObject({ clockRate: 8000, sampleRate: 16000 });
    expect(meaningOfRtpmap('G722', 16000, undefined).kind).toBe('unknown');
  });

  it('opus is opus/48000/2 (RFC 7587 §7), read liberally without or with /1', () => {
    expect(CODECS.opus).toMatchObject({ encodingName: 'opus', clockRate: 48000, channels: 2 });
    expect(meaningOfRtpmap('opus', 48000, 2)).toEqual({ kind: 'codec', codec: 'opus' });
    expect(meaningOfRtpmap('OPUS', 48000, undefined)).toEqual({ kind: 'codec', codec: 'opus' });
    expect(meaningOfRtpmap('opus', 16000, 1).kind).toBe('unknown');
  });

  it('encoding names are case-insensitive (RFC 4855 §3); an rtpmap wins over the static assignment', () => {
    expect(meaningOfRtpmap('pcmu', 8000, undefined)).toEqual({ kind: 'codec', codec: 'pcmu' });
    expect(meaningOfRtpmap('g729', 8000, 1)).toEqual({ kind: 'codec', codec: 'g729' });
    expect(meaningOfRtpmap('PCMU', 8000, 2).kind).toBe('unknown');
    expect(meaningOfPayloadType(0, { encodingName: 'PCMA', clockRate: 8000 })).toEqual({ kind: 'codec', codec: 'pcma' });
  });

  it('telephone-event at 8000, 16000 and 48000 Hz; CN at any rate', () => {
    expect(meaningOfRtpmap('telephone-event', 48000, undefined)).toEqual({ kind: 'telephone-event', clockRate: 48000 });
    expect(meaningOfRtpmap('TELEPHONE-EVENT', 16000, undefined)).toEqual({ kind: 'telephone-event', clockRate: 16000 });
    expect(meaningOfRtpmap('telephone-event', 44100, undefined).kind).toBe('unknown');
    expect(meaningOfRtpmap('CN', 16000, undefined)).toEqual({ kind: 'comfort-noise', clockRate: 16000 });
  });
});

describe('fmtp parameters', () => {
  it('reads `key=value; key=value` with or without spaces, keys lower-cased', () => {
    expect(parseFmtpParameters('useinbandfec=1; usedtx=1;maxplaybackrate=16000 ; Stereo=0')).toEqual({ useinbandfec: '1', usedtx: '1', maxplaybackrate: '16000', stereo: '0' });
    expect(parseFmtpParameters('')).toEqual({});
    expect(formatFmtpParameters({ useinbandfec: '1', usedtx: '0' })).toBe('useinbandfec=1;usedtx=0');
  });

  it('opus parameters (RFC 7587 §6.1): defaults, and clamps to what opus can do', () => {
    expect(opusParameters({})).toEqual({ stereo: false, useInbandFec: false, useDtx: false, cbr: false, maxPlaybackRate: 48000 });
    expect(opusParameters({ useinbandfec: '1', usedtx: '1', cbr: '1', stereo: '1', maxplaybackrate: '96000', maxaveragebitrate: '1000' })).toEqual({
      stereo: true,
      useInbandFec: true,
      useDtx: true,
      cbr: true,
      maxPlaybackRate: 48000,
      maxAverageBitrate: 6000,
    });
  });

  it('telephone-event lists (RFC 4733 §7.1.1): ranges and single events; absent means 0-15', () => {
    expect(parseEventList('0-15')).toHaveLength(16);
    expect(parseEventList('0-11,16')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16]);
    expect(parseEventList(undefined)).toEqual(parseEventList('0-15'));
    expect(formatEventList(parseEventList('0-11, 16, 12-15'))).toBe('0-16');
    expect(formatEventList([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
  });
});
