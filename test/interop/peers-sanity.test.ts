/**
 * The real-phone lab checked against itself, without Appel: baresip and linphonec registered to
 * a real Kamailio, in this file's own network namespace, calling each other with tones.
 *
 * If these fail, the harnesses (test/interop/lab/baresip.ts, linphone.ts) or the machine are
 * broken, not Appel: the call interop tests build on exactly these calls, recordings and checks.
 * Every wait is bounded and waits for a signal (a registration, a ctrl_tcp event, a call state,
 * N seconds of audio in a recording), never for a fixed time.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { Baresip, type BaresipCodec, type BaresipOptions } from './lab/baresip.ts';
import { Linphone, type LinphoneOptions } from './lab/linphone.ts';
import { makeAudioFixtures } from './lab/peers-audio-fixtures.ts';
import { NetstringDecoder, encodeNetstring } from './lab/peers-netstring.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const USERS = ['alice', 'bob', 'carol', 'dave'].map((username) => ({ username, password: `${username}-secret` }));
const REGISTRAR = '127.0.0.1:5060';

let ns: NetNs;
let kamailio: Kamailio;
let audio: { tone: (frequency: number) => string; speech: string };
const phones = new Set<{ stop(): Promise<void> }>();

beforeAll(async () => {
  ns = await NetNs.create();
  kamailio = new Kamailio(ns, { users: USERS });
  audio = makeAudioFixtures(join(ns.dir, 'audio'));
  await kamailio.start();
});

afterAll(async () => {
  // Phones first: on SIGTERM they un-register, which needs Kamailio (PEERS.md).
  await Promise.all([...phones].map((p) => p.stop()));
  await kamailio?.stop();
  await ns?.close();
});

function baresip(opts: Omit<BaresipOptions, 'registrar' | 'password'> & { registrar?: string | null }): Baresip {
  const p = new Baresip(ns, { password: `${opts.user}-secret`, registrar: REGISTRAR, ...opts });
  phones.add(p);
  return p;
}

function linphone(opts: Omit<LinphoneOptions, 'registrar' | 'password'>): Linphone {
  const p = new Linphone(ns, { password: `${opts.user}-secret`, registrar: REGISTRAR, ...opts });
  phones.add(p);
  return p;
}

async function stopAll(...list: Array<Baresip | Linphone>): Promise<void> {
  await Promise.all(list.map((p) => p.stop()));
  for (const p of list) phones.delete(p);
}

/**
 * The tone heard in a recording, checked on its steady part (the first 0.3 s — jitter buffer
 * fill, codec start — is skipped): `expected` must carry 20× the power of `other`, and be loud.
 */
function expectTone(path: string, expected: number, other: number): void {
  const wav = readWav(path);
  const samples = wav.channels[0].subarray(Math.round(wav.sampleRate * 0.3));
  expect(samples.length, `${path} is too short`).toBeGreaterThan(wav.sampleRate * 0.5);
  const want = goertzelPower(samples, wav.sampleRate, expected);
  const not = goertzelPower(samples, wav.sampleRate, other);
  expect(want, `${path}: ${expected} Hz vs ${other} Hz`).toBeGreaterThan(20 * not);
  expect(rmsDb(samples), `${path} level`).toBeGreaterThan(-25);
}

