/**
 * Helpers for transport tests: SipTransports on loopback that stop themselves after each test,
 * raw UDP/TCP peers, and bounded waits (every wait fails after `ms`, never hangs).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach } from 'vitest';
import { createResponse, parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/index.ts';
import { SipTransport } from '../../../main/sip/transport/sip-transport.ts';
import type { SipTransportOptions } from '../../../main/sip/transport/sip-transport.ts';
import type { Incoming, TraceEvent } from '../../../main/sip/transport/types.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

export interface TestTransport {
  transport: SipTransport;
  /** Messages received, in order. */
  inbox: Incoming[];
  traces: TraceEvent[];
  warnings: string[];
  /** The next message received (or one already waiting), within `ms`. */
  next(ms?: number): Promise<Incoming>;
  port(protocol: 'UDP' | 'TCP' | 'TLS'): number;
}

export async function startTransport(options: SipTransportOptions): Promise<TestTransport> {
  const traces: TraceEvent[] = [];
  const warnings: string[] = [];
  const transport = new SipTransport({
    trace: (e) => traces.push(e),
    logger: { warn: (m) => warnings.push(m) },
    ...options,
  });
  await transport.start();
  onCleanup(() => transport.stop());
  const inbox: Incoming[] = [];
  let taken = 0;
  const waiters: Array<() => void> = [];
  transport.onMessage((incoming) => {
    inbox.push(incoming);
    waiters.splice(0).forEach((w) => w());
  });
  return {
    transport,
    inbox,
    traces,
    warnings,
    port: (protocol) => {
      const found = transport.localAddresses().find((a) => a.protocol === protocol);
      if (!found) throw new Error(`no ${protocol} listener`);
      return found.port;
    },
    next: (ms = 3000) =>
      within(ms, 'a SIP message', () => new Promise<Incoming>((resolve) => {
        const check = () => {
          if (inbox.length > taken) resolve(inbox[taken++]);
          else waiters.push(check);
        };
        check();
      })),
  };
}

/** Reject after `ms` (a bound on waiting, not a timing assertion). */
export function within<T>(ms: number, what: string, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    run().then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Poll a condition driven by real I/O (bounded). */
export async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  await within(ms, what, async () => {
    while (!condition()) await new Promise((r) => setTimeout(r, 5));
  });
}

let seq = 1;

/** A request as the transaction layer would hand it over (Via with a branch, sent-by to be filled). */
export function request(method: string, uri: string, extra: string[] = [], body = ''): SipRequest {
  const n = seq++;
  const text = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP placeholder.invalid;branch=z9hG4bKtest${n}`,
    'Max-Forwards: 70',
    `From: <sip:alice@lab.test>;tag=a${n}`,
    `To: <${uri}>`,
    `Call-ID: call-${n}@lab.test`,
    `CSeq: ${n} ${method}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  return parseMessage(text) as SipRequest;
}

export function responseTo(incoming: Incoming, status = 200): SipResponse {
  return createResponse(incoming.message as SipRequest, { status, toTag: 'b1' });
}

/** A raw UDP peer: sends bytes, collects datagrams as text. */
export async function rawUdp(address = '127.0.0.1'): Promise<{
  socket: dgram.Socket;
  port: number;
  received: Array<{ text: string; port: number }>;
  next(ms?: number): Promise<{ text: string; port: number }>;
  send(text: string | Uint8Array, port: number, to?: string): void;
}> {
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const received: Array<{ text: string; port: number }> = [];
  let taken = 0;
  socket.on('message', (data, rinfo) => received.push({ text: data.toString('utf8'), port: rinfo.port }));
  return {
    socket,
    port: socket.address().port,
    received,
    next: async (ms = 3000) => {
      await until(() => received.length > taken, 'a datagram', ms);
      return received[taken++];
    },
    send: (text, port, to = address) => socket.send(typeof text === 'string' ? Buffer.from(text) : text, port, to),
  };
}

/** A raw TCP client: everything it reads, and whether the far end closed. */
export async function rawTcp(port: number, address = '127.0.0.1'): Promise<{
  socket: net.Socket;
  data: () => string;
  closed: () => boolean;
}> {
  const socket = net.connect({ port, host: address });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  onCleanup(() => socket.destroy());
  let buffer = '';
  let closed = false;
  socket.on('data', (d) => (buffer += d.toString('utf8')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  return { socket, data: () => buffer, closed: () => closed };
}

/** A raw TCP server (a peer that speaks only what the test writes). */
export async function rawTcpServer(address = '127.0.0.1'): Promise<{
  port: number;
  sockets: net.Socket[];
  data: () => string;
}> {
  const sockets: net.Socket[] = [];
  let buffer = '';
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => (buffer += d.toString('utf8')));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, address, () => resolve()));
  onCleanup(() => {
    sockets.forEach((s) => s.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, sockets, data: () => buffer };
}

export function sipText(lines: string[], body = ''): string {
  return [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}
