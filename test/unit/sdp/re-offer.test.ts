import { describe, expect, it } from 'vitest';
import {
  createAnswer,
  createCodecChangeOffer,
  createHoldOffer,
  createOffer,
  createResumeOffer,
  formatSdp,
  isHeldBy,
  mediaDirection,
  parseSdp,
  processAnswer,
} from '../../../main/sdp/index.ts';
import type { LocalMedia, SessionDescription } from '../../../main/sdp/index.ts';
import { audioSdp, parsedFixture } from './helpers.ts';

const ALICE: LocalMedia = { address: '127.0.0.1', port: 40000, codecs: ['opus', 'pcmu', 'pcma'], sessionId: '7000', username: 'alice', srtp: 'optional' };
const BOB: LocalMedia = { address: '127.0.0.1', port: 50000, codecs: ['pcma', 'opus', 'pcmu'], sessionId: '9000', srtp: 'optional' };

function wire(sd: SessionDescription): SessionDescription {
  return parseSdp(formatSdp(sd));
}

function audioDirection(sd: SessionDescription): string {
  return mediaDirection(sd, sd.media[0]);
}

describe('re-offers keep the session (RFC 3264 §8)', () => {
  it('"the origin line MUST be the same, except the version, which MUST be incremented by one" when the SDP changes', () => {
    const first = createOffer(ALICE);
    const second = createOffer({ ...ALICE, codecs: ['pcmu'], previous: first, sessionId: '1', username: 'someone-else' });
    expect(second.origin).toEqual({ ...first.origin, sessionVersion: '7001' });
    const third = createOffer({ ...ALICE, codecs: ['pcma'], previous: second });
    expect(third.origin.sessionVersion).toBe('7002');
  });

  it('an unchanged SDP (a session refresh) keeps its version', () => {
    const first = createOffer(ALICE);
    const again = createOffer({ ...ALICE, previous: first });
    expect(formatSdp(again)).toBe(formatSdp(first));
  });

  it('increments a 64-bit version exactly', () => {
    const previous = parseSdp(audioSdp().replace('o=- 1 1', 'o=- 4611731400430051336 18446744073709551615'));
    const next = createOffer({ ...ALICE, previous });
    expect(next.origin).toMatchObject({ sessionId: '4611731400430051336', sessionVersion: '18446744073709551616' });
  });

  it('keeps the m-line order: a stream disabled before stays in its place with port 0 (§8.2)', () => {
    const offer = parsedFixture('audio-video-offer');
    const ourAnswer = createAnswer({ ...BOB, srtp: 'off', offer }).answer;
    const reOffer = createOffer({ ...BOB, srtp: 'off', previous: ourAnswer });
    expect(reOffer.media.map((m) => [m.type, m.port])).toEqual([
      ['audio', 50000],
      ['video', 0],
    ]);
  });

  it('keeps dynamic payload type numbers: opus stays at the number the other side chose (§8.3.2)', () => {
    const offer = parseSdp(audioSdp({ formats: '111 0 126', media: ['a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:126 telephone-event/48000'] }));
    const ourAnswer = createAnswer({ ...BOB, codecs: ['opus'], srtp: 'off', offer }).answer;
    const reOffer = createOffer({ ...BOB, codecs: ['opus', 'pcmu'], srtp: 'off', previous: ourAnswer });
    expect(reOffer.media[0].formats.slice(0, 2)).toEqual(['111', '0']);
    expect(reOffer.media[0].rtpmaps.find((r) => r.encodingName === 'telephone-event' && r.clockRate === 48000)?.payloadType).toBe(126);
    // A new dynamic format never takes a number already used in the session.
    const te8000 = reOffer.media[0].rtpmaps.find((r) => r.encodingName === 'telephone-event' && r.clockRate === 8000);
    expect(te8000?.payloadType).toBe(96);
  });

  it('keeps the SRTP keys of the previous SDP, so the media engine needs no new contexts', () => {
    const first = createOffer(ALICE);
    const again = createOffer({ ...ALICE, direction: 'sendonly', previous: first });
    expect(again.media[0].crypto).toEqual(first.media[0].crypto);
  });
});

