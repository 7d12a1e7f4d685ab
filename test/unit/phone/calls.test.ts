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
import type { CallSnapshot } from '../../../main/phone/api.ts';
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
