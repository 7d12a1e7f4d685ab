/**
 * A local three-way conference between three whole Phones over loopback: Alice calls Bob and
 * Carol and merges the two calls; her media engine mixes them (mix-minus). Each phone plays its
 * own tone, so the recordings say who hears whom: Bob hears Alice and Carol, never himself;
 * Carol hears Alice and Bob; Alice (through her first call's --record) hears both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goertzelPower, readWav } from '../../helpers/audio-analysis.ts';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { mark, startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-conference-'));
const TONE = { alice: 1000, bob: 600, carol: 1400 } as const;
let alice: TestPhone;
let bob: TestPhone;
let carol: TestPhone;
let n = 0;

/** phones.ts keeps the call events; the conference's own event is kept here too. */
function keepConferenceEvents(p: TestPhone): TestPhone {
  p.phone.on('conference:state', (payload) => void p.events.push({ name: 'conference:state', payload }));
  return p;
}

beforeEach(async () => {
  [alice, bob, carol] = (await Promise.all([startPhone('alice'), startPhone('bob'), startPhone('carol')])).map(keepConferenceEvents);
  n++;
  for (const p of [bob, carol]) {
    p.phone.callSettings({ autoAnswer: true, autoAnswerPlay: { tone: [TONE[p.name as 'bob' | 'carol']], levelDb: -20 }, autoAnswerRecord: join(dir, `${n}-${p.name}-{n}.wav`) });
  }
});

