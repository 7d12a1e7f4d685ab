/**
 * STUN against a real server: Debian's coturn (`turnserver --stun-only --no-auth`) on the
 * loopback of this file's own network namespace, IPv4 and IPv6. There is no NAT on loopback, so
 * the address coturn sees is the socket's own: `reserve-ports` must come back with mapped =
 * 127.0.0.1 (::1) and the reserved port itself, for RTP and for RTCP; and a call between two
 * Phones with `stun` set must keep its local address in the SDP, without a warning.
 *
 * Appel runs inside the namespace as small Node scripts (the engine and the phones are ours,
 * the STUN server is not).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppelProcess, CLI, NODE } from './lab/appel-cli.ts';
import { NetNs } from './lab/netns.ts';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
let ns: NetNs;
let coturn: ReturnType<NetNs['spawn']>;
let coturnLog = '';

beforeAll(async () => {
  ns = await NetNs.create();
  coturn = ns.spawn('turnserver', [
    '-n', // no configuration file: only what is said here
    '--stun-only',
    '--no-auth',
    '--listening-ip', '127.0.0.1',
    '--listening-ip', '::1',
    '--listening-port', '3478',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-rfc5780',
    '--log-file', 'stdout',
    '--simple-log',
    '-V', // logs each Binding it handles: the call test counts them
    '--pidfile', join(ns.dir, 'turnserver.pid'),
  ]);
  coturn.stdout!.on('data', (d: Buffer) => (coturnLog += d.toString()));
  coturn.stderr!.on('data', (d: Buffer) => (coturnLog += d.toString()));
  await ns.waitListening('udp', 3478).catch((err: Error) => {
    throw new Error(`${err.message}; coturn said: ${coturnLog.slice(-2000)}`);
  });
});

afterAll(async () => {
  await ns?.close();
});

/** Binding requests coturn handled so far (its -V log). */
const bindings = (): number => coturnLog.match(/handle_turn_binding:\d+:start/g)?.length ?? 0;

let scripts = 0;

/**
 * Runs an ES module script (our code imported by absolute path) inside the namespace; its last
 * stdout line is JSON. A file, not `--input-type=module -e`: the media worker threads inherit
 * the process's flags, and that one is refused for a file.
 */
async function runInside<T>(script: string): Promise<T> {
  const path = join(ns.dir, `script-${++scripts}.mjs`);
  writeFileSync(path, script);
  const { code, stdout, stderr } = await ns.run(NODE, [path], 30_000);
  if (code !== 0) throw new Error(`the script failed (exit ${code}): ${stderr.slice(-3000)}`);
  const last = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as T;
}

const engineUrl = JSON.stringify(new URL(`file://${join(root, 'main/media/media-engine.ts')}`).href);

interface Reserved {
  r: { localPort: number; localRtcpPort: number; mapped?: { address: string; port: number }; mappedRtcp?: { address: string; port: number }; stunError?: string };
  events: unknown[];
}

function reserve(localAddress: string, rtcpMux: boolean): Promise<Reserved> {
  return runInside<Reserved>(`
    const { MediaEngine } = await import(${engineUrl});
    const events = [];
    const engine = new MediaEngine({ onEvent: (e) => events.push(e) });
    const r = await engine.handle({ type: 'reserve-ports', localAddress: ${JSON.stringify(localAddress)}, rtcpMux: ${rtcpMux}, stun: { address: ${JSON.stringify(localAddress)}, port: 3478 } });
    await engine.shutdown();
    console.log(JSON.stringify({ r, events }));
  `);
}

describe('reserve-ports against coturn', () => {
  it('IPv4: mapped is 127.0.0.1 and the reserved RTP port, mappedRtcp the RTCP port (no NAT on loopback)', async () => {
    const { r, events } = await reserve('127.0.0.1', false);
    expect(r.stunError).toBeUndefined();
    expect(r.mapped).toEqual({ address: '127.0.0.1', port: r.localPort });
    expect(r.mappedRtcp).toEqual({ address: '127.0.0.1', port: r.localRtcpPort });
    expect(events).toEqual([]);
  });

  it('IPv6 (XOR with the transaction id): mapped is ::1 and the reserved port', async () => {
    const { r, events } = await reserve('::1', true);
    expect(r.stunError).toBeUndefined();
    expect(r.mapped).toEqual({ address: '::1', port: r.localPort });
    expect(r.mappedRtcp).toBeUndefined();
    expect(events).toEqual([]);
  });
});

