/**
 * A stream that sends ahead (media-stream.ts, `lookaheadFrames`): it wakes once every five
 * frames, hands the packets of the frames due before its next wake-up to the pacer, and plays
 * the frames due since the last one, each datagram fed to the jitter buffer before the first frame
 * due after its arrival. The pacer here is the fake clock's (FakePacedSocket): what the wire sees
 * is checked packet by packet on a sniffing socket.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaStream, type MediaStreamOptions } from '../../../main/media/media-stream.ts';
import type { AudioPort } from '../../../main/media/ports/audio-port.ts';
import { SilenceSource } from '../../../main/media/ports/silence-source.ts';
import { ToneSource } from '../../../main/media/ports/tone-source.ts';
import { RtpPacket } from '../../../main/media/rtp-packet.ts';
import { FakeScheduler, fakeNative } from './helpers/fake-native.ts';
import { peakFrequency, rmsDb } from '../../helpers/audio-analysis.ts';

/** Counts the timers set: the stream's wake-ups, once the fake pacer's own are taken out. */
class CountingScheduler extends FakeScheduler {
  timers = 0;
  override setTimeout(fn: () => void, ms: number): unknown {
    this.timers++;
    return super.setTimeout(fn, ms);
  }
}

/** A sink that keeps what it is given, and may be given it late (a recorder's kind). */
class KeepingSink implements AudioPort {
  readonly sampleRate = 8000;
  readonly ahead = true;
  readonly samples: number[] = [];
  getFrame(): Int16Array {
    return new Int16Array(160);
  }
  putFrame(frame: Int16Array): void {
    for (const v of frame) this.samples.push(v);
  }
  close(): void {}
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Loopback datagrams are delivered (I/O; time is the fake clock's). */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
}

async function sniffer(): Promise<{ socket: Socket; rtp: RtpPacket[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => socket.close(() => r())));
  const rtp: RtpPacket[] = [];
  socket.on('message', (m) => {
    if (m[1] < 192 || m[1] > 223) rtp.push(RtpPacket.decode(m));
  });
  return { socket, rtp };
}

async function sendingAhead(sched: FakeScheduler, to: number, extra: Partial<MediaStreamOptions> = {}) {
  const native = fakeNative('paced', sched);
  const s = new MediaStream({
    localAddress: '127.0.0.1',
    portRange: { min: 40000, max: 49998 },
    remote: { address: '127.0.0.1', rtpPort: to },
    rtcpMux: true,
    codec: { name: 'pcmu', payloadType: 0 },
    telephoneEventPt: 101,
    source: new ToneSource({ sampleRate: 8000, frequencies: [1000], levelDb: -10 }),
    sink: new SilenceSource({ sampleRate: 8000 }),
    native,
    scheduler: sched,
    lookaheadFrames: 5,
    ...extra,
  });
  await s.start();
  cleanup.push(() => s.stop());
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 20) {
      sched.advance(20);
      await settle();
    }
  };
  return { s, pacer: native.paced[0], run };
}

function expectOneSequence(rtp: RtpPacket[]): void {
  for (let i = 1; i < rtp.length; i++) expect(rtp[i].sequenceNumber).toBe((rtp[i - 1].sequenceNumber + 1) & 0xffff);
}

