/**
 * Video in a local three-way conference (issue 13): Appel (its real command line) calls two real
 * baresip 1.0 phones with video, direct on loopback in this file's own network namespace, and
 * merges the calls. The audio is mixed (each phone plays its own tone, so the recordings say who
 * hears whom); the video is not: each call goes on sending Appel's test pattern and receiving its
 * party's pictures. Then one party hangs up and the other call's video goes on, both ways.
 *
 *   baresip bob   (1000 Hz, fakevideo) ──┐
 *   baresip carol (1400 Hz, fakevideo) ──┴── Appel dave (call bob; `call carol`, `merge` on stdin;
 *                                              440 Hz, testsrc, --record, --record-video)
 *
 * What each side saw is checked where it saw it: each baresip's snapshot shows Appel's eight bars,
 * and two snapshots a moment apart differ (the moving square: frames still arrive); Appel's two
 * recordings decode to baresip's pattern. Waits end on events, each bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Baresip } from './lab/baresip.ts';
import { type AppelEvent, AppelProcess } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';
import { barMisses, colourMisses, probeVideo, rgbPixels, type Rgb } from './lab/video-pictures.ts';
import { goertzelPower, readWav } from '../helpers/audio-analysis.ts';

const TONE = { dave: 440, bob: 1000, carol: 1400 } as const;

let ns: NetNs;
let bob: Baresip;
let carol: Baresip;

beforeAll(async () => {
  ns = await NetNs.create();
  const phone = (user: 'bob' | 'carol', port: number) =>
    new Baresip(ns, {
      user,
      registrar: null,
      sipPort: port,
      ctrlPort: port + 1000,
      autoAnswer: true,
      video: true,
      playWav: makeToneWav(join(ns.dir, 'audio'), { frequency: TONE[user] }),
      record: true,
      codecs: ['PCMU'],
    });
  bob = phone('bob', 5062);
  carol = phone('carol', 5064);
  await Promise.all([bob.start(), carol.start()]);
});

afterAll(async () => {
  await Promise.all([bob?.stop(), carol?.stop()]);
  await ns?.close();
});

/** baresip's fakevideo: red, green and blue vertical thirds. */
function baresipPatternMisses(recording: string): string[] {
  const thirds: Rgb[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  return colourMisses(recording, thirds.map((rgb, third) => ({ name: `third ${third}`, x: (third + 0.5) / 3, y: 0.5, rgb })));
}

/** What `phone` received last, saved as a PNG (bounded wait for the file). */
async function snapshot(phone: Baresip, name: string): Promise<string> {
  const path = join(ns.dir, name);
  rmSync(path, { force: true });
  await phone.command('snapshot_recv', path);
  const end = Date.now() + 5_000;
  while (!(existsSync(path) && statSync(path).size > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return path;
}

/**
 * `phone` is receiving Appel's pattern now: its snapshot shows the eight bars, and one taken
 * half a second later differs (the square moved: new frames arrived in between).
 */
async function expectSeesAppel(phone: Baresip, name: string): Promise<void> {
  const first = await snapshot(phone, `${name}-1.png`);
  expect(barMisses(first), `${name}: Appel's bars`).toEqual([]);
  await new Promise((r) => setTimeout(r, 500));
  const second = await snapshot(phone, `${name}-2.png`);
  expect(barMisses(second), `${name}: Appel's bars, later`).toEqual([]);
  expect(Buffer.compare(Buffer.from(rgbPixels(first, 160, 120)), Buffer.from(rgbPixels(second, 160, 120))), `${name}: the picture moves`).not.toBe(0);
}

/** Goertzel power of each tone in `samples`. */
function powers(samples: Float32Array | Int16Array | number[], sampleRate: number): Record<number, number> {
  return Object.fromEntries(Object.values(TONE).map((f) => [f, goertzelPower(samples, sampleRate, f)]));
}

/** Both `want` tones are clearly there, and `self` is not (20× below the weaker). */
function expectMix(p: Record<number, number>, want: [number, number], self: number, what: string): void {
  for (const f of want) expect(p[f], `${what}: ${f} Hz (powers ${JSON.stringify(p)})`).toBeGreaterThan(1e-3);
  expect(Math.min(p[want[0]], p[want[1]]), `${what}: ${self} Hz (powers ${JSON.stringify(p)})`).toBeGreaterThan(20 * p[self]);
}

type VideoFigures = { sent?: { fps: number }; received?: { fps: number } };

/** Appel's CLI with video, its standard input a pipe (call, merge, split, swap, hangup). */
class Dave extends AppelProcess {
  constructor(extra: string[]) {
    super(ns, ['call', bob.directUri, '--listen', 'udp:127.0.0.1:5070', '--codecs', 'pcmu', '--video-source', 'testsrc', ...extra], {}, { stdin: true });
  }

  /** Video both ways at a steady rate on `callId`, in a stats event from event `since` on. */
  flowing(callId: unknown, since: number, what: string): Promise<AppelEvent> {
    return this.wait((e) => {
      const v = e.video as VideoFigures | undefined;
      return e.event === 'stats' && e.callId === callId && (v?.sent?.fps ?? 0) > 10 && (v?.received?.fps ?? 0) > 10;
    }, `video both ways (${what})`, 10_000, since);
  }

  /**
   * Its first call (to bob, with video) up, then `call carol` on standard input (bob is held
   * meanwhile, as a person's phone does), then `merge`: bob is resumed, the conference starts.
   */
  async conference(): Promise<{ toBob: AppelEvent; toCarol: AppelEvent; merged: number }> {
    const toBob = await this.wait((e) => e.event === 'video' && e.active === true, 'video with bob', 15_000);
    await this.flowing(toBob.callId, 0, 'bob, alone');
    const cm = carol.eventCount;
    let mark = this.mark;
    this.send(`call ${carol.directUri}`);
    const toCarol = await this.wait((e) => e.event === 'answered' && e.callId !== toBob.callId, 'answered (carol)', 15_000, mark);
    await carol.waitFor('CALL_ESTABLISHED', 10_000, cm);
    await this.wait((e) => e.event === 'video' && e.callId === toCarol.callId && e.active === true, 'video with carol', 10_000, mark);
    expect(this.events.some((e) => e.event === 'held' && e.callId === toBob.callId && e.by === 'local')).toBe(true);
    mark = this.mark;
    this.send('merge');
    const conf = await this.wait((e) => e.event === 'conference' && e.state === 'active', 'conference', 10_000, mark);
    expect(conf).toMatchObject({ members: [toBob.callId, toCarol.callId] });
    await this.wait((e) => e.event === 'resumed' && e.callId === toBob.callId, 'bob resumed', 10_000, mark);
    // Video on each call, both ways, after the merge: Appel's pattern to both, each party's to Appel.
    await Promise.all([this.flowing(toBob.callId, mark, 'bob, in the conference'), this.flowing(toCarol.callId, mark, 'carol, in the conference')]);
    await expectSeesAppel(bob, 'bob-in-conference');
    await expectSeesAppel(carol, 'carol-in-conference');
    return { toBob, toCarol, merged: mark };
  }
}

describe('video in a three-way conference mixed by Appel', () => {
  it('Appel calls two baresips with video and merges: both see Appel, Appel sees both, the audio is mixed; one leaves and the other call\'s video goes on', { timeout: 60_000 }, async () => {
    bob.clearRecordings();
    carol.clearRecordings();
    const recBob = join(ns.dir, 'from-bob.ivf');
    const ear = join(ns.dir, 'dave.wav');
    const dave = new Dave(['--play', makeToneWav(join(ns.dir, 'audio'), { frequency: TONE.dave }), '--record', ear, '--record-video', recBob]);
    try {
      const { toBob, toCarol } = await dave.conference();
      // Three more seconds of the mix, then carol leaves.
      const stats = dave.mark;
      await dave.wait((e) => e.event === 'stats' && e.callId === toBob.callId && dave.events.slice(stats).filter((x) => x.event === 'stats' && x.callId === toBob.callId).length >= 3, '3 s of the mix', 10_000, stats);

      let mark = dave.mark;
      await carol.hangup();
      const ended = await dave.wait((e) => e.event === 'conference' && e.state === 'ended', 'conference ended', 10_000, mark);
      expect(ended).toMatchObject({ reason: `${String(toCarol.peer)} left` });
      await dave.wait((e) => e.event === 'ended' && e.callId === toCarol.callId, 'carol ended', 10_000, mark);
      // bob's call goes on, its video both ways, untouched: frames after carol left, no renegotiation.
      await dave.flowing(toBob.callId, dave.mark, 'bob, after carol left');
      await expectSeesAppel(bob, 'bob-after');
      expect(dave.events.slice(mark).some((e) => e.event === 'video' && e.callId === toBob.callId)).toBe(false);

      // carol heard Appel and bob (only through Appel's mix), never herself.
      const c = readWav((await carol.recordings(5_000)).dec);
      const cs = c.channels[0];
      const quarter = c.sampleRate / 4;
      expectMix(powers(cs.subarray(cs.length - c.sampleRate - quarter, cs.length - quarter), c.sampleRate), [TONE.dave, TONE.bob], TONE.carol, 'carol heard');

      mark = dave.mark;
      const confEndedAt = Date.parse(String(ended.time));
      dave.send('hangup');
      const bobEnded = await dave.wait((e) => e.event === 'ended' && e.callId === toBob.callId, 'bob ended', 10_000, mark);
      expect(await dave.exit(10_000)).toBe(0);
      // Appel's ear (its first call's --record) during the mix: the second before the conference
      // ended, counted back from the end of the recording (it stops when the call ends).
      const w = readWav(ear);
      const s = w.channels[0];
      const after = ((Date.parse(String(bobEnded.time)) - confEndedAt) / 1000) * w.sampleRate;
      const end = Math.round(s.length - after - w.sampleRate / 2);
      expect(end, `${ear}: long enough`).toBeGreaterThan(w.sampleRate * 2);
      expectMix(powers(s.subarray(end - w.sampleRate, end), w.sampleRate), [TONE.bob, TONE.carol], TONE.dave, 'Appel heard');
    } finally {
      await dave.stop();
    }
    // Each party's video, recorded to its own file (the second call's gets -2: the name is taken).
    for (const [file, least] of [[recBob, 100], [join(ns.dir, 'from-bob-2.ivf'), 50]] as const) {
      const p = probeVideo(file);
      expect(p, file).toMatchObject({ codec: 'vp8', width: 640, height: 480 });
      expect(p.frames, file).toBeGreaterThan(least);
      expect(baresipPatternMisses(file), file).toEqual([]);
    }
  });

  it('split: the first call\'s video goes on both ways, the second is held (no video); swap brings carol\'s back', { timeout: 60_000 }, async () => {
    const dave = new Dave([]);
    try {
      const { toBob, toCarol } = await dave.conference();
      let mark = dave.mark;
      dave.send('split');
      expect(await dave.wait((e) => e.event === 'conference' && e.state === 'ended', 'conference ended', 10_000, mark)).toMatchObject({ reason: 'split' });
      await dave.wait((e) => e.event === 'held' && e.callId === toCarol.callId && e.by === 'local', 'carol held', 10_000, mark);
      expect(await dave.wait((e) => e.event === 'video' && e.callId === toCarol.callId, 'carol\'s video paused', 10_000, mark)).toMatchObject({ active: true, sending: false, receiving: false });
      await dave.flowing(toBob.callId, dave.mark, 'bob, after the split');
      await expectSeesAppel(bob, 'bob-after-split');
      expect(dave.events.slice(mark).some((e) => e.event === 'video' && e.callId === toBob.callId)).toBe(false);

      mark = dave.mark;
      dave.send('swap');
      await dave.wait((e) => e.event === 'resumed' && e.callId === toCarol.callId, 'carol resumed', 10_000, mark);
      await dave.wait((e) => e.event === 'held' && e.callId === toBob.callId, 'bob held', 10_000, mark);
      await dave.flowing(toCarol.callId, mark, 'carol, after the swap');
      await expectSeesAppel(carol, 'carol-after-swap');
      mark = dave.mark;
      dave.send('hangup');
      await dave.wait((e) => e.event === 'ended' && e.callId === toCarol.callId, 'carol ended', 10_000, mark);
      dave.send('hangup');
      await dave.wait((e) => e.event === 'ended' && e.callId === toBob.callId, 'bob ended', 10_000, mark);
      await dave.exit(10_000);
    } finally {
      await dave.stop();
    }
  });
});
