import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaStream, type MediaStreamOptions, type MediaStreamStats } from '../../../main/media/media-stream.ts';
import type { AudioPort } from '../../../main/media/ports/audio-port.ts';
import { ToneSource } from '../../../main/media/ports/tone-source.ts';
import { SilenceSource } from '../../../main/media/ports/silence-source.ts';
import { WavRecorder } from '../../../main/media/ports/wav-recorder.ts';
import { RtpPacket } from '../../../main/media/rtp-packet.ts';
import { TelephoneEvent } from '../../../main/media/telephone-event.ts';
import type { DtmfEvent } from '../../../main/media/dtmf-receiver.ts';
import { FakeScheduler, fakeNative, SOCKET_KINDS, type SocketKind } from './helpers/fake-native.ts';
import { peakFrequency, readWav, rmsDb } from '../../helpers/audio-analysis.ts';

/** A sink that keeps every frame. */
class CollectingSink implements AudioPort {
  readonly frames: Int16Array[] = [];
  readonly sampleRate: number;
  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
  }
  getFrame(): Int16Array {
    return new Int16Array(this.sampleRate / 50);
  }
  putFrame(frame: Int16Array): void {
    this.frames.push(frame.slice());
  }
  close(): void {}
  /** The last `ms` of audio as one array. */
  tail(ms: number): Int16Array {
    const n = Math.round(ms / 20);
    const parts = this.frames.slice(-n);
    const out = new Int16Array(parts.reduce((k, f) => k + f.length, 0));
    let at = 0;
    for (const f of parts) {
      out.set(f, at);
      at += f.length;
    }
    return out;
  }
}

/** Lets loopback datagrams be delivered (I/O, not time: the media clock is fake). */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
}

const cleanup: (() => Promise<void> | void)[] = [];
/** The sockets of the describe block running: every test runs on both kinds. */
let socketKind: SocketKind = 'dgram';
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function pair(options: { a?: Partial<MediaStreamOptions>; b?: Partial<MediaStreamOptions>; aSink?: AudioPort; bSink?: CollectingSink } = {}) {
  const sched = new FakeScheduler();
  const native = fakeNative(socketKind, sched);
  const wall = (): number => 1_700_000_000_000 + sched.now();
  const base = (): MediaStreamOptions => ({
    localAddress: '127.0.0.1',
    portRange: { min: 40000, max: 49998 },
    remote: { address: '127.0.0.1', rtpPort: 9 },
    rtcpMux: true,
    codec: { name: 'pcmu', payloadType: 0 },
    telephoneEventPt: 101,
    source: new SilenceSource({ sampleRate: 8000 }),
    sink: new SilenceSource({ sampleRate: 8000 }),
    native,
    scheduler: sched,
    wallClock: wall,
    // With the fake pacer, a stream of generated signals sends 100 ms ahead (B's sink is live).
    ...(socketKind === 'paced' ? { lookaheadFrames: 5 } : {}),
  });
  const bSink = options.bSink ?? new CollectingSink(8000);
  const a = new MediaStream({ ...base(), source: new ToneSource({ sampleRate: 8000, frequencies: [1000], levelDb: -10 }), ...(options.aSink ? { sink: options.aSink } : {}), ...options.a });
  const b = new MediaStream({ ...base(), sink: bSink, ...options.b });
  await a.start();
  await b.start();
  cleanup.push(() => a.stop(), () => b.stop());
  const mux = (s: MediaStream, o?: Partial<MediaStreamOptions>) => ({ address: '127.0.0.1', rtpPort: s.localPort, rtcpPort: s.localRtcpPort, ...(o?.remote ?? {}) });
  if (!options.a?.remote) a.updateRemote(mux(b));
  if (!options.b?.remote) b.updateRemote(mux(a));
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 20) {
      sched.advance(20);
      await settle();
    }
  };
  return { a, b, sched, native, bSink, run };
}

