/**
 * Calls between two whole Phones in one process over loopback: SIP (RFC 3261 INVITE sessions)
 * on 127.0.0.1, SDP offer/answer (RFC 3264), and RTP through each phone's media engine (a worker
 * thread with the native codecs). Audio is checked in the recordings: the tone one side plays
 * is the tone the other side heard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peakFrequency, readWav, rmsDb } from '../../helpers/audio-analysis.ts';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { mark, startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-calls-'));
let alice: TestPhone;
let bob: TestPhone;

beforeEach(async () => {
  [alice, bob] = await Promise.all([startPhone('alice'), startPhone('bob')]);
});

afterEach(async () => {
  await Promise.all([alice.phone.stop(), bob.phone.stop()]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Alice calls Bob; Bob answers. Both connected. */
async function connect(opts: { aliceTone?: number; bobTone?: number; codecs?: Array<'opus' | 'g722' | 'pcmu' | 'pcma' | 'g729' | 'gsm'>; srtp?: 'off' | 'optional' | 'mandatory'; dtmf?: 'info' } = {}) {
  const a = await alice.phone.dial({
    to: bob.uri(),
    ...(opts.codecs ? { codecs: opts.codecs } : {}),
    ...(opts.srtp ? { srtp: opts.srtp } : {}),
    ...(opts.dtmf ? { dtmf: opts.dtmf } : {}),
    play: { tone: [opts.aliceTone ?? 1000], levelDb: -20 },
    record: join(dir, `alice-${Date.now()}.wav`),
  });
  const incoming = await waitEvent(bob, 'call:incoming');
  const b = await bob.phone.answer({ callId: incoming.id, play: { tone: [opts.bobTone ?? 600], levelDb: -20 }, record: join(dir, `bob-${Date.now()}.wav`) });
  const [aConnected, bConnected] = await Promise.all([waitState(alice, a.id, 'connected'), waitState(bob, b.id, 'connected')]);
  return { a: aConnected, b: bConnected };
}

describe('a call between two phones', () => {
  it('rings, is answered, carries audio both ways, and ends with BYE on both sides', async () => {
    const aRecord = join(dir, 'basic-alice.wav');
    const bRecord = join(dir, 'basic-bob.wav');
    const a = await alice.phone.dial({ to: bob.uri(), play: { tone: [1000], levelDb: -20 }, record: aRecord });
    expect(a).toMatchObject({ direction: 'outgoing', state: 'dialing', peer: { uri: bob.uri() } });

    const incoming = await waitEvent(bob, 'call:incoming');
    expect(incoming).toMatchObject({ direction: 'incoming', state: 'ringing', peer: { uri: expect.stringMatching(/^sip:appel@127\.0\.0\.1/) } });
    await waitState(alice, a.id, 'ringing');
    expect(bob.phone.listCalls().map((c) => c.id)).toEqual([incoming.id]);

    await bob.phone.answer({ callId: incoming.id, play: { tone: [600], levelDb: -20 }, record: bRecord });
    const aUp = await waitState(alice, a.id, 'connected');
    const bUp = await waitState(bob, incoming.id, 'connected');
    // Our default preference: opus first, on both sides.
    expect(aUp).toMatchObject({ codec: 'opus', srtp: false, telephoneEvent: true });
    expect(bUp).toMatchObject({ codec: 'opus', srtp: false });
    expect(aUp.answeredAt).toBeGreaterThanOrEqual(aUp.startedAt);

    // Each side hears about 1.5 s of the other (75 packets of 20 ms).
    await Promise.all([waitPackets(alice, a.id, 75), waitPackets(bob, incoming.id, 75)]);
    const stats = await waitEvent(alice, 'call:stats', (s) => s.callId === a.id);
    expect(stats).toMatchObject({ codec: 'opus', srtp: false });
    expect(stats.mos).toBeGreaterThan(3.5);

    const bEnded = waitState(bob, incoming.id, 'ended');
    await alice.phone.hangup({ callId: a.id });
    const aEnd = await waitState(alice, a.id, 'ended');
    expect(aEnd).toMatchObject({ endedBy: 'local', endReason: 'call ended' });
    expect(await bEnded).toMatchObject({ endedBy: 'remote', endReason: 'the other side hung up' });
    expect(alice.phone.listCalls()).toEqual([]);
    expect(bob.phone.listCalls()).toEqual([]);

    // What each recorded is the other's tone, near the level it was sent at.
    for (const [file, tone] of [[aRecord, 600], [bRecord, 1000]] as const) {
      const wav = readWav(file);
      const samples = wav.channels[0];
      expect(samples.length / wav.sampleRate).toBeGreaterThan(1);
      const tail = samples.subarray(Math.floor(samples.length / 2));
      expect(peakFrequency(tail, wav.sampleRate, 200, 3000, 20)).toBe(tone);
      expect(Math.abs(rmsDb(tail) - -20)).toBeLessThan(3);
    }
  });
});

