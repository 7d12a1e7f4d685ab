/**
 * A blind RTP sprayer, inside a test's network namespace: every 20 ms, one PCMU packet carrying a
 * tone to every even port of a range on the target, from another address, with an SSRC of its own
 * (it cannot know the call's). Runs until killed, or `--seconds`.
 *
 *   node rtp-spray.ts --target 127.0.0.1 --ports 20000-20019 --from 127.0.0.66 --tone 2500
 */
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: '127.0.0.1' },
    ports: { type: 'string' },
    from: { type: 'string', default: '127.0.0.66' },
    tone: { type: 'string', default: '2500' },
    seconds: { type: 'string', default: '60' },
  },
});
const [min, max] = String(values.ports).split('-').map(Number);
const frequency = Number(values.tone);

/** G.711 µ-law of one 16-bit sample (ITU-T G.711). */
function ulaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, values.from, () => resolve()));
const ssrc = 0x5eed0001;
let seq = 0;
let t = 0;
const end = Date.now() + Number(values.seconds) * 1000;
const timer = setInterval(() => {
  if (Date.now() > end) {
    clearInterval(timer);
    socket.close();
    return;
  }
  const packet = Buffer.alloc(12 + 160);
  packet[0] = 0x80;
  packet[1] = 0; // PCMU
  packet.writeUInt16BE(seq++ & 0xffff, 2);
  packet.writeUInt32BE((seq * 160) >>> 0, 4);
  packet.writeUInt32BE(ssrc, 8);
  for (let i = 0; i < 160; i++) packet[12 + i] = ulaw(16000 * Math.sin((2 * Math.PI * frequency * t++) / 8000));
  for (let port = min; port <= max; port += 2) socket.send(packet, port, values.target);
}, 20);
process.on('SIGTERM', () => {
  clearInterval(timer);
  socket.close();
  process.exit(0);
});