describe('hold and resume (RFC 3264 §8.4)', () => {
  it('a call: Alice holds (sendonly), Bob answers recvonly, Alice resumes; versions go up on both sides', () => {
    const offer1 = createOffer(ALICE);
    const answer1 = createAnswer({ ...BOB, offer: wire(offer1) });
    processAnswer({ offer: offer1, answer: wire(answer1.answer) });

    const hold = createHoldOffer({ previous: offer1, remote: answer1.answer });
    expect(audioDirection(hold)).toBe('sendonly');
    expect(hold.origin.sessionVersion).toBe('7001');
    expect(hold.media[0].formats).toEqual(offer1.media[0].formats);
    expect(hold.media[0].crypto).toEqual(offer1.media[0].crypto);

    const answer2 = createAnswer({ ...BOB, offer: wire(hold), previous: answer1.answer });
    expect(audioDirection(answer2.answer)).toBe('recvonly');
    expect(answer2.answer.origin.sessionVersion).toBe('9001');
    expect(answer2.negotiated).toMatchObject({ direction: 'recvonly', remoteDirection: 'sendonly' });
    expect(answer2.negotiated?.srtp?.localKey).toEqual(answer1.negotiated?.srtp?.localKey);
    expect(processAnswer({ offer: hold, answer: wire(answer2.answer) }).direction).toBe('sendonly');

    const resume = createResumeOffer({ previous: hold });
    expect(audioDirection(resume)).toBe('sendrecv');
    expect(resume.origin.sessionVersion).toBe('7002');
    const answer3 = createAnswer({ ...BOB, offer: wire(resume), previous: answer2.answer });
    expect(answer3.answer.origin.sessionVersion).toBe('9002');
    expect(processAnswer({ offer: resume, answer: wire(answer3.answer) }).direction).toBe('sendrecv');
  });

  it('holds with inactive when the other side already holds us (its last SDP is sendonly)', () => {
    // Bob put Alice on hold: his offer was sendonly, Alice answered recvonly.
    const bobHold = createOffer({ ...BOB, direction: 'sendonly' });
    const aliceAnswer = createAnswer({ ...ALICE, offer: wire(bobHold) }).answer;
    expect(audioDirection(aliceAnswer)).toBe('recvonly');
    expect(isHeldBy(bobHold)).toBe(true);
    const hold = createHoldOffer({ previous: aliceAnswer, remote: bobHold });
    expect(audioDirection(hold)).toBe('inactive');
    expect(hold.origin.sessionVersion).toBe(String(BigInt(aliceAnswer.origin.sessionVersion) + 1n));
  });

  it('without the remote SDP, reads "we are held" from our own last SDP being recvonly', () => {
    const bobHold = createOffer({ ...BOB, direction: 'sendonly' });
    const aliceAnswer = createAnswer({ ...ALICE, offer: wire(bobHold) }).answer;
    expect(audioDirection(createHoldOffer({ previous: aliceAnswer }))).toBe('inactive');
    expect(audioDirection(createHoldOffer({ previous: createOffer(ALICE) }))).toBe('sendonly');
  });

  it('holding twice changes nothing: same SDP, same version', () => {
    const hold = createHoldOffer({ previous: createOffer(ALICE) });
    expect(createHoldOffer({ previous: hold })).toEqual(hold);
  });

  it('reads c=0.0.0.0 and inactive as "the other side holds us"', () => {
    expect(isHeldBy(parsedFixture('rfc2543-hold-offer'))).toBe(true);
    expect(isHeldBy(parseSdp(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', 'a=inactive'] })))).toBe(true);
    expect(isHeldBy(parseSdp(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', 'a=recvonly'] })))).toBe(false);
    expect(isHeldBy(parsedFixture('baresip-offer'))).toBe(false);
  });

  it('moves a session-level direction down to the media before changing it', () => {
    const previous = parseSdp(audioSdp({ session: ['a=sendrecv'] }));
    const hold = createHoldOffer({ previous });
    expect(hold.direction).toBeUndefined();
    expect(hold.media[0].direction).toBe('sendonly');
  });

  it('refuses to hold a session without an active audio stream', () => {
    expect(() => createHoldOffer({ previous: parseSdp(audioSdp({ port: 0 })) })).toThrow(/no active audio stream/);
  });
});

describe('codec-change re-offer (RFC 3264 §8.3.2)', () => {
  const plain: LocalMedia = { ...ALICE, srtp: 'off', codecs: ['opus', 'g722', 'pcmu', 'pcma'] }; // 96 9 0 8 te/48000 97 te/8000 98 CN 13

  it('restricts the list to the codecs asked for, keeping their numbers, fmtp, telephone-event and CN at their clock rate', () => {
    const previous = createOffer(plain);
    const next = createCodecChangeOffer({ previous, codecs: ['pcma', 'pcmu'] });
    expect(next.media[0].formats).toEqual(['8', '0', '98', '13']);
    expect(next.origin.sessionVersion).toBe('7001');
    const opus = createCodecChangeOffer({ previous, codecs: ['opus'] });
    expect(opus.media[0].formats).toEqual(['96', '97']);
    expect(opus.media[0].fmtps).toEqual([
      { payloadType: 96, parameters: 'useinbandfec=1' },
      { payloadType: 97, parameters: '0-16' },
    ]);
  });

  it('adds a codec the previous SDP did not have, on a number the session has not used', () => {
    const previous = createAnswer({ ...BOB, srtp: 'off', codecs: ['pcmu'], offer: parsedFixture('linphone-offer') }).answer; // 0, te/8000 100
    const next = createCodecChangeOffer({ previous, codecs: ['opus', 'pcmu'] });
    const [m] = next.media;
    expect(m.rtpmaps.map((r) => `${r.payloadType} ${r.encodingName}/${r.clockRate}`)).toEqual(['96 opus/48000', '0 PCMU/8000', '97 telephone-event/48000', '100 telephone-event/8000']);
    expect(m.fmtps[0]).toEqual({ payloadType: 96, parameters: 'useinbandfec=1' });
  });

  it('a held call stays held', () => {
    const held = createHoldOffer({ previous: createOffer(plain) });
    expect(audioDirection(createCodecChangeOffer({ previous: held, codecs: ['pcmu'] }))).toBe('sendonly');
  });

  it('the answer to it picks from the restricted list', () => {
    const next = createCodecChangeOffer({ previous: createOffer(plain), codecs: ['pcmu'] });
    const result = createAnswer({ ...BOB, srtp: 'off', offer: wire(next) });
    expect(result.negotiated?.codec.name).toBe('pcmu');
  });
});