describe('hold and resume (RFC 3264 §8.4)', () => {
  it('each side holds and resumes; heldBy follows who holds, and media pauses and comes back', async () => {
    const { a, b } = await connect({ codecs: ['pcmu'] });
    let since = mark(bob);
    const held = await alice.phone.hold({ callId: a.id });
    expect(held).toMatchObject({ state: 'held', heldBy: 'local' });
    await waitState(bob, b.id, 'held', (s) => s.heldBy === 'remote', since);

    // Bob holds too: both hold (Bob's re-offer is inactive: Alice already holds him).
    since = mark(alice);
    expect(await bob.phone.hold({ callId: b.id })).toMatchObject({ state: 'held', heldBy: 'both' });
    await waitState(alice, a.id, 'held', (s) => s.heldBy === 'both', since);

    // While both hold, Bob receives nothing new.
    const before = await waitEvent(bob, 'call:stats', (s) => s.callId === b.id, { since: mark(bob) });
    const later = await waitEvent(bob, 'call:stats', (s) => s.callId === b.id, { since: mark(bob) });
    expect(later.packetsReceived - before.packetsReceived).toBeLessThanOrEqual(2);

    since = mark(bob);
    expect(await alice.phone.resume({ callId: a.id })).toMatchObject({ state: 'held', heldBy: 'remote' });
    await waitState(bob, b.id, 'held', (s) => s.heldBy === 'local', since);
    since = mark(alice);
    expect(await bob.phone.resume({ callId: b.id })).toMatchObject({ state: 'connected' });
    await waitState(alice, a.id, 'connected', () => true, since);
    expect(alice.phone.listCalls()[0].heldBy).toBeUndefined();

    // Audio flows again.
    const resumed = await waitEvent(bob, 'call:stats', (s) => s.callId === b.id, { since: mark(bob) });
    await waitPackets(bob, b.id, resumed.packetsReceived + 25, mark(bob));
  });

  it('hold on a call that is not connected is refused in words', async () => {
    const a = await alice.phone.dial({ to: bob.uri() });
    await waitEvent(bob, 'call:incoming');
    await expect(alice.phone.hold({ callId: a.id })).rejects.toThrow(/not connected/);
    await expect(alice.phone.hold({ callId: 'nope' })).rejects.toThrow(/no call 'nope'/);
  });
});

