/**
 * Attacks on a call and on the engine's inputs, against the real engine (Appel's CLI registered to
 * a real Kamailio, a real baresip on the other end), in this file's own network namespace. The
 * attacker sends from another loopback address (127.0.0.66), as a host on the same network would.
 *
 *   - a blind RTP sprayer over Appel's whole RTP port range, from before the call rings to its end:
 *     nothing of it reaches the recording (what the speaker plays);
 *   - a BYE with the right Call-ID and tags from the attacker's address: 403, the call goes on;
 *   - an INVITE relayed by Kamailio from a caller who never authenticated, its SDP holding a NUL:
 *     answered, and the engine lives on (a real call follows);
 *   - a callee answering 401 for a realm of its own (SIPp): no credentials are sent, and Appel says
 *     so in words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, runAppel } from '../interop/lab/appel-cli.ts';
import { makeToneWav } from '../interop/lab/peers-audio-fixtures.ts';
import { ATTACKER, LAB, power, rawSip, securityLab, type SecurityLab } from './lab/security-lab.ts';

const RTP_PORTS = '20000-20019';
let lab: SecurityLab;
let calls = 0;

/** A header's value in a message text. */
function header(text: string, name: string): string {
  return new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(text)?.[1] ?? '';
}

beforeAll(async () => {
  lab = await securityLab(['--rtp-ports', RTP_PORTS, '--trace']);
}, 60_000);

afterAll(async () => lab?.close());

describe('attacks on a call', () => {
  it('a BYE with the right Call-ID and tags from another address gets 403 and ends nothing', async () => {
    const { ns, alice, bob } = lab;
    calls++;
    bob.clearRecordings();
    const since = alice.mark;
    const bm = bob.eventCount;
    await bob.dial('sip:alice@lab.test');
    const { callId } = await alice.wait((e) => e.event === 'answered', 'answered', 15_000, since);
    await bob.waitFor('CALL_ESTABLISHED', 10_000, bm);
    await bob.waitHeard(1, 10_000);
    // The dialog as the wire shows it: Appel's 200 to bob's INVITE.
    const ok = alice.events.slice(since).find((e) => e.event === 'trace' && e.direction === 'sent' && /^SIP\/2\.0 200 /.test(String(e.text)) && / INVITE\r\n/.test(String(e.text)));
    expect(ok, 'the 200 OK in the trace').toBeDefined();
    const text = String(ok!.text);
    const contact = /<([^>]+)>/.exec(header(text, 'Contact'))![1];
    const bye = [
      `BYE ${contact} SIP/2.0`,
      `Via: SIP/2.0/UDP ${ATTACKER}:5099;branch=z9hG4bK-spoof-1;rport`,
      'Max-Forwards: 70',
      `From: ${header(text, 'From')}`,
      `To: ${header(text, 'To')}`,
      `Call-ID: ${header(text, 'Call-ID')}`,
      'CSeq: 999999 BYE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    expect(await rawSip(ns, [bye])).toEqual(["SIP/2.0 403 Forbidden (not from this call's path)"]);
    // The call goes on: two more seconds heard, and it ends only when bob hangs up.
    await bob.waitHeard(3, 10_000);
    expect(alice.events.slice(since).some((e) => e.event === 'ended')).toBe(false);
    await bob.hangup();
    expect(await alice.wait((e) => e.event === 'ended' && e.callId === callId, 'ended', 10_000, since)).toMatchObject({ by: 'remote' });
    expect(power(join(ns.dir, `alice-${calls}.wav`), 1000)).toBeGreaterThan(1e-4);
  }, 60_000);

  it('a blind RTP sprayer over the whole port range, from before the call rings, never reaches what Appel plays (a caller without a=ssrc)', async () => {
    const { ns, alice } = lab;
    const wav = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 });
    const sox = await ns.run('sox', ['-R', wav, '-t', 'ul', join(ns.dir, 'caller.ul')]);
    expect(sox.code, sox.stderr).toBe(0);
    const since = alice.mark;
    const sprayer = ns.spawn(NODE, [join(LAB, 'rtp-spray.ts'), '--target', '127.0.0.1', '--ports', RTP_PORTS, '--from', ATTACKER, '--tone', '2500', '--seconds', '60']);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the sprayer is at it before anything rings
      // In the namespace's folder: rtp_stream reads its file from SIPp's working directory (nsenter does not keep ours).
      const sipp = ns.spawn('sh', ['-c', 'cd "$0" && exec sipp "$@"', ns.dir, '-sf', join(import.meta.dirname, 'sipp', 'plain-caller-uac.xml'), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', '30000', '-p', '5084', '-m', '1', '-nostdin', '-timeout', '30s', '-timeout_error', '127.0.0.1:5060']);
      let out = '';
      sipp.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      sipp.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = (await once(sipp, 'exit')) as [number | null];
      expect(code, out.slice(-2000)).toBe(0);
      calls++;
      expect(await alice.wait((e) => e.event === 'ended', 'ended', 10_000, since)).toMatchObject({ by: 'remote' });
    } finally {
      sprayer.kill('SIGKILL');
    }
    // What Appel heard is the caller's 1000 Hz; the sprayed 2500 Hz is not in it at all.
    const recording = join(ns.dir, `alice-${calls}.wav`);
    const callers = power(recording, 1000);
    expect(callers).toBeGreaterThan(1e-4);
    expect(power(recording, 2500), 'injected tone in the recording').toBeLessThan(callers / 1000);
  }, 60_000);
});

