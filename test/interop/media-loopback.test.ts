/**
 * Two media engines, each in its own worker thread (worker-host.ts), talk RTP over loopback
 * with the real native codecs, resampler and libsrtp: every codec, with and without SRTP.
 * A tone goes through one engine and is recorded by the other (frequency by Goertzel, level
 * within ±3 dB); espeak-ng speech (made with sox) is checked by normalized cross-correlation.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToneSource } from '../../main/media/ports/tone-source.ts';
import { MediaEngineClient, type MediaStreamStats } from '../../main/media/media-engine-client.ts';
import type { SourceSpec } from '../../main/media/media-protocol.ts';
import type { CodecName } from '../../native/index.ts';
import { crossCorrelation, goertzelPower, peakFrequency, readWav, rmsDb } from '../helpers/audio-analysis.ts';

interface CodecCase {
  name: CodecName;
  payloadType: number;
  rate: number;
  /** Test tone: in the narrow band for every codec, above 4 kHz for the wideband ones. */
  tone: number;
  /**
   * Speech: least normalized cross-correlation with the original. Measured here: G.711 0.999,
   * G.722 0.998, GSM 0.95, G.729 0.84, Opus 0.89; the thresholds leave room for a late packet
   * or two on a busy machine (each costs a 20 ms concealment).
   */
  minCorrelation: number;
}

const CODECS: CodecCase[] = [
  { name: 'pcmu', payloadType: 0, rate: 8000, tone: 600, minCorrelation: 0.9 },
  { name: 'pcma', payloadType: 8, rate: 8000, tone: 800, minCorrelation: 0.9 },
  { name: 'g722', payloadType: 9, rate: 16000, tone: 5000, minCorrelation: 0.85 },
  { name: 'gsm', payloadType: 3, rate: 8000, tone: 1000, minCorrelation: 0.75 },
  { name: 'g729', payloadType: 18, rate: 8000, tone: 1200, minCorrelation: 0.6 },
  { name: 'opus', payloadType: 111, rate: 48000, tone: 6000, minCorrelation: 0.7 },
];

const LEVEL_DB = -20;
const dir = mkdtempSync(join(tmpdir(), 'appel-media-loopback-'));
let alice: MediaEngineClient;
let bob: MediaEngineClient;
const speech = new Map<number, string>();

beforeAll(() => {
  alice = new MediaEngineClient();
  bob = new MediaEngineClient();
  const raw = join(dir, 'speech-raw.wav');
  execFileSync('espeak-ng', ['-w', raw, 'The quick brown fox jumps over the lazy dog. Appel is a softphone that speaks many codecs.'], { timeout: 20_000 });
  for (const rate of [8000, 16000, 48000]) {
    const path = join(dir, `speech-${rate}.wav`);
    execFileSync('sox', ['-R', raw, '-r', String(rate), '-c', '1', '-b', '16', path], { timeout: 20_000 });
    speech.set(rate, path);
  }
});

afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One call: alice plays `source`, bob records what he hears; returns bob's recording and stats. */
async function call(c: CodecCase, source: SourceSpec, options: { srtp: boolean; seconds: number; tag: string }): Promise<{ samples: Int16Array; rate: number; stats: MediaStreamStats }> {
  const keyA = new Uint8Array(randomBytes(30));
  const keyB = new Uint8Array(randomBytes(30));
  const path = join(dir, `${c.name}-${options.tag}-${options.srtp ? 'srtp' : 'rtp'}.wav`);
  const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
  const common = { localAddress: '127.0.0.1', rtcpMux: true, codec: { name: c.name, payloadType: c.payloadType }, telephoneEventPt: 101 };
  const b = await bob.createStream({
    ...common,
    remote: { address: '127.0.0.1', rtpPort: 9 },
    source: { kind: 'silence' },
    sink: { kind: 'wav', path },
    ...(options.srtp ? { srtp: { suite, localKey: keyB, remoteKey: keyA } } : {}),
  });
  const a = await alice.createStream({
    ...common,
    remote: { address: '127.0.0.1', rtpPort: b.localPort },
    source,
    sink: { kind: 'silence' },
    ...(options.srtp ? { srtp: { suite, localKey: keyA, remoteKey: keyB } } : {}),
  });
  await bob.updateRemote(b.streamId, { address: '127.0.0.1', rtpPort: a.localPort });
  await sleep(options.seconds * 1000);
  const stats = await bob.getStats(b.streamId);
  await alice.stopStream(a.streamId);
  await bob.stopStream(b.streamId);
  const wav = readWav(path);
  expect(wav.sampleRate).toBe(c.rate);
  return { samples: wav.channels[0], rate: wav.sampleRate, stats };
}

