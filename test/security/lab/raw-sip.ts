/**
 * Sends SIP messages as an attacker would, inside a test's network namespace, and prints what
 * comes back: `node raw-sip.ts --target 127.0.0.1:5070 --from 127.0.0.66 --file messages.json`
 * where the file holds a JSON array of messages (latin1 text; `\u0000` for NUL). Over UDP by
 * default, or TCP (`--tcp`: one connection, the messages one after the other). It waits `--wait`
 * ms after the last message, then prints one JSON line: { responses: [first lines…], texts }.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    from: { type: 'string', default: '127.0.0.66' },
    file: { type: 'string' },
    tcp: { type: 'boolean', default: false },
    wait: { type: 'string', default: '1000' },
    gap: { type: 'string', default: '0' },
  },
});
const [host, portText] = String(values.target).split(':');
const port = Number(portText);
const messages = JSON.parse(readFileSync(String(values.file), 'utf8')) as string[];
const texts: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (values.tcp) {
  const socket = net.connect({ host, port, localAddress: values.from });
  socket.on('data', (d) => texts.push(d.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  for (const m of messages) {
    if (socket.destroyed) break;
    socket.write(Buffer.from(m, 'latin1'));
    if (Number(values.gap) > 0) await sleep(Number(values.gap));
  }
  await sleep(Number(values.wait));
  socket.destroy();
} else {
  const socket = createSocket('udp4');
  socket.on('message', (m) => texts.push(m.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, values.from, () => resolve()));
  for (const m of messages) {
    socket.send(Buffer.from(m, 'latin1'), port, host);
    if (Number(values.gap) > 0) await sleep(Number(values.gap));
  }
  await sleep(Number(values.wait));
  socket.close();
}
const responses = texts.flatMap((t) => t.split(/(?=SIP\/2\.0 \d{3} )/)).map((t) => t.split('\r\n')[0]).filter((l) => l.startsWith('SIP/2.0'));
process.stdout.write(JSON.stringify({ responses, texts }) + '\n');
