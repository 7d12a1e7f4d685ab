/**
 * Why a call ended, as a code the UI words (contract/end-codes.ts): the pure mapping from SIP
 * outcomes (RFC 3261 §21 statuses, BYE, CANCEL with RFC 3326 Reason), and what two whole phones
 * over loopback say when a call is hung up, declined, cancelled or refused for SRTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { END_CODES } from '../../../main/contract/end-codes.ts';
import { endCodeOf, endCodeOfStatus, mediaRefusal, savpOnly } from '../../../main/phone/call-end.ts';
import { parseSdp } from '../../../main/sdp/index.ts';
import { startPhone, waitEvent, waitState, type TestPhone } from './phones.ts';

function sdp(proto: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 4000 ${proto} 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
}

describe('end codes from SIP outcomes', () => {
  it.each([
    [486, 'busy'],
    [600, 'busy'],
    [603, 'declined'],
    [404, 'not-found'],
    [604, 'not-found'],
    [484, 'incomplete-number'],
    [480, 'unavailable'],
    [403, 'forbidden'],
    [407, 'auth-failed'],
    [487, 'cancelled'],
    [488, 'no-common-codec'],
    [408, 'no-answer'],
    [500, 'failed'],
  ] as const)('status %i reads as %s', (status, code) => {
    expect(endCodeOfStatus(status)).toBe(code);
    expect(END_CODES).toContain(code);
  });

  it("the stack's own timeout and transport failure (words with an address) read as timeout and network", () => {
    expect(endCodeOfStatus(408, 'no answer from 10.0.0.1:5060 over UDP after 32 s')).toBe('timeout');
    expect(endCodeOfStatus(503, 'connection refused by 10.0.0.1:5061')).toBe('network');
    expect(endCodeOfStatus(503, 'nothing listens on UDP 10.0.0.1:5060 (the host answered "port unreachable")')).toBe('network');
    expect(endCodeOfStatus(503, 'Service Unavailable')).toBe('unavailable');
  });

  it('BYE says who hung up; CANCEL says whether the caller gave up or another phone answered (RFC 3326)', () => {
    expect(endCodeOf({ cause: 'bye', by: 'local', reason: 'call ended' })).toBe('local-hangup');
    expect(endCodeOf({ cause: 'bye', by: 'remote', reason: 'the other side hung up' })).toBe('remote-hangup');
    expect(endCodeOf({ cause: 'cancel', by: 'remote', status: 487, reason: 'the caller hung up' })).toBe('caller-cancelled');
    expect(endCodeOf({ cause: 'cancel', by: 'remote', status: 487, reason: 'answered elsewhere', reasonHeader: { protocol: 'SIP', cause: 200 } })).toBe('answered-elsewhere');
    expect(endCodeOf({ cause: 'cancel', by: 'local', status: 487, reason: 'cancelled' })).toBe('cancelled');
    expect(endCodeOf({ cause: 'no-ack', by: 'remote', status: 408, reason: 'the other side never confirmed the call' })).toBe('timeout');
  });

  it('a 488 to our plain RTP/AVP offer reads as SRTP required; to an offer with SRTP, as no common codec', () => {
    const info = { cause: 'rejected', by: 'remote', status: 488, reason: 'no common codec/media' } as const;
    expect(endCodeOf(info, 'off')).toBe('srtp-required');
    expect(endCodeOf(info, 'optional')).toBe('no-common-codec');
    expect(endCodeOf(info, 'mandatory')).toBe('no-common-codec');
    expect(endCodeOf(info)).toBe('no-common-codec');
  });

  it('an RTP/SAVP-only description, while our SRTP is off, reads as SRTP required', () => {
    expect(savpOnly(parseSdp(sdp('RTP/SAVP')))).toBe(true);
    expect(savpOnly(parseSdp(sdp('RTP/AVP')))).toBe(false);
    expect(mediaRefusal(parseSdp(sdp('RTP/SAVP')), 'off')).toBe('srtp-required');
    expect(mediaRefusal(parseSdp(sdp('RTP/SAVP')), 'optional')).toBe('no-common-codec');
    expect(mediaRefusal(parseSdp(sdp('RTP/AVP')), 'off')).toBe('no-common-codec');
  });
});

describe('end codes on the snapshots of two phones', () => {
  let alice: TestPhone;
  let bob: TestPhone;
  beforeEach(async () => {
    [alice, bob] = await Promise.all([startPhone('alice'), startPhone('bob')]);
  });
  afterEach(async () => {
    await Promise.all([alice.phone.stop(), bob.phone.stop()]);
  });

  it('a hang-up: local-hangup on our side, remote-hangup on theirs', async () => {
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'] });
    const incoming = await waitEvent(bob, 'call:incoming');
    await bob.phone.answer({ callId: incoming.id });
    await waitState(alice, a.id, 'connected');
    await bob.phone.hangup({ callId: incoming.id });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endCode: 'remote-hangup', endReason: 'the other side hung up', endedBy: 'remote' });
    expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({ endCode: 'local-hangup', endedBy: 'local' });
  });

  it('declined with 486: busy (486) for the caller, declined for the callee', async () => {
    const a = await alice.phone.dial({ to: bob.uri() });
    const incoming = await waitEvent(bob, 'call:incoming');
    bob.phone.decline({ callId: incoming.id, status: 486 });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endCode: 'busy', endStatus: 486 });
    expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({ endCode: 'declined', endStatus: 486 });
  });

  it('the caller gives up: cancelled for the caller, caller-cancelled for the callee', async () => {
    const a = await alice.phone.dial({ to: bob.uri() });
    const incoming = await waitEvent(bob, 'call:incoming');
    await waitState(alice, a.id, 'ringing');
    await alice.phone.hangup({ callId: a.id });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endCode: 'cancelled', endStatus: 487 });
    expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({ endCode: 'caller-cancelled', endStatus: 487 });
  });

  it('do-not-disturb: busy for the caller, do-not-disturb for the callee', async () => {
    bob.phone.callSettings({ doNotDisturb: true });
    const a = await alice.phone.dial({ to: bob.uri() });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endCode: 'busy', endStatus: 486 });
    expect(await waitEvent(bob, 'call:state', (s) => s.state === 'ended')).toMatchObject({ endCode: 'do-not-disturb' });
  });

  it('a plain RTP offer to a callee that requires SRTP: the caller is told to turn SRTP on', async () => {
    bob.phone.callSettings({ srtp: 'mandatory' });
    const a = await alice.phone.dial({ to: bob.uri(), srtp: 'off' });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({
      endCode: 'srtp-required',
      endStatus: 488,
      endReason: 'the other side requires encryption (SRTP): turn it on in Settings',
    });
  });

  it('an RTP/SAVP offer to a callee with SRTP off: the callee refuses it as SRTP required', async () => {
    bob.phone.callSettings({ srtp: 'off' });
    const a = await alice.phone.dial({ to: bob.uri(), srtp: 'mandatory' });
    const incoming = await waitEvent(bob, 'call:incoming');
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endCode: 'no-common-codec', endStatus: 488 });
    expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({ endCode: 'srtp-required', endStatus: 488 });
  });
});
