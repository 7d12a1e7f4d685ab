/**
 * Debian's ffmpeg as an independent RTP/SRTP peer, on loopback:
 *   - ffmpeg sends PCMU (plain, then SRTP AES_CM_128_HMAC_SHA1_80) to our MediaStream, which
 *     records; the tone is checked;
 *   - our MediaStream sends PCMU (plain, then SRTP) to ffmpeg receiving through an SDP file
 *     (with an a=crypto line for SRTP, RFC 4568) and writing a WAV; the tone is checked.
 * ffmpeg is started by the test, waited for (bounded), and killed at the end in any case.
 * Ports: an even/odd pair is found free by binding it first, then released for ffmpeg.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MediaStream } from '../../main/media/media-stream.ts';
import { SilenceSource } from '../../main/media/ports/silence-source.ts';
import { ToneSource } from '../../main/media/ports/tone-source.ts';
import { WavRecorder } from '../../main/media/ports/wav-recorder.ts';
import { peakFrequency, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-media-ffmpeg-'));
const children = new Set<ChildProcess>();
const streams = new Set<MediaStream>();

afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const s of streams) await s.stop();
  streams.clear();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An even port whose odd neighbour is free too (RTP + RTCP), found by binding both. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000);
    const socks = [createSocket('udp4'), createSocket('udp4')];
    try {
      await Promise.all(socks.map((s, i) => new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port + i, '127.0.0.1', () => resolve());
      })));
      return port;
    } catch {
      // taken: try another
    } finally {
      await Promise.all(socks.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })));
    }
  }
  throw new Error('no free port pair');
}

/** Runs ffmpeg, resolving with its exit code and stderr; killed after `timeoutMs`. */
function ffmpeg(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stderr });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function lastSecond(samples: Int16Array, rate: number): Int16Array {
  return samples.subarray(Math.max(0, samples.length - rate - rate / 5), samples.length - rate / 5);
}

describe('ffmpeg → Appel', () => {
  for (const srtp of [false, true]) {
    it(`receives PCMU ${srtp ? 'over SRTP' : 'over RTP'} from ffmpeg and records the tone`, async () => {
      const key = new Uint8Array(randomBytes(30));
      const path = join(dir, `from-ffmpeg-${srtp}.wav`);
      const recorder = new WavRecorder({ path, sampleRate: 8000 });
      const port = await freePortPair();
      const stream = new MediaStream({
        localAddress: '127.0.0.1',
        localPort: port,
        remote: { address: '127.0.0.1', rtpPort: 9 },
        rtcpMux: false,
        codec: { name: 'pcmu', payloadType: 0 },
        source: new SilenceSource({ sampleRate: 8000 }),
        sink: recorder,
        ...(srtp ? { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80' as const, localKey: new Uint8Array(randomBytes(30)), remoteKey: key } } : {}),
      });
      streams.add(stream);
      await stream.start();
      // 3 s of a 1 kHz sine (lavfi's default amplitude 1/8 = −18 dBFS), 20 ms per packet.
      const out = srtp
        ? ['-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80', '-srtp_out_params', Buffer.from(key).toString('base64'), `srtp://127.0.0.1:${port}`]
        : [`rtp://127.0.0.1:${port}`];
      const { code, stderr } = await ffmpeg(['-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000:duration=3:samples_per_frame=160', '-ac', '1', '-c:a', 'pcm_mulaw', '-packetsize', '172', '-f', 'rtp', ...out], 20_000);
      expect(code, stderr).toBe(0);
      await sleep(300); // let the jitter buffer play out
      const stats = stream.stats();
      await stream.stop();
      streams.delete(stream);
      recorder.close();
      const wav = readWav(path);
      // Skip the 300 ms recorded after ffmpeg stopped (concealment, then silence).
      const tail = lastSecond(wav.channels[0].subarray(0, wav.channels[0].length - 2400), 8000);
      expect(stats.packetsReceived).toBeGreaterThan(130);
      expect(stats.dropped.srtp).toBe(0);
      expect(peakFrequency(tail, 8000)).toBe(1000);
      expect(Math.abs(rmsDb(tail) - -18.06)).toBeLessThan(3);
    });
  }
});

describe('Appel → ffmpeg', () => {
  for (const srtp of [false, true]) {
    it(`sends PCMU ${srtp ? 'over SRTP' : 'over RTP'} to ffmpeg, which writes the tone to a WAV`, async () => {
      const key = new Uint8Array(randomBytes(30));
      const port = await freePortPair();
      const sdp = join(dir, `to-ffmpeg-${srtp}.sdp`);
      const wavPath = join(dir, `to-ffmpeg-${srtp}.wav`);
      writeFileSync(
        sdp,
        [
          'v=0',
          'o=- 1 1 IN IP4 127.0.0.1',
          's=appel',
          'c=IN IP4 127.0.0.1',
          't=0 0',
          `m=audio ${port} ${srtp ? 'RTP/SAVP' : 'RTP/AVP'} 0`,
          'a=rtpmap:0 PCMU/8000',
          ...(srtp ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.from(key).toString('base64')}`] : []),
          'a=recvonly',
          '',
        ].join('\r\n'),
      );
      const done = ffmpeg(['-protocol_whitelist', 'file,udp,rtp,srtp,crypto', '-i', sdp, '-t', '2.5', '-ac', '1', '-ar', '8000', '-c:a', 'pcm_s16le', '-y', wavPath], 20_000);
      await sleep(700); // ffmpeg opens its sockets
      const stream = new MediaStream({
        localAddress: '127.0.0.1',
        remote: { address: '127.0.0.1', rtpPort: port, rtcpPort: port + 1 },
        portRange: { min: 30000, max: 39998 },
        rtcpMux: false,
        codec: { name: 'pcmu', payloadType: 0 },
        source: new ToneSource({ sampleRate: 8000, frequencies: [700], levelDb: -12 }),
        sink: new SilenceSource({ sampleRate: 8000 }),
        ...(srtp ? { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80' as const, localKey: key, remoteKey: new Uint8Array(randomBytes(30)) } } : {}),
      });
      streams.add(stream);
      await stream.start();
      const { code, stderr } = await done;
      await stream.stop();
      streams.delete(stream);
      expect(code, stderr).toBe(0);
      const wav = readWav(wavPath);
      expect(wav.sampleRate).toBe(8000);
      const tail = lastSecond(wav.channels[0], 8000);
      expect(peakFrequency(tail, 8000)).toBe(700);
      expect(Math.abs(rmsDb(tail) - -12)).toBeLessThan(3);
    });
  }
});
