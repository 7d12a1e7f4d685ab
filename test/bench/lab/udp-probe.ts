/**
 * A small UDP listener the call benchmark runs inside its network namespace (Node 24, no
 * imports of ours), printing one JSON line per finding on stdout:
 *
 *   node udp-probe.ts rtcp PORT    every RTCP reception report block (RFC 3550 §6.4.1) that
 *                                  arrives: { t, from, ssrc, jitterMs, fractionLost } — the
 *                                  phones' own view of the (echoed) audio they receive, PCMU
 *                                  (8000 Hz timestamps)
 *   node udp-probe.ts first PORT   the arrival time of the first datagram from each new source:
 *                                  { t, from }
 *
 * `t` is the wall clock in ms (with µs fractions), comparable with SIPp's message log. It
 * prints `{"ready":true}` once bound, and stops on SIGTERM.
 */
import { createSocket } from 'node:dgram';

const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg);
if ((mode !== 'rtcp' && mode !== 'first') || !(port > 0 && port < 65536)) {
  process.stderr.write('usage: udp-probe.ts rtcp|first PORT\n');
  process.exit(2);
}

const origin = performance.timeOrigin;
const now = (): number => origin + performance.now();
const out: string[] = [];
const flush = (): void => {
  if (out.length > 0) process.stdout.write(out.splice(0).join(''));
};
const flushTimer = setInterval(flush, 200);

/** RTCP SR (200) and RR (201) report blocks of a compound packet (§6.4.1, §6.4.2). */
function reportBlocks(b: Buffer): Array<{ ssrc: number; fractionLost: number; jitter: number }> {
  const blocks: Array<{ ssrc: number; fractionLost: number; jitter: number }> = [];
  let off = 0;
  while (off + 4 <= b.length) {
    const v = b[off] >> 6;
    const count = b[off] & 0x1f;
    const pt = b[off + 1];
    const len = (b.readUInt16BE(off + 2) + 1) * 4;
    if (v !== 2 || off + len > b.length) break;
    const first = pt === 200 ? off + 28 : pt === 201 ? off + 8 : -1;
    if (first > 0) {
      for (let i = 0; i < count && first + (i + 1) * 24 <= off + len; i++) {
        const rb = first + i * 24;
        blocks.push({ ssrc: b.readUInt32BE(rb), fractionLost: b[rb + 4] / 256, jitter: b.readUInt32BE(rb + 12) });
      }
    }
    off += len;
  }
  return blocks;
}

const seen = new Set<string>();
const socket = createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  const t = now();
  const from = `${rinfo.address}:${rinfo.port}`;
  if (mode === 'first') {
    if (seen.has(from)) return;
    seen.add(from);
    out.push(JSON.stringify({ t, from }) + '\n');
    return;
  }
  for (const rb of reportBlocks(msg)) out.push(JSON.stringify({ t, from, ssrc: rb.ssrc, jitterMs: rb.jitter / 8, fractionLost: rb.fractionLost }) + '\n');
});
socket.bind(port, '127.0.0.1', () => process.stdout.write('{"ready":true}\n'));
process.on('SIGTERM', () => {
  clearInterval(flushTimer);
  flush();
  socket.close();
  process.exit(0);
});
