/**
 * What an attacker can hold over TCP, against the real engine (security-lab.ts, with Appel
 * listening on TCP too), in this file's own network namespace: 2,000 idle connections and 200
 * slowloris connections (a request's header one byte a second) from 20 addresses. The engine
 * keeps its descriptors and memory bounded (at most 256 accepted connections, 16 per address, an
 * idle one giving way to a newcomer; each must deliver a message within 32 s), keeps its own
 * registration over TCP refreshing (every 4 s here), answers a well-formed request over TCP
 * meanwhile, and a real call through Kamailio still connects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NODE } from '../interop/lab/appel-cli.ts';
import { APPEL_PORT, LAB, fds, optionsRequest, rawSip, rssMb, securityLab, type SecurityLab } from './lab/security-lab.ts';

const SECONDS = 40;
let lab: SecurityLab;

beforeAll(async () => {
  lab = await securityLab(['--listen', `tcp:127.0.0.1:${APPEL_PORT}`, '--transport', 'tcp', '--expires', '8'], { minExpires: 4 });
  await lab.call(1); // a call's memory is the steady state, not the attack's doing
}, 60_000);

afterAll(async () => lab?.close());

/** A well-formed OPTIONS over TCP from an address of its own: answered (404: alice takes requests from her registrar only). */
async function answeredOverTcp(from: string, n: number): Promise<void> {
  expect(await rawSip(lab.ns, [optionsRequest(from, n, 'TCP')], { from, tcp: true, wait: 1000 })).toEqual(['SIP/2.0 404 Not Found']);
}

describe('idle connections and slowloris over TCP', () => {
  it('cost bounded descriptors and memory, are closed within the deadline, and the phone goes on working', async () => {
    const { ns, alice } = lab;
    const pid = alice.child.pid!;
    const before = { fds: fds(pid), rss: rssMb(pid) };
    const registrationsBefore = alice.named('registered').length;
    const attacker = ns.spawn('sh', ['-c', 'ulimit -n 8192 && exec "$0" "$@"', NODE, join(LAB, 'tcp-attack.ts'), '--target', `127.0.0.1:${APPEL_PORT}`, '--sources', '127.0.0.100-119', '--idle', '2000', '--slow', '200', '--seconds', String(SECONDS)]);
    let report = '';
    attacker.stdout!.on('data', (d: Buffer) => (report += d.toString()));
    let errors = '';
    attacker.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
    const done = new Promise<void>((resolve) => attacker.once('exit', () => resolve()));
    let peak = { ...before };
    const sampler = setInterval(() => (peak = { fds: Math.max(peak.fds, fds(pid)), rss: Math.max(peak.rss, rssMb(pid)) }), 250);
    try {
      await new Promise((r) => setTimeout(r, 5_000));
      await answeredOverTcp('127.0.0.77', 1);
      await lab.call(1);
      await done;
    } finally {
      clearInterval(sampler);
      attacker.kill('SIGKILL');
    }
    const stats = JSON.parse(report.trim() || '{}') as { connected: number; failed: number; idle: { closed: number; longestS: number }; slow: { closed: number; longestS: number } };
    expect(stats.connected, errors).toBeGreaterThanOrEqual(2000);
    // Every connection was closed by the engine: beyond the caps at once, else within the 32 s deadline.
    expect(stats.idle.closed + stats.slow.closed).toBe(stats.connected);
    // None outlived the 32 s deadline (a little slack for the event loop).
    expect(stats.slow.longestS).toBeLessThan(34);
    expect(stats.idle.longestS).toBeLessThan(34);
    // Bounded: 256 accepted connections at most, a few descriptors more for the rest.
    expect(peak.fds - before.fds, `descriptors ${before.fds} → peak ${peak.fds}`).toBeLessThanOrEqual(256 + 16);
    expect(peak.rss - before.rss, `RSS ${before.rss.toFixed(0)} → peak ${peak.rss.toFixed(0)} MB`).toBeLessThan(50);
    expect(alice.child.exitCode).toBeNull();
    // Its own REGISTERs went on succeeding (a refresh every 4 s) and none failed.
    expect(alice.named('registered').length - registrationsBefore).toBeGreaterThanOrEqual(SECONDS / 4 - 2);
    expect(alice.named('failed')).toEqual([]);
    await answeredOverTcp('127.0.0.78', 2);
    console.log(`tcp: ${stats.connected} connections opened by the attacker; descriptors ${before.fds} → peak ${peak.fds}; RSS ${before.rss.toFixed(0)} → peak ${peak.rss.toFixed(0)} MB; the longest-lived slowloris connection lasted ${stats.slow.longestS.toFixed(1)} s`);
  }, 120_000);
});
