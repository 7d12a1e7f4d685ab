/**
 * Calls between Appel (its real command line, `npm run phone -- call|listen`) and a real
 * baresip 1.0 (Debian's), both registered to a real Kamailio, in this file's own network
 * namespace. Audio is checked in the recordings on both sides: the tone one side sent is the
 * tone the other side heard (frequency, level, duration). Every wait is bounded and waits for a
 * signal (an event, N seconds of audio), never for a fixed time.
 *
 *   Appel alice (call …)   ──┐                 ┌── baresip bob   (auto-answer, 1000 Hz, records)
 *                            ├── Kamailio 5060 ─┤
 *   Appel dave  (listen …) ──┘                 └── baresip carol (manual answer, SDES-SRTP, 1000 Hz)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { Baresip } from './lab/baresip.ts';
import { CLI, NODE, runAppel, type AppelEvent } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const USERS = ['alice', 'bob', 'carol', 'dave'].map((username) => ({ username, password: `${username}-secret` }));
const PROXY = 'sip:127.0.0.1:5060';
/** The level of the fixture tones (peers-audio-fixtures.ts default). */
const SENT_DB = -12;

let ns: NetNs;
let kamailio: Kamailio;
let bob: Baresip;
let carol: Baresip;
let dave: InteractiveAppel;
let tone440: string;
let tone1000: string;

/** Appel's CLI with a pipe on its standard input (the commands hold, resume, hangup…). */
class InteractiveAppel {
  readonly child: ChildProcess;
  readonly events: AppelEvent[] = [];
  stderr = '';
  private waiters: Array<{ test: (e: AppelEvent) => boolean; resolve: (e: AppelEvent) => void }> = [];

  constructor(args: string[]) {
    this.child = ns.spawn(NODE, [CLI, ...args, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      partial += d.toString();
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        let e: AppelEvent;
        try {
          e = JSON.parse(line) as AppelEvent;
        } catch {
          continue;
        }
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => (w.test(e) ? (w.resolve(e), false) : true));
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  get mark(): number {
    return this.events.length;
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** The first event from index `since` on that passes `test`, within `ms`. */
  wait(test: (e: AppelEvent) => boolean, ms = 10_000, since = 0, what = 'event'): Promise<AppelEvent> {
    const seen = this.events.slice(since).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve: (e: AppelEvent) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`Appel: no ${what} within ${ms} ms; events: ${JSON.stringify(this.events.filter((e) => e.event !== 'stats' && e.event !== 'trace'))}\nstderr: ${this.stderr}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  event(name: string, since = 0, ms = 10_000): Promise<AppelEvent> {
    return this.wait((e) => e.event === name, ms, since, name);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  }
}

/** Account flags for Appel as `user` through Kamailio. */
function account(user: string): string[] {
  return ['--aor', `sip:${user}@lab.test`, '--password', `${user}-secret`, '--proxy', PROXY, '--listen', 'udp:127.0.0.1:0'];
}

/**
 * The tone heard in a recording, on its steady part (the first 0.4 s skipped: jitter buffer,
 * codec start): `expected` carries 20× the power of `other`, at about the level it was sent at,
 * for about `seconds` (when given).
 */
function expectTone(path: string, expected: number, other: number, seconds?: number): void {
  const wav = readWav(path);
  const all = wav.channels[0];
  if (seconds !== undefined) expect(Math.abs(all.length / wav.sampleRate - seconds), `${path} lasts ${(all.length / wav.sampleRate).toFixed(2)} s`).toBeLessThan(1);
  const samples = all.subarray(Math.round(wav.sampleRate * 0.4));
  expect(samples.length, `${path} is too short`).toBeGreaterThan(wav.sampleRate * 0.5);
  const want = goertzelPower(samples, wav.sampleRate, expected);
  const not = goertzelPower(samples, wav.sampleRate, other);
  expect(want, `${path}: ${expected} Hz vs ${other} Hz`).toBeGreaterThan(20 * not);
  expect(Math.abs(rmsDb(samples) - SENT_DB), `${path}: level ${rmsDb(samples).toFixed(1)} dBFS, sent at ${SENT_DB}`).toBeLessThan(4);
}

/** baresip's recordings of its last call, once closed. */
async function recordings(phone: Baresip): Promise<{ enc: string; dec: string }> {
  return phone.recordings(5_000);
}

beforeAll(async () => {
  ns = await NetNs.create();
  tone440 = makeToneWav(join(ns.dir, 'audio'), { frequency: 440 });
  tone1000 = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 });
  kamailio = new Kamailio(ns, { users: USERS });
  await kamailio.start();
  bob = new Baresip(ns, {
    user: 'bob',
    password: 'bob-secret',
    registrar: '127.0.0.1:5060',
    sipPort: 5062,
    ctrlPort: 6062,
    autoAnswer: true,
    playWav: tone1000,
    record: true,
    extraConfig: ['module_app contact.so'],
  });
  // bob's address book: Alice's listening twin, Dave, for `message` (contact module).
  writeFileSync(join(bob.dir, 'contacts'), '"Dave" <sip:dave@lab.test>\n');
  carol = new Baresip(ns, { user: 'carol', password: 'carol-secret', registrar: '127.0.0.1:5060', sipPort: 5064, ctrlPort: 6064, playWav: tone1000, record: true, srtp: 'srtp' });
  await Promise.all([bob.start(), carol.start()]);
  dave = new InteractiveAppel(['listen', ...account('dave'), '--auto-answer', '--play', tone440, '--record', join(ns.dir, 'dave-{n}.wav')]);
  await dave.event('registered');
});

afterAll(async () => {
  // Appel and the phones first: on SIGTERM they un-register, which needs Kamailio (PEERS.md).
  await Promise.all([dave?.stop(), bob?.stop(), carol?.stop()]);
  await kamailio?.stop();
  await ns?.close();
});

describe('Appel calls baresip (auto-answer) through Kamailio', () => {
  for (const codec of ['opus', 'g722', 'pcmu', 'pcma'] as const) {
    it(`${codec}: each side hears the other's tone, at its level, for the call's length; Appel hangs up (BYE)`, async () => {
      bob.clearRecordings();
      const record = join(ns.dir, `alice-${codec}.wav`);
      const since = bob.eventCount;
      const r = await runAppel(ns, ['call', 'sip:bob@lab.test', ...account('alice'), '--codecs', codec, '--play', tone440, '--record', record, '--duration', '2.5'], { timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // baresip may ring (180) before it auto-answers, or answer at once.
      const names = r.events.map((e) => e.event).filter((n) => n !== 'stats' && n !== 'ringing');
      expect(names).toEqual(['registering', 'registered', 'calling', 'answered', 'ended', 'unregistered']);
      expect(r.events.find((e) => e.event === 'answered')).toMatchObject({ codec, srtp: false, peer: 'sip:bob@lab.test' });
      const ended = r.events.find((e) => e.event === 'ended')!;
      expect(ended).toMatchObject({ reason: 'call ended', by: 'local' });
      expect(Number(ended.duration)).toBeGreaterThanOrEqual(2.4);
      expect(r.events.some((e) => e.event === 'stats' && Number(e.packetsReceived) > 50 && Number(e.mos) > 3.5)).toBe(true);
      expect((await bob.waitFor('CALL_CLOSED', 10_000, since)).param).toMatch(/reset by peer/i);
      const rec = await recordings(bob);
      expectTone(record, 1000, 440, 2.5); // what Appel heard
      expectTone(rec.dec, 440, 1000, 2.5); // what baresip heard
    });
  }
});
