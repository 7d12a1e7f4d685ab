/**
 * The seeded mutation fuzz (lab/mutator.ts) sent to the running engine (Appel's CLI listening for
 * direct calls, its rate limit off so that every message reaches the handlers), over UDP and over
 * TCP, in this file's own network namespace: the engine never stops, and afterwards it still
 * answers a well-formed request and rings for a well-formed call. `npm run bench -- fuzz` sends
 * many more against the parser alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NetNs } from '../interop/lab/netns.ts';
import { AppelProcess, NODE } from '../interop/lab/appel-cli.ts';
import { APPEL_PORT as PORT, ATTACKER, LAB, optionsRequest, rawSip } from './lab/security-lab.ts';

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
  expect(await rawSip(ns, [optionsRequest('127.0.0.77', n)], { from: '127.0.0.77', wait: 1000 })).toEqual(['SIP/2.0 200 OK']);
}

describe('mutated messages sent to the running engine', () => {
  it.each([
    ['UDP', false, 7, 6_000],
    ['TCP', true, 11, 3_000],
  ])('over %s: the engine never stops and still answers', async (_name, tcp, seed, count) => {
    const r = await ns.run(NODE, [join(LAB, 'fuzz-send.ts'), '--target', `127.0.0.1:${PORT}`, '--from', ATTACKER, '--seed', String(seed), '--count', String(count), ...(tcp ? ['--tcp'] : [])], 120_000);
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
