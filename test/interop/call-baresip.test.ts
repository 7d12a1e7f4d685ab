/**
 * Calls between Appel (its real command line, `npm run phone -- call|listen`) and a real
 * baresip 1.0 (Debian's), both registered to a real Kamailio, in this file's own network
 * namespace. Audio is checked in the recordings on both sides: the tone one side sent is the
 * tone the other side heard (frequency, level, duration). Every wait is bounded and waits for a
 * signal (an event, N seconds of audio), never for a fixed time.
 *
 *   Appel alice (call …)   ──┐                 ┌── baresip bob   (auto-answer, 1000 Hz, records)
 *                            ├── Kamailio 5060 ─┤
 *   Appel dave  (listen …) ──┘                 └── baresip carol (manual answer, SDES-SRTP, 1000 Hz)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { Baresip } from './lab/baresip.ts';
import { runAppel, AppelProcess } from './lab/appel-cli.ts';
import { makeToneWav } from './lab/peers-audio-fixtures.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const USERS = ['alice', 'bob', 'carol', 'dave'].map((username) => ({ username, password: `${username}-secret` }));
const PROXY = 'sip:127.0.0.1:5060';
/** The level of the fixture tones (peers-audio-fixtures.ts default). */
const SENT_DB = -12;

let ns: NetNs;
let kamailio: Kamailio;
let bob: Baresip;
let carol: Baresip;
let dave: InteractiveAppel;
let tone440: string;
let tone1000: string;

/** Appel's CLI with a pipe on its standard input (hold, resume, transfer, call, merge…). */
class InteractiveAppel extends AppelProcess {
  constructor(args: string[]) {
    super(ns, args, {}, { stdin: true });
  }
}

/** Account flags for Appel as `user` through Kamailio. */
function account(user: string): string[] {
  return ['--aor', `sip:${user}@lab.test`, '--password', `${user}-secret`, '--proxy', PROXY, '--listen', 'udp:127.0.0.1:0'];
}

/**
 * The tone heard in a recording, on its steady part (the first 0.4 s skipped: jitter buffer,
 * codec start): `expected` carries 20× the power of `other`, at about the level it was sent at,
 * for about `seconds` (when given).
 */
function expectTone(path: string, expected: number, other: number, seconds?: number): void {
  const wav = readWav(path);
  const all = wav.channels[0];
  if (seconds !== undefined) expect(Math.abs(all.length / wav.sampleRate - seconds), `${path} lasts ${(all.length / wav.sampleRate).toFixed(2)} s`).toBeLessThan(1);
  const samples = all.subarray(Math.round(wav.sampleRate * 0.4));
  expect(samples.length, `${path} is too short`).toBeGreaterThan(wav.sampleRate * 0.5);
  const want = goertzelPower(samples, wav.sampleRate, expected);
  const not = goertzelPower(samples, wav.sampleRate, other);
  expect(want, `${path}: ${expected} Hz vs ${other} Hz`).toBeGreaterThan(20 * not);
  expect(Math.abs(rmsDb(samples) - SENT_DB), `${path}: level ${rmsDb(samples).toFixed(1)} dBFS, sent at ${SENT_DB}`).toBeLessThan(4);
}

/** baresip's recordings of its last call, once closed. */
async function recordings(phone: Baresip): Promise<{ enc: string; dec: string }> {
  return phone.recordings(5_000);
}

beforeAll(async () => {
  ns = await NetNs.create();
  tone440 = makeToneWav(join(ns.dir, 'audio'), { frequency: 440 });
  tone1000 = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 });
  kamailio = new Kamailio(ns, { users: USERS });
  await kamailio.start();
  bob = new Baresip(ns, {
    user: 'bob',
    password: 'bob-secret',
    registrar: '127.0.0.1:5060',
    sipPort: 5062,
    ctrlPort: 6062,
    autoAnswer: true,
    playWav: tone1000,
    record: true,
    extraConfig: ['module_app contact.so'],
  });
  // bob's address book: Alice's listening twin, Dave, for `message` (contact module).
  writeFileSync(join(bob.dir, 'contacts'), '"Dave" <sip:dave@lab.test>\n');
  carol = new Baresip(ns, { user: 'carol', password: 'carol-secret', registrar: '127.0.0.1:5060', sipPort: 5064, ctrlPort: 6064, playWav: tone1000, record: true, srtp: 'srtp' });
  await Promise.all([bob.start(), carol.start()]);
  dave = new InteractiveAppel(['listen', ...account('dave'), '--auto-answer', '--play', tone440, '--record', join(ns.dir, 'dave-{n}.wav')]);
  await dave.event('registered');
});

