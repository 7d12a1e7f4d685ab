/**
 * Two VideoStreams on loopback, each codec: frames sent are decoded at the far end (PSNR against
 * the source), and through a relay that drops packets the receiver asks (NACK, PLI), the sender
 * retransmits and sends key frames, and the picture keeps coming. Waits are bounded by counts
 * reached, never by time measured.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { i420Size } from '../../../native/video.ts';
import { VideoStream } from '../../../main/media/video/video-stream.ts';

const W = 320;
const H = 240;
const started: VideoStream[] = [];
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  for (const s of sockets.splice(0)) s.close();
});

function pattern(n: number): Uint8Array {
  const f = new Uint8Array(i420Size(W, H));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f[y * W + x] = 16 + ((x * 2 + y + n * 3) % 200);
  f.fill(128, W * H);
  return f;
}

function psnrY(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < W * H; i++) sum += (a[i] - b[i]) ** 2;
  return sum === 0 ? 99 : 10 * Math.log10((255 * 255 * W * H) / sum);
}

const until = async (test: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A UDP relay from `port` to `to` that drops every packet `drop` says to (RTP only; RTCP on its own socket passes). */
async function relay(to: () => number, drop: (n: number) => boolean): Promise<number> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  let n = 0;
  s.on('message', (m) => {
    if (drop(n++)) return;
    s.send(m, to(), '127.0.0.1');
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s.address().port;
}

describe.each([
  ['vp8', { name: 'vp8' as const, payloadType: 96 }],
  ['h264', { name: 'h264' as const, payloadType: 97, packetizationMode: 1 as const }],
])('%s VideoStream on loopback', (_name, codec) => {
  it('frames sent are decoded at the far end, each at 30 dB PSNR or better', async () => {
    const got: Array<{ frame: Uint8Array; ts: number }> = [];
    const b = await VideoStream.start({ localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: 9 }, rtcpMux: true, codec, onFrame: (f, info) => got.push({ frame: f.data, ts: info.timestamp }) });
    started.push(b);
    const a = await VideoStream.start({ localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: b.localPort }, rtcpMux: true, codec, send: { width: W, height: H, fps: 30, bitrateKbps: 800 } });
    started.push(a);
    for (let n = 0; n < 30; n++) {
      a.pushFrame(pattern(n), (n * 1000) / 30);
      await until(() => got.length === n + 1, `frame ${n}`);
    }
    got.forEach((g, n) => expect(psnrY(pattern(n), g.frame)).toBeGreaterThanOrEqual(30));
    // 90 kHz timestamps from the capture times: 3000 per frame at 30 fps (±1 for rounding).
    expect(Math.abs(((got[10].ts - got[0].ts) >>> 0) - 30_000)).toBeLessThanOrEqual(1);
    expect(b.stats).toMatchObject({ framesDecoded: 30, keyFramesReceived: 1, width: W, height: H });
  });

  it('through a relay that drops packets: NACK, retransmission, key frames on request, and the picture keeps coming', async () => {
    let bPort = 0;
    const decoded: number[] = [];
    // Drop packets 40-43 and then one in 20: a lost key frame's worth and steady loss.
    const relayPort = await relay(() => bPort, (n) => (n >= 40 && n < 44) || n % 20 === 7);
    const a = await VideoStream.start({ localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: relayPort }, rtcpMux: true, codec, send: { width: W, height: H, fps: 30, bitrateKbps: 1500 } });
    started.push(a);
    // B's feedback goes straight back to A (rtcp-mux: A's RTP port).
    const b = await VideoStream.start({ localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: a.localPort }, rtcpMux: true, codec, onFrame: (_f, info) => decoded.push(info.timestamp) });
    started.push(b);
    bPort = b.localPort;
    // Frames go on until 60 are decoded (at most 300): on a busy machine a retransmission can come
    // too late, and then only the key frame asked for, with a later frame, starts the picture again.
    for (let n = 0; decoded.length < 60; n++) {
      if (n >= 300) throw new Error(`the picture stopped: ${decoded.length} of ${n} frames decoded`);
      a.pushFrame(pattern(n), n * 33.3);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(b.stats.nacksSent).toBeGreaterThan(0);
    expect(a.stats.nacksReceived).toBeGreaterThan(0);
    expect(a.stats.retransmitted).toBeGreaterThan(0);
    expect(b.stats.framesDecoded).toBeGreaterThanOrEqual(60);
  });
});


describe('VideoStream send rate', () => {
  it("backs off when the receiver's reports say packets are lost, within the cap the other side set", async () => {
    let bPort = 0;
    const relayPort = await relay(() => bPort, (n) => n % 4 === 1); // a quarter of the packets lost
    const codec = { name: 'vp8' as const, payloadType: 96 };
    const a = await VideoStream.start({ localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: relayPort }, rtcpMux: true, codec, send: { width: W, height: H, fps: 30, bitrateKbps: 1500 }, remoteMaxBitrateKbps: 1200 });
    started.push(a);
    const b = await VideoStream.start({ localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: a.localPort }, rtcpMux: true, codec });
    started.push(b);
    bPort = b.localPort;
    // The other side's b=AS caps what we start at.
    expect(a.stats.sendBitrateKbps).toBe(1200);
    for (let n = 0; a.stats.remoteFractionLost === undefined || (a.stats.sendBitrateKbps ?? 0) >= 1200; n++) {
      if (n > 30 * 8) throw new Error('no loss report within 8 s of frames');
      a.pushFrame(pattern(n), (n * 1000) / 30);
      await new Promise((r) => setTimeout(r, 1000 / 30));
    }
    expect(a.stats.remoteFractionLost).toBeGreaterThan(0.15);
    expect(a.stats.sendBitrateKbps).toBeLessThan(1200);
    expect(a.stats.sendBitrateKbps).toBeGreaterThanOrEqual(100);
  }, 20_000);
});
