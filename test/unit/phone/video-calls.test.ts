/**
 * Video between two whole Phones in one process over loopback (real SIP, SDP, RTP, libvpx in each
 * phone's media worker): a video call offered and answered with or without video, video added by
 * either side and removed by re-INVITE, the camera off and on without renegotiation, a hold that
 * stops the video both ways. Waits end on events (bounded).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallStats } from '../../../main/contract/api.ts';
import { mark, startPhone, waitEvent, waitState, type TestPhone } from './phones.ts';

let alice: TestPhone;
let bob: TestPhone;

beforeEach(async () => {
  [alice, bob] = await Promise.all([startPhone('alice'), startPhone('bob')]);
});

afterEach(async () => {
  await Promise.all([alice.phone.stop(), bob.phone.stop()]);
});

/** Stats of `callId` whose video says `test` (bounded wait). */
function videoStats(p: TestPhone, callId: string, test: (v: NonNullable<CallStats['video']>) => boolean, since = 0) {
  return waitEvent(p, 'call:stats', (s) => s.callId === callId && s.video !== undefined && test(s.video), { since, ms: 12_000 });
}

const receiving = (v: NonNullable<CallStats['video']>) => (v.received?.fps ?? 0) > 5;

describe('video calls between two phones', () => {
  it('a video call answered with video: pictures both ways; answered without: audio only, video declined', { timeout: 40_000 }, async () => {
    const a = await alice.phone.dial({ to: bob.uri(), video: true, videoSource: 'testsrc', play: { tone: [1000] } });
    const incoming = await waitEvent(bob, 'call:incoming');
    expect(incoming.video).toMatchObject({ offered: true, active: false });
    await bob.phone.answer({ callId: incoming.id, video: true, videoSource: 'testsrc' });
    const up = await waitState(alice, a.id, 'connected', (s) => s.video?.active === true);
    expect(up.video).toMatchObject({ codec: 'vp8', sending: true, receiving: true, camera: true });
    await Promise.all([videoStats(alice, a.id, receiving), videoStats(bob, incoming.id, receiving)]);
    await alice.phone.hangup({ callId: a.id });

    const since = mark(bob);
    const a2 = await alice.phone.dial({ to: bob.uri(), video: true, videoSource: 'testsrc' });
    const in2 = await waitEvent(bob, 'call:incoming', () => true, { since });
    await bob.phone.answer({ callId: in2.id });
    const up2 = await waitState(alice, a2.id, 'connected');
    expect(up2.video?.active ?? false).toBe(false);
    await waitEvent(alice, 'call:stats', (s) => s.callId === a2.id && s.packetsReceived > 10);
    expect(alice.events.some((e) => e.name === 'call:stats' && e.payload.callId === a2.id && e.payload.video !== undefined)).toBe(false);
  });

  it('video added by the other side is taken, pictures both ways; removing it keeps the call', { timeout: 40_000 }, async () => {
    // Audio calls; each side has a video source for later (headless: the test pattern).
    const a = await alice.phone.dial({ to: bob.uri(), videoSource: 'testsrc', play: { tone: [1000] } });
    const incoming = await waitEvent(bob, 'call:incoming');
    expect(incoming.video).toBeUndefined();
    await bob.phone.answer({ callId: incoming.id, videoSource: 'testsrc' });
    await waitState(alice, a.id, 'connected');
    // Bob adds video: Alice's phone takes it (headless with a source, her camera on; the app
    // takes it with the camera off: dom and e2e tests), and both see each other.
    let since = mark(alice);
    await bob.phone.setVideo({ callId: incoming.id, on: true });
    const added = await waitEvent(alice, 'call:state', (s) => s.id === a.id && s.video?.active === true, { since });
    expect(added.video).toMatchObject({ offered: true, camera: true, sending: true, receiving: true });
    await videoStats(alice, a.id, receiving, since);
    await videoStats(bob, incoming.id, receiving, mark(bob));
    // Bob removes the video: the call and its audio go on.
    since = mark(alice);
    await bob.phone.setVideo({ callId: incoming.id, on: false });
    await waitEvent(alice, 'call:state', (s) => s.id === a.id && s.video?.active === false, { since });
    const audio = await waitEvent(alice, 'call:stats', (s) => s.callId === a.id && s.video === undefined, { since: mark(alice) });
    expect(audio.packetsReceived).toBeGreaterThan(0);
    expect(alice.phone.listCalls().find((c) => c.id === a.id)?.state).toBe('connected');
  });

  it('the camera goes off (nothing sent) and on again without renegotiating', { timeout: 40_000 }, async () => {
    const a = await alice.phone.dial({ to: bob.uri(), video: true, videoSource: 'testsrc' });
    const incoming = await waitEvent(bob, 'call:incoming');
    await bob.phone.answer({ callId: incoming.id, video: true, videoSource: 'testsrc' });
    await waitState(alice, a.id, 'connected', (s) => s.video?.active === true);
    await videoStats(bob, incoming.id, receiving);
    const states = alice.events.filter((e) => e.name === 'call:state').length;
    const off = await alice.phone.setCamera({ callId: a.id, on: false });
    expect(off.video).toMatchObject({ active: true, camera: false, sending: true });
    // A report whose whole second came after: nothing sent (a camera that kept sending never gets there).
    const quiet = await videoStats(alice, a.id, (v) => v.sent?.fps === 0, mark(alice));
    expect(quiet.video?.sent).toMatchObject({ width: 848, height: 480, fps: 0 });
    const since = mark(bob);
    await alice.phone.setCamera({ callId: a.id, on: true });
    await videoStats(bob, incoming.id, receiving, since);
    // The call stayed connected throughout (a re-INVITE would not change that; the camera is ours alone).
    expect(alice.events.filter((e) => e.name === 'call:state').slice(states).every((e) => 'state' in e.payload && e.payload.state === 'connected')).toBe(true);
  });

  it('hold makes the video inactive both ways; resume brings the pictures back', { timeout: 40_000 }, async () => {
    const a = await alice.phone.dial({ to: bob.uri(), video: true, videoSource: 'testsrc' });
    const incoming = await waitEvent(bob, 'call:incoming');
    await bob.phone.answer({ callId: incoming.id, video: true, videoSource: 'testsrc' });
    await waitState(alice, a.id, 'connected', (s) => s.video?.active === true);
    await videoStats(bob, incoming.id, receiving);
    const held = await alice.phone.hold({ callId: a.id });
    expect(held.video).toMatchObject({ active: true, sending: false, receiving: false });
    await waitEvent(bob, 'call:state', (s) => s.id === incoming.id && s.video?.sending === false && s.video?.receiving === false);
    const since = mark(bob);
    await alice.phone.resume({ callId: a.id });
    await videoStats(bob, incoming.id, receiving, since);
  });

  it('a window cannot name files for video (--video-source is the command line’s)', async () => {
    const { validateRequest } = await import('../../../main/contract/schemas.ts');
    expect(validateRequest('call:dial', { to: 'sip:bob@example.com', video: true, videoSource: { y4m: '/etc/passwd' } })).toMatch(/videoSource/);
    expect(validateRequest('call:dial', { to: 'sip:bob@example.com', video: true })).toBeUndefined();
    expect(validateRequest('call:camera', { callId: 'c1', on: 'yes' })).toMatch(/on/);
  });
});