describe('DTMF', () => {
  it('RFC 4733 in the media, both ways, when telephone-event was negotiated', async () => {
    const { a, b } = await connect({ codecs: ['pcma'] });
    expect(a.telephoneEvent).toBe(true);
    await alice.phone.sendDtmf({ callId: a.id, digits: '12#' });
    await waitEvent(bob, 'call:dtmf', (d) => d.digit === '#');
    expect(bob.events.filter((e) => e.name === 'call:dtmf').map((e) => e.payload)).toEqual([
      expect.objectContaining({ callId: b.id, digit: '1', via: 'rtp' }),
      expect.objectContaining({ digit: '2', via: 'rtp' }),
      expect.objectContaining({ digit: '#', via: 'rtp' }),
    ]);
    await bob.phone.sendDtmf({ callId: b.id, digits: '*9' });
    await waitEvent(alice, 'call:dtmf', (d) => d.digit === '9' && d.via === 'rtp');
    await expect(alice.phone.sendDtmf({ callId: a.id, digits: '12x' })).rejects.toThrow(/only 0-9, \*, # and A-D/);
  });

  it('SIP INFO (application/dtmf-relay), both ways, when it was not', async () => {
    const { a, b } = await connect({ codecs: ['g722'], dtmf: 'info' });
    expect(a.telephoneEvent).toBe(false);
    expect(b.telephoneEvent).toBe(false);
    await alice.phone.sendDtmf({ callId: a.id, digits: '5*' });
    await waitEvent(bob, 'call:dtmf', (d) => d.digit === '*');
    expect(bob.events.filter((e) => e.name === 'call:dtmf').map((e) => e.payload)).toEqual([
      { callId: b.id, digit: '5', durationMs: 160, via: 'info' },
      { callId: b.id, digit: '*', durationMs: 160, via: 'info' },
    ]);
    await bob.phone.sendDtmf({ callId: b.id, digits: 'D' });
    expect(await waitEvent(alice, 'call:dtmf')).toEqual({ callId: a.id, digit: 'D', durationMs: 160, via: 'info' });
  });
});

describe('calls that end early or are refused', () => {
  for (const [status, words] of [[486, 'busy'], [603, 'declined']] as const) {
    it(`decline with ${status}: the caller hears "${words}"`, async () => {
      const a = await alice.phone.dial({ to: bob.uri() });
      const incoming = await waitEvent(bob, 'call:incoming');
      bob.phone.decline({ callId: incoming.id, status });
      expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endStatus: status, endReason: words, endedBy: 'remote' });
      expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({ endStatus: status, endedBy: 'local' });
    });
  }

  it('the caller hangs up before the answer: CANCEL, and the callee hears "the caller hung up"', async () => {
    const a = await alice.phone.dial({ to: bob.uri() });
    const incoming = await waitEvent(bob, 'call:incoming');
    await waitState(alice, a.id, 'ringing');
    await alice.phone.hangup({ callId: a.id });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endStatus: 487, endReason: 'cancelled', endedBy: 'local' });
    expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({ endStatus: 487, endReason: 'the caller hung up', endedBy: 'remote' });
  });

  it('the callee hangs up: BYE from the answering side', async () => {
    const { a, b } = await connect({ codecs: ['pcmu'] });
    await bob.phone.hangup({ callId: b.id });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endedBy: 'remote', endReason: 'the other side hung up' });
    expect(await waitState(bob, b.id, 'ended')).toMatchObject({ endedBy: 'local' });
  });

  it('SRTP mandatory against SRTP off: 488, with the reason in words on the callee', async () => {
    bob.phone.callSettings({ srtp: 'off' });
    const a = await alice.phone.dial({ to: bob.uri(), srtp: 'mandatory' });
    const incoming = await waitEvent(bob, 'call:incoming');
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endStatus: 488, endReason: 'no common codec/media' });
    expect(await waitState(bob, incoming.id, 'ended')).toMatchObject({
      endStatus: 488,
      endReason: 'refused: the caller requires SRTP (RTP/SAVP) and SRTP is off',
    });
  });

  it('no common codec: 488 naming what was offered', async () => {
    bob.phone.callSettings({ codecs: ['pcma'] });
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu', 'gsm'] });
    const incoming = await waitEvent(bob, 'call:incoming');
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endStatus: 488 });
    expect((await waitState(bob, incoming.id, 'ended')).endReason).toBe('refused: no common codec (offered: PCMU/8000, GSM/8000)');
  });

  it('do-not-disturb answers 486 at once', async () => {
    bob.phone.callSettings({ doNotDisturb: true });
    const a = await alice.phone.dial({ to: bob.uri() });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endStatus: 486, endReason: 'busy' });
    expect(await waitEvent(bob, 'call:state', (s) => s.state === 'ended')).toMatchObject({ endReason: 'refused: do not disturb is on' });
  });

  it('bad requests are refused at the boundary, naming the argument', async () => {
    await expect(alice.phone.dial({ to: '' })).rejects.toThrow(/^to:/);
    await expect(alice.phone.dial({ to: 'bob' })).rejects.toThrow(/not a sip: URI/);
    await expect(alice.phone.dial({ to: bob.uri(), codecs: ['mp3' as 'opus'] })).rejects.toThrow(/codecs\[0\]: expected opus, g722, pcmu, pcma, g729, gsm, not 'mp3'/);
    await expect(alice.phone.dial({ to: bob.uri(), srtp: 'always' as 'off' })).rejects.toThrow(/^srtp:/);
    await expect(alice.phone.dial({ to: bob.uri(), play: { wav: join(dir, 'missing.wav') } })).rejects.toThrow(/play: no such WAV file/);
    expect(alice.phone.listCalls()).toEqual([]);
  });
});