describe('baresip ↔ baresip through Kamailio', () => {
  const cases: Array<{ codec: BaresipCodec; port: number }> = [
    { codec: 'PCMU', port: 5062 },
    { codec: 'opus', port: 5072 },
  ];
  for (const { codec, port } of cases) {
    it(`${codec}: A (440 Hz) calls B (auto-answer, 1000 Hz); each records the other's tone`, async () => {
      const a = baresip({ user: 'alice', sipPort: port, ctrlPort: port + 1000, playWav: audio.tone(440), record: true, codecs: [codec] });
      const b = baresip({ user: 'bob', sipPort: port + 2, ctrlPort: port + 1002, playWav: audio.tone(1000), record: true, autoAnswer: true, codecs: [codec] });
      try {
        await Promise.all([a.start(), b.start()]);
        await a.dial('sip:bob@lab.test');
        const established = await a.waitFor('CALL_ESTABLISHED', 10_000);
        expect(established.peeruri).toBe('sip:bob@lab.test');
        await b.waitFor('CALL_ESTABLISHED', 10_000);
        await Promise.all([a.waitHeard(2, 10_000), b.waitHeard(2, 10_000)]);
        await a.hangup();
        const closedB = await b.waitFor('CALL_CLOSED', 10_000);
        expect(closedB.param).toMatch(/reset by peer/i);
        await a.waitFor('CALL_CLOSED', 10_000);

        const [ra, rb] = await Promise.all([a.recordings(), b.recordings()]);
        expect(readWav(rb.dec).sampleRate).toBe(codec === 'opus' ? 48_000 : 8_000);
        expectTone(ra.enc, 440, 1000); // what A sent: the recording path works
        expectTone(rb.dec, 440, 1000); // what B heard
        expectTone(ra.dec, 1000, 440); // what A heard
      } finally {
        await stopAll(a, b);
      }
    });
  }

  it('controls: manual answer, DTMF, hold/resume, blind transfer to a phone without registrar (A over TCP)', async () => {
    const a = baresip({ user: 'alice', sipPort: 5082, ctrlPort: 6082, transport: 'tcp' });
    const b = baresip({ user: 'bob', sipPort: 5084, ctrlPort: 6084 });
    const c = baresip({ user: 'carol', sipPort: 5086, ctrlPort: 6086, registrar: null, autoAnswer: true });
    try {
      await Promise.all([a.start(), b.start(), c.start()]);
      await a.dial('sip:bob@lab.test');
      const incoming = await b.waitFor('CALL_INCOMING', 10_000);
      expect(incoming.peeruri).toBe('sip:alice@lab.test');
      await b.answer();
      await a.waitFor('CALL_ESTABLISHED', 10_000);
      // Over TCP, baresip dials the AoR with ;transport=tcp added.
      expect(await a.calls()).toEqual([{ line: 1, state: 'ESTABLISHED', peer: 'sip:bob@lab.test;transport=tcp' }]);

      let mark = b.eventCount;
      await a.sendDtmf('5#');
      const first = await b.waitEvent((e) => e.type === 'CALL_DTMF_START', 10_000, { since: mark, what: 'DTMF 5' });
      expect(first.param).toBe('5');
      const second = await b.waitEvent((e) => e.type === 'CALL_DTMF_START' && e !== first, 10_000, { since: mark, what: 'DTMF #' });
      expect(second.param).toBe('#');

      for (const action of ['hold', 'resume'] as const) {
        mark = b.eventCount;
        await a[action]();
        const offer = await b.waitEvent((e) => e.type === 'CALL_REMOTE_SDP', 10_000, { since: mark, what: `${action} re-INVITE` });
        expect(offer.param).toBe('offer');
      }

      mark = c.eventCount;
      await b.transfer(c.directUri);
      const transferred = await c.waitFor('CALL_ESTABLISHED', 10_000, mark);
      expect(transferred.peeruri).toBe('sip:alice@lab.test');
      expect((await b.waitFor('CALL_CLOSED', 10_000)).param).toMatch(/transfer/i);
      await a.hangup();
      await c.waitFor('CALL_CLOSED', 10_000, mark);
    } finally {
      await stopAll(a, b, c);
    }
  });
});

