/**
 * A three-way conference mixed by Appel (its real command line) with two real baresip 1.0
 * phones, all through a real Kamailio, in this file's own network namespace. Each phone plays
 * its own tone, so the recordings say who hears whom (mix-minus): each baresip hears Appel and
 * the other baresip but not itself; Appel (its first call's --record) hears both.
 *
 *   baresip bob   (1000 Hz) ──┐                  ┌── Appel dave (listen --auto-answer, 440 Hz;
 *   baresip carol (1400 Hz) ──┴── Kamailio 5060 ──┘               `merge`, `split` on stdin)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { Baresip } from './lab/baresip.ts';
import { type AppelEvent, AppelProcess } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav } from '../helpers/audio-analysis.ts';

const USERS = ['dave', 'bob', 'carol'].map((username) => ({ username, password: `${username}-secret` }));
const TONE = { dave: 440, bob: 1000, carol: 1400 } as const;

let ns: NetNs;
let kamailio: Kamailio;
let bob: Baresip;
let carol: Baresip;
let dave: Appel;

/** Appel's CLI with a pipe on its standard input (hold, resume, transfer, call, merge…). */
class Appel extends AppelProcess {
  constructor(args: string[]) {
    super(ns, args, {}, { stdin: true });
  }
}

/** Goertzel power of each tone in the last second of a recording. */
function heard(path: string): Record<number, number> {
  const wav = readWav(path);
  const s = wav.channels[0];
  expect(s.length / wav.sampleRate, `${path} lasts ${(s.length / wav.sampleRate).toFixed(2)} s`).toBeGreaterThan(1.2);
  const tail = s.subarray(s.length - wav.sampleRate);
  return Object.fromEntries(Object.values(TONE).map((f) => [f, goertzelPower(tail, wav.sampleRate, f)]));
}

/** Both `want` tones are clearly there, and `self` (the phone's own tone) is not: 20× below the weaker. */
function expectMix(path: string, want: [number, number], self: number): void {
  const p = heard(path);
  for (const f of want) expect(p[f], `${path}: ${f} Hz (powers ${JSON.stringify(p)})`).toBeGreaterThan(1e-3);
  expect(Math.min(p[want[0]], p[want[1]]), `${path}: its own ${self} Hz (powers ${JSON.stringify(p)})`).toBeGreaterThan(20 * p[self]);
}

beforeAll(async () => {
  ns = await NetNs.create();
  kamailio = new Kamailio(ns, { users: USERS });
  await kamailio.start();
  const phone = (user: 'bob' | 'carol', port: number) =>
    new Baresip(ns, {
      user,
      password: `${user}-secret`,
      registrar: '127.0.0.1:5060',
      sipPort: port,
      ctrlPort: port + 1000,
      autoAnswer: true,
      playWav: makeToneWav(join(ns.dir, 'audio'), { frequency: TONE[user] }),
      record: true,
      codecs: ['PCMU'],
    });
  bob = phone('bob', 5062);
  carol = phone('carol', 5064);
  await Promise.all([bob.start(), carol.start()]);
  dave = new Appel([
    'listen', '--aor', 'sip:dave@lab.test', '--password', 'dave-secret', '--proxy', 'sip:127.0.0.1:5060', '--listen', 'udp:127.0.0.1:0',
    '--auto-answer', '--play', makeToneWav(join(ns.dir, 'audio'), { frequency: TONE.dave }), '--record', join(ns.dir, 'dave-{n}.wav'),
  ]);
  await dave.wait((e) => e.event === 'registered', 'registered');
});

afterAll(async () => {
  await Promise.all([dave?.stop(), bob?.stop(), carol?.stop()]);
  await kamailio?.stop();
  await ns?.close();
});

/**
 * bob and carol call Appel (listen --auto-answer), and Appel merges the two calls. (baresip's
 * recording stops for good when a re-INVITE restarts its player — hold, resume — so the calls
 * to be recorded are never held: both phones call Appel, which answers both at once.)
 */