describe('a call with stun set, against coturn', () => {
  it('connects with the local address in the SDP (mapped = local: nothing changes) and no warning; STUN by the default port', async () => {
    const bindingsBefore = bindings();
    const phones = JSON.stringify(new URL(`file://${join(root, 'test/unit/phone/phones.ts')}`).href);
    const out = await runInside<{ sdp: string[]; warnings: string[]; state: string; packets: number }>(`
      const { startPhone, waitEvent, waitState, waitPackets } = await import(${phones});
      const alice = await startPhone('alice', { media: { address: '127.0.0.1', stun: 'localhost' } });
      const bob = await startPhone('bob', { media: { address: '127.0.0.1', stun: 'stun:127.0.0.1' } });
      const sdp = [];
      const warnings = [];
      for (const p of [alice, bob]) {
        p.phone.on('sip:trace', (e) => { const at = e.text.indexOf('\\r\\n\\r\\nv=0'); if (e.direction === 'sent' && at >= 0) sdp.push(e.text.slice(at + 4)); });
        p.phone.on('media:warning', (w) => warnings.push(w.message));
      }
      const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'], play: { tone: [1000], levelDb: -20 } });
      const incoming = await waitEvent(bob, 'call:incoming');
      await bob.phone.answer({ callId: incoming.id, play: { tone: [600], levelDb: -20 } });
      const up = await waitState(alice, a.id, 'connected');
      const stats = await waitPackets(alice, a.id, 20);
      await alice.phone.hangup({ callId: a.id });
      await Promise.all([alice.phone.stop(), bob.phone.stop()]);
      console.log(JSON.stringify({ sdp, warnings, state: up.state, packets: stats.packetsReceived }));
    `);
    expect(out.state).toBe('connected');
    expect(out.packets).toBeGreaterThanOrEqual(20);
    expect(out.warnings).toEqual([]);
    const [offer, answer] = out.sdp;
    for (const sdp of [offer, answer]) {
      expect(sdp).toMatch(/\r\nc=IN IP4 127\.0\.0\.1\r\n/);
      expect(sdp).not.toMatch(/\r\na=rtcp:/);
    }
    // Each side asked coturn once per call, from its RTP and its RTCP socket.
    expect(bindings() - bindingsBefore).toBe(4);
  });
});

describe('the command line with --stun and --rtp-ports', () => {
  it('calls with coturn as its STUN server and its RTP on the ports asked for; a silent STUN server is a warning, and the call goes on', async () => {
    const callee = new AppelProcess(ns, ['listen', '--listen', 'udp:127.0.0.1:5090', '--auto-answer', '--play', 'tone:600', '--rtp-ports', '21000-21010', '--stun', '127.0.0.1']);
    try {
      await callee.waitEvent((e) => e.event === 'listening', 15_000, 'listening');
      // coturn answers on 3478; nothing listens on 3479 (the caller's own STUN server here).
      const caller = new AppelProcess(ns, ['call', 'sip:callee@127.0.0.1:5090', '--listen', 'udp:127.0.0.1:0', '--play', 'tone:1000', '--duration', '1', '--rtp-ports', '20000-20010', '--stun', '127.0.0.1:3479', '--trace']);
      try {
        const answered = await caller.waitEvent((e) => e.event === 'answered', 15_000, 'answered');
        const warning = await caller.waitEvent((e) => e.event === 'warning', 5_000, 'the STUN warning');
        expect(String(warning.message)).toMatch(/STUN/);
        expect(warning.callId).toBe(answered.callId);
        await caller.waitEvent((e) => e.event === 'ended', 15_000, 'ended');
        // The offer's m= port, and the answer's, within the ranges asked for.
        const ports = [...caller.stdout.matchAll(/m=audio (\d+) /g)].map((m) => Number(m[1]));
        expect(ports.length).toBeGreaterThanOrEqual(2);
        expect(ports.some((p) => p >= 20000 && p <= 20010)).toBe(true);
        expect(ports.some((p) => p >= 21000 && p <= 21010)).toBe(true);
        expect(callee.events.filter((e) => e.event === 'warning')).toEqual([]);
      } finally {
        await caller.stop();
      }
    } finally {
      await callee.stop();
    }
  });

  it('refuses a malformed --rtp-ports in words', async () => {
    const { code, stderr } = await ns.run(NODE, [CLI, 'listen', '--listen', 'udp:127.0.0.1:0', '--rtp-ports', '80-90'], 15_000);
    expect(code).not.toBe(0);
    expect(stderr).toContain("--rtp-ports wants MIN-MAX within 1024-65535 (e.g. 20000-20100), not '80-90'");
  });
});
