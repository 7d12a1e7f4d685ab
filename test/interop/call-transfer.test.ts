/**
 * Call transfer between Appel (its real command line) and real baresip 1.0 and linphonec 5.1
 * phones, all registered to a real Kamailio, in this file's own network namespace (RFC 5589
 * vocabulary: transferor, transferee, transfer target). Audio is checked in the recordings:
 * after a transfer the two phones left talking hear each other's tone.
 *
 *   Appel alice (call …, stdin) ──┐                  ┌── baresip bob   (auto-answer, 1000 Hz)
 *   Appel dave  (listen …)      ──┼── Kamailio 5060 ─┼── baresip carol (auto-answer, 1400 Hz)
 *                                 │                  └── linphonec erin (auto-answer, 1000 Hz)
 *
 * baresip 1.0 follows a REFER without Replaces and sends one, but ignores Replaces
 * (PEERS-NOTES.md): the attended transfer uses linphonec as the transferee and Appel as the target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { Baresip } from './lab/baresip.ts';
import { Linphone } from './lab/linphone.ts';
import { AppelProcess } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav } from '../helpers/audio-analysis.ts';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'].map((username) => ({ username, password: `${username}-secret` }));
const PROXY = 'sip:127.0.0.1:5060';

let ns: NetNs;
let kamailio: Kamailio;
let bob: Baresip;
let carol: Baresip;
let erin: Linphone;
const tones: Record<number, string> = {};

/** Appel's CLI with a pipe on its standard input (hold, resume, transfer, call, merge…). */
class Appel extends AppelProcess {
  constructor(args: string[]) {
    super(ns, args, {}, { stdin: true });
  }
}

function account(user: string): string[] {
  return ['--aor', `sip:${user}@lab.test`, '--password', `${user}-secret`, '--proxy', PROXY, '--listen', 'udp:127.0.0.1:0'];
}

/** The last second of a recording carries `heard` (clearly) and not `not` (20× less power). */
function expectHeard(path: string, heard: number, not: number): void {
  const wav = readWav(path);
  const samples = wav.channels[0];
  expect(samples.length / wav.sampleRate, `${path} lasts ${(samples.length / wav.sampleRate).toFixed(2)} s`).toBeGreaterThan(1.2);
  const tail = samples.subarray(samples.length - wav.sampleRate);
  const want = goertzelPower(tail, wav.sampleRate, heard);
  expect(want, `${path}: ${heard} Hz`).toBeGreaterThan(1e-3);
  expect(want, `${path}: ${heard} Hz vs ${not} Hz`).toBeGreaterThan(20 * goertzelPower(tail, wav.sampleRate, not));
}

beforeAll(async () => {
  ns = await NetNs.create();
  for (const f of [440, 1000, 1400]) tones[f] = makeToneWav(join(ns.dir, 'audio'), { frequency: f });
  kamailio = new Kamailio(ns, { users: USERS });
  await kamailio.start();
  const phone = (user: string, port: number, tone: number) =>
    new Baresip(ns, { user, password: `${user}-secret`, registrar: '127.0.0.1:5060', sipPort: port, ctrlPort: port + 1000, autoAnswer: true, playWav: tones[tone], record: true, codecs: ['PCMU'] });
  bob = phone('bob', 5062, 1000);
  carol = phone('carol', 5064, 1400);
  erin = new Linphone(ns, { user: 'erin', password: 'erin-secret', registrar: '127.0.0.1:5060', sipPort: 5066, autoAnswer: true, playWav: tones[1000], codecs: ['PCMU'] });
  await Promise.all([bob.start(), carol.start(), erin.start()]);
});

afterAll(async () => {
  // Phones first: on SIGTERM they un-register, which needs Kamailio (PEERS.md).
  await Promise.all([bob?.stop(), carol?.stop(), erin?.stop()]);
  await kamailio?.stop();
  await ns?.close();
});

