/**
 * The lab every attack test starts from, in its own network namespace: a real Kamailio with alice
 * and bob, a real baresip bob (plays 1000 Hz, records), and Appel alice (its CLI, `listen`,
 * registered through Kamailio, auto-answering with 440 Hz): the phone under attack, and a real
 * call to prove it still works. Plus the attacker's tools and the measurements the tests share.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { NetNs } from '../../interop/lab/netns.ts';
import { Kamailio } from '../../interop/lab/kamailio.ts';
import { Baresip } from '../../interop/lab/baresip.ts';
import { AppelProcess, NODE } from '../../interop/lab/appel-cli.ts';
import { makeToneWav } from '../../interop/lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav } from '../../helpers/audio-analysis.ts';

export const LAB = import.meta.dirname;
/** Where the attacker sends from: another host on the same network. */
export const ATTACKER = '127.0.0.66';
export const APPEL_PORT = 5070;

export interface SecurityLab {
  ns: NetNs;
  kamailio: Kamailio;
  bob: Baresip;
  alice: AppelProcess;
  /** bob calls alice through Kamailio; both hear `seconds`; bob hangs up. */
  call(seconds?: number): Promise<{ callId: unknown; answerMs: number; since: number }>;
  close(): Promise<void>;
}

/**
 * Start the lab; `aliceArgs` are added to alice's `listen` command line, `minExpires` is the
 * shortest registration Kamailio grants (for tests that watch registrations refresh).
 */
export async function securityLab(aliceArgs: string[] = [], opts: { minExpires?: number } = {}): Promise<SecurityLab> {
  const ns = await NetNs.create();
  const tone440 = makeToneWav(join(ns.dir, 'audio'), { frequency: 440 });
  const tone1000 = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 });
  const kamailio = new Kamailio(ns, { users: [{ username: 'alice', password: 'alice-secret' }, { username: 'bob', password: 'bob-secret' }], ...opts });
  await kamailio.start();
  const bob = new Baresip(ns, { user: 'bob', password: 'bob-secret', registrar: '127.0.0.1:5060', sipPort: 5062, ctrlPort: 6062, playWav: tone1000, record: true });
  await bob.start();
  const alice = new AppelProcess(ns, [
    'listen',
    '--aor', 'sip:alice@lab.test',
    '--password', 'alice-secret',
    '--proxy', 'sip:127.0.0.1:5060',
    '--listen', `udp:127.0.0.1:${APPEL_PORT}`,
    '--auto-answer',
    '--codecs', 'pcmu',
    '--play', tone440,
    '--record', join(ns.dir, 'alice-{n}.wav'),
    ...aliceArgs,
  ]);
  await alice.event('registered');
  let calls = 0;
  return {
    ns,
    kamailio,
    bob,
    alice,
    async call(seconds = 2) {
      calls++;
      bob.clearRecordings();
      const since = alice.mark;
      const bm = bob.eventCount;
      const dialled = performance.now();
      await bob.dial('sip:alice@lab.test');
      const answered = await alice.wait((e) => e.event === 'answered', `answered (call ${calls})`, 15_000, since);
      const answerMs = performance.now() - dialled;
      await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
      await bob.waitHeard(seconds, 10_000);
      await bob.hangup();
      await alice.wait((e) => e.event === 'ended' && e.callId === answered.callId, `ended (call ${calls})`, 10_000, since);
      return { callId: answered.callId, answerMs, since };
    },
    async close() {
      // The phones first: on SIGTERM they un-register, which needs Kamailio (PEERS.md).
      await Promise.all([alice.stop(), bob.stop()]);
      await kamailio.stop();
      await ns.close();
    },
  };
}

/** Send raw SIP from `from` (default the attacker) to `to`; the status lines that came back. */
export async function rawSip(ns: NetNs, messages: string[], opts: { to?: string; from?: string; tcp?: boolean; wait?: number } = {}): Promise<string[]> {
  const file = join(ns.dir, `raw-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(messages));
  const r = await ns.run(NODE, [join(LAB, 'raw-sip.ts'), '--target', opts.to ?? `127.0.0.1:${APPEL_PORT}`, '--from', opts.from ?? ATTACKER, '--file', file, '--wait', String(opts.wait ?? 1500), ...(opts.tcp ? ['--tcp'] : [])], 30_000);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.trim()) as { responses: string[] }).responses;
}

/** A well-formed OPTIONS from `from` to Appel, over UDP or TCP. */
export function optionsRequest(from: string, n: number, transport: 'UDP' | 'TCP' = 'UDP'): string {
  return [
    `OPTIONS sip:alice@127.0.0.1:${APPEL_PORT}${transport === 'TCP' ? ';transport=tcp' : ''} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${from}:5099;branch=z9hG4bK-check-${transport}-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:check@${from}>;tag=c${n}`,
    'To: <sip:alice@127.0.0.1>',
    `Call-ID: check-${transport}-${n}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The tone's power in a recording's steady part (after 0.5 s). */
export function power(path: string, frequency: number): number {
  const wav = readWav(path);
  return goertzelPower(wav.channels[0].subarray(Math.round(wav.sampleRate / 2)), wav.sampleRate, frequency);
}

/** Resident memory of a process, MB (/proc/PID/status VmRSS). */
export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** Open descriptors of a process. */
export function fds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
