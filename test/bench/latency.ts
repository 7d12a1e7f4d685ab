// The media engine's own added delay, each direction apart, as the app runs it: the media worker
// (MediaEngineClient), a PCMU stream whose microphone and speaker are the device link (a
// MessagePort at 48 kHz, what the app's audio worklets post and take), and a remote phone played
// here by a UDP socket on loopback that sends 20 ms PCMU packets on time.
//
//   - microphone → RTP: the capture side posts 128-sample blocks in real time (the worklet's
//     render quantum); every second a loud burst starts. From the block that carries its first
//     sample to the RTP packet that carries it: the FIFO, the 20 ms framing, the resampler, the
//     encoder, the socket.
//   - RTP → speaker: the remote sends silence, and every second a loud packet. From its send to
//     the frame that carries it out of the device port, minus the jitter buffer's delay at that
//     moment (what the buffer holds on purpose, reported by the stream): the receive path, the
//     decoder, the resampler, the frame clock.
//   - the jitter buffer's target on this clean network (stats jitterBufferMs at steady state).
//
//   node_modules/.bin/node test/bench/latency.ts [--marks 10]
//   import { run } from './latency.ts'              returns the figures
//
// Goals (issue "Lighter than baresip"): each direction at most 30 ms on top of the jitter
// buffer (20 ms framing included), the buffer's target at most 40 ms on a clean network.
import dgram from 'node:dgram';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { MediaEngineClient } from '../../main/media/index.ts';
import { createCodec } from '../../native/index.ts';

