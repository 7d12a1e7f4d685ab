/**
 * The command line as a user runs it (`npx appel …` → bin/appel.js → main/cli.ts on Node 24): two
 * real processes on loopback, one listening, one calling. What stdout carries is checked line by
 * line: with --json nothing but JSON objects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSentence } from '../../../main/cli/output.ts';
import type { CallSnapshot } from '../../../main/contract/api.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const NODE = join(root, 'node_modules/.bin/node');
const APPEL = join(root, 'bin/appel.js');

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
}

function start(args: string[]): Run {
  const child = spawn(NODE, [APPEL, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, APPEL_PASSWORD: 'x' } });
  const run: Run = { child, stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

async function finish(run: Run, timeoutMs = 15_000): Promise<number | null> {
  if (run.child.exitCode !== null) return run.child.exitCode;
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(run.child, 'exit')) as [number | null];
  clearTimeout(timer);
  return code;
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let listener: Run;
let bob: string;

beforeAll(async () => {
  listener = start(['listen', '--listen', 'udp:127.0.0.1:0', '--auto-answer', '--max-rate', '0', '--json']);
  const deadline = Date.now() + 15_000;
  while (!/"event":"listening"/.test(listener.stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const port = jsonLines(listener.stdout).find((e) => e.event === 'listening')?.port;
  bob = `sip:bob@127.0.0.1:${String(port)}`;
}, 20_000);

afterAll(async () => {
  listener.child.kill('SIGTERM');
  await finish(listener, 8_000);
});

describe('appel call', () => {
  it('--json: nothing but JSON on stdout; events carry the SIP Call-ID beside the id', async () => {
    const run = start(['call', bob, '--listen', 'udp:127.0.0.1:0', '--duration', '1', '--json']);
    expect(await finish(run)).toBe(0);
    const events = jsonLines(run.stdout); // throws on any line that is not JSON
    const named = (n: string) => events.find((e) => e.event === n);
    expect(named('answered')).toMatchObject({ callId: expect.any(String), sipCallId: expect.any(String) });
    expect(named('ended')).toMatchObject({ sipCallId: named('answered')!.sipCallId, by: 'local' });
    expect(named('ended')!.sipCallId).not.toBe(named('ended')!.callId);
  });

  it('a normal end reads "call ended after N s (you hung up)", once', async () => {
    const run = start(['call', bob, '--listen', 'udp:127.0.0.1:0', '--duration', '1']);
    expect(await finish(run)).toBe(0);
    const ends = run.stdout.split('\n').filter((l) => l.includes('ended'));
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatch(/^call ended after \d+(\.\d)? s \(you hung up\)$/);
  });

  it('a malformed target fails at once with exit 2, before registering', async () => {
    const began = Date.now();
    const run = start(['call', 'two words', '--aor', 'sip:alice@lab.test', '--proxy', 'sip:127.0.0.1:9', '--json']);
    expect(await finish(run)).toBe(2);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("call: 'two words' is not an address");
  });
});

describe('a dead UDP server', () => {
  it('is reported from the ICMP "port unreachable", not after 32 s of retransmissions (§18.4)', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const run = start(['call', `sip:bob@127.0.0.1:${port}`, '--listen', 'udp:127.0.0.1:0']);
    // finish() kills the run at 15 s, well before Timer B's 32 s.
    expect(await finish(run)).not.toBe(0);
    expect(run.stdout).toContain(`call ended: nothing listens on UDP 127.0.0.1:${port} (the host answered "port unreachable") (503)`);
    // Said once: the end line on stdout is not repeated on stderr.
    expect(run.stderr).toBe('');
  });

  it('a registration to it fails in words, once, and the account is not said to unregister', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const run = start(['register', '--aor', 'sip:alice@lab.test', '--proxy', `sip:127.0.0.1:${port}`, '--listen', 'udp:127.0.0.1:0']);
    expect(await finish(run)).toBe(1);
    expect(run.stdout).toBe(
      `registering sip:alice@lab.test …\nregistration of sip:alice@lab.test failed: nothing listens on UDP 127.0.0.1:${port} (the host answered "port unreachable")\n`,
    );
    expect(run.stderr).toBe('');
  });
});

describe('appel options', () => {
  it("prints the peer's Allow, Supported, User-Agent and the round trip", async () => {
    const words = start(['options', bob, '--listen', 'udp:127.0.0.1:0']);
    expect(await finish(words)).toBe(0);
    expect(words.stdout).toMatch(/^200 OK in \d+(\.\d)? ms\n/);
    expect(words.stdout).toMatch(/User-Agent: Appel\//);
    expect(words.stdout).toMatch(/Allow: .*INVITE.*OPTIONS/);
    expect(words.stdout).toMatch(/Supported: .*replaces/);

    const json = start(['options', bob, '--listen', 'udp:127.0.0.1:0', '--json']);
    expect(await finish(json)).toBe(0);
    const [answer] = jsonLines(json.stdout);
    expect(answer).toMatchObject({ event: 'options', status: 200, allow: expect.arrayContaining(['INVITE', 'OPTIONS']), userAgent: expect.stringMatching(/^Appel/), rttMs: expect.any(Number) });
  });
});

describe('the end line', () => {
  const snap = (over: Partial<CallSnapshot>): CallSnapshot => ({ id: 'c', direction: 'outgoing', peer: { uri: 'sip:b@x' }, state: 'ended', srtp: false, startedAt: 0, answeredAt: 1, ...over });
  it('says who hung up, or why it ended', () => {
    expect(endedSentence(snap({ endReason: 'call ended', endedBy: 'local' }), 2)).toBe('call ended after 2 s (you hung up)');
    expect(endedSentence(snap({ endReason: 'the other side hung up', endedBy: 'remote' }), 3.5)).toBe('call ended after 3.5 s (the other side hung up)');
    expect(endedSentence(snap({ endReason: 'the other side hung up (Busy)', endedBy: 'remote' }), 1)).toBe('call ended after 1 s (the other side hung up: Busy)');
    expect(endedSentence(snap({ answeredAt: undefined, endReason: 'busy', endStatus: 486 }), 0)).toBe('call ended: busy (486)');
  });
});