describe('baresip ↔ linphonec', () => {
  it('GSM: baresip (440 Hz) calls linphone (auto-answer, 1000 Hz); both hear the other', async () => {
    const a = baresip({ user: 'alice', sipPort: 5092, ctrlPort: 6092, playWav: audio.tone(440), record: true, codecs: ['GSM'] });
    const l = linphone({ user: 'carol', sipPort: 5094, playWav: audio.tone(1000), autoAnswer: true, codecs: ['GSM'] });
    try {
      await Promise.all([a.start(), l.start()]);
      await a.dial('sip:carol@lab.test');
      await a.waitFor('CALL_ESTABLISHED', 10_000);
      await l.waitFor('connected', 10_000);
      const calls = await l.waitCalls((list) => list[0]?.state === 'StreamsRunning', 10_000, 'StreamsRunning');
      expect(calls).toHaveLength(1);
      await Promise.all([a.waitHeard(2, 10_000), l.waitHeard(2, 10_000)]);
      await a.hangup();
      await l.waitFor('ended', 10_000);
      expectTone(await l.recording(), 440, 1000);
      expectTone((await a.recordings()).dec, 1000, 440);
    } finally {
      await stopAll(a, l);
    }
  });

  it('G.729: two linphonec at once (private /tmp each), manual answer, caller hangs up', async () => {
    const caller = linphone({ user: 'dave', sipPort: 5096, playWav: audio.tone(440), codecs: ['G729'] });
    const callee = linphone({ user: 'bob', sipPort: 5098, playWav: audio.tone(1000), codecs: ['G729'] });
    try {
      await Promise.all([caller.start(), callee.start()]);
      const n = await caller.call('sip:bob@lab.test');
      const incoming = await callee.waitFor('incoming', 10_000);
      expect(incoming.peer).toContain('sip:dave@lab.test');
      await callee.answer();
      await caller.waitCall(n, 'connected', 10_000);
      await callee.waitHeard(2, 10_000);
      await caller.terminate();
      await callee.waitCall(incoming.call!, 'ended', 10_000);
      await caller.waitCall(n, 'ended', 10_000);
      expectTone(await callee.recording(), 440, 1000);
      expectTone(await caller.recording(), 1000, 440);
    } finally {
      await stopAll(caller, callee);
    }
  });

  it('controls: linphone hears DTMF, holds and resumes, transfers to a baresip without registrar', async () => {
    const a = baresip({ user: 'alice', sipPort: 5102, ctrlPort: 6102 });
    const z = baresip({ user: 'zed', sipPort: 5104, ctrlPort: 6104, registrar: null, autoAnswer: true });
    const l = linphone({ user: 'carol', sipPort: 5106, autoAnswer: true, codecs: ['PCMU'] });
    try {
      await Promise.all([a.start(), z.start(), l.start()]);
      await a.dial('sip:carol@lab.test');
      await a.waitFor('CALL_ESTABLISHED', 10_000);
      await l.waitFor('streams', 10_000);

      await a.sendDtmf('7');
      expect((await l.waitFor('dtmf', 10_000)).detail).toBe('7');

      let mark = a.eventCount;
      await l.pause();
      await l.waitFor('paused', 10_000);
      await a.waitEvent((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer', 10_000, { since: mark, what: 'hold re-INVITE' });
      mark = a.eventCount;
      const lmark = l.eventCount;
      await l.resume();
      await l.waitFor('streams', 10_000, lmark);
      await a.waitEvent((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer', 10_000, { since: mark, what: 'resume re-INVITE' });

      await l.transfer(z.directUri);
      await l.waitFor('transferred', 10_000);
      expect((await z.waitFor('CALL_ESTABLISHED', 10_000)).peeruri).toBe('sip:alice@lab.test');
      await a.hangup();
      await z.waitFor('CALL_CLOSED', 10_000);
    } finally {
      await stopAll(a, z, l);
    }
  });
});

describe('ctrl_tcp framing', () => {
  it('netstrings survive any chunking, and junk is refused', () => {
    const messages = ['{"event":true,"type":"CALL_CLOSED"}', '', 'é\\/ü'];
    const bytes = Buffer.concat(messages.map(encodeNetstring));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new NetstringDecoder();
      expect([...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]).toEqual(messages);
    }
    expect(() => new NetstringDecoder().push(Buffer.from('3:abc;'))).toThrow(/missing ','/);
    expect(() => new NetstringDecoder().push(Buffer.from('x:'))).toThrow(/bad length/);
  });
});
