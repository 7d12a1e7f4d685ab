/**
 * The app's microphone and speaker (Phone.connectAudio, media/ports/local-audio.ts): Alice's
 * phone runs with `localAudio`, and this test plays the renderer's part on a MessageChannel —
 * it sends 20 ms frames of a 1000 Hz "microphone" tone at 48 kHz in real time, and keeps what
 * the engine posts back for the speaker. Bob and Carol auto-answer, each playing a tone of
 * their own and recording what they hear. The device belongs to one call at a time: the one
 * most recently brought to the foreground; a call Alice holds hears nothing of her microphone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goertzelPower, readWav, sine } from '../../helpers/audio-analysis.ts';
import { mark, startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-local-audio-'));
const MIC = 1000;
const TONE = { bob: 600, carol: 1400 } as const;
const RATE = 48000;
let alice: TestPhone;
let bob: TestPhone;
let carol: TestPhone;
let n = 0;

/** The renderer's side of the link: a real-time microphone tone out, the speaker's frames in (with their arrival time). */
class FakeRenderer {
  readonly port: MessagePort;
  readonly heard: Array<{ at: number; frame: Int16Array }> = [];
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #tone = sine({ sampleRate: RATE, frequency: MIC, levelDb: -20, seconds: 1 });
  #offset = 0;

  constructor(port: MessagePort) {
    this.port = port;
    port.on('message', (frame: unknown) => {
      if (frame instanceof Int16Array) this.heard.push({ at: Date.now(), frame });
    });
    // 128-sample blocks, like an AudioWorklet's render quanta: the engine cuts them into 20 ms frames.
    const start = Date.now();
    let sent = 0;
    this.#timer = setInterval(() => {
      const due = Math.floor(((Date.now() - start) * RATE) / 1000);
      while (sent + 128 <= due) {
        const block = new Int16Array(128);
        for (let i = 0; i < 128; i++) block[i] = this.#tone[(this.#offset + i) % this.#tone.length];
        this.#offset = (this.#offset + 128) % this.#tone.length;
        port.postMessage(block);
        sent += 128;
      }
    }, 10);
  }

  /** Samples heard since `since` (ms since the epoch). */
  samplesSince(since: number): Int16Array {
    const frames = this.heard.filter((h) => h.at >= since).map((h) => h.frame);
    const out = new Int16Array(frames.reduce((a, f) => a + f.length, 0));
    let o = 0;
    for (const f of frames) {
      out.set(f, o);
      o += f.length;
    }
    return out;
  }

  close(): void {
    clearInterval(this.#timer);
    this.port.close();
  }
}

let renderer: FakeRenderer;

beforeEach(async () => {
  n++;
  [alice, bob, carol] = await Promise.all([startPhone('alice', { localAudio: true }), startPhone('bob'), startPhone('carol')]);
  for (const p of [bob, carol]) {
    const name = p.name as 'bob' | 'carol';
    p.phone.callSettings({ autoAnswer: true, autoAnswerPlay: { tone: [TONE[name]], levelDb: -20 }, autoAnswerRecord: join(dir, `${n}-${name}.wav`) });
  }
  const { port1, port2 } = new MessageChannel();
  alice.phone.connectAudio(port1, RATE);
  renderer = new FakeRenderer(port2);
});

