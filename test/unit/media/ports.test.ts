import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { ToneSource } from '../../../main/media/ports/tone-source.ts';
import { SilenceSource } from '../../../main/media/ports/silence-source.ts';
import { WavRecorder } from '../../../main/media/ports/wav-recorder.ts';
import { loadWav, WavFileSource } from '../../../main/media/ports/wav-file-source.ts';
import { WavFormat, WavFormatError } from '../../../main/media/ports/wav-format.ts';
import { Mixer } from '../../../main/media/ports/mixer.ts';
import { DeviceBridge } from '../../../main/media/ports/device-bridge.ts';
import { SampleFifo } from '../../../main/media/sample-fifo.ts';
import { goertzelPower, peakFrequency, readWav, rmsDb, sine, writeWav } from '../../helpers/audio-analysis.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-ports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Yields to the event loop until `cond` holds (messages on a MessageChannel arrive asynchronously). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

describe('SampleFifo', () => {
  it('keeps order across growth and wrap, and fills underruns with zeros', () => {
    const fifo = new SampleFifo(16);
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      const n = (round * 7) % 23;
      fifo.write(Int16Array.from({ length: n }, () => next++));
      seen.push(...fifo.read(Math.min(fifo.length, (round * 5) % 19)));
    }
    seen.push(...fifo.read(fifo.length));
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
    expect([...fifo.read(3)]).toEqual([0, 0, 0]);
  });
});

describe('ToneSource and SilenceSource', () => {
  it('gives 20 ms frames of a continuous sine at the requested level', () => {
    const tone = new ToneSource({ sampleRate: 8000, frequencies: [1000], levelDb: -12 });
    const frames = Array.from({ length: 50 }, () => tone.getFrame());
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const all = concat(frames);
    expect(peakFrequency(all, 8000)).toBe(1000);
    expect(rmsDb(all)).toBeCloseTo(-12, 1);
    // Phase continuity: no discontinuity between frames (max step of a 1 kHz sine at 8 kHz).
    let maxStep = 0;
    for (let i = 1; i < all.length; i++) maxStep = Math.max(maxStep, Math.abs(all[i] - all[i - 1]));
    expect(maxStep).toBeLessThan(32767 * 10 ** (-12 / 20) * 2 * Math.sin(Math.PI / 8) + 2);
  });

  it('makes a dual tone and follows a cadence', () => {
    const tone = new ToneSource({ sampleRate: 16000, frequencies: [440, 480], levelDb: -20, cadence: { onMs: 100, offMs: 100 } });
    const all = concat(Array.from({ length: 20 }, () => tone.getFrame()));
    const on = all.subarray(0, 1600);
    const off = all.subarray(1600, 3200);
    expect(goertzelPower(on, 16000, 440)).toBeGreaterThan(0.005);
    expect(goertzelPower(on, 16000, 480)).toBeGreaterThan(0.005);
    expect(off.every((s) => s === 0)).toBe(true);
  });

  it('plays the same samples from its one-period table as a sine computed sample by sample, over minutes', () => {
    const cases = [
      { sampleRate: 16000, frequencies: [440] },
      { sampleRate: 8000, frequencies: [697, 1209] },
      { sampleRate: 48000, frequencies: [440, 480] },
      { sampleRate: 8000, frequencies: [440.5] }, // no whole period: computed as it goes
    ];
    for (const c of cases) {
      const tone = new ToneSource({ ...c, levelDb: -7 }); // two components peak below full scale
      const amplitude = 32767 * 10 ** (-7 / 20);
      const frame = c.sampleRate / 50;
      let worst = 0;
      // 3 minutes of frames, checking the first second and then every 10th frame.
      for (let k = 0; k < 9000; k++) {
        const f = tone.getFrame();
        if (k >= 50 && k % 10 !== 0) continue;
        for (let i = 0; i < frame; i++) {
          const n = k * frame + i;
          const v = c.frequencies.reduce((sum, hz) => sum + Math.sin(2 * Math.PI * ((hz * n) % c.sampleRate) / c.sampleRate), 0);
          worst = Math.max(worst, Math.abs(f[i] - Math.round(v * amplitude)));
        }
      }
      expect(worst, `${c.frequencies.join('+')} Hz at ${c.sampleRate}`).toBeLessThanOrEqual(1);
    }
  });

  it('silence is zeros of the right length', () => {
    const s = new SilenceSource({ sampleRate: 48000 });
    const f = s.getFrame();
    expect(f.length).toBe(960);
    expect(f.every((x) => x === 0)).toBe(true);
  });
});