afterEach(async () => {
  await Promise.all([alice.phone.stop(), bob.phone.stop(), carol.phone.stop()]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Alice calls `callee` (auto-answer), G.722 so the mix is heard in wideband. */
async function aliceCalls(callee: TestPhone): Promise<{ a: CallSnapshot; other: CallSnapshot }> {
  const since = mark(callee);
  const a = await alice.phone.dial({ to: callee.uri(), codecs: ['g722', 'pcmu'], play: { tone: [TONE.alice], levelDb: -20 }, record: join(dir, `${n}-alice.wav`) });
  const incoming = await waitEvent(callee, 'call:incoming', () => true, { since });
  const [up, other] = await Promise.all([waitState(alice, a.id, 'connected'), waitState(callee, incoming.id, 'connected')]);
  return { a: up, other };
}

/** Goertzel power of each frequency in the last second of a recording. */
function heard(path: string): Record<number, number> {
  const wav = readWav(path);
  const s = wav.channels[0];
  expect(s.length / wav.sampleRate, `${path} is too short`).toBeGreaterThan(1.2);
  const tail = s.subarray(s.length - wav.sampleRate);
  return Object.fromEntries(Object.values(TONE).map((f) => [f, goertzelPower(tail, wav.sampleRate, f)]));
}

/** `path` carries both `want` tones (each well above silence) and `self` at most a twentieth of the weaker. */
function expectMix(path: string, want: [number, number], self: number): void {
  const p = heard(path);
  for (const f of want) expect(p[f], `${path}: ${f} Hz`).toBeGreaterThan(1e-3);
  expect(Math.min(p[want[0]], p[want[1]]), `${path}: ${self} Hz (its own tone) must not be heard`).toBeGreaterThan(20 * p[self]);
}

/** Two calls of Alice's, the one with Bob held while she called Carol (as a person would). */
async function twoCalls() {
  const ab = await aliceCalls(bob);
  await alice.phone.hold({ callId: ab.a.id });
  const ac = await aliceCalls(carol);
  return { ab, ac };
}

describe('merge (a local three-way conference)', () => {
  it('each party hears the other two and never itself; Alice hears both through her first call', async () => {
    const { ab, ac } = await twoCalls();
    expect(ac.a.record).toBe(join(dir, `${n}-alice-2.wav`)); // the second call records beside the first

    const conf = await alice.phone.merge({ callIds: [ab.a.id, ac.a.id] });
    expect(conf).toMatchObject({ members: [ab.a.id, ac.a.id], state: 'active' });
    expect(await waitEvent(alice, 'conference:state')).toEqual(conf);
    expect(alice.phone.listConferences()).toEqual([conf]);
    // The held call was taken off hold; both say which conference they are in.
    const calls = alice.phone.listCalls();
    expect(calls.map((c) => [c.state, c.conferenceId])).toEqual([
      ['connected', conf.id],
      ['connected', conf.id],
    ]);

    // Two seconds of the mix on each side, then Alice hangs up both.
    const since = [mark(bob), mark(carol)];
    await Promise.all([waitPackets(bob, ab.other.id, 100, since[0]), waitPackets(carol, ac.other.id, 100, since[1])]);
    const after = await Promise.all([waitEvent(bob, 'call:stats', (s) => s.callId === ab.other.id, { since: mark(bob) })]);
    await waitPackets(bob, ab.other.id, after[0].packetsReceived + 75, mark(bob));
    await Promise.all([alice.phone.hangup({ callId: ab.a.id }), alice.phone.hangup({ callId: ac.a.id })]);
    await Promise.all([waitState(bob, ab.other.id, 'ended'), waitState(carol, ac.other.id, 'ended')]);
    expect(await waitEvent(alice, 'conference:state', (c) => c.state === 'ended')).toMatchObject({ id: conf.id, state: 'ended' });

    expectMix(join(dir, `${n}-bob-1.wav`), [TONE.alice, TONE.carol], TONE.bob);
    expectMix(join(dir, `${n}-carol-1.wav`), [TONE.alice, TONE.bob], TONE.carol);
    expectMix(join(dir, `${n}-alice.wav`), [TONE.bob, TONE.carol], TONE.alice);
  });

  it('split: back to two calls, the first goes on and the second is held; the conference has ended', async () => {
    const { ab, ac } = await twoCalls();
    const conf = await alice.phone.merge({ callIds: [ab.a.id, ac.a.id] });
    await waitPackets(carol, ac.other.id, 50, mark(carol));
    const calls = await alice.phone.split({ conferenceId: conf.id });
    expect(calls.map((c) => [c.id, c.state, c.heldBy, c.conferenceId])).toEqual([
      [ab.a.id, 'connected', undefined, undefined],
      [ac.a.id, 'held', 'local', undefined],
    ]);
    expect(await waitEvent(alice, 'conference:state', (c) => c.state === 'ended')).toMatchObject({ id: conf.id, endReason: 'split' });
    expect(alice.phone.listConferences()).toEqual([]);
    await waitState(carol, ac.other.id, 'held', (s) => s.heldBy === 'remote');
    // Bob hears Alice alone again: her tone, not Carol's.
    const s1 = await waitEvent(bob, 'call:stats', (s) => s.callId === ab.other.id, { since: mark(bob) });
    await waitPackets(bob, ab.other.id, s1.packetsReceived + 75, mark(bob));
    await alice.phone.hangup({ callId: ab.a.id });
    await waitState(bob, ab.other.id, 'ended');
    const p = heard(join(dir, `${n}-bob-1.wav`));
    expect(p[TONE.alice]).toBeGreaterThan(20 * p[TONE.carol]);
    await expect(alice.phone.split({ conferenceId: conf.id })).rejects.toThrow(/no conference/);
  });

  it('one party hangs up: the conference ends and the other call goes on, with audio both ways', async () => {
    const { ab, ac } = await twoCalls();
    const conf = await alice.phone.merge({ callIds: [ab.a.id, ac.a.id] });
    await waitPackets(bob, ab.other.id, 50, mark(bob));
    await bob.phone.hangup({ callId: ab.other.id });
    await waitState(alice, ab.a.id, 'ended');
    expect(await waitEvent(alice, 'conference:state', (c) => c.state === 'ended')).toMatchObject({ id: conf.id, endReason: `${bob.uri()} left` });
    const left = alice.phone.listCalls();
    expect(left.map((c) => [c.id, c.state, c.conferenceId])).toEqual([[ac.a.id, 'connected', undefined]]);
    // Media still flows both ways on the remaining call.
    const [sa, sc] = await Promise.all([
      waitEvent(alice, 'call:stats', (s) => s.callId === ac.a.id, { since: mark(alice) }),
      waitEvent(carol, 'call:stats', (s) => s.callId === ac.other.id, { since: mark(carol) }),
    ]);
    await Promise.all([waitPackets(alice, ac.a.id, sa.packetsReceived + 50, mark(alice)), waitPackets(carol, ac.other.id, sc.packetsReceived + 50, mark(carol))]);
    await alice.phone.hangup({ callId: ac.a.id });
    await waitState(carol, ac.other.id, 'ended');
    // Carol heard Alice's own tone at the end (her call's own source again), not Bob's.
    const p = heard(join(dir, `${n}-carol-1.wav`));
    expect(p[TONE.alice]).toBeGreaterThan(20 * p[TONE.bob]);
  });

  it('a member whose audio changes (the peer re-offers another codec) leaves the mix: the conference ends, both calls go on', async () => {
    const { ab, ac } = await twoCalls();
    const conf = await alice.phone.merge({ callIds: [ab.a.id, ac.a.id] });
    await waitPackets(bob, ab.other.id, 25, mark(bob));
    // Bob's re-INVITE with PCMU only makes Alice's engine replace that call's stream (RFC 3264 §8.3.2).
    await bob.phone.changeCodecs({ callId: ab.other.id, codecs: ['pcmu'] });
    expect(await waitEvent(alice, 'conference:state', (c) => c.state === 'ended')).toMatchObject({ id: conf.id, endReason: `the audio of ${bob.uri()} changed` });
    await waitState(alice, ab.a.id, 'connected', (s) => s.codec === 'pcmu' && s.conferenceId === undefined);
    expect(alice.phone.listCalls().map((c) => [c.state, c.conferenceId])).toEqual([
      ['connected', undefined],
      ['connected', undefined],
    ]);
    const s1 = await waitEvent(bob, 'call:stats', (s) => s.callId === ab.other.id && s.codec === 'pcmu', { since: mark(bob) });
    await waitPackets(bob, ab.other.id, s1.packetsReceived + 25, mark(bob));
  });

  it('refused at the boundary: one call, the same call twice, a call that is not connected', async () => {
    const { a } = await aliceCalls(bob);
    await expect(alice.phone.merge({ callIds: [a.id] })).rejects.toThrow(/two calls/);
    await expect(alice.phone.merge({ callIds: [a.id, a.id] })).rejects.toThrow(/two different calls/);
    await expect(alice.phone.merge({ callIds: [a.id, 'nope'] })).rejects.toThrow(/no call 'nope'/);
    carol.phone.callSettings({ autoAnswer: false });
    const ringing = await alice.phone.dial({ to: carol.uri() });
    await waitEvent(carol, 'call:incoming');
    await expect(alice.phone.merge({ callIds: [a.id, ringing.id] })).rejects.toThrow(/not connected/);
    expect(alice.phone.listConferences()).toEqual([]);
  });
});
