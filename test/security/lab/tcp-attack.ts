/**
 * Holds TCP connections to an engine as an attacker would, inside a test's network namespace:
 * `--idle N` connections that never send a byte, and `--slow N` that send a request's header one
 * byte a second (slowloris), spread over the source addresses of `--sources A.B.C.x-y`. It runs
 * `--seconds`, then prints one JSON line: how many connected, and how many of each kind the
 * engine closed (and the longest any of them stayed open).
 *
 *   node tcp-attack.ts --target 127.0.0.1:5070 --sources 127.0.0.100-119 --idle 2000 --slow 200 --seconds 40
 * (run it under `ulimit -n` large enough for the connections)
 */
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    sources: { type: 'string', default: '127.0.0.100-119' },
    idle: { type: 'string', default: '2000' },
    slow: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '40' },
  },
});
const [host, portText] = String(values.target).split(':');
const port = Number(portText);
const m = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+)$/.exec(String(values.sources))!;
const sources = Array.from({ length: Number(m[3]) - Number(m[2]) + 1 }, (_, i) => `${m[1]}${Number(m[2]) + i}`);
/** Per kind: how many the engine closed, and the longest any of them stayed open (s). */
const stats = { connected: 0, failed: 0, idle: { closed: 0, longestS: 0 }, slow: { closed: 0, longestS: 0 } };
const sockets: net.Socket[] = [];

function open(kind: 'idle' | 'slow', i: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: sources[i % sources.length] });
    sockets.push(s);
    let up = false;
    let since = 0;
    s.on('connect', () => {
      up = true;
      since = performance.now();
      stats.connected++;
      resolve();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (!up) {
        stats.failed++;
        resolve();
        return;
      }
      stats[kind].closed++;
      stats[kind].longestS = Math.max(stats[kind].longestS, (performance.now() - since) / 1000);
    });
  });
}

const idle = Number(values.idle);
const slow = Number(values.slow);
for (let i = 0; i < idle; i += 100) await Promise.all(Array.from({ length: Math.min(100, idle - i) }, (_, k) => open('idle', i + k)));
const slowStart = sockets.length;
for (let i = 0; i < slow; i += 100) await Promise.all(Array.from({ length: Math.min(100, slow - i) }, (_, k) => open('slow', i + k)));
const slowSockets = sockets.slice(slowStart);
const header = Buffer.from(`OPTIONS sip:x@${host} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-slow\r\nX-Pad: ${'a'.repeat(4000)}`);
let at = 0;
const dribble = setInterval(() => {
  for (const s of slowSockets) if (!s.destroyed) s.write(header.subarray(at % header.length, (at % header.length) + 1));
  at++;
}, 1000);
await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
clearInterval(dribble);
for (const s of sockets) s.destroy();
process.stdout.write(JSON.stringify(stats) + '\n');