afterEach(async () => {
  renderer.close();
  await Promise.all([alice.phone.stop(), bob.phone.stop(), carol.phone.stop()]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function aliceCalls(callee: TestPhone) {
  const since = mark(callee);
  const a = await alice.phone.dial({ to: callee.uri(), codecs: ['g722'] });
  const incoming = await waitEvent(callee, 'call:incoming', () => true, { since });
  await Promise.all([waitState(alice, a.id, 'connected'), waitState(callee, incoming.id, 'connected')]);
  await waitPackets(alice, a.id, 25);
  return { a, other: incoming };
}

/** Power of the microphone tone against `other` in `samples` (at `rate`). */
function micRatio(samples: ArrayLike<number>, rate: number, other: number): number {
  return goertzelPower(samples, rate, MIC) / Math.max(goertzelPower(samples, rate, other), 1e-9);
}

/** The window [from, to) seconds of a recording's first channel. */
function window_(path: string, from: number, to?: number) {
  const wav = readWav(path);
  const s = wav.channels[0];
  return { samples: s.subarray(Math.round(from * wav.sampleRate), to === undefined ? s.length : Math.round(to * wav.sampleRate)), rate: wav.sampleRate, seconds: s.length / wav.sampleRate };
}

describe('the local audio device (Phone.connectAudio)', () => {
  it('a call without play speaks the microphone and plays what it hears on the speaker; hold silences the microphone', async () => {
    const { a } = await aliceCalls(bob);
    const speakerFrom = Date.now();
    await sleep(1500);
    // The speaker: 20 ms frames at 48 kHz carrying Bob's 600 Hz.
    const speaker = renderer.samplesSince(speakerFrom);
    expect(speaker.length).toBeGreaterThan(RATE);
    expect(renderer.heard.every((h) => h.frame.length === RATE / 50)).toBe(true);
    expect(goertzelPower(speaker, RATE, TONE.bob)).toBeGreaterThan(50 * goertzelPower(speaker, RATE, MIC));

    const heldAt = Date.now();
    await alice.phone.hold({ callId: a.id });
    const heldFor = (Date.now() - heldAt) / 1000;
    await sleep(1500);
    await alice.phone.hangup({ callId: a.id });
    await waitState(alice, a.id, 'ended');

    const rec = join(dir, `${n}-bob.wav`);
    const whole = window_(rec, 0);
    // Before the hold Bob heard the microphone; during it, nothing of it.
    const talk = window_(rec, 0.4, Math.max(0.8, whole.seconds - 1.5 - heldFor - 0.3));
    expect(micRatio(talk.samples, talk.rate, TONE.bob), 'microphone tone in what Bob heard before the hold').toBeGreaterThan(20);
    const held = window_(rec, whole.seconds - 1.2);
    expect(goertzelPower(held.samples, held.rate, MIC), 'microphone tone while held').toBeLessThan(goertzelPower(talk.samples, talk.rate, MIC) / 100);
  });

  it('two calls: the device follows the call last brought to the foreground', async () => {
    const first = await aliceCalls(bob);
    await alice.phone.hold({ callId: first.a.id });
    const second = await aliceCalls(carol);
    const carolFrom = Date.now();
    await sleep(1200);
    // Carol's call has the speaker now (Bob's is held).
    const s1 = renderer.samplesSince(carolFrom);
    expect(goertzelPower(s1, RATE, TONE.carol)).toBeGreaterThan(20 * goertzelPower(s1, RATE, TONE.bob));

    await alice.phone.resume({ callId: first.a.id });
    const bobFrom = Date.now();
    // Long enough that Carol's last 0.8 s (below) starts well after the move even when her
    // jitter buffer has grown on a loaded machine: what she plays lags what arrived.
    await sleep(2000);
    // Both calls are up; Bob's came back last: his is the one heard, and Carol hears no microphone.
    const s2 = renderer.samplesSince(bobFrom + 200);
    expect(goertzelPower(s2, RATE, TONE.bob)).toBeGreaterThan(20 * goertzelPower(s2, RATE, TONE.carol));
    await Promise.all([alice.phone.hangup({ callId: first.a.id }), alice.phone.hangup({ callId: second.a.id })]);
    await Promise.all([waitState(alice, first.a.id, 'ended'), waitState(alice, second.a.id, 'ended')]);

    const carolRec = window_(join(dir, `${n}-carol.wav`), 0);
    const carolTalk = window_(join(dir, `${n}-carol.wav`), 0.4, 1.4);
    const carolLast = window_(join(dir, `${n}-carol.wav`), carolRec.seconds - 0.8);
    expect(micRatio(carolTalk.samples, carolTalk.rate, TONE.carol), 'Carol heard the microphone while her call had it').toBeGreaterThan(5);
    expect(goertzelPower(carolLast.samples, carolLast.rate, MIC), 'Carol hears no microphone once Bob has it').toBeLessThan(goertzelPower(carolTalk.samples, carolTalk.rate, MIC) / 100);
  });

  it('a conference: both parties hear the microphone, the speaker plays both', async () => {
    const first = await aliceCalls(bob);
    await alice.phone.hold({ callId: first.a.id });
    const second = await aliceCalls(carol);
    // The held call first: it is resumed, and its ports (the device's) then serve the mix.
    await alice.phone.merge({ callIds: [first.a.id, second.a.id] });
    const from = Date.now();
    await sleep(1500);
    const speaker = renderer.samplesSince(from + 300);
    const [pBob, pCarol, pMic] = [TONE.bob, TONE.carol, MIC].map((f) => goertzelPower(speaker, RATE, f));
    expect(pBob, 'Bob in the speaker').toBeGreaterThan(pMic * 20);
    expect(pCarol, 'Carol in the speaker').toBeGreaterThan(pMic * 20);
    await Promise.all([alice.phone.hangup({ callId: first.a.id }), alice.phone.hangup({ callId: second.a.id })]);
    await Promise.all([waitState(alice, first.a.id, 'ended'), waitState(alice, second.a.id, 'ended')]);
    for (const name of ['bob', 'carol'] as const) {
      const rec = window_(join(dir, `${n}-${name}.wav`), 0);
      const last = window_(join(dir, `${n}-${name}.wav`), rec.seconds - 1);
      const other = name === 'bob' ? TONE.carol : TONE.bob;
      expect(goertzelPower(last.samples, last.rate, MIC), `${name} hears the microphone in the conference`).toBeGreaterThan(goertzelPower(last.samples, last.rate, TONE[name]) * 5);
      expect(goertzelPower(last.samples, last.rate, other), `${name} hears the other party`).toBeGreaterThan(goertzelPower(last.samples, last.rate, TONE[name]) * 5);
    }
  });

  it("'bye' from the app ends the link: the speaker gets nothing more, the call goes on", async () => {
    const { a } = await aliceCalls(bob);
    await sleep(300);
    renderer.port.postMessage('bye');
    await sleep(300);
    const after = Date.now();
    await sleep(600);
    expect(renderer.samplesSince(after).length).toBe(0);
    expect(alice.phone.listCalls().find((c) => c.id === a.id)?.state).toBe('connected');
  });
});