describe('attacks on the engine', () => {
  it('an INVITE relayed by Kamailio from a caller who never authenticated, with a NUL in its SDP, is answered, and the engine lives on', async () => {
    const { ns, alice } = lab;
    const sdp = ['v=0', `o=- 1 1 IN IP4 ${ATTACKER}`, 's=-', '\0=x', `c=IN IP4 ${ATTACKER}`, 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    const invite = [
      'INVITE sip:alice@lab.test SIP/2.0',
      `Via: SIP/2.0/UDP ${ATTACKER}:5099;branch=z9hG4bK-nul-1;rport`,
      'Max-Forwards: 70',
      `From: <sip:mallory@${ATTACKER}>;tag=nul1`,
      'To: <sip:alice@lab.test>',
      'Call-ID: nul-sdp-1',
      'CSeq: 1 INVITE',
      `Contact: <sip:mallory@${ATTACKER}:5099>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp, 'latin1')}`,
      '',
      sdp,
    ].join('\r\n');
    const responses = await rawSip(ns, [invite], { to: '127.0.0.1:5060', wait: 3000 });
    const final = responses.find((r) => !/^SIP\/2\.0 1\d\d /.test(r));
    expect(final, `responses: ${responses.join(' | ')}`).toMatch(/^SIP\/2\.0 (400|488) /);
    expect(alice.child.exitCode).toBeNull();
    // A real call still connects.
    await lab.call(1);
    calls++;
  }, 60_000);

  it('a callee answering 401 for a realm of its own gets no credentials, and Appel says so', async () => {
    const { ns } = lab;
    const log = join(ns.dir, 'foreign-realm-msg.log');
    const sipp = ns.spawn('sipp', ['-sf', join(import.meta.dirname, 'sipp', 'foreign-realm-uas.xml'), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', '30000', '-p', '5080', '-m', '1', '-trace_msg', '-message_file', log, '-nostdin', '-timeout', '30s', '-timeout_error']);
    const sippDone = new Promise<number | null>((resolve) => sipp.once('exit', (code) => resolve(code)));
    await ns.waitListening('udp', 5080);
    const r = await runAppel(ns, ['call', 'sip:eve@127.0.0.1:5080', '--aor', 'sip:carol@lab.test', '--password', 'carol-secret', '--no-register', '--listen', 'udp:127.0.0.1:5090', '--codecs', 'pcmu'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    const ended = r.events.find((e) => e.event === 'ended');
    expect(String(ended?.reason)).toBe('asked for credentials by "evil.example": refused (not this account\'s realm)');
    expect(await sippDone).toBe(0);
    const wire = readFileSync(log, 'utf8');
    expect(wire.match(/^INVITE sip:/gm)).toHaveLength(1);
    expect(wire).not.toMatch(/Authorization:/i);
    expect(r.stdout + r.stderr).not.toContain('carol-secret');
  }, 60_000);
});
