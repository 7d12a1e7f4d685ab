/**
 * Call transfer between three whole Phones over loopback (RFC 5589 roles): Alice is the
 * transferee, Bob the transferor, Carol the transfer target. Everything is real SIP (REFER,
 * NOTIFY, Replaces) and real RTP; the audio is checked in the recordings: after a transfer,
 * Carol hears Alice's tone and Alice hears Carol's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goertzelPower, readWav } from '../../helpers/audio-analysis.ts';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { mark, startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-transfer-'));
const ALICE_TONE = 1000;
const BOB_TONE = 600;
const CAROL_TONE = 1400;
let alice: TestPhone;
let bob: TestPhone;
let carol: TestPhone;
let n = 0;

/** phones.ts keeps the call events; the transfer's own event is kept here too. */
function keepTransferEvents(p: TestPhone): TestPhone {
  p.phone.on('call:transferred', (payload) => void p.events.push({ name: 'call:transferred', payload }));
  return p;
}

beforeEach(async () => {
  [alice, bob, carol] = (await Promise.all([startPhone('alice'), startPhone('bob'), startPhone('carol')])).map(keepTransferEvents);
  // Transfer requests followed without asking, unless a test says otherwise (the default asks).
  for (const p of [alice, bob, carol]) p.phone.callSettings({ transferRequests: 'always' });
  n++;
});

