/**
 * A scanner's flood against the real engine (Appel's CLI, registered to a real Kamailio), in this
 * file's own network namespace: 2,000 OPTIONS/s and 500 INVITE/s from "friendly-scanner" for 20 s,
 * sent straight to Appel's port from another address, as a scanner on the same network would.
 *
 * What must hold: nothing rings (zero incoming-call events from the flood), the engine's memory
 * grows by less than 50 MB and comes back within 20 MB of where it started within 40 s of the end,
 * and a real call from baresip through Kamailio, placed in the middle of the flood, connects with
 * audio both ways. Every wait is bounded and waits for an event or a measurement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from '../interop/lab/netns.ts';
import { Kamailio } from '../interop/lab/kamailio.ts';
import { Baresip } from '../interop/lab/baresip.ts';
import { AppelProcess, NODE } from '../interop/lab/appel-cli.ts';
import { makeToneWav } from '../interop/lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav } from '../helpers/audio-analysis.ts';

const FLOODER = join(import.meta.dirname, 'lab', 'flooder.ts');
const APPEL_PORT = 5070;
const FLOOD_SECONDS = 20;

let ns: NetNs;
let kamailio: Kamailio;
let bob: Baresip;
let alice: AppelProcess;

/** The recording's steady part (after 0.5 s) carries `heard` at 20× the power of `not`, and is not silent. */
function expectTone(path: string, heard: number, not: number): void {
  const wav = readWav(path);
  const samples = wav.channels[0].subarray(Math.round(wav.sampleRate / 2));
  expect(samples.length, `${path} is too short`).toBeGreaterThan(wav.sampleRate);
  const want = goertzelPower(samples, wav.sampleRate, heard);
  expect(want, `${path}: ${heard} Hz`).toBeGreaterThan(1e-4);
  expect(want, `${path}: ${heard} Hz vs ${not} Hz`).toBeGreaterThan(20 * goertzelPower(samples, wav.sampleRate, not));
}

/** Resident memory of a process, MB (/proc/PID/status VmRSS). */
function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

beforeAll(async () => {
  ns = await NetNs.create();
  const tone440 = makeToneWav(join(ns.dir, 'audio'), { frequency: 440 });
  const tone1000 = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 });
  kamailio = new Kamailio(ns, { users: [{ username: 'alice', password: 'alice-secret' }, { username: 'bob', password: 'bob-secret' }] });
  await kamailio.start();
  bob = new Baresip(ns, { user: 'bob', password: 'bob-secret', registrar: '127.0.0.1:5060', sipPort: 5062, ctrlPort: 6062, playWav: tone1000, record: true });
  await bob.start();
  alice = new AppelProcess(ns, [
    'listen',
    '--aor', 'sip:alice@lab.test',
    '--password', 'alice-secret',
    '--proxy', 'sip:127.0.0.1:5060',
    '--listen', `udp:127.0.0.1:${APPEL_PORT}`,
    '--auto-answer',
    '--codecs', 'pcmu',
    '--play', tone440,
    '--record', join(ns.dir, 'alice-{n}.wav'),
  ]);
  await alice.event('registered');
  // One call before anything is measured: the memory a call takes (media worker, codec, buffers)
  // is the engine's steady state, not the flood's doing.
  await call(1);
}, 60_000);

/** bob calls alice through Kamailio; both hear 2 s; bob hangs up. Returns the call's id and how long the answer took. */
async function call(n: number): Promise<{ callId: unknown; answerMs: number }> {
  bob.clearRecordings();
  const since = alice.mark;
  const bm = bob.eventCount;
  const dialled = performance.now();
  await bob.dial('sip:alice@lab.test');
  const answered = await alice.wait((e) => e.event === 'answered', `answered (call ${n})`, 15_000, since);
  const answerMs = performance.now() - dialled;
  await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
  await bob.waitHeard(2, 10_000);
  await bob.hangup();
  await alice.wait((e) => e.event === 'ended' && e.callId === answered.callId, `ended (call ${n})`, 10_000, since);
  return { callId: answered.callId, answerMs };
}

afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  await kamailio?.stop();
  await ns?.close();
});

describe('a flood from a SIP scanner', () => {
  it('rings nothing, stays within its memory, and a real call through Kamailio connects with audio meanwhile', async () => {
    const pid = alice.child.pid!;
    const rssBefore = rssMb(pid);
    const cpuBefore = cpuSeconds(pid);
    const flooder = ns.spawn(NODE, [FLOODER, '--target', `127.0.0.1:${APPEL_PORT}`, '--from', '127.0.0.66', '--options', '2000', '--invites', '500', '--seconds', String(FLOOD_SECONDS)]);
    let report = '';
    flooder.stdout!.on('data', (d: Buffer) => (report += d.toString()));
    const flooded = new Promise<void>((resolve) => flooder.once('exit', () => resolve()));
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 250);
    try {
      // A real call in the middle of the flood: bob → Kamailio → Appel (which answers by itself).
      await new Promise((r) => setTimeout(r, 5_000));
      const { answerMs } = await call(2);
      await flooded;
      clearInterval(sampler);
      const cpu = cpuSeconds(pid) - cpuBefore;

      const stats = JSON.parse(report.trim()) as { sent: { OPTIONS: number; INVITE: number }; answers: Record<string, number> };
      expect(stats.sent.OPTIONS).toBeGreaterThan(0.9 * 2000 * FLOOD_SECONDS);
      expect(stats.sent.INVITE).toBeGreaterThan(0.9 * 500 * FLOOD_SECONDS);
      // Nothing the flood sent rang: the only incoming call was bob's.
      expect(alice.named('incoming').map((e) => e.from)).toEqual(['sip:bob@lab.test', 'sip:bob@lab.test']);
      // The scanner learns little: a few answers a second (404, 503 with Retry-After), silence for the rest.
      const answeredTotal = Object.values(stats.answers).reduce((a, b) => a + b, 0);
      expect(answeredTotal).toBeLessThan(0.05 * (stats.sent.OPTIONS + stats.sent.INVITE));
      expect(Object.keys(stats.answers).every((s) => ['404', '503', '100'].includes(s))).toBe(true);
      // Both sides heard each other.
      expectTone(join(ns.dir, 'alice-2.wav'), 1000, 440); // Appel hears bob
      expectTone((await bob.recordings(5_000)).dec, 440, 1000); // bob hears Appel
      // Memory: bounded during the flood, and given back after it.
      expect(rssPeak - rssBefore, `RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} MB`).toBeLessThan(50);
      const deadline = Date.now() + 40_000;
      let rssAfter = rssMb(pid);
      while (rssAfter - rssBefore >= 20 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        rssAfter = rssMb(pid);
      }
      expect(rssAfter - rssBefore, `RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB 40 s after the flood`).toBeLessThan(20);
      console.log(
        `flood: ${stats.sent.OPTIONS} OPTIONS + ${stats.sent.INVITE} INVITE in ${FLOOD_SECONDS} s; answered ${answeredTotal} (${JSON.stringify(stats.answers)}); ` +
          `engine CPU ${((100 * cpu) / FLOOD_SECONDS).toFixed(0)} % of a core; RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} → ${rssAfter.toFixed(0)} MB; a real call answered in ${answerMs.toFixed(0)} ms`,
      );
    } finally {
      clearInterval(sampler);
      flooder.kill('SIGKILL');
    }
  }, 150_000);
});
