/**
 * SIPp (Debian's sip-tester) for the call cases real phones rarely produce on purpose, against
 * Appel's real command line (`call` / `listen --json`), in this file's own network namespace:
 *
 *   - a caller whose first ACKs are lost: Appel retransmits its 200 at T1, 2·T1, 4·T1 (RFC 3261
 *     §13.3.1.4), timed on the wire by SIPp's -trace_msg;
 *   - re-INVITE glare: both sides re-INVITE at once, both answer 491, Appel retries within its
 *     back-off window (§14.1) and its hold takes effect;
 *   - session timers (RFC 4028) with a 4 s interval (`--session-expires 4`): Appel refreshes
 *     when it is the refresher; it hangs up when the refresher stops;
 *   - a callee that requires 100rel (RFC 3262): 183 reliable, PRACK with the right RAck;
 *   - symmetric RTP: an SDP answer whose port is not where the peer's RTP comes from.
 *
 * Scenarios are in `sipp/call-*.xml`. Every wait is bounded, and waits for a message or an event.
 * The times checked are protocol timers read on the wire, not speed: a timer never fires early,
 * so lower bounds are the RFC's; upper bounds leave room for a loaded machine.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { NODE, AppelProcess } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';

const SCENARIOS = join(import.meta.dirname, 'sipp');
const APPEL = '127.0.0.1:5070';
const SIPP_PORT = 5080;

let ns: NetNs;

/** Appel's CLI with a pipe on its standard input (hold, hangup…). */
class Appel extends AppelProcess {
  constructor(args: string[]) {
    super(ns, args, {}, { stdin: true });
  }
}

/** `listen` on APPEL, answering every call; resolves once it listens. */
async function listen(extra: string[] = []): Promise<Appel> {
  const appel = new Appel(['listen', '--listen', `udp:${APPEL}`, '--no-register', '--auto-answer', '--codecs', 'pcmu', ...extra]);
  await appel.event('listening', 0, 15_000);
  return appel;
}

interface SippRun {
  code: number | null;
  out: string;
  /** The -trace_msg log. */
  messages: string;
}

/** SIPp as a UAC toward Appel (`uac`) or as a UAS on SIPP_PORT (Appel calls it); resolves on its exit. */
function sipp(scenario: string, opts: { uac: boolean; timeoutMs?: number; args?: string[] }): { done: Promise<SippRun>; child: ChildProcess } {
  const log = join(ns.dir, `${scenario}-msg.log`);
  const args = [
    '-sf', join(SCENARIOS, `${scenario}.xml`), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', '30000', '-p', String(SIPP_PORT),
    '-m', '1', '-trace_msg', '-message_file', log, '-nostdin', '-timeout', '30s', '-timeout_error', ...(opts.args ?? []),
    ...(opts.uac ? [APPEL] : []),
  ];
  // In the test's folder: rtp_stream reads its file from SIPp's working directory (nsenter does
  // not keep ours).
  const child = ns.spawn('sh', ['-c', 'cd "$0" && exec sipp "$@"', ns.dir, ...args]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 35_000);
  const done = once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    let messages = '';
    try {
      messages = readFileSync(log, 'utf8');
    } catch {
      // SIPp stopped before its first message.
    }
    return { code: code as number | null, out, messages };
  });
  return { done, child };
}

interface WireMessage {
  /** ms, from SIPp's clock. */
  time: number;
  direction: 'sent' | 'received';
  /** The start line: `INVITE sip:… SIP/2.0`, `SIP/2.0 200 OK`. */
  firstLine: string;
  text: string;
}

/** The messages of a SIPp -trace_msg log, in order, with their times. */
function wire(log: string): WireMessage[] {
  // "----- 2026-11-24 03:38:54.969015\nUDP message sent (451 bytes):\n\nINVITE …" (or "received [451] bytes :")
  const re = /-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*\n\w+ message (sent|received)[^\n]*\n\s*\n([^\r\n]*)([\s\S]*?)(?=\n-{20,} \d{4}|$)/g;
  return [...log.matchAll(re)].map((m) => ({
    time: Date.parse(m[1].replace(' ', 'T').slice(0, 23) + 'Z'),
    direction: m[2] as 'sent' | 'received',
    firstLine: m[3],
    text: m[3] + m[4],
  }));
}