async function threeWay(): Promise<{ toBob: AppelEvent; toCarol: AppelEvent; n: number }> {
  const [bm, cm, since] = [bob.eventCount, carol.eventCount, dave.events.length];
  const answered = (from: string) => dave.wait((e) => e.event === 'answered' && e.peer === from && dave.events.indexOf(e) >= since, `answered (${from})`);
  await bob.dial('sip:dave@lab.test');
  const toBob = await answered('sip:bob@lab.test');
  await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
  await carol.dial('sip:dave@lab.test');
  const toCarol = await answered('sip:carol@lab.test');
  await carol.waitFor('CALL_ESTABLISHED', 10_000, cm);
  dave.send('merge');
  const conf = await dave.wait((e) => e.event === 'conference' && e.state === 'active' && dave.events.indexOf(e) >= since, 'conference');
  expect(conf).toMatchObject({ members: [toBob.callId, toCarol.callId], peers: ['sip:bob@lab.test', 'sip:carol@lab.test'] });
  // The first call's recording ({n} = the number of calls Appel answered) is Appel's own ear in the conference.
  return { toBob, toCarol, n: dave.events.filter((e) => e.event === 'answered').length - 1 };
}

/** `n` more statistics events (one a second) of `callId`. */
async function seconds(callId: unknown, n: number): Promise<void> {
  const from = dave.events.length;
  await dave.wait((e) => e.event === 'stats' && e.callId === callId && dave.events.slice(from).filter((x) => x.event === 'stats' && x.callId === callId).length >= n, `${n} s of stats`, (n + 5) * 1000);
}

describe('a three-way conference mixed by Appel', () => {
  it('each baresip hears Appel and the other baresip, never itself; Appel hears both', async () => {
    bob.clearRecordings();
    carol.clearRecordings();
    const [bm, cm] = [bob.eventCount, carol.eventCount];
    const { toBob, n } = await threeWay();
    await seconds(toBob.callId, 3);
    // Both leave at once, while the mix runs.
    await Promise.all([bob.hangup(), carol.hangup()]);
    await Promise.all([bob.waitFor('CALL_CLOSED', 10_000, bm), carol.waitFor('CALL_CLOSED', 10_000, cm)]);
    expect(await dave.wait((e) => e.event === 'conference' && e.state === 'ended', 'conference ended')).toMatchObject({ reason: expect.stringMatching(/^sip:(bob|carol)@lab\.test left$/) });
    await dave.wait((e) => e.event === 'ended' && dave.events.filter((x) => x.event === 'ended').length >= 2, 'both calls ended');
    const [b, c] = await Promise.all([bob.recordings(5_000), carol.recordings(5_000)]);
    expectMix(b.dec, [TONE.dave, TONE.carol], TONE.bob);
    expectMix(c.dec, [TONE.dave, TONE.bob], TONE.carol);
    expectMix(join(ns.dir, `dave-${n}.wav`), [TONE.bob, TONE.carol], TONE.dave);
  });

  it('split holds the second call; bob then hangs up and the call with carol goes on, Appel alone with her', async () => {
    const since = dave.events.length;
    const { toBob, toCarol, n } = await threeWay();
    await seconds(toBob.callId, 1);
    dave.send('split');
    expect(await dave.wait((e) => e.event === 'conference' && e.state === 'ended' && dave.events.indexOf(e) >= since, 'conference ended')).toMatchObject({ reason: 'split' });
    await dave.wait((e) => e.event === 'held' && e.callId === toCarol.callId && e.by === 'local', 'held (carol)');
    await bob.hangup();
    expect(await dave.wait((e) => e.event === 'ended' && e.callId === toBob.callId, 'ended (bob)')).toMatchObject({ by: 'remote' });
    dave.send('resume');
    await dave.wait((e) => e.event === 'resumed' && e.callId === toCarol.callId, 'resumed (carol)');
    await seconds(toCarol.callId, 3);
    const cm = carol.eventCount;
    await carol.hangup();
    expect(await dave.wait((e) => e.event === 'ended' && e.callId === toCarol.callId, 'ended (carol)')).toMatchObject({ by: 'remote' });
    await carol.waitFor('CALL_CLOSED', 10_000, cm);
    // Appel's recording of carol's call: carol alone again, bob's tone gone.
    const p = heard(join(ns.dir, `dave-${n + 1}.wav`));
    expect(p[TONE.carol], `Appel hears carol alone (powers ${JSON.stringify(p)})`).toBeGreaterThan(20 * p[TONE.bob]);
  });
});