describe.each([...SOCKET_KINDS, 'paced' as const])('MediaStream over loopback (fake codec and clock, %s sockets)', (kind) => {
  beforeAll(() => {
    socketKind = kind;
  });

  it('carries a tone from one stream to the other, with rtcp-mux', async () => {
    const { a, b, bSink, run } = await pair();
    const stats: MediaStreamStats[] = [];
    b.on('stats', (s) => stats.push(s));
    await run(1000);
    const heard = bSink.tail(500);
    expect(peakFrequency(heard, 8000)).toBe(1000);
    expect(Math.abs(rmsDb(heard) - -10)).toBeLessThan(1);
    // Frame 0 left at start (to the placeholder address), then one per 20 ms.
    expect(a.stats().packetsSent).toBe(51);
    expect(b.stats().packetsReceived).toBe(50);
    expect(stats.length).toBeGreaterThanOrEqual(1);
    expect(stats.at(-1)!.lossPercent).toBe(0);
    expect(stats.at(-1)!.mos).toBeGreaterThan(4.3);
    expect(b.stats().remoteSsrc).toBe(a.ssrc);
  });

  it('sends RTCP on a separate port without mux, and measures RTT from SR/RR (§6.4.1)', async () => {
    const { a, b, run } = await pair({ a: { rtcpMux: false, rtcpIntervalMs: 1000 }, b: { rtcpMux: false, rtcpIntervalMs: 1000 } });
    expect(a.localRtcpPort).toBe(a.localPort + 1);
    await run(4000);
    // Delivery takes no fake time, so the RTT is ~0 but known (it needs SR → RR round trips). A
    // polled RTCP socket is read every fifth tick: on this fake clock (datagrams' ages are real
    // time) each side reads a report up to 100 ms late, which only real time's ages correct: the
    // value is checked on real time below.
    const s = a.stats();
    expect(s.rttMs).toBeDefined();
    if (socketKind === 'dgram') expect(s.rttMs!).toBeLessThan(1);
    expect(s.remote).toBeDefined();
    expect(s.remote!.lossPercent).toBe(0);
    expect(b.stats().rttMs).toBeDefined();
  });

  it('paces by the media clock: a late wake-up sends every frame due, timestamps one frame apart', async () => {
    const sched = new FakeScheduler();
    const sniff: Socket = createSocket('udp4');
    await new Promise<void>((r) => sniff.bind(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => sniff.close(() => r())));
    const packets: RtpPacket[] = [];
    sniff.on('message', (m) => {
      if (m[1] < 192 || m[1] > 223) packets.push(RtpPacket.decode(m));
    });
    const s = new MediaStream({
      localAddress: '127.0.0.1',
      portRange: { min: 40000, max: 49998 },
      remote: { address: '127.0.0.1', rtpPort: sniff.address().port },
      rtcpMux: true,
      codec: { name: 'pcmu', payloadType: 0 },
      source: new ToneSource({ sampleRate: 8000, frequencies: [440] }),
      sink: new SilenceSource({ sampleRate: 8000 }),
      native: fakeNative(socketKind, sched),
      scheduler: sched,
      ...(socketKind === 'paced' ? { lookaheadFrames: 5 } : {}),
    });
    await s.start();
    cleanup.push(() => s.stop());
    sched.advance(20 * 4);
    sched.jump(150); // the event loop was blocked for 150 ms
    sched.advance(0);
    await settle();
    sched.advance(20 * 5);
    await settle();
    expect(packets.length).toBeGreaterThanOrEqual(16);
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i].sequenceNumber).toBe((packets[i - 1].sequenceNumber + 1) & 0xffff);
      expect(packets[i].timestamp).toBe((packets[i - 1].timestamp + 160) >>> 0);
    }
    expect(packets[0].marker).toBe(true);
    expect(packets.slice(1).some((p) => p.marker)).toBe(false);
  });

  it('sends RFC 4733 digits that the other side reports once each, with audio held back meanwhile', async () => {
    const { a, b, run } = await pair();
    const digits: DtmfEvent[] = [];
    b.on('dtmf', (e) => digits.push(e));
    await run(200);
    a.sendDtmf('1#9');
    await run(1500);
    expect(digits.map((d) => d.digit).join('')).toBe('1#9');
    expect(digits.every((d) => d.durationMs === 100)).toBe(true);
    expect(() => a.sendDtmf('x')).toThrow(/DTMF digit/);
  });

  it('latches to where media really comes from (symmetric RTP)', async () => {
    // B is told A is at a dead port; A's packets arrive from A's real port.
    const aSink = new CollectingSink(8000);
    const { a, b, run } = await pair({ b: { remote: { address: '127.0.0.1', rtpPort: 9 } }, aSink });
    const latched: { address: string; port: number }[] = [];
    b.on('latched', (l) => latched.push(l));
    b.setPorts({ source: new ToneSource({ sampleRate: 8000, frequencies: [600], levelDb: -10 }) });
    await run(600);
    expect(latched).toEqual([{ address: '127.0.0.1', port: a.localPort, rtcp: false }]);
    expect(b.stats().rtpTarget).toEqual({ address: '127.0.0.1', port: a.localPort });
    expect(peakFrequency(aSink.tail(200), 8000)).toBe(600);
  });

  it('ignores another source once latched, even after the latched one fell silent: only its own SSRC may move (after 2 s)', async () => {
    const { a, b, run } = await pair();
    await run(200);
    const intruder = createSocket('udp4');
    await new Promise<void>((r) => intruder.bind(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => intruder.close(() => r())));
    const forge = (seq: number) => RtpPacket.encode({ payloadType: 0, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xbad, csrcs: [], payload: new Uint8Array(160).fill(0xff) });
    let seq = 1;
    const attack = async (ms: number) => {
      for (let t = 0; t < ms; t += 20) {
        intruder.send(forge(seq++), b.localPort, '127.0.0.1');
        await run(20);
      }
    };
    await attack(400);
    expect(b.stats().dropped.foreignSource).toBeGreaterThanOrEqual(15);
    expect(b.stats().remoteSsrc).toBe(a.ssrc);
    // A stops sending (hold): however long the silence, a stranger's SSRC never takes over.
    a.setDirection('recvonly');
    const changes: number[] = [];
    b.on('ssrc-changed', (e) => changes.push(e.ssrc));
    await attack(2600);
    expect(changes).toEqual([]);
    expect(b.stats().rtpTarget.port).toBe(a.localPort);
    expect(b.stats().remoteSsrc).toBe(a.ssrc);
    // A's own stream from a new port (its NAT binding changed) is followed, once 2 s have passed.
    const moved = (seq: number) => RtpPacket.encode({ payloadType: 0, marker: false, sequenceNumber: 40000 + seq, timestamp: seq * 160, ssrc: a.ssrc, csrcs: [], payload: new Uint8Array(160).fill(0xff) });
    intruder.send(moved(1), b.localPort, '127.0.0.1');
    await settle(); // the datagram leaves (dgram sends after a lookup tick) before B's next tick
    await run(20);
    expect(b.stats().rtpTarget.port).toBe(intruder.address().port);
    expect(changes).toEqual([]);
  });

  it('latches plain RTP only from the SDP address, unless it carries the SSRC the SDP announced', async () => {
    const { a, b, run } = await pair({ b: { remote: { address: '127.0.0.2', rtpPort: 9 } } });
    await run(400);
    // A sends from 127.0.0.1; B was told 127.0.0.2 and no SSRC: nothing latches, nothing plays.
    expect(b.stats().packetsReceived).toBe(0);
    expect(b.stats().dropped.foreignSource).toBeGreaterThanOrEqual(15);
    // Told A's SSRC (a=ssrc), B follows A wherever it sends from (a peer behind NAT).
    b.updateRemote({ address: '127.0.0.2', rtpPort: 9, ssrc: a.ssrc });
    await run(400);
    expect(b.stats().packetsReceived).toBeGreaterThanOrEqual(15);
    expect(b.stats().rtpTarget).toEqual({ address: '127.0.0.1', port: a.localPort });
  });

  it('latches to the first source when the SDP names a private address it could not reach anyway (a peer behind NAT)', async () => {
    const { a, b, run } = await pair({ b: { remote: { address: '192.168.1.20', rtpPort: 9 } } });
    await run(400);
    expect(b.stats().packetsReceived).toBeGreaterThanOrEqual(15);
    expect(b.stats().rtpTarget).toEqual({ address: '127.0.0.1', port: a.localPort });
  });

  it('drops packets that fail SRTP authentication', async () => {
    const key = new Uint8Array(30).fill(1);
    const other = new Uint8Array(30).fill(2);
    const { b, bSink, run } = await pair({
      a: { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: key, remoteKey: other } },
      b: { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: other, remoteKey: other } }, // wrong remote key
    });
    await run(400);
    expect(b.stats().dropped.srtp).toBeGreaterThanOrEqual(19);
    expect(b.stats().packetsReceived).toBe(0);
    expect(rmsDb(bSink.tail(200))).toBe(-Infinity);
  });

  it('carries audio with matching SRTP keys', async () => {
    const ka = new Uint8Array(30).fill(3);
    const kb = new Uint8Array(30).fill(4);
    const { b, bSink, run } = await pair({
      a: { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: ka, remoteKey: kb } },
      b: { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: kb, remoteKey: ka } },
    });
    await run(600);
    expect(b.stats().dropped.srtp).toBe(0);
    expect(peakFrequency(bSink.tail(200), 8000)).toBe(1000);
  });

  it('sends nothing when inactive or recvonly, and plays nothing when sendonly', async () => {
    const { a, b, bSink, run } = await pair();
    a.setDirection('inactive');
    const before = a.stats().packetsSent;
    await run(300);
    expect(a.stats().packetsSent).toBe(before);
    a.setDirection('sendrecv');
    b.setDirection('sendonly');
    await run(300);
    expect(a.stats().packetsSent).toBe(before + 15);
    expect(rmsDb(bSink.tail(200))).toBe(-Infinity);
    b.setDirection('sendrecv');
    await run(300);
    expect(peakFrequency(bSink.tail(100), 8000)).toBe(1000);
  });

  it('records the call in stereo: local left, remote right', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appel-stream-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { b, run } = await pair();
    b.setPorts({ source: new ToneSource({ sampleRate: 8000, frequencies: [500], levelDb: -10 }) });
    const rec = new WavRecorder({ path: join(dir, 'call.wav'), sampleRate: b.codecSampleRate, channels: 2 });
    b.setRecorder(rec);
    await run(1000);
    b.setRecorder(undefined);
    rec.close();
    const wav = readWav(join(dir, 'call.wav'));
    expect(wav.channels.length).toBe(2);
    expect(peakFrequency(wav.channels[0].subarray(-4000), 8000)).toBe(500);
    expect(peakFrequency(wav.channels[1].subarray(-4000), 8000)).toBe(1000);
  });

  it('sends RTCP BYE on stop, which the peer reports', async () => {
    const { a, b, run } = await pair();
    await run(200);
    const byes: number[] = [];
    b.on('bye', (e) => byes.push(e.ssrc));
    await a.stop();
    await run(20); // B's next tick (it reads polled sockets then)
    expect(byes).toEqual([a.ssrc]);
  });

  it('keeps running when a listener throws (callbacks never throw)', async () => {
    const { b, bSink, run } = await pair();
    const warnings: string[] = [];
    b.on('warning', (w) => warnings.push(w.code));
    b.on('stats', () => {
      throw new Error('bad listener');
    });
    await run(1500);
    expect(warnings).toContain('listener');
    expect(peakFrequency(bSink.tail(200), 8000)).toBe(1000);
  });

  it('reports a lasting send failure at once and then once a second, not once a packet', async () => {
    // A socket bound to loopback may not send to 192.0.2.1 (TEST-NET-1): EINVAL on every packet.
    const { a, run } = await pair({ a: { remote: { address: '192.0.2.1', rtpPort: 9 } } });
    const warnings: string[] = [];
    a.on('warning', (w) => warnings.push(`${w.code}: ${w.message}`));
    await run(20);
    expect(warnings.length).toBeGreaterThanOrEqual(1); // frame 0 at start, checked
    expect(warnings[0]).toMatch(/^send: .*EINVAL/);
    await run(3000);
    expect(a.stats().packetsSent).toBeGreaterThan(150);
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(warnings.length).toBeLessThanOrEqual(5);
  });

  it('rejects an unknown payload type and counts it', async () => {
    const { b, run } = await pair();
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => s.close(() => r())));
    s.send(RtpPacket.encode({ payloadType: 99, marker: false, sequenceNumber: 1, timestamp: 1, ssrc: 5, csrcs: [], payload: new Uint8Array(10) }), b.localPort, '127.0.0.1');
    s.send(TelephoneEvent.encode({ event: 1, end: false, volume: 1, duration: 1 }), b.localPort, '127.0.0.1'); // not RTP at all
    await run(40);
    expect(b.stats().dropped.payloadType).toBe(1);
    expect(b.stats().dropped.malformed).toBe(1);
  });
});