describe('SRTP (RFC 4568 SDES)', () => {
  it('mandatory on both sides: encrypted media, the tone gets through', async () => {
    bob.phone.callSettings({ srtp: 'mandatory' });
    const { a, b } = await connect({ srtp: 'mandatory', codecs: ['pcmu'], aliceTone: 800 });
    expect(a.srtp).toBe(true);
    expect(b.srtp).toBe(true);
    await waitPackets(bob, b.id, 50);
    const stats = await waitEvent(bob, 'call:stats', (s) => s.callId === b.id);
    expect(stats.srtp).toBe(true);
  });

  it('optional offer to an SRTP-off callee: a plain RTP call', async () => {
    bob.phone.callSettings({ srtp: 'off' });
    const { a, b } = await connect({ srtp: 'optional', codecs: ['pcma'] });
    expect(a.srtp).toBe(false);
    expect(b.srtp).toBe(false);
    await waitPackets(alice, a.id, 25);
  });
});

describe('incoming-call behaviour', () => {
  it('auto-answer after a delay, with the configured source; recordings numbered per call', async () => {
    bob.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0.2, autoAnswerPlay: { tone: [700] }, autoAnswerRecord: join(dir, 'auto-{n}.wav') });
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'], record: join(dir, 'auto-caller.wav') });
    await waitState(alice, a.id, 'ringing');
    await waitState(alice, a.id, 'connected');
    await waitPackets(alice, a.id, 40);
    await alice.phone.hangup({ callId: a.id });
    await waitEvent(bob, 'call:state', (s) => s.state === 'ended');
    const heard = readWav(join(dir, 'auto-caller.wav')).channels[0];
    expect(peakFrequency(heard.subarray(heard.length / 2), 16000, 200, 3000, 20)).toBe(700);
    expect(readWav(join(dir, 'auto-1.wav')).channels[0].length).toBeGreaterThan(8000);
  });

  it('several calls at once, each with its own media', async () => {
    bob.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0 });
    const calls: CallSnapshot[] = [];
    for (const codec of ['pcmu', 'g722', 'opus'] as const) calls.push(await alice.phone.dial({ to: bob.uri(), codecs: [codec], play: { tone: [900] } }));
    const up = await Promise.all(calls.map((c) => waitState(alice, c.id, 'connected')));
    expect(up.map((c) => c.codec)).toEqual(['pcmu', 'g722', 'opus']);
    expect(bob.phone.listCalls()).toHaveLength(3);
    await Promise.all(up.map((c) => waitPackets(bob, bob.phone.listCalls().find((b) => b.codec === c.codec)!.id, 25)));
    // stop() ends every call (BYE) before it closes.
    await alice.phone.stop();
    for (const b of bob.phone.listCalls()) await waitState(bob, b.id, 'ended');
    expect(bob.phone.listCalls()).toEqual([]);
  });
});

describe('codec change (RFC 3264 §8.3.2)', () => {
  it('a re-offer with PCMA only moves a call from opus to PCMA, and the audio follows', async () => {
    const { a, b } = await connect({ aliceTone: 1200 });
    expect(a.codec).toBe('opus');
    const since = mark(bob);
    expect(await alice.phone.changeCodecs({ callId: a.id, codecs: ['pcma'] })).toMatchObject({ state: 'connected', codec: 'pcma' });
    await waitState(bob, b.id, 'connected', (s) => s.codec === 'pcma', since);
    const stats = await waitEvent(bob, 'call:stats', (s) => s.callId === b.id && s.codec === 'pcma' && s.packetsReceived > 25, { ms: 10_000 });
    expect(stats.codec).toBe('pcma');
  });
});