describe('WavRecorder and WavFileSource', () => {
  it('round-trips mono PCM16', () => {
    const path = join(dir, 'mono.wav');
    const rec = new WavRecorder({ path, sampleRate: 8000 });
    const tone = new ToneSource({ sampleRate: 8000, frequencies: [700] });
    const sent = Array.from({ length: 30 }, () => tone.getFrame());
    sent.forEach((f) => rec.putFrame(f));
    rec.close();
    const wav = readWav(path);
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels.length).toBe(1);
    expect([...wav.channels[0]]).toEqual([...concat(sent)]);
    const src = new WavFileSource({ path, sampleRate: 8000 });
    const back = Array.from({ length: 30 }, () => src.getFrame());
    expect([...concat(back)]).toEqual([...concat(sent)]);
    expect(src.ended).toBe(false);
    expect(src.getFrame().every((x) => x === 0)).toBe(true);
    expect(src.ended).toBe(true);
  });

  it('records stereo with one side per channel', () => {
    const path = join(dir, 'stereo.wav');
    const rec = new WavRecorder({ path, sampleRate: 16000, channels: 2 });
    const left = new ToneSource({ sampleRate: 16000, frequencies: [500] });
    const right = new ToneSource({ sampleRate: 16000, frequencies: [1500] });
    for (let i = 0; i < 25; i++) rec.putStereo(left.getFrame(), right.getFrame());
    rec.close();
    const wav = readWav(path);
    expect(wav.channels.length).toBe(2);
    expect(wav.channels[0].length).toBe(25 * 320);
    expect(peakFrequency(wav.channels[0], 16000)).toBe(500);
    expect(peakFrequency(wav.channels[1], 16000)).toBe(1500);
  });

  it('leaves a valid file on disk before close (a crash mid-call keeps the recording)', () => {
    const path = join(dir, 'crash.wav');
    const rec = new WavRecorder({ path, sampleRate: 8000, channels: 2, flushEveryFrames: 10 });
    const tone = new ToneSource({ sampleRate: 8000, frequencies: [1000] });
    for (let i = 0; i < 35; i++) rec.putStereo(tone.getFrame(), new Int16Array(160));
    // Not closed: what is on disk now is what a crash would leave.
    const wav = readWav(path);
    expect(wav.channels[0].length).toBe(30 * 160);
    const header = WavFormat.parse(readFileSync(path));
    expect(header.samples.length).toBe(30 * 160 * 2);
    rec.close();
    expect(readWav(path).channels[0].length).toBe(35 * 160);
  });

  it('mixes a stereo file down to mono, loops, and resamples through the given resampler', () => {
    const path = join(dir, 'in.wav');
    const left = sine({ sampleRate: 8000, frequency: 400, levelDb: -10, seconds: 0.1 });
    writeWav(path, { sampleRate: 8000, channels: [left, new Int16Array(left.length)] });
    const looped = new WavFileSource({ path, sampleRate: 8000, loop: true });
    const out = concat(Array.from({ length: 12 }, () => looped.getFrame())); // 240 ms of a 100 ms file
    expect(out[800]).toBe(Math.round(left[0] / 2));
    expect(out[1000]).toBe(Math.round(left[200] / 2));
    expect(looped.ended).toBe(false);

    // A 2× "resampler" (sample doubling) stands in for the native one.
    const calls: { from: number; to: number }[] = [];
    const up = new WavFileSource({
      path,
      sampleRate: 16000,
      createResampler: (o) => {
        calls.push(o);
        return { process: (pcm) => Int16Array.from({ length: pcm.length * 2 }, (_, i) => pcm[i >> 1]), close: () => {} };
      },
    });
    expect(calls).toEqual([{ from: 8000, to: 16000 }]);
    const f = up.getFrame();
    expect(f.length).toBe(320);
    expect(f[2]).toBe(Math.round(left[1] / 2));
    expect(() => new WavFileSource({ path, sampleRate: 48000 })).toThrow(/createResampler/);
  });

  it("sampleRate 'file' plays a usual rate as it is (no resampler) and an unusual one at the fallback", () => {
    const path = join(dir, 'own-rate.wav');
    const left = sine({ sampleRate: 8000, frequency: 400, levelDb: -10, seconds: 0.1 });
    writeWav(path, { sampleRate: 8000, channels: [left] });
    const own = new WavFileSource({ path, sampleRate: 'file' });
    expect(own.sampleRate).toBe(8000);
    expect([...own.getFrame()]).toEqual([...left.subarray(0, 160)]);

    const odd = join(dir, 'odd-rate.wav');
    writeWav(odd, { sampleRate: 11025, channels: [new Int16Array(11025)] });
    const made: number[] = [];
    const fallback = new WavFileSource({
      path: odd,
      sampleRate: 'file',
      createResampler: (o) => {
        made.push(o.to);
        return { process: (pcm) => new Int16Array(Math.round((pcm.length * o.to) / o.from)), close: () => {} };
      },
    });
    expect(fallback.sampleRate).toBe(16000);
    expect(made).toEqual([16000]);
    expect(fallback.getFrame().length).toBe(320);
  });

  it('reads a file once for all the calls playing it at once, and again once it is rewritten', () => {
    const path = join(dir, 'shared.wav');
    writeWav(path, { sampleRate: 8000, channels: [sine({ sampleRate: 8000, frequency: 400, levelDb: -10, seconds: 0.1 })] });
    const first = loadWav(path);
    expect(loadWav(path)).toBe(first);
    const a = new WavFileSource({ path, sampleRate: 8000 });
    const b = new WavFileSource({ path, sampleRate: 8000 });
    expect([...b.getFrame()]).toEqual([...a.getFrame()]);
    writeWav(path, { sampleRate: 8000, channels: [new Int16Array(1600).fill(1234)] });
    const again = loadWav(path);
    expect(again).not.toBe(first);
    expect(new WavFileSource({ path, sampleRate: 8000 }).getFrame()[0]).toBe(1234);
    // A source made before the rewrite plays what it opened.
    expect(a.getFrame()[0]).not.toBe(1234);
  });

  it('rejects what is not PCM16 WAV', () => {
    expect(() => WavFormat.parse(new TextEncoder().encode('RIFF....WAVEjunk'))).toThrow(WavFormatError);
    const h = WavFormat.header({ sampleRate: 8000, channels: 1, dataBytes: 0 });
    new DataView(h.buffer).setUint16(34, 8, true);
    expect(() => WavFormat.parse(h)).toThrow(/16-bit/);
  });
});