/** A pass over the SIPp log that names what went wrong. */
function expectSippOk(run: SippRun, appel?: Appel): void {
  expect(run.code, `SIPp failed:\n${run.out.slice(-3000)}\n--- messages:\n${run.messages.slice(-4000)}\n--- Appel stderr:\n${appel?.stderr ?? ''}`).toBe(0);
}

beforeAll(async () => {
  ns = await NetNs.create();
});

afterAll(async () => {
  await ns?.close();
});

describe('SIPp calls Appel (listen --auto-answer)', () => {
  it("retransmits its 200 OK at T1, 2·T1, 4·T1 until the ACK comes (RFC 3261 §13.3.1.4), then the call goes on", async () => {
    const appel = await listen();
    try {
      const run = await sipp('call-late-ack', { uac: true }).done;
      expectSippOk(run, appel);
      const msgs = wire(run.messages);
      const oks = msgs.filter((m) => m.direction === 'received' && m.firstLine.startsWith('SIP/2.0 200') && /CSeq: 1 INVITE/.test(m.text));
      const ack = msgs.findIndex((m) => m.direction === 'sent' && m.firstLine.startsWith('ACK'));
      // The first 200 and its three retransmissions, all before the ACK (SIPp waits 3.8 s).
      expect(oks.length).toBeGreaterThanOrEqual(4);
      expect(msgs.indexOf(oks[3])).toBeLessThan(ack);
      const gaps = oks.slice(1, 4).map((m, i) => m.time - oks[i].time);
      expect(gaps[0]).toBeGreaterThan(400);
      expect(gaps[0]).toBeLessThan(850);
      expect(gaps[1]).toBeGreaterThan(900);
      expect(gaps[1]).toBeLessThan(1400);
      expect(gaps[2]).toBeGreaterThan(1900);
      expect(gaps[2]).toBeLessThan(2400);
      // Once ACKed, no more 200s for the INVITE; the BYE ends the call normally.
      expect(msgs.slice(ack).filter((m) => m.direction === 'received' && /CSeq: 1 INVITE/.test(m.text))).toEqual([]);
      const ended = await appel.event('ended');
      expect(ended).toMatchObject({ by: 'remote', reason: 'the other side hung up' });
      expect(Number(ended.duration)).toBeGreaterThan(3.5);
    } finally {
      await appel.stop();
    }
  }, 45_000);

  it('re-INVITE glare: both answer 491, Appel retries within 0–2 s (not the Call-ID owner, §14.1) and its hold takes effect', async () => {
    const appel = await listen(['--trace']);
    try {
      const s = sipp('call-glare', { uac: true });
      // Once SIPp's ACK is in (a re-INVITE needs a confirmed dialog, §14.1), Appel holds.
      await appel.wait((e) => e.event === 'trace' && e.direction === 'received' && String(e.text).startsWith('ACK '), 'the ACK');
      appel.send('hold');
      const run = await s.done;
      expectSippOk(run, appel);
      const msgs = wire(run.messages);
      const theirInvites = msgs.filter((m) => m.direction === 'received' && m.firstLine.startsWith('INVITE'));
      const our491 = msgs.find((m) => m.direction === 'sent' && m.firstLine.startsWith('SIP/2.0 491'));
      const their491 = msgs.find((m) => m.direction === 'received' && m.firstLine.startsWith('SIP/2.0 491'));
      expect(theirInvites).toHaveLength(2);
      expect(our491).toBeDefined();
      expect(their491?.text).toMatch(/CSeq: 2 INVITE/); // Appel refused SIPp's re-INVITE while its own was pending
      const backoff = theirInvites[1].time - our491!.time;
      expect(backoff).toBeGreaterThanOrEqual(0);
      expect(backoff).toBeLessThan(2_500);
      // The retry is a new transaction: a higher CSeq, the same hold (a=sendonly).
      const cseq = (m: WireMessage) => Number(/CSeq: (\d+) INVITE/.exec(m.text)?.[1]);
      expect(cseq(theirInvites[1])).toBeGreaterThan(cseq(theirInvites[0]));
      expect(theirInvites[1].text).toMatch(/a=sendonly/);
      const held = await appel.event('held');
      expect(held).toMatchObject({ by: 'local' });
      // Held once, never resumed: SIPp's own later re-INVITE (a=sendrecv) was answered keeping the hold.
      expect(appel.named('held')).toHaveLength(1);
      expect(appel.named('resumed')).toHaveLength(0);
      expect(await appel.event('ended')).toMatchObject({ by: 'remote' });
    } finally {
      await appel.stop();
    }
  }, 45_000);

  it('session timer, Appel the refresher (Session-Expires: 4;refresher=uas): an UPDATE every 2 s (RFC 4028 §10)', async () => {
    const appel = await listen(['--session-expires', '4']);
    try {
      const run = await sipp('call-session-timer-uas', { uac: true }).done;
      expectSippOk(run, appel);
      const msgs = wire(run.messages);
      const ok = msgs.find((m) => m.direction === 'received' && m.firstLine.startsWith('SIP/2.0 200') && /CSeq: 1 INVITE/.test(m.text))!;
      expect(ok.text).toMatch(/\r\nSession-Expires: 4;refresher=uas\r\n/);
      const updates = msgs.filter((m) => m.direction === 'received' && m.firstLine.startsWith('UPDATE'));
      expect(updates).toHaveLength(2);
      // At half the interval: 2 s after the 200, then 2 s after the first refresh.
      const first = updates[0].time - ok.time;
      const second = updates[1].time - updates[0].time;
      expect(first).toBeGreaterThan(1_800);
      expect(first).toBeLessThan(2_800);
      expect(second).toBeGreaterThan(1_800);
      expect(second).toBeLessThan(2_800);
      for (const u of updates) {
        expect(u.text).toMatch(/\r\nSession-Expires: 4;refresher=uac\r\n/);
        expect(u.text).toMatch(/\r\nContent-Length: 0\r\n/);
      }
      expect(await appel.event('ended')).toMatchObject({ by: 'remote', reason: 'the other side hung up' });
    } finally {
      await appel.stop();
    }
  }, 45_000);

  it('session timer, SIPp the refresher: after its one refresh it stops, and Appel hangs up before the session expires', async () => {
    const appel = await listen(['--session-expires', '4']);
    try {
      const run = await sipp('call-session-timer-uac', { uac: true }).done;
      expectSippOk(run, appel);
      const msgs = wire(run.messages);
      const refreshOk = msgs.find((m) => m.direction === 'received' && m.firstLine.startsWith('SIP/2.0 200') && /CSeq: 2 UPDATE/.test(m.text))!;
      const bye = msgs.find((m) => m.direction === 'received' && m.firstLine.startsWith('BYE'))!;
      expect(bye).toBeDefined();
      // §10: interval − min(32, interval/3) = 4 − 1.33 s after the last refresh.
      const wait = bye.time - refreshOk.time;
      expect(wait).toBeGreaterThan(2_500);
      expect(wait).toBeLessThan(3_400);
      expect(bye.text).toMatch(/\r\nReason: SIP ?;\s*cause=408/i);
      expect(await appel.event('ended')).toMatchObject({ status: 408, reason: 'the other side stopped refreshing the call' });
    } finally {
      await appel.stop();
    }
  }, 45_000);
});

