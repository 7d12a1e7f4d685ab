// The floor under per-call.ts's figure: what a Node worker thread costs for the wake-ups of one
// steady call alone, with no media work at all. The media engine's worker (main/media/, worker-host.ts)
// wakes on a 20 ms timer to send a frame (media-clock.ts) and on every datagram the peer sends
// (node:dgram calls back once a datagram); this worker does the same and nothing else:
//
//   timer            a 20 ms timer chain, each due time computed as the media clock does
//   timer+send       … and one 172-byte datagram sent a wake-up (a PCMU packet), with a callback
//   timer+send+recv  … and 50 datagrams a second received from a peer (this process's main thread)
//
// CPU of the worker thread alone (/proc/self/task/TID/schedstat), as % of one core, over WINDOW_S
// seconds after SETTLE_S seconds; `--settle 70` shows it once V8 has optimized Node's own timer and
// dgram code (TurboFan compiles a function after about 3000 calls: 60 s at 50 a second).
//
//   node_modules/.bin/node test/bench/node-floor.ts [--settle 3] [--window 10]
//
// Loopback only, ports chosen by the kernel; every mode's worker ends before the next starts.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

export type FloorMode = 'timer' | 'timer+send' | 'timer+send+recv';
export const FLOOR_MODES: readonly FloorMode[] = ['timer', 'timer+send', 'timer+send+recv'];

const FRAME_MS = 20;
const PACKET_BYTES = 172; // 12-byte RTP header + 160 bytes of PCMU

/** The worker: plain JavaScript (eval), so it measures Node and nothing of ours. */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { send, peerPort } = workerData;
const socket = createSocket('udp4');
socket.on('message', () => {});
socket.bind(0, '127.0.0.1', () => {
  const packet = new Uint8Array(${PACKET_BYTES});
  const sent = (err) => { if (err) parentPort.postMessage({ error: err.message }); };
  const start = performance.now();
  let k = 0;
  const wake = () => {
    k++;
    if (send) socket.send(packet, peerPort, '127.0.0.1', sent);
    setTimeout(wake, Math.max(0, start + k * ${FRAME_MS} - performance.now()));
  };
  wake();
  parentPort.postMessage({ port: socket.address().port });
});
parentPort.on('message', () => socket.close(() => process.exit(0)));
`;

/** CPU time (ns) of this process's thread named `name` (Node names a worker's thread 'WorkerThread'). */
function threadNs(name: string): number {
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === name) return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  throw new Error(`node-floor: no thread named ${name}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** % of one core the worker thread used in `mode` over `windowS` seconds after `settleS`. */
export async function floor(mode: FloorMode, settleS: number, windowS: number): Promise<number> {
  const peer: Socket = createSocket('udp4');
  peer.on('message', () => {});
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const worker = new Worker(WORKER, { eval: true, workerData: { send: mode !== 'timer', peerPort: peer.address().port } });
  let pacer: ReturnType<typeof setTimeout> | undefined;
  try {
    const [ready] = (await once(worker, 'message')) as [{ port?: number; error?: string }];
    if (ready.port === undefined) throw new Error(`node-floor: the worker did not start: ${ready.error}`);
    worker.on('message', (m: { error?: string }) => m.error && process.stderr.write(`node-floor: send failed: ${m.error}\n`));
    if (mode === 'timer+send+recv') {
      // The peer's packets, paced like a phone's.
      const packet = new Uint8Array(PACKET_BYTES);
      const start = performance.now();
      let k = 0;
      const tick = () => {
        k++;
        peer.send(packet, ready.port!, '127.0.0.1');
        pacer = setTimeout(tick, Math.max(0, start + k * FRAME_MS - performance.now()));
      };
      tick();
    }
    await sleep(settleS * 1000);
    const a = threadNs('WorkerThread');
    const t0 = performance.now();
    await sleep(windowS * 1000);
    const used = threadNs('WorkerThread') - a;
    return (used / 1e6 / (performance.now() - t0)) * 100;
  } finally {
    clearTimeout(pacer);
    worker.postMessage('stop');
    await Promise.race([once(worker, 'exit'), sleep(5000).then(() => worker.terminate())]);
    peer.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { settle: { type: 'string' }, window: { type: 'string' } } });
  const settleS = Number(values.settle ?? 3);
  const windowS = Number(values.window ?? 10);
  if (!(settleS >= 0 && settleS <= 600)) throw new Error(`--settle: expected 0-600 seconds, not ${values.settle}`);
  if (!(windowS > 0 && windowS <= 600)) throw new Error(`--window: expected 1-600 seconds, not ${values.window}`);
  console.log(`A Node worker's wake-ups alone (no media work): its thread's CPU over ${windowS} s after ${settleS} s, Node ${process.versions.node}.`);
  console.log('| worker does | CPU |');
  console.log('|---|---|');
  for (const mode of FLOOR_MODES) console.log(`| ${mode} | ${(await floor(mode, settleS, windowS)).toFixed(2)} % |`);
}
