/**
 * Recording asked for during a call (`call:record`): the engine chooses the file under its
 * recordings directory, the media engine writes both directions in stereo, and the snapshot says
 * it (`recording`, `record`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWav } from '../../helpers/audio-analysis.ts';
import { startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-record-'));
let alice: TestPhone;
let bob: TestPhone;

beforeEach(async () => {
  [alice, bob] = await Promise.all([startPhone('alice', { recordings: join(dir, 'recordings') }), startPhone('bob')]);
});
afterEach(async () => {
  await Promise.all([alice.phone.stop(), bob.phone.stop()]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('call:record', () => {
  it('starts and stops a stereo recording of a connected call, in the recordings directory', async () => {
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'], play: { tone: [1000], levelDb: -20 } });
    const incoming = await waitEvent(bob, 'call:incoming');
    await bob.phone.answer({ callId: incoming.id, play: { tone: [600], levelDb: -20 } });
    await waitState(alice, a.id, 'connected');
    const on = await alice.phone.calls.record({ callId: a.id, on: true });
    expect(on.recording).toBe(true);
    expect(dirname(on.record!)).toBe(join(dir, 'recordings'));
    await waitPackets(alice, a.id, 50);
    const off = await alice.phone.calls.record({ callId: a.id, on: false });
    expect(off).toMatchObject({ recording: false, record: on.record });
    await alice.phone.hangup({ callId: a.id });
    expect(await waitState(alice, a.id, 'ended')).toMatchObject({ record: on.record });
    expect(existsSync(on.record!)).toBe(true);
    const wav = readWav(on.record!);
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[0].length).toBeGreaterThan(wav.sampleRate / 2);
  });

  it('a call not connected cannot be recorded', async () => {
    const a = await alice.phone.dial({ to: bob.uri() });
    await expect(alice.phone.calls.record({ callId: a.id, on: true })).rejects.toThrow(/record: call .* is (dialing|ringing)/);
    await alice.phone.hangup({ callId: a.id });
  });
});
