/**
 * Video in a local three-way conference between three whole Phones over loopback (issue 13):
 * Alice calls Bob and Carol with video (headless: the test pattern, a recording each) and merges
 * the calls. The merge mixes the audio and leaves each call's video alone: pictures go on both
 * ways on both calls; our camera off on one call leaves the other's; a party leaving ends the
 * conference and the other call's video goes on. Two calls given one video file name each record
 * their own. Waits end on events (bounded).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallStats } from '../../../main/contract/api.ts';
import { mark, startPhone, waitEvent, waitState, type TestPhone } from './phones.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-video-conference-'));
let alice: TestPhone;
let bob: TestPhone;
let carol: TestPhone;

beforeEach(async () => {
  [alice, bob, carol] = await Promise.all([startPhone('alice'), startPhone('bob'), startPhone('carol')]);
  for (const p of [bob, carol]) p.phone.callSettings({ autoAnswer: true, autoAnswerVideo: true, autoAnswerVideoSource: 'testsrc' });
});

afterEach(async () => {
  await Promise.all([alice.phone.stop(), bob.phone.stop(), carol.phone.stop()]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Video = NonNullable<CallStats['video']>;

/** A stats report of `callId` whose video passes `test`, from event `since` on (bounded). */
function videoStats(p: TestPhone, callId: string, test: (v: Video) => boolean, since: number) {
  return waitEvent(p, 'call:stats', (s) => s.callId === callId && s.video !== undefined && test(s.video), { since, ms: 12_000 });
}

const bothWays = (v: Video) => (v.received?.fps ?? 0) > 5 && (v.sent?.fps ?? 0) > 5;

/** Alice calls `callee` with video (the connected call, if any, is held first); both sides up with video. */
async function aliceCalls(callee: TestPhone, recordVideo: string): Promise<string> {
  const since = mark(callee);
  const a = await alice.phone.dial({ to: callee.uri(), video: true, videoSource: 'testsrc', recordVideo });
  const incoming = await waitEvent(callee, 'call:incoming', () => true, { since });
  await Promise.all([waitState(alice, a.id, 'connected', (s) => s.video?.active === true), waitState(callee, incoming.id, 'connected', (s) => s.video?.active === true)]);
  return a.id;
}

describe('video in a local three-way conference', () => {
  it('merge leaves each call\'s video running both ways; the camera off on one call leaves the other; one party leaves, the other\'s video goes on', { timeout: 60_000 }, async () => {
    const rec = join(dir, 'in.ivf');
    const toBob = await aliceCalls(bob, rec);
    const toCarol = await aliceCalls(carol, rec);
    const since = mark(alice);
    const conf = await alice.phone.merge({ callIds: [toBob, toCarol] });
    expect(conf).toMatchObject({ state: 'active', members: [toBob, toCarol] });
    await Promise.all([videoStats(alice, toBob, bothWays, since), videoStats(alice, toCarol, bothWays, since)]);
    // The merge renegotiated no video but the resume of the held call: its video is both ways again.
    const calls = alice.phone.listCalls();
    for (const id of [toBob, toCarol]) expect(calls.find((c) => c.id === id)?.video).toMatchObject({ active: true, sending: true, receiving: true, camera: true });
    // One name given, two files: the second call records beside the first.
    for (const file of [rec, join(dir, 'in-2.ivf')]) expect(existsSync(file) && statSync(file).size > 1000, file).toBe(true);

    // Our camera off for carol's call only: a whole second with nothing sent to her, bob's goes on.
    await alice.phone.setCamera({ callId: toCarol, on: false });
    let at = mark(alice);
    await videoStats(alice, toCarol, (v) => v.sent?.fps === 0, at);
    await videoStats(alice, toBob, bothWays, at);
    await alice.phone.setCamera({ callId: toCarol, on: true });
    await videoStats(alice, toCarol, bothWays, mark(alice));

    // carol leaves: the conference ends, bob's call goes on with its video, its state untouched.
    at = mark(alice);
    await carol.phone.hangup({ callId: carol.phone.listCalls()[0].id });
    await waitState(alice, toCarol, 'ended');
    expect(alice.phone.listConferences()).toEqual([]);
    await videoStats(alice, toBob, bothWays, mark(alice));
    const bobStates = alice.events.slice(at).filter((e) => e.name === 'call:state' && e.payload.id === toBob);
    expect(bobStates.every((e) => 'state' in e.payload && e.payload.state === 'connected' && e.payload.video?.active === true && e.payload.video.sending && e.payload.video.receiving)).toBe(true);
  });
});