afterEach(async () => {
  await Promise.all([alice.phone.stop(), bob.phone.stop(), carol.phone.stop()]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `caller` calls `callee`, which answers; both connected. Each plays its tone and records. */
async function connect(caller: TestPhone, callee: TestPhone, tones: { caller: number; callee: number }): Promise<{ out: CallSnapshot; in: CallSnapshot }> {
  const since = mark(callee);
  const out = await caller.phone.dial({ to: callee.uri(), codecs: ['pcmu'], play: { tone: [tones.caller], levelDb: -20 }, record: join(dir, `${n}-${caller.name}.wav`) });
  const incoming = await waitEvent(callee, 'call:incoming', () => true, { since });
  await callee.phone.answer({ callId: incoming.id, play: { tone: [tones.callee], levelDb: -20 }, record: join(dir, `${n}-${callee.name}.wav`) });
  const [o, i] = await Promise.all([waitState(caller, out.id, 'connected'), waitState(callee, incoming.id, 'connected')]);
  return { out: o, in: i };
}

/** The recording's last second holds `heard` and not `not` (power ratio 20). */
function expectHeard(path: string, heard: number, not: number): void {
  const wav = readWav(path);
  const samples = wav.channels[0];
  expect(samples.length / wav.sampleRate, `${path} is too short`).toBeGreaterThan(1.2);
  const tail = samples.subarray(samples.length - wav.sampleRate);
  const want = goertzelPower(tail, wav.sampleRate, heard);
  expect(want, `${path}: ${heard} Hz`).toBeGreaterThan(1e-3);
  expect(want, `${path}: ${heard} Hz vs ${not} Hz`).toBeGreaterThan(20 * goertzelPower(tail, wav.sampleRate, not));
}

describe('blind transfer (RFC 5589 §6)', () => {
  it('Bob transfers Alice to Carol: Bob holds, REFERs, his call ends "transferred"; Alice calls Carol, her old call ends; Carol hears Alice', async () => {
    carol.phone.callSettings({ autoAnswer: true, autoAnswerPlay: { tone: [CAROL_TONE], levelDb: -20 }, autoAnswerRecord: join(dir, `${n}-carol-{n}.wav`) });
    const { out: a, in: b } = await connect(alice, bob, { caller: ALICE_TONE, callee: BOB_TONE });

    const outcome = await bob.phone.transfer({ callId: b.id, to: carol.uri() });
    expect(outcome).toEqual({ ok: true, reason: 'transferred', status: 200 });
    // Bob: the call was held first, then ended with the transfer's words.
    const bobStates = bob.events.filter((e) => e.name === 'call:state' && e.payload.id === b.id).map((e) => e.payload as CallSnapshot);
    expect(bobStates.some((s) => s.state === 'held' && s.heldBy === 'local')).toBe(true);
    expect(await waitState(bob, b.id, 'ended')).toMatchObject({ endReason: `transferred to ${carol.uri()}`, endCode: 'transferred', endTarget: carol.uri(), transfer: { role: 'transferor', kind: 'blind', state: 'transferred', status: 200 } });
    expect(await waitEvent(bob, 'call:transferred')).toEqual({ callId: b.id, role: 'transferor', kind: 'blind', to: carol.uri(), outcome: 'transferred', ok: true, reason: 'transferred', status: 200 });

    // Alice, the transferee: a new call to Carol that says whom it replaces; the old call ends.
    const done = await waitEvent(alice, 'call:transferred', (e) => e.callId === a.id);
    expect(done).toMatchObject({ role: 'transferee', kind: 'blind', to: carol.uri(), outcome: 'transferred', status: 200 });
    const next = await waitState(alice, done.newCallId!, 'connected');
    expect(next).toMatchObject({ direction: 'outgoing', peer: { uri: carol.uri() }, replacesCallId: a.id, record: join(dir, `${n}-alice-2.wav`) });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ endReason: `transferred to ${carol.uri()}`, transfer: { role: 'transferee', state: 'transferred', newCallId: next.id } });
    expect(alice.phone.listCalls().map((c) => c.id)).toEqual([next.id]);
    expect(bob.phone.listCalls()).toEqual([]);

    const c = carol.phone.listCalls()[0];
    await Promise.all([waitPackets(carol, c.id, 75), waitPackets(alice, next.id, 75)]);
    await alice.phone.hangup({ callId: next.id });
    await waitState(carol, c.id, 'ended');
    expectHeard(join(dir, `${n}-carol-1.wav`), ALICE_TONE, BOB_TONE);
    expectHeard(join(dir, `${n}-alice-2.wav`), CAROL_TONE, BOB_TONE);
  });

  it('a busy target keeps the call: the transfer fails in words and Bob takes Alice off hold', async () => {
    carol.phone.callSettings({ doNotDisturb: true });
    const { out: a, in: b } = await connect(alice, bob, { caller: ALICE_TONE, callee: BOB_TONE });
    const outcome = await bob.phone.transfer({ callId: b.id, to: carol.uri() });
    expect(outcome).toMatchObject({ ok: false, status: 486 });
    expect(outcome.reason).toMatch(/busy/);
    const after = await waitState(bob, b.id, 'connected', (s) => s.transfer?.state === 'failed');
    expect(after.transfer).toMatchObject({ role: 'transferor', state: 'failed', status: 486 });
    expect(await waitEvent(bob, 'call:transferred')).toMatchObject({ outcome: 'failed', ok: false, status: 486 });
    // Alice tried, failed, and is still with Bob; her failed attempt is gone.
    expect(await waitEvent(alice, 'call:transferred')).toMatchObject({ callId: a.id, role: 'transferee', outcome: 'failed', status: 486 });
    await waitState(alice, a.id, 'connected', (s) => s.transfer?.state === 'failed');
    expect(alice.phone.listCalls().map((c) => c.id)).toEqual([a.id]);
    // Audio flows again both ways after the resume.
    const since = mark(bob);
    const s1 = await waitEvent(bob, 'call:stats', (s) => s.callId === b.id, { since });
    await waitPackets(bob, b.id, s1.packetsReceived + 25, mark(bob));
  });

  it("asks first (the default): no call leaves until the person says yes; no is reported 603 and the call goes on", async () => {
    carol.phone.callSettings({ autoAnswer: true });
    alice.phone.callSettings({ transferRequests: 'ask' });
    const { out: a, in: b } = await connect(alice, bob, { caller: ALICE_TONE, callee: BOB_TONE });
    const declined = bob.phone.transfer({ callId: b.id, to: carol.uri() });
    // Bob holds Alice first (§6.1): her call is held by the other side while she is asked.
    const asking = await waitEvent(alice, 'call:state', (s) => s.id === a.id && s.transfer?.state === 'asking');
    expect(asking.transfer).toMatchObject({ role: 'transferee', to: carol.uri(), state: 'asking' });
    expect(alice.phone.listCalls()).toHaveLength(1);
    expect(() => alice.phone.answerTransfer({ callId: 'nope', accept: true })).toThrow(/no transfer request/);
    alice.phone.answerTransfer({ callId: a.id, accept: false });
    expect(await declined).toMatchObject({ ok: false, status: 603 });
    expect(await waitEvent(alice, 'call:transferred', (e) => e.callId === a.id)).toMatchObject({ outcome: 'failed', status: 603, reason: 'you declined the transfer' });
    expect(carol.phone.listCalls()).toEqual([]);
    // Asked again, yes: the new call goes to Carol.
    const accepted = bob.phone.transfer({ callId: b.id, to: carol.uri() });
    await waitEvent(alice, 'call:state', (s) => s.id === a.id && s.transfer?.state === 'asking', { since: mark(alice) });
    alice.phone.answerTransfer({ callId: a.id, accept: true });
    expect(await accepted).toMatchObject({ ok: true, status: 200 });
  });

  it("'never': the REFER itself is refused (603), no call is placed and the call goes on", async () => {
    alice.phone.callSettings({ transferRequests: 'never' });
    const { out: a, in: b } = await connect(alice, bob, { caller: ALICE_TONE, callee: BOB_TONE });
    const outcome = await bob.phone.transfer({ callId: b.id, to: carol.uri() });
    expect(outcome).toMatchObject({ ok: false, status: 603 });
    expect(alice.phone.listCalls().map((c) => c.id)).toEqual([a.id]);
    expect(carol.phone.listCalls()).toEqual([]);
  });

  it('refused at the boundary: an unknown call, a call not connected, an empty target', async () => {
    await expect(bob.phone.transfer({ callId: 'nope', to: carol.uri() })).rejects.toThrow(/no call 'nope'/);
    const a = await alice.phone.dial({ to: bob.uri() });
    await waitEvent(bob, 'call:incoming');
    await expect(alice.phone.transfer({ callId: a.id, to: carol.uri() })).rejects.toThrow(/not connected/);
    await expect(alice.phone.transfer({ callId: a.id, to: ' ' })).rejects.toThrow(/^to:/);
    await expect(alice.phone.transfer({ callId: a.id, to: 'carol' })).rejects.toThrow(/not a sip: URI/);
  });
});

describe('attended transfer (RFC 5589 §7, RFC 3891 Replaces)', () => {
  it('Bob consults Carol, then connects Alice to her: Alice calls Carol with Replaces, Carol answers by herself and drops Bob', async () => {
    const { out: a, in: b } = await connect(alice, bob, { caller: ALICE_TONE, callee: BOB_TONE });
    await bob.phone.hold({ callId: b.id });
    // Carol answers Bob by hand: she has no auto-answer, so the replacing call is answered because it replaces.
    const { out: bc, in: cb } = await connect(bob, carol, { caller: BOB_TONE, callee: CAROL_TONE });

    const outcome = await bob.phone.attendedTransfer({ callId: b.id, targetCallId: bc.id });
    expect(outcome).toEqual({ ok: true, reason: 'transferred', status: 200 });
    expect(await waitState(bob, b.id, 'ended')).toMatchObject({ endReason: `transferred to ${carol.uri()}`, transfer: { kind: 'attended', state: 'transferred' } });
    expect(await waitState(bob, bc.id, 'ended')).toMatchObject({ transfer: { kind: 'attended', state: 'transferred' } });
    const bobDone = bob.events.filter((e) => e.name === 'call:transferred').map((e) => e.payload);
    expect(bobDone).toEqual(expect.arrayContaining([expect.objectContaining({ callId: b.id, outcome: 'transferred' }), expect.objectContaining({ callId: bc.id, outcome: 'transferred' })]));

    // Carol: a new incoming call replaced her call with Bob, answered without her.
    const replaced = await waitEvent(carol, 'call:transferred', (e) => e.callId === cb.id);
    expect(replaced).toMatchObject({ role: 'target', kind: 'attended', outcome: 'transferred' });
    const ca = await waitState(carol, replaced.newCallId!, 'connected');
    expect(ca).toMatchObject({ direction: 'incoming', replacesCallId: cb.id, record: join(dir, `${n}-carol-2.wav`) });
    expect(await waitState(carol, cb.id, 'ended')).toMatchObject({ endReason: expect.stringMatching(/^replaced by the call with sip:/), endCode: 'replaced' });

    // Alice: her new call is up, the call with Bob is over.
    const aliceDone = await waitEvent(alice, 'call:transferred', (e) => e.callId === a.id);
    expect(aliceDone).toMatchObject({ role: 'transferee', kind: 'attended', outcome: 'transferred' });
    const ac = await waitState(alice, aliceDone.newCallId!, 'connected');
    await waitState(alice, a.id, 'ended');
    expect(bob.phone.listCalls()).toEqual([]);
    expect(carol.phone.listCalls().map((c) => c.id)).toEqual([ca.id]);

    await Promise.all([waitPackets(carol, ca.id, 75), waitPackets(alice, ac.id, 75)]);
    await carol.phone.hangup({ callId: ca.id });
    await waitState(alice, ac.id, 'ended');
    expectHeard(join(dir, `${n}-carol-2.wav`), ALICE_TONE, BOB_TONE);
    expectHeard(join(dir, `${n}-alice-2.wav`), CAROL_TONE, BOB_TONE);
  });

  it('an INVITE whose Replaces names no call of ours gets 481 and shows no call', async () => {
    const { in: b } = await connect(alice, bob, { caller: ALICE_TONE, callee: BOB_TONE });
    // Alice's REFER handling is real; the INVITE with a stale Replaces comes from Bob's own REFER to Alice
    // naming a dialog Carol never had.
    const stale = `${carol.uri()}?Replaces=${encodeURIComponent('nosuchcall@127.0.0.1;to-tag=1;from-tag=2')}`;
    const outcome = await bob.phone.transfer({ callId: b.id, to: stale });
    expect(outcome).toMatchObject({ ok: false, status: 481 });
    expect(carol.events.filter((e) => e.name === 'call:incoming')).toEqual([]);
    expect(carol.phone.listCalls()).toEqual([]);
  });
});
