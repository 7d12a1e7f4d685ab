/**
 * SIPp (Debian's sip-tester) for what real registrars rarely do on purpose: stay silent so the
 * client's UDP retransmissions can be timed on the wire, and send malformed requests that Appel
 * must answer with 400 (RFC 3261 §21.4.1) or 505 (§21.5.6) without changing anything.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { NetNs } from './lab/netns.ts';
import { AppelProcess, runAppel } from './lab/appel-cli.ts';

const SCENARIOS = join(import.meta.dirname, 'sipp');

/** Arrival times (ms) of the messages in a SIPp -trace_msg log whose first line matches. */
function arrivals(log: string, firstLine: RegExp): number[] {
  const times: number[] = [];
  // Each entry: "----------------------------------------------- 2026-11-24 02:40:01.123456\nUDP message received [N] bytes :\n\nREGISTER …"
  const re = /-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*\n(\w+) message received \[\d+\] bytes :\s*\n\s*\n([^\r\n]*)/g;
  for (const m of log.matchAll(re)) {
    if (firstLine.test(m[3])) times.push(Date.parse(m[1].replace(' ', 'T').slice(0, 23) + 'Z'));
  }
  return times;
}

describe('SIPp registrar that stays silent at first', () => {
  let ns: NetNs;
  beforeAll(async () => {
    ns = await NetNs.create();
  });
  afterAll(async () => {
    await ns?.close();
  });

  it('retransmits REGISTER over UDP at T1, 2·T1, 4·T1 (Timer E, RFC 3261 §17.1.2.2), then registers', async () => {
    const log = join(ns.dir, 'drop-msg.log');
    const sipp = ns.spawn('sipp', [
      '-sf', join(SCENARIOS, 'registrar-drop.xml'), '-i', '127.0.0.1', '-p', '5060', '-m', '1',
      '-trace_msg', '-message_file', log, '-nostdin', '-timeout', '30s', '-timeout_error',
    ]);
    await ns.waitListening('udp', 5060);
    const r = await runAppel(ns, [
      'register', '--aor', 'sip:alice@lab.test', '--password', 'x', '--proxy', 'sip:127.0.0.1:5060',
      '--listen', 'udp:127.0.0.1:0',
    ], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.events.map((e) => e.event)).toContain('registered');
    const [code] = await new Promise<[number | null]>((resolve) => {
      if (sipp.exitCode !== null) resolve([sipp.exitCode]);
      else sipp.once('exit', (c) => resolve([c]));
    });
    expect(code).toBe(0);
    const times = arrivals(readFileSync(log, 'utf8'), /^REGISTER /);
    // The first REGISTER and its retransmissions until the 200 at 3.7 s: 0, 0.5, 1.5, 3.5 s;
    // then the un-REGISTER at exit.
    expect(times.length).toBeGreaterThanOrEqual(4);
    const gaps = times.slice(1, 4).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThan(400);
    expect(gaps[0]).toBeLessThan(700);
    expect(gaps[1]).toBeGreaterThan(900);
    expect(gaps[1]).toBeLessThan(1200);
    expect(gaps[2]).toBeGreaterThan(1900);
    expect(gaps[2]).toBeLessThan(2200);
  }, 40_000);
});

describe('SIPp sending malformed requests to Appel', () => {
  let ns: NetNs;
  beforeAll(async () => {
    ns = await NetNs.create();
  });
  afterAll(async () => {
    await ns?.close();
  });

  for (const transport of ['u1', 't1']) {
    it(`answers 400 with a reason, 505 for SIP/7.0, and still 200 to a good OPTIONS (${transport === 'u1' ? 'UDP' : 'TCP'})`, async () => {
      const appel = new AppelProcess(ns, ['listen', '--listen', 'udp:127.0.0.1:5070', '--listen', 'tcp:127.0.0.1:5070', '--for', '60']);
      await appel.waitEvent((e) => e.event === 'listening' && e.protocol === 'TCP', 15_000, 'listening');
      const r = await ns.run('sipp', [
        '-sf', join(SCENARIOS, 'malformed-uac.xml'), '-i', '127.0.0.1', '-p', transport === 'u1' ? '5080' : '5081',
        '-t', transport, '-m', '1', '-nostdin', '-timeout', '20s', '-timeout_error', '127.0.0.1:5070',
      ], 30_000);
      appel.child.kill('SIGTERM');
      await appel.exit(10_000);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }, 45_000);
  }
});
