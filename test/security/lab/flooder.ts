/**
 * A SIP scanner's flood, run inside a test's network namespace (`node flooder.ts …`): OPTIONS and
 * INVITE from "friendly-scanner" at fixed rates, from one source address, to one UDP target, for a
 * bounded time. Every request is new (its own Call-ID and branch), as a scanner's are. It prints
 * one JSON line when done: what it sent and what came back, by status.
 *
 *   node flooder.ts --target 127.0.0.1:5070 --from 127.0.0.66 --options 2000 --invites 500 --seconds 20
 */
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    from: { type: 'string', default: '127.0.0.66' },
    options: { type: 'string', default: '2000' },
    invites: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    user: { type: 'string', default: '100' },
  },
});
const [host, portText] = String(values.target).split(':');
const port = Number(portText);
const rates = { OPTIONS: Number(values.options), INVITE: Number(values.invites) };
const seconds = Number(values.seconds);

const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, values.from, () => resolve()));
const local = socket.address();
const answers: Record<string, number> = {};
socket.on('message', (m) => {
  const status = /^SIP\/2\.0 (\d{3})/.exec(m.toString('latin1', 0, 16))?.[1] ?? 'other';
  answers[status] = (answers[status] ?? 0) + 1;
});

const SDP = ['v=0', `o=- 1 1 IN IP4 ${local.address}`, 's=-', `c=IN IP4 ${local.address}`, 't=0 0', 'm=audio 9 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
let n = 0;
function request(method: 'OPTIONS' | 'INVITE'): Buffer {
  n++;
  const body = method === 'INVITE' ? SDP : '';
  return Buffer.from(
    [
      `${method} sip:${values.user}@${host}:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bK-scan-${n};rport`,
      'Max-Forwards: 70',
      `From: "${values.user}" <sip:${values.user}@${local.address}>;tag=scan${n}`,
      `To: "${values.user}" <sip:${values.user}@${host}>`,
      `Call-ID: scan-${n}-${process.pid}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:${values.user}@${local.address}:${local.port}>`,
      'User-Agent: friendly-scanner',
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

const sent = { OPTIONS: 0, INVITE: 0 };
const start = performance.now();
const tick = 10; // ms: each tick sends what the rates owe by then
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) {
      clearInterval(timer);
      resolve();
      return;
    }
    for (const method of ['OPTIONS', 'INVITE'] as const) {
      const owed = Math.floor(elapsed * rates[method]) - sent[method];
      for (let i = 0; i < owed; i++) {
        socket.send(request(method), port, host);
        sent[method]++;
      }
    }
  }, tick);
});
// Late answers still count for a moment.
await new Promise((r) => setTimeout(r, 500));
socket.close();
process.stdout.write(JSON.stringify({ sent, answers, seconds: (performance.now() - start) / 1000 }) + '\n');
