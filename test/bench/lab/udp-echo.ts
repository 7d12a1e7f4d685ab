/**
 * The far end of the in-process media capacity benchmark (media.ts), run as a child process so
 * that it does not share the measured thread: like SIPp's -rtp_echo, every datagram on PORT goes
 * back to its sender; RTCP on PORT + 1 is read, not echoed. Node 24, no imports of ours. Once a
 * second it prints one JSON line on stdout:
 *
 *   { t, send: [ms…], rtcp: [ms…] }
 *
 * `send`: per RTP source, the interarrival jitter (RFC 3550 A.8) of the packets as they reach
 * this socket — how evenly the phone sends. `rtcp`: the jitter of every RTCP reception report
 * block (§6.4.1) that arrived in that second — what the phone says of the audio echoed back
 * (PCMU, 8000 Hz timestamps; the figure the SIPp benchmark reads). It prints `{"ready":true}`
 * once bound and stops on SIGTERM.
 */
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
if (!(port > 0 && port < 65535)) {
  process.stderr.write('usage: udp-echo.ts PORT\n');
  process.exit(2);
}

const CLOCK_RATE = 8000;
const sources = new Map<string, { jitter: number; lastArrival: number; lastTs: number }>();
let reports: number[] = [];

const rtp = createSocket('udp4');
rtp.on('message', (msg, rinfo) => {
  const t = performance.now();
  rtp.send(msg, rinfo.port, rinfo.address);
  if (msg.length < 12 || msg[0] >> 6 !== 2) return;
  const ts = msg.readUInt32BE(4);
  const key = `${rinfo.address}:${rinfo.port}`;
  const s = sources.get(key);
  if (!s) {
    sources.set(key, { jitter: 0, lastArrival: t, lastTs: ts });
    return;
  }
  // A.8: D = (Rj − Ri) − (Sj − Si) in timestamp units; J += (|D| − J) / 16.
  const d = ((t - s.lastArrival) * CLOCK_RATE) / 1000 - ((ts - s.lastTs) | 0);
  s.jitter += (Math.abs(d) - s.jitter) / 16;
  s.lastArrival = t;
  s.lastTs = ts;
});

const rtcp = createSocket('udp4');
rtcp.on('message', (b) => {
  // SR (200) and RR (201) report blocks of a compound packet (§6.4.1, §6.4.2).
  let off = 0;
  while (off + 4 <= b.length) {
    const count = b[off] & 0x1f;
    const pt = b[off + 1];
    const len = (b.readUInt16BE(off + 2) + 1) * 4;
    if (b[off] >> 6 !== 2 || off + len > b.length) break;
    const first = pt === 200 ? off + 28 : pt === 201 ? off + 8 : -1;
    if (first > 0) for (let i = 0; i < count && first + (i + 1) * 24 <= off + len; i++) reports.push(b.readUInt32BE(first + i * 24 + 12) / (CLOCK_RATE / 1000));
    off += len;
  }
});

const timer = setInterval(() => {
  const send = [...sources.values()].map((s) => s.jitter / (CLOCK_RATE / 1000));
  process.stdout.write(JSON.stringify({ t: Date.now(), send, rtcp: reports }) + '\n');
  reports = [];
}, 1000);

let bound = 0;
const ready = (): void => {
  if (++bound === 2) process.stdout.write('{"ready":true}\n');
};
rtp.bind(port, '127.0.0.1', ready);
rtcp.bind(port + 1, '127.0.0.1', ready);
process.on('SIGTERM', () => {
  clearInterval(timer);
  rtp.close();
  rtcp.close();
  process.exit(0);
});