describe('blind transfer (RFC 5589 §6) with baresip', () => {
  it('Appel transfers baresip bob to baresip carol: bob calls carol, Appel leaves, bob and carol hear each other', async () => {
    bob.clearRecordings();
    carol.clearRecordings();
    const [bm, cm] = [bob.eventCount, carol.eventCount];
    const alice = new Appel(['call', 'sip:bob@lab.test', ...account('alice'), '--play', tones[440], '--record', join(ns.dir, 'alice-blind.wav')]);
    try {
      await alice.wait((e) => e.event === 'answered', 'answered');
      await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
      // One second of the first call, so that bob's second recording gets another file name (sndfile names them by the second).
      await bob.waitHeard(1, 10_000);
      alice.send('transfer sip:carol@lab.test');
      const done = await alice.wait((e) => e.event === 'transferred', 'transferred', 30_000);
      expect(done).toMatchObject({ role: 'transferor', kind: 'blind', to: 'sip:carol@lab.test', outcome: 'transferred', reason: 'transferred', status: 200 });
      // Held first (§6.1), the REFER's progress reported, then the call ends with the transfer's words.
      expect(alice.named('held')[0]).toMatchObject({ by: 'local' });
      expect(alice.named('transfer')[0]).toMatchObject({ role: 'transferor', to: 'sip:carol@lab.test', state: 'trying' });
      expect(await alice.wait((e) => e.event === 'ended', 'ended')).toMatchObject({ reason: 'transferred to sip:carol@lab.test', by: 'local' });
      expect(await alice.exit()).toBe(0);

      // baresip followed the REFER (a TRANSFER event naming the target), carol answered bob.
      expect((await bob.waitFor('TRANSFER', 10_000, bm)).param).toMatch(/sip:carol@lab\.test/);
      const established = await carol.waitFor('CALL_ESTABLISHED', 10_000, cm);
      expect(established.peeruri).toBe('sip:bob@lab.test');
      await carol.waitHeard(2, 10_000);
      await carol.hangup();
      await bob.waitEvent((e) => e.type === 'CALL_CLOSED' && e.peeruri === 'sip:carol@lab.test', 10_000, { since: bm, what: 'the call with carol closed' });
      expectHeard((await carol.recordings(5_000)).dec, 1000, 440); // carol hears bob
      expectHeard((await bob.recordings(5_000)).dec, 1400, 440); // bob hears carol
    } finally {
      await alice.stop();
    }
  });

  it('baresip bob transfers Appel to baresip carol: Appel asks, is told yes, follows the REFER (NOTIFY 100…200), its new call replaces the old', async () => {
    carol.clearRecordings();
    const [bm, cm] = [bob.eventCount, carol.eventCount];
    const record = join(ns.dir, 'alice-transferee.wav');
    const alice = new Appel(['call', 'sip:bob@lab.test', ...account('alice'), '--play', tones[440], '--record', record, '--transfers', 'ask']);
    try {
      const first = await alice.wait((e) => e.event === 'answered', 'answered');
      await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
      await bob.transfer('sip:carol@lab.test');
      // No call leaves before the person says yes (toll fraud otherwise).
      const asked = await alice.wait((e) => e.event === 'transfer' && e.state === 'asking', 'transfer request', 10_000);
      expect(asked).toMatchObject({ callId: first.callId, role: 'transferee', to: 'sip:carol@lab.test' });
      expect(alice.named('calling')).toHaveLength(1);
      alice.send('accept-transfer');
      const done = await alice.wait((e) => e.event === 'transferred', 'transferred', 30_000);
      expect(done).toMatchObject({ callId: first.callId, role: 'transferee', kind: 'blind', to: 'sip:carol@lab.test', outcome: 'transferred', status: 200 });
      const next = await alice.wait((e) => e.event === 'answered' && e.callId === done.newCallId, 'answered (new call)');
      expect(next.peer).toBe('sip:carol@lab.test');
      expect(await alice.wait((e) => e.event === 'ended' && e.callId === first.callId, 'ended (old call)')).toMatchObject({ reason: 'transferred to sip:carol@lab.test' });
      // baresip: its REFER was reported done, and it hung up ("Call transfered").
      expect((await bob.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, { since: bm, what: 'CALL_CLOSED' })).param).toMatch(/transfer/i);
      expect((await carol.waitFor('CALL_ESTABLISHED', 10_000, cm)).peeruri).toBe('sip:alice@lab.test');

      await carol.waitHeard(2, 10_000);
      alice.send('hangup');
      expect(await alice.wait((e) => e.event === 'ended' && e.callId === next.callId, 'ended (new call)')).toMatchObject({ by: 'local' });
      // `call` ran until the new call was over too; a transferred call ends normally.
      expect(await alice.exit()).toBe(0);
      await carol.waitFor('CALL_CLOSED', 10_000, cm);
      expectHeard((await carol.recordings(5_000)).dec, 440, 1000); // carol hears Appel
      expectHeard(join(ns.dir, 'alice-transferee-2.wav'), 1400, 1000); // Appel's new call hears carol, not bob
    } finally {
      await alice.stop();
    }
  });

  it('a transfer to a busy target fails in words and Appel keeps the call with bob', async () => {
    const bm = bob.eventCount;
    const alice = new Appel(['call', 'sip:bob@lab.test', ...account('alice'), '--play', tones[440]]);
    try {
      await alice.wait((e) => e.event === 'answered', 'answered');
      await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
      alice.send('transfer sip:busy@lab.test');
      const done = await alice.wait((e) => e.event === 'transferred', 'transferred', 30_000);
      expect(done).toMatchObject({ role: 'transferor', outcome: 'failed', status: 486 });
      expect(String(done.reason)).toMatch(/busy/);
      await alice.wait((e) => e.event === 'resumed', 'resumed');
      const s = await alice.wait((e) => e.event === 'stats' && Number(e.packetsReceived) > 0, 'stats');
      await alice.wait((e) => e.event === 'stats' && Number(e.packetsReceived) > Number(s.packetsReceived) + 25, 'media after the failed transfer');
      alice.send('hangup');
      expect(await alice.exit()).toBe(0);
    } finally {
      await alice.stop();
    }
  });
});