describe('MediaStream sending ahead (lookaheadFrames 5, the fake clock playing the pacer)', () => {
  it('wakes once per 100 ms; each packet leaves at its own frame time, numbered and stamped in order', async () => {
    const sched = new CountingScheduler();
    const { rtp, socket } = await sniffer();
    const { s, pacer, run } = await sendingAhead(sched, socket.address().port);
    const t0 = sched.now();
    await run(1000);
    // Frame 0 at once, then one a frame: 51 in 1 s, none early, none twice.
    expect(rtp).toHaveLength(51);
    expectOneSequence(rtp);
    for (let i = 1; i < rtp.length; i++) expect(rtp[i].timestamp).toBe((rtp[i - 1].timestamp + 160) >>> 0);
    expect(s.stats().packetsSent).toBe(51);
    // Four of every five from the pacer, each at its frame's time; the fifth at the wake-up itself.
    const times = pacer.sent.map((p) => p.at - t0);
    expect(times.every((t) => t % 20 === 0)).toBe(true);
    expect(new Set(times).size).toBe(times.length);
    expect(pacer.sent.length + pacer.direct).toBe(51);
    expect(pacer.direct).toBeLessThanOrEqual(12);
    // The stream's own timers: about ten in a second, not fifty.
    expect(sched.timers - pacer.sent.length - pacer.pacedPending).toBeLessThanOrEqual(13);
  });

  it("the engine's 25 frames (500 ms) once the peer's RTP has come: two wake-ups a second, the wire unchanged; a larger option is held to 25", async () => {
    for (const lookaheadFrames of [25, 100]) {
      const sched = new CountingScheduler();
      const { rtp, socket } = await sniffer();
      const { s, pacer, run } = await sendingAhead(sched, socket.address().port, { lookaheadFrames });
      const t0 = sched.now();
      // Until the peer's RTP comes (symmetric RTP may move us), 100 ms ahead (and a frame's margin) at most.
      let mostHeld = 0;
      for (let t = 0; t < 300; t += 20) {
        await run(20);
        mostHeld = Math.max(mostHeld, pacer.pacedPending);
      }
      expect(mostHeld).toBeLessThanOrEqual(6);
      const fromPeer = RtpPacket.encode({ payloadType: 0, marker: true, sequenceNumber: 1, timestamp: 0, ssrc: 0x5eed, csrcs: [], payload: new Uint8Array(160) });
      socket.send(fromPeer, s.localPort, '127.0.0.1');
      for (let t = 300; t < 2000; t += 20) {
        await run(20);
        mostHeld = Math.max(mostHeld, pacer.pacedPending);
      }
      expect(rtp).toHaveLength(101);
      expectOneSequence(rtp);
      for (let i = 1; i < rtp.length; i++) expect(rtp[i].timestamp).toBe((rtp[i - 1].timestamp + 160) >>> 0);
      const times = pacer.sent.map((p) => p.at - t0);
      expect(times.every((t) => t % 20 === 0)).toBe(true);
      expect(new Set(times).size).toBe(times.length);
      expect(mostHeld).toBeLessThanOrEqual(30);
      expect(mostHeld).toBeGreaterThanOrEqual(25);
      // The stream's own timers: three in the first 300 ms, then about four in 1.7 s.
      expect(sched.timers - pacer.sent.length - pacer.pacedPending).toBeLessThanOrEqual(9);
      await s.stop();
    }
  });

  /** Sequence numbers go up by one, except by `gap` at most where `gaps` of them are allowed. */
  function expectGaps(rtp: RtpPacket[], allowed: { gaps: number; upTo: number }): number[] {
    const gaps: number[] = [];
    for (let i = 1; i < rtp.length; i++) {
      const step = (rtp[i].sequenceNumber - rtp[i - 1].sequenceNumber) & 0xffff;
      expect(step).toBeGreaterThanOrEqual(1);
      if (step > 1) gaps.push(step - 1);
    }
    expect(gaps.length).toBeLessThanOrEqual(allowed.gaps);
    expect(gaps.every((g) => g <= allowed.upTo)).toBe(true);
    return gaps;
  }

  it('a hold takes back what the pacer holds: nothing leaves after it; the resume starts a talkspurt, past the numbers taken back', async () => {
    const sched = new FakeScheduler();
    const { rtp, socket } = await sniffer();
    const { s, pacer, run } = await sendingAhead(sched, socket.address().port);
    await run(200);
    const held = pacer.pacedPending;
    expect(held).toBeGreaterThan(0);
    s.setDirection('inactive');
    expect(pacer.pacedPending).toBe(0);
    const sentAtHold = rtp.length;
    await run(300);
    await settle();
    expect(rtp).toHaveLength(sentAtHold);
    expect(s.stats().packetsSent).toBe(sentAtHold); // what was taken back never left
    s.setDirection('sendrecv');
    await run(500);
    expect(rtp.length).toBeGreaterThanOrEqual(sentAtHold + 24);
    // The numbers taken back are not used again (SRTP has protected them, RFC 3711 §9.1).
    expect(expectGaps(rtp, { gaps: 1, upTo: 6 })).toEqual([held]);
    expect(rtp[sentAtHold].marker).toBe(true);
    expect(s.stats().packetsSent).toBe(rtp.length); // what the pacer still holds is not counted yet
  });

  it('a digit starts after the audio already queued, a wake-up a frame while it plays, in one sequence', async () => {
    const sched = new CountingScheduler();
    const { rtp, socket } = await sniffer();
    const { s, pacer, run } = await sendingAhead(sched, socket.address().port);
    await run(210);
    const queued = pacer.pacedPending;
    expect(queued).toBeGreaterThan(0);
    const sentBefore = pacer.sent.length + pacer.direct;
    let done = false;
    void s.sendDtmf('5').then(() => (done = true));
    // Told once the digit has left, not when it was queued: its last packet (E bit, RFC 4733 §2.5.1.4) is on the wire by then.
    let endsWhenDone = -1;
    for (let t = 0; t < 600; t += 20) {
      await run(20);
      if (done && endsWhenDone < 0) endsWhenDone = rtp.filter((p) => p.payloadType === 101 && (p.payload[1] & 0x80) !== 0).length;
    }
    expect(done).toBe(true);
    expect(endsWhenDone).toBeGreaterThanOrEqual(1);
    expectOneSequence(rtp);
    // The audio queued leaves as it was due; the event follows it.
    expect(rtp.slice(sentBefore, sentBefore + queued).every((p) => p.payloadType === 0)).toBe(true);
    const events = rtp.filter((p) => p.payloadType === 101);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(rtp.indexOf(events[0])).toBe(sentBefore + queued);
    expect(events[0].marker).toBe(true);
    expect(rtp.slice(rtp.indexOf(events[0]) + 1).findIndex((p) => p.payloadType === 0)).toBeGreaterThan(0); // audio after the event
    // Back to one wake-up per 100 ms once the digit is done.
    const before = sched.timers - pacer.sent.length;
    await run(1000);
    expect(sched.timers - pacer.sent.length - before).toBeLessThanOrEqual(13);
  });

  it('digits still to send when the stream stops: whoever waits for them is told', async () => {
    const sched = new FakeScheduler();
    const { socket } = await sniffer();
    const { s, run } = await sendingAhead(sched, socket.address().port);
    await run(100);
    let done = false;
    void s.sendDtmf('123456789').then(() => (done = true));
    await run(100);
    await settle();
    expect(done).toBe(false);
    await s.stop();
    await settle();
    expect(done).toBe(true);
  });

  it('with SRTP: hold, resume and a digit protect no sequence number twice (libsrtp would refuse it)', async () => {
    const sched = new FakeScheduler();
    const key = new Uint8Array(30).fill(3);
    const { socket } = await sniffer();
    const { s, run } = await sendingAhead(sched, socket.address().port, { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: key, remoteKey: key } });
    const warnings: string[] = [];
    s.on('warning', (w) => warnings.push(w.message));
    await run(210);
    s.setDirection('inactive');
    await run(100);
    s.setDirection('sendrecv');
    await run(130);
    s.sendDtmf('7');
    await run(600);
    s.setDirection('inactive');
    s.setDirection('sendrecv');
    await run(300);
    expect(warnings).toEqual([]);
  });

  it('a peer moving to the other address family changes nothing queued and throws nothing', async () => {
    const sched = new FakeScheduler();
    const { socket } = await sniffer();
    const { s, pacer, run } = await sendingAhead(sched, socket.address().port);
    await run(200);
    expect(() => s.updateRemote({ address: '::1', rtpPort: 9 })).not.toThrow();
    expect(pacer.pacedPending).toBeGreaterThan(0);
  });

  it.each([5, 25])('receiving: the tone is played whole, every frame, nothing concealed and nothing late, though frames are played %i at a time', async (lookaheadFrames) => {
    const sched = new FakeScheduler();
    const sink = new KeepingSink();
    // B plays into a sink that may take frames late; A sends it a tone.
    const { s: b, run } = await sendingAhead(sched, 9, { source: new SilenceSource({ sampleRate: 8000 }), sink, lookaheadFrames });
    const { s: a } = await sendingAhead(sched, b.localPort, { lookaheadFrames });
    b.updateRemote({ address: '127.0.0.1', rtpPort: a.localPort });
    await run(1500);
    // Every frame due was played (none skipped as if the thread had stalled): 1.5 s, give or take the last wake-up's.
    expect(sink.samples.length).toBeGreaterThanOrEqual((1500 / 20 - lookaheadFrames) * 160);
    expect(sink.samples.length).toBeLessThanOrEqual((1500 / 20 + 1) * 160);
    const heard = Int16Array.from(sink.samples.slice(-4000));
    expect(peakFrequency(heard, 8000)).toBe(1000);
    expect(Math.abs(rmsDb(heard) - -10)).toBeLessThan(1);
    const st = b.stats();
    expect(st.packetsReceived).toBeGreaterThanOrEqual(70);
    expect(st.concealedFrames).toBe(0);
    expect(st.latePackets).toBe(0);
    expect(st.packetsLost).toBe(0);
  });
});