describe('Appel calls SIPp', () => {
  it('a callee that requires 100rel: PRACK with RAck: 1 <CSeq> INVITE (RFC 3262 §7.2), early media, then the call', async () => {
    const s = sipp('call-100rel-uas', { uac: false });
    await Promise.race([ns.waitListening('udp', SIPP_PORT), s.done.then((r) => Promise.reject(new Error(`SIPp stopped at once:\n${r.out}`)))]);
    const appel = new Appel(['call', `sip:sipp@127.0.0.1:${SIPP_PORT}`, '--listen', `udp:${APPEL}`, '--codecs', 'pcmu', '--duration', '1']);
    try {
      expect(await appel.exit(20_000)).toBe(0);
      const run = await s.done;
      expectSippOk(run, appel);
      const msgs = wire(run.messages);
      const invite = msgs.find((m) => m.firstLine.startsWith('INVITE'))!;
      expect(invite.text).toMatch(/\r\nSupported: [^\r\n]*\b100rel\b/);
      const prack = msgs.find((m) => m.firstLine.startsWith('PRACK'))!;
      const cseq = /\r\nCSeq: (\d+) INVITE/.exec(invite.text)![1];
      expect(prack.text).toContain(`\r\nRAck: 1 ${cseq} INVITE\r\n`);
      const names = appel.events.map((e) => e.event).filter((n) => n !== 'stats' && n !== 'latched');
      expect(names).toEqual(['calling', 'early-media', 'answered', 'ended']);
      expect(appel.named('ended')[0]).toMatchObject({ by: 'local', reason: 'call ended' });
    } finally {
      await appel.stop();
      s.child.kill('SIGKILL');
    }
  }, 45_000);

  it("symmetric RTP: the answer's m= port is not where SIPp's RTP comes from; Appel latches and sends where it comes from", async () => {
    const SDP_PORT = 7078;
    // SIPp's microphone: raw µ-law (rtp_stream sends the file's bytes as they are, PEERS.md).
    const wav = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000, seconds: 10 });
    const sox = await ns.run('sox', ['-R', wav, '-t', 'ul', join(ns.dir, 'call-latching.ul')]);
    expect(sox.code, sox.stderr).toBe(0);
    writeFileSync(join(ns.dir, 'latching.csv'), `SEQUENTIAL\n${SDP_PORT}\n`);
    // What reaches the port the SDP names: only what Appel sent before it latched.
    const watch = ns.spawn(NODE, ['-e', `
      const s = require('node:dgram').createSocket('udp4');
      let n = 0;
      s.on('message', () => n++);
      s.bind(${SDP_PORT}, '127.0.0.1', () => console.log('ready'));
      process.on('SIGTERM', () => { console.log(JSON.stringify({ packets: n })); process.exit(0); });
    `]);
    let watched = '';
    watch.stdout!.on('data', (d: Buffer) => (watched += d.toString()));
    const s = sipp('call-latching-uas', { uac: false, args: ['-inf', join(ns.dir, 'latching.csv'), '-trace_logs', '-log_file', join(ns.dir, 'latching-sipp.log')] });
    await Promise.race([
      Promise.all([ns.waitListening('udp', SIPP_PORT), ns.waitListening('udp', SDP_PORT)]),
      s.done.then((r) => Promise.reject(new Error(`SIPp stopped at once:\n${r.out}`))),
    ]);
    const appel = new Appel(['call', `sip:sipp@127.0.0.1:${SIPP_PORT}`, '--listen', `udp:${APPEL}`, '--codecs', 'pcmu', '--play', 'tone:440', '--duration', '3']);
    try {
      expect(await appel.exit(20_000)).toBe(0);
      const run = await s.done;
      expectSippOk(run, appel);
      const rtpPort = Number(/RTP from port (\d+)/.exec(readFileSync(join(ns.dir, 'latching-sipp.log'), 'utf8'))?.[1]);
      expect(rtpPort).toBeGreaterThan(0);
      expect(rtpPort).not.toBe(SDP_PORT);
      const latched = appel.named('latched').filter((e) => e.rtcp === false);
      expect(latched).toHaveLength(1);
      expect(latched[0]).toMatchObject({ address: '127.0.0.1', port: rtpPort });
      const stats = appel.named('stats');
      const last = stats.at(-1)!;
      expect(Number(last.packetsReceived)).toBeGreaterThan(80); // SIPp's RTP reached Appel for ~2 s
      expect(Number(last.packetsSent)).toBeGreaterThan(80);
      watch.kill('SIGTERM');
      await once(watch, 'exit');
      const { packets } = JSON.parse(watched.trim().split('\n').at(-1)!) as { packets: number };
      // At most what went out before SIPp's first packet (a few 20 ms frames), nothing after.
      expect(packets).toBeLessThan(10);
    } finally {
      await appel.stop();
      s.child.kill('SIGKILL');
      watch.kill('SIGKILL');
    }
  }, 45_000);
});
