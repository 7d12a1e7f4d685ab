/**
 * Sends the seeded mutation fuzz (mutator.ts) to a running engine, inside a test's network
 * namespace: over UDP one datagram each, or over TCP on a connection that is opened again
 * whenever the engine closes it (a framing error closes it, as it should). Paced in bursts so
 * the kernel's buffers keep up. Prints one JSON line: { sent, connections, answers }.
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

if (values.tcp) {
  let socket: net.Socket | undefined;
  const open = async (): Promise<net.Socket> => {
    const s = net.connect({ host, port, localAddress: values.from });
    s.on('data', (d) => (answers += (d.toString('latin1').match(/SIP\/2\.0 \d{3} /g) ?? []).length));
    s.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    connections++;
    return s;
  };
  for (const data of mutations(Number(values.seed), Number(values.count))) {
    if (!socket || socket.destroyed || socket.writableEnded) socket = await open();
    socket.write(data);
    sent++;
    if (sent % 50 === 0) await sleep(5);
  }
  await sleep(1000);
  socket?.destroy();
} else {
  const socket = createSocket('udp4');
  socket.on('message', () => answers++);
  await new Promise<void>((resolve) => socket.bind(0, values.from, () => resolve()));
  for (const data of mutations(Number(values.seed), Number(values.count))) {
    if (data.length > 0 && data.length < 65_000) socket.send(data, port, host);
    sent++;
    if (sent % 50 === 0) await sleep(5);
  }
  await sleep(1000);
  socket.close();
}
process.stdout.write(JSON.stringify({ sent, connections, answers }) + '\n');
