/**
 * Calls between Appel (its real command line) and a real linphonec 5.1 (liblinphone: another
 * SIP and media stack than baresip, and the one peer with G.729), both registered to a real
 * Kamailio, in this file's own network namespace: linphonec calls Appel (`listen
 * --auto-answer`) and Appel calls linphonec (auto-answer), with G.729 and with GSM. The tone
 * each side plays is the tone the other side recorded.
 *
 *   Appel alice (call …)   ──┐                  ┌── linphonec erin (auto-answer, 1000 Hz, records)
 *   Appel dave  (listen …) ──┴── Kamailio 5060 ──┘
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { Linphone } from './lab/linphone.ts';
import { AppelProcess, runAppel } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const USERS = ['alice', 'dave', 'erin'].map((username) => ({ username, password: `${username}-secret` }));
const PROXY = 'sip:127.0.0.1:5060';
/** The fixtures' level (peers-audio-fixtures.ts). */
const SENT_DB = -12;

let ns: NetNs;
let kamailio: Kamailio;
let erin: Linphone;
let tone440: string;

function account(user: string): string[] {
  return ['--aor', `sip:${user}@lab.test`, '--password', `${user}-secret`, '--proxy', PROXY, '--listen', 'udp:127.0.0.1:0'];
}

/**
 * The tone heard on the steady part of a recording: its loudest second (the start of media and
 * the hang-up vary with the machine's load) has `expected` with 20× the power of `other`, within
 * 6 dB of the level sent (G.729 and GSM are lossy vocoders).
 */
function expectTone(path: string, expected: number, other: number): void {
  const wav = readWav(path);
  const all = wav.channels[0].subarray(Math.round(wav.sampleRate * 0.4));
  expect(all.length / wav.sampleRate, `${path} is too short`).toBeGreaterThan(1);
  const second = wav.sampleRate;
  let samples = all.subarray(0, second);
  for (let at = 0; at + second <= all.length; at += Math.round(second / 10)) {
    const window = all.subarray(at, at + second);
    if (rmsDb(window) > rmsDb(samples)) samples = window;
  }
  const want = goertzelPower(samples, wav.sampleRate, expected);
  expect(want, `${path}: ${expected} Hz vs ${other} Hz`).toBeGreaterThan(20 * goertzelPower(samples, wav.sampleRate, other));
  expect(Math.abs(rmsDb(samples) - SENT_DB), `${path}: level ${rmsDb(samples).toFixed(1)} dBFS, sent at ${SENT_DB}`).toBeLessThan(6);
}

beforeAll(async () => {
  ns = await NetNs.create();
  tone440 = makeToneWav(join(ns.dir, 'audio'), { frequency: 440 });
  kamailio = new Kamailio(ns, { users: USERS });
  await kamailio.start();
  erin = new Linphone(ns, {
    user: 'erin',
    password: 'erin-secret',
    registrar: '127.0.0.1:5060',
    sipPort: 5066,
    autoAnswer: true,
    playWav: makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 }),
    codecs: ['G729', 'GSM', 'PCMU'],
  });
  await erin.start();
});

afterAll(async () => {
  await erin?.stop();
  await kamailio?.stop();
  await ns?.close();
});

for (const codec of ['g729', 'gsm'] as const) {
  describe(`${codec === 'g729' ? 'G.729' : 'GSM'} with linphonec`, () => {
    it(`linphonec calls Appel (listen --auto-answer --codecs ${codec}): both hear each other`, async () => {
      const dave = new AppelProcess(ns, ['listen', ...account('dave'), '--auto-answer', '--codecs', codec, '--play', tone440, '--record', join(ns.dir, `dave-${codec}-{n}.wav`)]);
      try {
        await dave.waitEvent((e) => e.event === 'registered', 10_000, 'registered');
        const call = await erin.call('sip:dave@lab.test');
        expect(await dave.waitEvent((e) => e.event === 'incoming', 10_000, 'incoming')).toMatchObject({ from: 'sip:erin@lab.test' });
        expect(await dave.waitEvent((e) => e.event === 'answered', 10_000, 'answered')).toMatchObject({ codec, srtp: false });
        await erin.waitCall(call, 'connected', 10_000);
        await erin.waitHeard(2, 10_000);
        await erin.terminate();
        expect(await dave.waitEvent((e) => e.event === 'ended', 10_000, 'ended')).toMatchObject({ by: 'remote', reason: 'the other side hung up' });
        expectTone(await erin.recording(5_000), 440, 1000); // what linphonec heard
        expectTone(join(ns.dir, `dave-${codec}-1.wav`), 1000, 440); // what Appel heard
      } finally {
        dave.child.kill('SIGTERM');
        await dave.exit(8_000);
      }
    });

    it(`Appel calls linphonec (call --codecs ${codec}, auto-answered): both hear each other, Appel hangs up`, async () => {
      erin.clearRecording(); // it appends across calls (PEERS-NOTES.md)
      const since = erin.eventCount;
      const record = join(ns.dir, `alice-${codec}.wav`);
      const r = await runAppel(ns, ['call', 'sip:erin@lab.test', ...account('alice'), '--codecs', codec, '--play', tone440, '--record', record, '--duration', '4'], { timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.events.find((e) => e.event === 'answered')).toMatchObject({ codec, srtp: false, peer: 'sip:erin@lab.test' });
      expect(r.events.find((e) => e.event === 'ended')).toMatchObject({ by: 'local', reason: 'call ended' });
      expect(r.events.some((e) => e.event === 'stats' && Number(e.packetsReceived) > 50)).toBe(true);
      await erin.waitEvent((e) => e.type === 'ended', 10_000, { since, what: 'the call ended' });
      expectTone(await erin.recording(5_000), 440, 1000); // what linphonec heard
      expectTone(record, 1000, 440); // what Appel heard
    });
  });
}
