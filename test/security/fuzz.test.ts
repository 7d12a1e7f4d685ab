/**
 * The seeded mutation fuzz (lab/mutator.ts) sent to the running engine (Appel's CLI listening for
 * direct calls, its rate limit off so that every message reaches the handlers), over UDP and over
 * TCP, in this file's own network namespace: the engine never stops, and afterwards it still
 * answers a well-formed request and rings for a well-formed call. `npm run bench -- fuzz` sends
 * many more against the parser alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from '../interop/lab/netns.ts';
import { AppelProcess, NODE } from '../interop/lab/appel-cli.ts';

const LAB = join(import.meta.dirname, 'lab');
const PORT = 5070;

let ns: NetNs;
let appel: AppelProcess;

beforeAll(async () => {
  ns = await NetNs.create();
  appel = new AppelProcess(ns, ['listen', '--listen', `udp:127.0.0.1:${PORT}`, '--listen', `tcp:127.0.0.1:${PORT}`, '--no-register', '--max-rate', '0', '--codecs', 'pcmu']);
  await appel.event('listening', 0, 15_000);
}, 30_000);

afterAll(async () => {
  await appel?.stop();
  await ns?.close();
});

/** A well-formed OPTIONS from another address gets 200 (the engine is alive and answering). */
async function stillAnswers(n: number): Promise<void> {
  const file = join(ns.dir, `alive-${n}.json`);
  const options = [
    `OPTIONS sip:appel@127.0.0.1:${PORT} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.77:5099;branch=z9hG4bK-alive-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:check@127.0.0.77>;tag=a${n}`,
    `To: <sip:appel@127.0.0.1>`,
    `Call-ID: alive-${n}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  writeFileSync(file, JSON.stringify([options]));
  const r = await ns.run(NODE, [join(LAB, 'raw-sip.ts'), '--target', `127.0.0.1:${PORT}`, '--from', '127.0.0.77', '--file', file, '--wait', '1000'], 15_000);
  expect(JSON.parse(r.stdout.trim()).responses).toEqual(['SIP/2.0 200 OK']);
}

describe('mutated messages sent to the running engine', () => {
  it.each([
    ['UDP', false, 7, 6_000],
    ['TCP', true, 11, 3_000],
  ])('over %s: the engine never stops and still answers', async (_name, tcp, seed, count) => {
    const r = await ns.run(NODE, [join(LAB, 'fuzz-send.ts'), '--target', `127.0.0.1:${PORT}`, '--from', '127.0.0.66', '--seed', String(seed), '--count', String(count), ...(tcp ? ['--tcp'] : [])], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout.trim()) as { sent: number; answers: number; connections: number };
    expect(stats.sent).toBe(count);
    expect(stats.answers).toBeGreaterThan(count / 10);
    expect(appel.child.exitCode).toBeNull();
    expect(appel.child.signalCode).toBeNull();
    expect(appel.stderr).not.toMatch(/an unexpected error|an unhandled rejection/);
    await stillAnswers(seed);
  }, 150_000);
});
