/**
 * Where a call's media runs (media-placement.ts): the first calls in an engine in the phone's own
 * thread, the calls beyond `nearCalls` in a media worker; a call keeps its engine; calls that use
 * the local device run in the worker; two calls in different engines cannot be merged, and say why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/sip/index.ts';
import { MediaPlacement, NEAR_CALLS } from '../../../main/phone/media-placement.ts';
import { mark, startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

describe('MediaPlacement', () => {
  let placement: MediaPlacement | undefined;
  afterEach(async () => {
    await placement?.close();
    placement = undefined;
  });

  it('places calls near until nearCalls run there, then far; an ended call frees its place', () => {
    placement = new MediaPlacement({ clock: new FakeClock(), nearCalls: 2 });
    const { near, far } = placement;
    const hosts = [0, 1, 2, 3].map(() => {
      const host = placement!.forCall(false);
      placement!.placed(host);
      return host;
    });
    expect(hosts).toEqual([near, near, far, far]);
    expect([placement.callsOn(near), placement.callsOn(far)]).toEqual([2, 2]);
    placement.ended(near);
    expect(placement.forCall(false)).toBe(near);
    // A call that uses the local device always runs in the worker: only that engine has the device.
    expect(placement.forCall(true)).toBe(far);
    placement.placed(near);
    // Ending more calls than were placed counts nothing below zero.
    for (let i = 0; i < 5; i++) placement.ended(far);
    expect(placement.callsOn(far)).toBe(0);
  });

  it('starts each engine with its first call; the near one is no worker', async () => {
    placement = new MediaPlacement({ clock: new FakeClock(), nearCalls: 1 });
    expect(placement.running).toBe(false);
    const host = placement.forCall(false);
    placement.placed(host);
    expect([placement.near.running, placement.far.running]).toEqual([true, false]);
    expect((await placement.near.capabilities()).codecs).toContain('pcmu');
    placement.placed(placement.forCall(false));
    expect(placement.far.running).toBe(true);
    // Stream ids never collide between the two engines.
    expect(placement.near.newStreamId()).not.toBe(placement.far.newStreamId());
  });

  it('refuses a bad nearCalls in words', () => {
    expect(() => new MediaPlacement({ nearCalls: -1 })).toThrow(/nearCalls/);
    expect(() => new MediaPlacement({ nearCalls: 1.5 })).toThrow(/nearCalls/);
    expect(NEAR_CALLS).toBeGreaterThanOrEqual(4);
  });
});

describe('calls in both engines (whole phones over loopback)', () => {
  let phones: TestPhone[] = [];
  afterEach(async () => {
    await Promise.all(phones.map((p) => p.phone.stop()));
    phones = [];
  });

  it('a call beyond nearCalls carries media both ways from the worker; merging it with a near call is refused in words', async () => {
    const alice = await startPhone('alice', { media: { address: '127.0.0.1', nearCalls: 1 } });
    const bob = await startPhone('bob');
    const carol = await startPhone('carol');
    phones = [alice, bob, carol];
    for (const p of [bob, carol]) p.phone.callSettings({ autoAnswer: true, autoAnswerPlay: { tone: [440], levelDb: -20 } });
    const calls = [];
    for (const callee of [bob, carol]) {
      const since = mark(callee);
      const a = await alice.phone.dial({ to: callee.uri(), codecs: ['pcmu'], play: { tone: [1000], levelDb: -20 } });
      const incoming = await waitEvent(callee, 'call:incoming', () => true, { since });
      await waitState(alice, a.id, 'connected');
      // RTP both ways: Alice's stats count what she receives, the callee's what it receives.
      await Promise.all([waitPackets(alice, a.id, 50), waitPackets(callee, incoming.id, 50)]);
      calls.push(a);
    }
    expect(alice.phone.calls.mediaRunning).toBe(true);
    await expect(alice.phone.merge({ callIds: [calls[0].id, calls[1].id] })).rejects.toThrow(/run in different engines/);
    // Refused without harm: both calls go on as they were (the first held as the second was dialled).
    expect(alice.phone.listCalls().map((c) => c.state)).toEqual(['held', 'connected']);
  });
});