describe('attended transfer (RFC 5589 §7, RFC 3891 Replaces)', () => {
  it('Appel alice connects linphonec erin with Appel dave: erin calls dave with Replaces, dave answers by itself and drops alice', async () => {
    const dave = new Appel(['listen', ...account('dave'), '--auto-answer', '--play', tones[1400], '--record', join(ns.dir, 'dave-{n}.wav')]);
    const alice = new Appel(['call', 'sip:erin@lab.test', ...account('alice'), '--play', tones[440], '--record', join(ns.dir, 'alice-attended.wav')]);
    try {
      await dave.wait((e) => e.event === 'registered', 'registered');
      const toErin = await alice.wait((e) => e.event === 'answered', 'answered');
      alice.send('call sip:dave@lab.test');
      await alice.wait((e) => e.event === 'held' && e.callId === toErin.callId, 'held (erin)');
      const toDave = await alice.wait((e) => e.event === 'answered' && e.callId !== toErin.callId, 'answered (dave)');
      const daveFirst = await dave.wait((e) => e.event === 'answered', 'answered');
      await alice.wait((e) => e.event === 'stats' && e.callId === toDave.callId && Number(e.packetsReceived) > 25, 'media with dave');

      alice.send('attended-transfer');
      const done = await alice.wait((e) => e.event === 'transferred' && e.callId === toErin.callId, 'transferred', 30_000);
      expect(done).toMatchObject({ role: 'transferor', kind: 'attended', outcome: 'transferred', status: 200 });
      expect(await alice.wait((e) => e.event === 'transferred' && e.callId === toDave.callId, 'transferred (dave)')).toMatchObject({ outcome: 'transferred' });
      expect(await alice.exit(20_000)).toBe(0);
      expect(alice.named('ended').map((e) => e.callId).sort()).toEqual([toErin.callId, toDave.callId].sort());

      // dave, the target: erin's INVITE named the call with alice; answered without asking, that call ended.
      const replaced = await dave.wait((e) => e.event === 'transferred', 'transferred');
      expect(replaced).toMatchObject({ callId: daveFirst.callId, role: 'target', outcome: 'transferred' });
      expect(await dave.wait((e) => e.event === 'incoming' && e.callId === replaced.newCallId, 'incoming (erin)')).toMatchObject({ from: 'sip:erin@lab.test' });
      await dave.wait((e) => e.event === 'answered' && e.callId === replaced.newCallId, 'answered (erin)');
      expect(await dave.wait((e) => e.event === 'ended' && e.callId === daveFirst.callId, 'ended (alice)')).toMatchObject({ reason: 'replaced by the call with sip:erin@lab.test' });

      // erin and dave talk: each hears the other's tone.
      await dave.wait((e) => e.event === 'stats' && e.callId === replaced.newCallId && Number(e.packetsReceived) > 100, 'two seconds of erin', 15_000);
      await erin.terminate();
      expect(await dave.wait((e) => e.event === 'ended' && e.callId === replaced.newCallId, 'ended (erin)')).toMatchObject({ by: 'remote' });
      expectHeard(join(ns.dir, 'dave-1-2.wav'), 1000, 440); // dave hears erin
      expectHeard(await erin.recording(5_000), 1400, 440); // erin hears dave
    } finally {
      await Promise.all([alice.stop(), dave.stop()]);
    }
  });
});