describe('two media engines over loopback', () => {
  for (const srtp of [false, true]) {
    it(`carries a tone over every codec ${srtp ? 'with SRTP (AES_CM_128_HMAC_SHA1_80)' : 'in plain RTP'}`, async () => {
      const results = await Promise.all(CODECS.map((c) => call(c, { kind: 'tone', frequencies: [c.tone], levelDb: LEVEL_DB }, { srtp, seconds: 2.5, tag: 'tone' })));
      results.forEach(({ samples, rate, stats }, i) => {
        const c = CODECS[i];
        const steady = samples.subarray(samples.length - rate, samples.length - rate / 10); // the last second, minus the end
        const label = `${c.name}${srtp ? '+srtp' : ''}`;
        expect(peakFrequency(steady, rate, 100, Math.min(7000, rate / 2 - 100), 20), label).toBe(c.tone);
        expect(Math.abs(rmsDb(steady) - LEVEL_DB), `${label} level ${rmsDb(steady).toFixed(2)} dBFS`).toBeLessThanOrEqual(3);
        expect(goertzelPower(steady, rate, c.tone), label).toBeGreaterThan(0.3 * 10 ** (LEVEL_DB / 10));
        expect(stats.packetsReceived, label).toBeGreaterThan(100);
        expect(stats.dropped.srtp, label).toBe(0);
        // Nothing is lost on loopback (A.3); a busy machine may still make a few packets late.
        expect(stats.packetsLost, label).toBe(0);
        expect(stats.latePackets, label).toBeLessThan(stats.packetsReceived * 0.1);
      });
    });
  }

  it('carries speech recognizably over every codec (normalized cross-correlation, per-codec threshold)', async () => {
    const results = await Promise.all(CODECS.map((c) => call(c, { kind: 'wav', path: speech.get(c.rate)! }, { srtp: true, seconds: 6, tag: 'speech' })));
    const measured = results.map(({ samples, rate, stats }, i) => {
      const original = readWav(speech.get(rate)!).channels[0];
      // Compare at 8 kHz (every 1st/2nd/6th sample) to keep the lag search cheap.
      const step = rate / 8000;
      const dec = (x: Int16Array): Int16Array => Int16Array.from({ length: Math.floor(x.length / step) }, (_, k) => x[k * step]);
      const x = dec(original);
      const y = dec(samples);
      // The whole utterance at one lag (0..1 s) …
      const whole = crossCorrelation(x, y, 8000, { step: 4 });
      // … and per 500 ms window of speech, each at its own lag (±100 ms around the global one):
      // an adaptive jitter buffer may move the delay by a frame mid-call, which one global lag
      // would count as distortion. The median window is the figure checked.
      const windows: number[] = [];
      for (let at = 0; at + 4000 <= x.length; at += 4000) {
        const seg = x.subarray(at, at + 4000);
        if (rmsDb(seg) < -45) continue;
        const from = Math.max(0, at + whole.lag - 800);
        windows.push(crossCorrelation(seg, y.subarray(from, from + 4000 + 1600), 1600, { step: 2 }).value);
      }
      windows.sort((a, b) => a - b);
      return { codec: CODECS[i], lag: whole.lag, whole: whole.value, value: windows[Math.floor(windows.length / 2)] ?? 0, stats };
    });
    console.log(`speech correlation (median 500 ms window / whole): ${measured.map((m) => `${m.codec.name} ${m.value.toFixed(3)}/${m.whole.toFixed(3)} lag=${((m.lag / 8000) * 1000).toFixed(0)} ms late=${m.stats.latePackets}`).join(', ')}`);
    for (const m of measured) expect(m.value, `${m.codec.name} correlation`).toBeGreaterThanOrEqual(m.codec.minCorrelation);
  });

  it('delivers RFC 4733 digits from one engine to the other', async () => {
    const c = CODECS[0];
    const digits: string[] = [];
    const onDtmf = (e: { dtmf: { digit: string } }): void => {
      digits.push(e.dtmf.digit);
    };
    bob.on('dtmf', onDtmf);
    const common = { localAddress: '127.0.0.1', rtcpMux: false, codec: { name: c.name, payloadType: c.payloadType }, telephoneEventPt: 101 };
    const b = await bob.createStream({ ...common, remote: { address: '127.0.0.1', rtpPort: 9 }, source: { kind: 'silence' }, sink: { kind: 'silence' } });
    const a = await alice.createStream({ ...common, remote: { address: '127.0.0.1', rtpPort: b.localPort }, source: { kind: 'tone', frequencies: [440] }, sink: { kind: 'silence' } });
    await sleep(200);
    await alice.sendDtmf(a.streamId, '159#*0');
    await sleep(1800);
    await alice.stopStream(a.streamId);
    await bob.stopStream(b.streamId);
    bob.off('dtmf', onDtmf);
    expect(digits.join('')).toBe('159#*0');
    await expect(alice.sendDtmf(a.streamId, '1')).rejects.toThrow(/no stream/);
  });

  it('bridges an audio device over a MessagePort transferred to the worker (capture in, playback out)', async () => {
    const { port1, port2 } = new MessageChannel();
    const played: Int16Array[] = [];
    port2.on('message', (m: Int16Array) => played.push(m));
    const path = join(dir, 'device-capture.wav');
    const common = { localAddress: '127.0.0.1', rtcpMux: true, codec: { name: 'opus' as const, payloadType: 111 } };
    const b = await bob.createStream({ ...common, remote: { address: '127.0.0.1', rtpPort: 9 }, source: { kind: 'tone', frequencies: [900], levelDb: -20 }, sink: { kind: 'wav', path } });
    const a = await alice.createStream({
      ...common,
      remote: { address: '127.0.0.1', rtpPort: b.localPort },
      source: { kind: 'device' },
      sink: { kind: 'device' },
      device: { port: port1, sampleRate: 48000 },
    });
    await bob.updateRemote(b.streamId, { address: '127.0.0.1', rtpPort: a.localPort });
    // The "capture worklet": 20 ms blocks of a 1300 Hz tone at 48 kHz, on a timer.
    const mic = new ToneSource({ sampleRate: 48000, frequencies: [1300], levelDb: -20 });
    const timer = setInterval(() => port2.postMessage(mic.getFrame()), 20);
    await sleep(2500);
    clearInterval(timer);
    await alice.stopStream(a.streamId);
    await bob.stopStream(b.streamId);
    port2.close();
    const heard = readWav(path).channels[0];
    expect(peakFrequency(heard.subarray(heard.length - 48000, heard.length - 4800), 48000, 200, 3000, 20)).toBe(1300);
    expect(played.length).toBeGreaterThan(100);
    expect(played.every((f) => f.length === 960)).toBe(true);
    const speaker = new Int16Array(960 * 50);
    played.slice(-60, -10).forEach((f, i) => speaker.set(f, i * 960));
    expect(peakFrequency(speaker, 48000, 200, 3000, 20)).toBe(900);
  });
});