afterAll(async () => {
  // Appel and the phones first: on SIGTERM they un-register, which needs Kamailio (PEERS.md).
  await Promise.all([dave?.stop(), bob?.stop(), carol?.stop()]);
  await kamailio?.stop();
  await ns?.close();
});

describe('Appel calls baresip (auto-answer) through Kamailio', () => {
  for (const codec of ['opus', 'g722', 'pcmu', 'pcma'] as const) {
    it(`${codec}: each side hears the other's tone, at its level, for the call's length; Appel hangs up (BYE)`, async () => {
      bob.clearRecordings();
      const record = join(ns.dir, `alice-${codec}.wav`);
      const since = bob.eventCount;
      const r = await runAppel(ns, ['call', 'sip:bob@lab.test', ...account('alice'), '--codecs', codec, '--play', tone440, '--record', record, '--duration', '2.5'], { timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // baresip may ring (180) before it auto-answers, or answer at once.
      const names = r.events.map((e) => e.event).filter((n) => n !== 'stats' && n !== 'ringing');
      expect(names).toEqual(['registering', 'registered', 'calling', 'answered', 'ended', 'unregistered']);
      expect(r.events.find((e) => e.event === 'answered')).toMatchObject({ codec, srtp: false, peer: 'sip:bob@lab.test' });
      const ended = r.events.find((e) => e.event === 'ended')!;
      expect(ended).toMatchObject({ reason: 'call ended', by: 'local' });
      expect(Number(ended.duration)).toBeGreaterThanOrEqual(2.4);
      expect(r.events.some((e) => e.event === 'stats' && Number(e.packetsReceived) > 50 && Number(e.mos) > 3.5)).toBe(true);
      expect((await bob.waitFor('CALL_CLOSED', 10_000, since)).param).toMatch(/reset by peer/i);
      const rec = await recordings(bob);
      expectTone(record, 1000, 440, 2.5); // what Appel heard
      expectTone(rec.dec, 440, 1000, 2.5); // what baresip heard
    });
  }
});

describe('SDES-SRTP (RFC 4568) with baresip', () => {
  for (const mode of ['optional', 'mandatory'] as const) {
    it(`Appel (--srtp ${mode}) calls baresip (mediaenc srtp, manual answer): encrypted both ways, tones heard`, async () => {
      carol.clearRecordings();
      const record = join(ns.dir, `alice-srtp-${mode}.wav`);
      const since = carol.eventCount;
      const alice = new InteractiveAppel(['call', 'sip:carol@lab.test', ...account('alice'), '--codecs', 'pcmu', '--srtp', mode, '--play', tone440, '--record', record, '--duration', '2']);
      try {
        await carol.waitFor('CALL_INCOMING', 10_000, since);
        await carol.answer();
        const answered = await alice.event('answered');
        expect(answered).toMatchObject({ codec: 'pcmu', srtp: true });
        const menc = await carol.waitFor('CALL_MENC', 10_000, since);
        expect(menc.param).toMatch(/AES_CM_128_HMAC_SHA1_(80|32)/);
        await alice.event('ended', 0, 15_000);
        expect(await alice.exit()).toBe(0);
        await carol.waitFor('CALL_CLOSED', 10_000, since);
        expectTone(record, 1000, 440, 2);
        expectTone((await recordings(carol)).dec, 440, 1000, 2);
      } finally {
        await alice.stop();
      }
    });
  }

  it('baresip (SRTP best effort) calls Appel (listen --auto-answer): Appel answers with SRTP', async () => {
    const since = dave.mark;
    const cmark = carol.eventCount;
    carol.clearRecordings();
    await carol.dial('sip:dave@lab.test');
    const incoming = await dave.event('incoming', since);
    expect(incoming.from).toBe('sip:carol@lab.test');
    expect(await dave.event('answered', since)).toMatchObject({ srtp: true });
    await carol.waitFor('CALL_ESTABLISHED', 10_000, cmark);
    await carol.waitHeard(2, 10_000);
    await carol.hangup();
    expect(await dave.event('ended', since)).toMatchObject({ by: 'remote', reason: 'the other side hung up' });
    const n = dave.events.filter((e) => e.event === 'answered').length;
    expectTone(join(ns.dir, `dave-${n}.wav`), 1000, 440); // what Appel heard
    expectTone((await recordings(carol)).dec, 440, 1000); // what baresip heard
  });
});

describe('baresip calls Appel (listen --auto-answer)', () => {
  it('both hear each other; hold and resume by each side; baresip hangs up (BYE)', async () => {
    bob.clearRecordings();
    const since = dave.mark;
    const bmark = bob.eventCount;
    await bob.dial('sip:dave@lab.test');
    const incoming = await dave.event('incoming', since);
    expect(incoming.from).toBe('sip:bob@lab.test');
    const answered = await dave.event('answered', since);
    const callId = answered.callId;
    await bob.waitFor('CALL_ESTABLISHED', 10_000, bmark);
    await bob.waitHeard(2, 10_000);

    // baresip holds: Appel hears a re-INVITE with sendonly and says "held by the other side".
    let m = dave.mark;
    await bob.hold();
    expect(await dave.wait((e) => e.event === 'held' && e.by === 'remote', 'held by remote', 10_000, m)).toMatchObject({ callId });
    m = dave.mark;
    await bob.resume();
    await dave.event('resumed', m);

    // Appel holds: baresip gets the re-offer, stops sending, and Appel's received count stands still.
    m = dave.mark;
    let bm = bob.eventCount;
    dave.send('hold');
    expect(await dave.event('held', m)).toMatchObject({ callId, by: 'local' });
    await bob.waitEvent((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer', 10_000, { since: bm, what: 'hold re-INVITE' });
    const s1 = await dave.wait((e) => e.event === 'stats', 'stats', 5_000, dave.mark);
    const s2 = await dave.wait((e) => e.event === 'stats', 'stats', 5_000, dave.mark);
    expect(Number(s2.packetsReceived) - Number(s1.packetsReceived)).toBeLessThanOrEqual(2);
    m = dave.mark;
    bm = bob.eventCount;
    dave.send('resume');
    await dave.event('resumed', m);
    await bob.waitEvent((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer', 10_000, { since: bm, what: 'resume re-INVITE' });
    const s3 = await dave.wait((e) => e.event === 'stats', 'stats', 5_000, dave.mark);
    await dave.wait((e) => e.event === 'stats' && Number(e.packetsReceived) > Number(s3.packetsReceived) + 25, 'media after resume', 5_000, dave.mark);

    m = dave.mark;
    await bob.hangup();
    expect(await dave.event('ended', m)).toMatchObject({ callId, by: 'remote', reason: 'the other side hung up' });
    const n = dave.events.filter((e) => e.event === 'answered').length;
    expectTone(join(ns.dir, `dave-${n}.wav`), 1000, 440); // what Appel heard
    expectTone((await recordings(bob)).dec, 440, 1000); // what baresip heard
  });
});

describe('calls that do not happen', () => {
  it('Appel hangs up while baresip rings: CANCEL; baresip stops ringing', async () => {
    const since = carol.eventCount;
    const alice = new InteractiveAppel(['call', 'sip:carol@lab.test', ...account('alice')]);
    try {
      await carol.waitFor('CALL_INCOMING', 10_000, since);
      await alice.event('ringing');
      alice.send('hangup');
      expect(await alice.event('ended')).toMatchObject({ status: 487, reason: 'cancelled', by: 'local' });
      expect(await alice.exit()).toBe(1);
      expect(alice.stderr).toBe('sip:carol@lab.test: cancelled (487 Request Terminated)\n');
      await carol.waitFor('CALL_CLOSED', 10_000, since);
    } finally {
      await alice.stop();
    }
  });

  it('486, 603, 480 and 404 from Kamailio: exit 1 with the reason in words', async () => {
    const cases = [
      ['sip:busy@lab.test', 486, 'sip:busy@lab.test is busy (486 Busy Here)'],
      ['sip:decline@lab.test', 603, 'sip:decline@lab.test declined the call (603 Decline)'],
      ['sip:away@lab.test', 480, 'sip:away@lab.test is not available right now (480 Temporarily Unavailable)'],
      ['sip:nobody@lab.test', 404, 'sip:nobody@lab.test was not found (404 Not Found)'],
    ] as const;
    const runs = await Promise.all(cases.map(([uri]) => runAppel(ns, ['call', uri, ...account('alice')], { timeoutMs: 30_000 })));
    runs.forEach((r, i) => {
      const [, status, line] = cases[i];
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(line + '\n');
      expect(r.events.find((e) => e.event === 'ended')).toMatchObject({ status, by: 'remote', duration: 0 });
      expect(r.events.some((e) => e.event === 'answered')).toBe(false);
    });
  });

  it('302 from Kamailio (redirect-bob → bob) is followed to the right callee', async () => {
    const since = bob.eventCount;
    const r = await runAppel(ns, ['call', 'sip:redirect-bob@lab.test', ...account('alice'), '--codecs', 'pcma', '--duration', '1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.events.find((e) => e.event === 'redirected')).toMatchObject({ to: 'sip:bob@lab.test' });
    expect(r.events.find((e) => e.event === 'answered')).toMatchObject({ peer: 'sip:bob@lab.test', codec: 'pcma' });
    const established = await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    expect(established.peeruri).toBe('sip:alice@lab.test');
  });
});

describe('DTMF and MESSAGE', () => {
  it('baresip receives the DTMF Appel sends (RFC 4733)', async () => {
    const since = bob.eventCount;
    // The digits go once media flows (its first statistics, about 1 s in) and take 200 ms each:
    // the call lasts until they have all left and 1 s more (the CLI waits), past its 1 s.
    const r = await runAppel(ns, ['call', 'sip:bob@lab.test', ...account('alice'), '--codecs', 'pcmu', '--dtmf', '19*#', '--duration', '1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.events.find((e) => e.event === 'dtmf-sent')).toMatchObject({ digits: '19*#' });
    await bob.waitFor('CALL_CLOSED', 10_000, since);
    const digits = bob.events.slice(since).filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param);
    expect(digits).toEqual(['1', '9', '*', '#']);
  });

  it('MESSAGE both ways: Appel to baresip, and baresip to Appel', async () => {
    // baresip prints received messages only to a UI module (none in the lab): its own 200 OK,
    // relayed by Kamailio, says it took the message.
    const r = await runAppel(ns, ['message', 'sip:bob@lab.test', 'Hello Bob, from Appel', ...account('alice'), '--trace'], { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    expect(r.events.find((e) => e.event === 'message-sent')).toMatchObject({ status: 'sent' });
    const ok = r.events.find((e) => e.event === 'trace' && e.direction === 'received' && /^SIP\/2\.0 200 OK\r\n[\s\S]*CSeq: \d+ MESSAGE/.test(String(e.text)));
    expect(String(ok?.text)).toMatch(/\r\nServer: baresip v1\.0\.0/);

    const since = dave.mark;
    await bob.command('contact_next');
    await bob.command('message', 'Hello Dave, from baresip');
    expect(await dave.event('message', since)).toMatchObject({ from: 'sip:bob@lab.test', text: 'Hello Dave, from baresip' });
  });
});