describe('Mixer', () => {
  it('gives each participant the sum of the others, not itself', () => {
    let now = 0;
    const mixer = new Mixer({ sampleRate: 8000, now: () => now });
    const [a, b, c] = [mixer.join('a'), mixer.join('b'), mixer.join('c')];
    a.putFrame(new Int16Array(160).fill(100));
    b.putFrame(new Int16Array(160).fill(20));
    c.putFrame(new Int16Array(160).fill(3));
    expect(a.getFrame()[0]).toBe(23);
    expect(b.getFrame()[0]).toBe(103);
    expect(c.getFrame()[0]).toBe(120);
    // A participant that stops talking drops out after maxAgeMs.
    now = 100;
    b.putFrame(new Int16Array(160).fill(20));
    expect(c.getFrame()[0]).toBe(20);
    c.close();
    expect(mixer.size).toBe(2);
    expect(a.getFrame()[0]).toBe(20);
  });

  it('saturates to 16 bits', () => {
    const mixer = new Mixer({ sampleRate: 8000, now: () => 0 });
    const [a, b, c] = [mixer.join(), mixer.join(), mixer.join()];
    a.putFrame(new Int16Array(160).fill(30000));
    b.putFrame(new Int16Array(160).fill(30000));
    expect(c.getFrame()[0]).toBe(32767);
    a.putFrame(new Int16Array(160).fill(-30000));
    b.putFrame(new Int16Array(160).fill(-30000));
    expect(c.getFrame()[5]).toBe(-32768);
  });
});

