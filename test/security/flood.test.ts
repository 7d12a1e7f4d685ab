/**
 * A scanner's flood against the real engine (security-lab.ts: Appel's CLI registered to a real
 * Kamailio, a real baresip), in this file's own network namespace: 2,000 OPTIONS/s and 500
 * INVITE/s from "friendly-scanner" for 20 s, sent straight to Appel's port from another address,
 * as a scanner on the same network would.
 *
 * What must hold: nothing rings (zero incoming-call events from the flood), the engine's memory
 * grows by less than 50 MB and is within 20 MB of where it started 40 s after the end, and a real
 * call from baresip through Kamailio, placed in the middle of the flood, connects with audio both
 * ways. Every wait is bounded and waits for an event or a measurement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NODE } from '../interop/lab/appel-cli.ts';
import { APPEL_PORT, ATTACKER, LAB, cpuSeconds, power, rssMb, securityLab, type SecurityLab } from './lab/security-lab.ts';

const FLOOD_SECONDS = 20;
let lab: SecurityLab;

beforeAll(async () => {
  lab = await securityLab();
  // One call before anything is measured: the memory a call takes (media worker, codec, buffers)
  // is the engine's steady state, not the flood's doing.
  await lab.call();
}, 60_000);

afterAll(async () => lab?.close());

/** The recording's steady part carries `heard` at 20× the power of `not`, and is not silent. */
function expectTone(path: string, heard: number, not: number): void {
  const want = power(path, heard);
  expect(want, `${path}: ${heard} Hz`).toBeGreaterThan(1e-4);
  expect(want, `${path}: ${heard} Hz vs ${not} Hz`).toBeGreaterThan(20 * power(path, not));
}

describe('a flood from a SIP scanner', () => {
  it('rings nothing, stays within its memory, and a real call through Kamailio connects with audio meanwhile', async () => {
    const { ns, alice, bob } = lab;
    const pid = alice.child.pid!;
    const rssBefore = rssMb(pid);
    const cpuBefore = cpuSeconds(pid);
    const flooder = ns.spawn(NODE, [join(LAB, 'flooder.ts'), '--target', `127.0.0.1:${APPEL_PORT}`, '--from', ATTACKER, '--options', '2000', '--invites', '500', '--seconds', String(FLOOD_SECONDS)]);
    let report = '';
    flooder.stdout!.on('data', (d: Buffer) => (report += d.toString()));
    const flooded = new Promise<void>((resolve) => flooder.once('exit', () => resolve()));
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 250);
    try {
      // A real call in the middle of the flood: bob → Kamailio → Appel (which answers by itself).
      await new Promise((r) => setTimeout(r, 5_000));
      const { answerMs } = await lab.call();
      await flooded;
      clearInterval(sampler);
      const cpu = cpuSeconds(pid) - cpuBefore;

      const stats = JSON.parse(report.trim()) as { sent: { OPTIONS: number; INVITE: number }; answers: Record<string, number> };
      expect(stats.sent.OPTIONS).toBeGreaterThan(0.9 * 2000 * FLOOD_SECONDS);
      expect(stats.sent.INVITE).toBeGreaterThan(0.9 * 500 * FLOOD_SECONDS);
      // Nothing the flood sent rang: the only incoming calls were bob's.
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