const RATE = 48000;
const BLOCK = 128;
const LOUD = 16000;
/** µ-law bytes: 0x80 decodes to +32124, 0x00 to −32124; 0xff is silence. */
const ULAW_SILENCE = 0xff;
/** Seconds before the first mark: the jitter buffer's 5 s window has forgotten the start. */
const WARMUP_S = 7;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LatencyResult {
  marks: number;
  /** Medians, ms. */
  micToRtpMs: number;
  rtpToSpeakerMs: number;
  /** RTP → speaker before taking the jitter buffer's delay off. */
  rtpToSpeakerRawMs: number;
  jitterBufferMs: number;
  /** The jitter buffer's delay as the call starts: its stats at 1 s, 3 s and 5 s. */
  startJitterBufferMs: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** The PCMU decoder the engine uses (native/index.ts): a payload is loud when any sample is. */
const pcmu = createCodec('pcmu');
const loudPayload = (payload: Uint8Array): boolean => pcmu.decode(payload).some((x) => Math.abs(x) > 4000);

export async function run(marks = 10): Promise<LatencyResult> {
  const engine = new MediaEngineClient();
  const remote = dgram.createSocket('udp4');
  await new Promise<void>((r) => remote.bind(0, '127.0.0.1', () => r()));
  const { port1: mic, port2: workerSide }: { port1: MessagePort; port2: MessagePort } = new MessageChannel();
  const micSends: number[] = []; // when each burst's first sample was posted
  const rtpArrivals: number[] = []; // when the first loud RTP packet of each burst arrived
  const remoteSends: number[] = []; // when each loud packet was sent
  const speakerOut: number[] = []; // when the frame carrying it came out of the device port (+ onset offset)
  const jbAtMark: number[] = [];
  let lastJb = NaN;
  let micLoud = false;
  let rtpLoud = false;
  let speakerLoud = false;

  // The device link: capture blocks in, playback frames out.
  mic.on('message', (frame: unknown) => {
    if (!(frame instanceof Int16Array)) return;
    const now = performance.now();
    let first = -1;
    for (let i = 0; i < frame.length; i++) if (Math.abs(frame[i]) > 4000) {
      first = i;
      break;
    }
    if (first >= 0 && !speakerLoud && remoteSends.length > speakerOut.length) {
      speakerOut.push(now + (first * 1000) / RATE);
      jbAtMark.push(lastJb);
    }
    speakerLoud = first >= 0;
  });
  const jbTimeline: number[] = [];
  engine.on('stats', (s) => {
    lastJb = s.stats.jitterBufferMs;
    jbTimeline.push(lastJb);
    if (process.env.LATENCY_DEBUG) console.error(JSON.stringify({ jb: s.stats.jitterBufferMs, jitter: s.stats.jitterMs, late: s.stats.latePackets, concealed: s.stats.concealedFrames }));
  });

  remote.on('message', (msg) => {
    const loud = loudPayload(msg.subarray(12));
    if (loud && !rtpLoud && micSends.length > rtpArrivals.length) rtpArrivals.push(performance.now());
    rtpLoud = loud;
  });

  const created = await engine.createStream({
    localAddress: '127.0.0.1',
    remote: { address: '127.0.0.1', rtpPort: remote.address().port },
    rtcpMux: true,
    codec: { name: 'pcmu', payloadType: 0 },
    source: { kind: 'device' },
    sink: { kind: 'device' },
    device: { port: workerSide, sampleRate: RATE },
  });
  const target = { address: '127.0.0.1', port: created.localPort };

  // Capture: 128-sample blocks posted as real time asks; a 100 ms burst at the start of each second.
  const t0 = performance.now();
  let posted = 0;
  const totalMs = (marks + WARMUP_S + 1) * 1000;
  const capture = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * RATE) / 1000 / BLOCK);
    while (posted < due) {
      const at = (posted * BLOCK * 1000) / RATE; // ms since start of this block's first sample
      const second = Math.floor(at / 1000);
      const inBurst = second >= WARMUP_S && at - second * 1000 < 100;
      const block = new Int16Array(BLOCK);
      if (inBurst) {
        // A 375 Hz square wave (64 samples up, 64 down): well inside the telephone band.
        block.fill(posted % 2 ? -LOUD : LOUD);
        if (!micLoud) micSends.push(performance.now());
      }
      micLoud = inBurst;
      mic.postMessage(block, [block.buffer]);
      posted++;
    }
  }, 5);

  // The remote phone: a PCMU packet every 20 ms, loud for one packet in each second after 2 s.
  let seq = 1;
  let ts = 0;
  const ssrc = 0x1234abcd;
  const start = performance.now();
  let sentFrames = 0;
  const sender = setInterval(() => {
    const due = Math.floor((performance.now() - start) / 20);
    while (sentFrames <= due) {
      const loud = sentFrames >= WARMUP_S * 50 && sentFrames % 50 === 25;
      const packet = new Uint8Array(12 + 160);
      packet[0] = 0x80;
      packet[1] = 0;
      packet[2] = seq >> 8;
      packet[3] = seq & 0xff;
      new DataView(packet.buffer).setUint32(4, ts);
      new DataView(packet.buffer).setUint32(8, ssrc);
      packet.fill(ULAW_SILENCE, 12);
      // A 500 Hz square wave (8 samples up, 8 down).
      if (loud) for (let i = 0; i < 160; i++) packet[12 + i] = (i >> 3) % 2 ? 0x80 : 0x00;
      if (loud) remoteSends.push(performance.now());
      remote.send(packet, target.port, target.address);
      seq = (seq + 1) & 0xffff;
      ts = (ts + 160) >>> 0;
      sentFrames++;
    }
  }, 2);

  await sleep(totalMs);
  clearInterval(capture);
  clearInterval(sender);
  await engine.stopStream(created.streamId).catch(() => undefined);
  await engine.close();
  remote.close();
  mic.close();

  const n = Math.min(micSends.length, rtpArrivals.length);
  const micToRtp = Array.from({ length: n }, (_, i) => rtpArrivals[i] - micSends[i]);
  const m = Math.min(remoteSends.length, speakerOut.length);
  const raw = Array.from({ length: m }, (_, i) => speakerOut[i] - remoteSends[i]);
  const net = raw.map((x, i) => x - (Number.isFinite(jbAtMark[i]) ? jbAtMark[i] : 0));
  return { marks: Math.min(n, m), micToRtpMs: median(micToRtp), rtpToSpeakerMs: median(net), rtpToSpeakerRawMs: median(raw), jitterBufferMs: median(jbAtMark.filter(Number.isFinite)), startJitterBufferMs: [0, 2, 4].map((i) => jbTimeline[i] ?? NaN) };
}

export function format(r: LatencyResult): string {
  return [
    `Added delay of the media engine on loopback, PCMU, 48 kHz device link, median of ${r.marks} marks:`,
    '| path | Appel | goal |',
    '|---|---|---|',
    `| microphone → RTP out (20 ms framing included) | ${r.micToRtpMs.toFixed(1)} ms | ≤ 30 ms |`,
    `| RTP in → speaker, on top of the jitter buffer | ${r.rtpToSpeakerMs.toFixed(1)} ms | ≤ 30 ms |`,
    `| RTP in → speaker, all of it | ${r.rtpToSpeakerRawMs.toFixed(1)} ms | |`,
    `| jitter buffer's delay on a clean network | ${r.jitterBufferMs.toFixed(1)} ms | ≤ 40 ms |`,
    `| the same as the call starts (1 s, 3 s, 5 s) | ${r.startJitterBufferMs.map((x) => x.toFixed(0)).join(', ')} ms | |`,
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { marks: { type: 'string' } } });
  console.log(format(await run(Number(values.marks ?? 10))));
}