describe('DeviceBridge', () => {
  it('cuts capture blocks of any size into 20 ms frames and posts playback frames', async () => {
    const { port1, port2 } = new MessageChannel();
    const bridge = new DeviceBridge({ port: port1, sampleRate: 48000 });
    const received: Int16Array[] = [];
    port2.on('message', (m: Int16Array) => received.push(m));
    // The worklet side posts 128-sample render quanta: 20 of them = 2560 samples.
    let v = 0;
    for (let i = 0; i < 20; i++) port2.postMessage(Int16Array.from({ length: 128 }, () => v++));
    await until(() => bridge.buffered === 2560);
    const f1 = bridge.getFrame();
    const f2 = bridge.getFrame();
    expect(f1.length).toBe(960);
    expect(f1[0]).toBe(0);
    expect(f2[0]).toBe(960);
    // Underrun: 640 samples left, the rest of the frame is silence.
    const f3 = bridge.getFrame();
    expect(f3[639]).toBe(2559);
    expect(f3[640]).toBe(0);
    expect(bridge.stats.underruns).toBe(1);

    bridge.putFrame(new Int16Array(960).fill(7));
    await until(() => received.length === 1);
    expect(received[0].length).toBe(960);
    expect(received[0][959]).toBe(7);
    bridge.close();
    port2.close();
  });

  it('bounds the capture backlog by dropping the oldest samples', async () => {
    const { port1, port2 } = new MessageChannel();
    const bridge = new DeviceBridge({ port: port1, sampleRate: 8000, maxBufferMs: 40 });
    port2.postMessage(Int16Array.from({ length: 1000 }, (_, i) => i));
    await until(() => bridge.stats.droppedSamples > 0);
    expect(bridge.buffered).toBe(320);
    expect(bridge.getFrame()[0]).toBe(680);
    expect(bridge.stats.droppedSamples).toBe(680);
    bridge.close();
    port2.close();
  });

  it('drops a backlog the capture never dipped into over a second, keeping the slack; an underrun drops nothing', async () => {
    const { port1, port2 } = new MessageChannel();
    // 8 kHz: 160 samples a frame, slack 5 ms = 40 samples.
    const bridge = new DeviceBridge({ port: port1, sampleRate: 8000 });
    // A start-up burst: 30 ms ahead (240 samples), then real time, 160 per frame.
    let next = 0;
    const post = (n: number) => port2.postMessage(Int16Array.from({ length: n }, () => next++));
    post(240);
    let taken = 0;
    for (let k = 0; k < 50; k++) {
      post(160);
      await until(() => bridge.buffered === 240 + 160);
      const f = bridge.getFrame();
      taken = f[159];
    }
    // Lowest level after each frame was 240: 200 of it was never needed.
    expect(bridge.stats.droppedSamples).toBe(200);
    expect(bridge.buffered).toBe(40);
    expect(taken).toBe(49 * 160 + 159);
    // The next frame starts right after what was dropped.
    post(160);
    await until(() => bridge.buffered === 200);
    expect(bridge.getFrame()[0]).toBe(taken + 1 + 200);

    // A second window with an underrun in it (one block late): nothing more is dropped.
    const dropped = bridge.stats.droppedSamples;
    for (let k = 0; k < 49; k++) {
      if (k !== 10) {
        post(160);
        await until(() => bridge.buffered >= 160);
      }
      bridge.getFrame();
    }
    expect(bridge.stats.underruns).toBe(1);
    expect(bridge.stats.droppedSamples).toBe(dropped);
    bridge.close();
    port2.close();
  });
});

describe('ComfortNoise (RFC 3389 §3.1)', () => {
  it('makes noise at the announced level in −dBov, and silence at 127', async () => {
    const { ComfortNoise } = await import('../../../main/media/comfort-noise.ts');
    const cn = new ComfortNoise();
    for (const level of [30, 50, 70]) {
      const noise = cn.frame(level, 8000);
      // rmsDb reads a full-scale sine as 0 dB, i.e. 3 dB above an RMS of full scale.
      expect(rmsDb(noise) - 20 * Math.log10(Math.SQRT2)).toBeCloseTo(-level, 0);
      expect(peakFrequency(noise, 8000) === 1000 && goertzelPower(noise, 8000, 1000) > 0.01).toBe(false);
    }
    expect(cn.frame(127, 160).every((s) => s === 0)).toBe(true);
  });
});
