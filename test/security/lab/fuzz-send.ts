/**
 * Sends the seeded mutation fuzz (mutator.ts) to a running engine, inside a test's network
 * namespace: over UDP one datagram each, or over TCP on a connection that is opened again
 * whenever the engine closes it (a framing error closes it, as it should). Prints one JSON line:
 * { sent, connections, answers }.
 *
 * Paced by the engine, not by a clock, so a busy machine changes nothing: over UDP each burst of
 * 50 ends with a well-formed OPTIONS whose answer (the engine reads a socket in order) says the
 * burst was read — no datagram is lost in a full receive buffer, and those answers are not
 * counted. At the end, answers are awaited until none came for a second (bounded).
 *
 *   node fuzz-send.ts --target 127.0.0.1:5070 --from 127.0.0.66 --seed 7 --count 5000 [--tcp]
 */
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { mutations } from './mutator.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    from: { type: 'string', default: '127.0.0.66' },
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '1000' },
    tcp: { type: 'boolean', default: false },
  },
});
const [host, portText] = String(values.target).split(':');
const port = Number(portText);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let sent = 0;
let connections = 0;
let answers = 0;
let lastAnswerAt = Date.now();

/** Waits until no answer came for `quietMs`, at most `maxMs`. */
async function untilQuiet(quietMs = 1000, maxMs = 15_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (Date.now() - lastAnswerAt < quietMs && Date.now() < end) await sleep(100);
}

const SYNC_CALL_ID = /^Call-ID:\s*(fuzz-sync-\d+)\s*$/im;
function syncRequest(n: number, localPort: number): string {
  return [
    `OPTIONS sip:fuzz@${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${values.from}:${localPort};branch=z9hG4bK-fuzz-sync-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:fuzz@${values.from}>;tag=s${n}`,
    `To: <sip:fuzz@${host}>`,
    `Call-ID: fuzz-sync-${n}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

if (values.tcp) {
  // Ten messages per connection, then our end closed and the engine's close awaited: the engine
  // reads a stream in order and drops a connection at its first framing error, so what reaches
  // its handlers depends on the seed alone, never on how busy the machine is.
  const all = [...mutations(Number(values.seed), Number(values.count))];
  for (let i = 0; i < all.length; i += 10) {
    const s = net.connect({ host, port, localAddress: values.from });
    s.on('data', (d) => {
      answers += (d.toString('latin1').match(/SIP\/2\.0 \d{3} /g) ?? []).length;
      lastAnswerAt = Date.now();
    });
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.once('connect', () => resolve()).once('error', () => resolve()));
    connections++;
    for (const data of all.slice(i, i + 10)) {
      if (!s.destroyed) s.write(data);
      sent++;
    }
    s.end();
    await Promise.race([closed, sleep(10_000)]);
    s.destroy();
  }
} else {
  const socket = createSocket('udp4');
  const synced = new Set<string>();
  socket.on('message', (m) => {
    const sync = SYNC_CALL_ID.exec(m.toString('latin1'));
    if (sync) synced.add(sync[1]);
    else {
      answers++;
      lastAnswerAt = Date.now();
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, values.from, () => resolve()));
  const localPort = socket.address().port;
  /** The engine has read everything sent before this: its answer to a sync OPTIONS came (resent every 500 ms, 10 s at most). */
  const caughtUp = async (n: number): Promise<void> => {
    const end = Date.now() + 10_000;
    while (!synced.has(`fuzz-sync-${n}`) && Date.now() < end) {
      socket.send(syncRequest(n, localPort), port, host);
      const resendAt = Date.now() + 500;
      while (!synced.has(`fuzz-sync-${n}`) && Date.now() < resendAt) await sleep(5);
    }
    if (!synced.has(`fuzz-sync-${n}`)) throw new Error(`the engine did not answer sync OPTIONS ${n} within 10 s`);
  };
  for (const data of mutations(Number(values.seed), Number(values.count))) {
    if (data.length > 0 && data.length < 65_000) socket.send(data, port, host);
    sent++;
    if (sent % 50 === 0) await caughtUp(sent / 50);
  }
  await caughtUp(Number.MAX_SAFE_INTEGER % 1_000_000);
  await untilQuiet(500);
  socket.close();
}
process.stdout.write(JSON.stringify({ sent, connections, answers }) + '\n');