describe('MediaStream on real time, polled sockets', () => {
  it("measures the round-trip time from the kernel's arrival stamps, though RTCP is read every 100 ms", async () => {
    const native = fakeNative('polled');
    const base = (): MediaStreamOptions => ({
      localAddress: '127.0.0.1',
      portRange: { min: 40000, max: 49998 },
      remote: { address: '127.0.0.1', rtpPort: 9 },
      rtcpMux: false,
      rtcpIntervalMs: 300,
      codec: { name: 'pcmu', payloadType: 0 },
      source: new ToneSource({ sampleRate: 8000, frequencies: [1000] }),
      sink: new SilenceSource({ sampleRate: 8000 }),
      native,
    });
    const a = new MediaStream(base());
    const b = new MediaStream(base());
    await a.start();
    await b.start();
    cleanup.push(() => a.stop(), () => b.stop());
    a.updateRemote({ address: '127.0.0.1', rtpPort: b.localPort, rtcpPort: b.localRtcpPort });
    b.updateRemote({ address: '127.0.0.1', rtpPort: a.localPort, rtcpPort: a.localRtcpPort });
    const deadline = Date.now() + 5000;
    while (a.stats().rttMs === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Read on arrival, a loopback round trip is well under a millisecond; read late without the
    // stamps, it would be up to 100 ms (the RTCP socket's read period) on each side.
    expect(a.stats().rttMs).toBeDefined();
    expect(a.stats().rttMs!).toBeLessThan(5);
    expect(b.stats().packetsReceived).toBeGreaterThan(0);
  });
});
