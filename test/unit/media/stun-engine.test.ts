/**
 * `reserve-ports` with a STUN server (RFC 5389 Binding from the reserved sockets themselves),
 * against tiny STUN servers written here on 127.0.0.1: one that maps like a NAT would (to a
 * made-up loopback "public" address), one that says nothing, one that refuses, one that sends
 * junk first. Time runs on a fake scheduler; only the datagrams are real (loopback).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../main/media/media-engine.ts';
import type { MediaEvent } from '../../../main/media/media-protocol.ts';
import { STUN_BINDING, Stun, StunAttributeType } from '../../../main/media/stun.ts';
import { FakeScheduler, fakeNative } from './helpers/fake-native.ts';

interface Responder {
  port: number;
  /** Requests seen: where from, and the decoded message. */
  seen: Array<{ from: RemoteInfo; message: ReturnType<typeof Stun.decode> }>;
  close(): Promise<void>;
}

const servers: Responder[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A STUN server on 127.0.0.1; `answer` says what to send back to each request (nothing: undefined). */
async function responder(answer: (request: ReturnType<typeof Stun.decode>, from: RemoteInfo, socket: Socket) => Uint8Array[] | undefined): Promise<Responder> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const seen: Responder['seen'] = [];
  socket.on('message', (msg, from) => {
    const message = Stun.decode(msg);
    seen.push({ from, message });
    for (const out of answer(message, from, socket) ?? []) socket.send(out, from.port, from.address);
  });
  const r: Responder = { port: socket.address().port, seen, close: () => new Promise((resolve) => socket.close(() => resolve())) };
  servers.push(r);
  return r;
}

/** A NAT's view: each new source port gets the next public port, 127.0.0.2:30000, 30003, 30006… */
function natMapping(): (request: ReturnType<typeof Stun.decode>, from: RemoteInfo) => Uint8Array[] {
  const table = new Map<number, number>();
  return (request, from) => {
    if (!table.has(from.port)) table.set(from.port, 30000 + 3 * table.size);
    return [Stun.bindingResponse({ transactionId: request.transactionId, mapped: { family: 4, address: '127.0.0.2', port: table.get(from.port)! } })];
  };
}

function setup() {
  const scheduler = new FakeScheduler();
  const events: MediaEvent[] = [];
  const engine = new MediaEngine({ onEvent: (e) => events.push(e), native: fakeNative(), scheduler });
  return { scheduler, events, engine };
}

/** Waits (bounded, real time) until `test` holds: only for datagrams on loopback. */
async function until(test: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const range = { min: 43000, max: 43999 };

describe('reserve-ports with stun', () => {
  it('asks from the RTP and the RTCP socket and returns what the server saw (mapped, mappedRtcp)', async () => {
    const { engine, events } = setup();
    const server = await responder(natMapping());
    const r = await engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: range, stun: { address: '127.0.0.1', port: server.port } });
    expect(r.localRtcpPort).toBe(r.localPort + 1);
    // The requests came from the reserved ports themselves (that is the mapping a NAT keeps).
    expect(server.seen.map((s) => s.from.port).sort()).toEqual([r.localPort, r.localRtcpPort]);
    const rtpMapped = server.seen.findIndex((s) => s.from.port === r.localPort) * 3 + 30000;
    expect(r.mapped).toEqual({ address: '127.0.0.2', port: rtpMapped });
    expect(r.mappedRtcp).toEqual({ address: '127.0.0.2', port: rtpMapped === 30000 ? 30003 : 30000 });
    expect(r.stunError).toBeUndefined();
    for (const { message } of server.seen) {
      expect(message).toMatchObject({ method: STUN_BINDING, class: 'request', fingerprint: true });
      expect(new TextDecoder().decode(message.attributes.find((a) => a.type === StunAttributeType.SOFTWARE)!.value)).toBe('Appel');
    }
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    await engine.shutdown();
  });

  it('with rtcp-mux, one socket asks once', async () => {
    const { engine } = setup();
    const server = await responder(natMapping());
    const r = await engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: range, rtcpMux: true, stun: { address: '127.0.0.1', port: server.port } });
    expect(server.seen).toHaveLength(1);
    expect(r.mapped).toEqual({ address: '127.0.0.2', port: 30000 });
    expect(r.mappedRtcp).toBeUndefined();
    await engine.shutdown();
  });

  it('a silent server: requests at 0 and 500 ms (RFC 5389 §7.2.1 RTO), given up at 1.5 s with a warning; the ports stay reserved', async () => {
    const { engine, events, scheduler } = setup();
    const server = await responder(() => undefined);
    let settled = false;
    const pending = engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: range, rtcpMux: true, stun: { address: '127.0.0.1', port: server.port } }).finally(() => (settled = true));
    await until(() => server.seen.length === 1, 'the first request');
    scheduler.advance(499);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.seen).toHaveLength(1);
    scheduler.advance(1);
    await until(() => server.seen.length === 2, 'the retransmission at 500 ms');
    // The same transaction, sent again.
    expect(server.seen[1].message.transactionId).toEqual(server.seen[0].message.transactionId);
    scheduler.advance(999);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    scheduler.advance(1);
    const r = await pending;
    expect(server.seen).toHaveLength(2);
    expect(r.mapped).toBeUndefined();
    expect(r.stunError).toBe(`no answer from the STUN server 127.0.0.1:${server.port} within 1.5 s (2 requests sent)`);
    expect(events).toContainEqual({ type: 'warning', code: 'stun', message: `the public address of RTP port ${r.localPort} is unknown: ${r.stunError}` });
    // Still reserved, and still released the usual way.
    await expect(engine.handle({ type: 'release-ports', localPort: r.localPort })).resolves.toBeNull();
    await engine.shutdown();
  });

  it('an error answer ends the transaction at once, in words', async () => {
    const { engine, events } = setup();
    const server = await responder((req) => [Stun.bindingResponse({ transactionId: req.transactionId, error: { code: 401, reason: 'Unauthorized' } })]);
    const r = await engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: range, stun: { address: '127.0.0.1', port: server.port } });
    expect(r.mapped).toBeUndefined();
    expect(r.stunError).toBe(`the STUN server refused the Binding request: 401 Unauthorized (127.0.0.1:${server.port})`);
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(1);
    await engine.shutdown();
  });

  it('skips a damaged answer and another transaction, and takes the right one', async () => {
    const { engine } = setup();
    const server = await responder((req) => {
      const good = Stun.bindingResponse({ transactionId: req.transactionId, mapped: { family: 4, address: '127.0.0.3', port: 5000 } });
      const damaged = good.slice();
      damaged[damaged.length - 9] ^= 0xff; // in XOR-MAPPED-ADDRESS: the FINGERPRINT no longer matches
      const other = Stun.bindingResponse({ transactionId: Stun.newTransactionId(), mapped: { family: 4, address: '127.0.0.4', port: 6000 } });
      const rtp = Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1);
      return [damaged, other, rtp, good];
    });
    const r = await engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: range, rtcpMux: true, stun: { address: '127.0.0.1', port: server.port } });
    expect(r.mapped).toEqual({ address: '127.0.0.3', port: 5000 });
    await engine.shutdown();
  });

  it('refuses a STUN server that is not an IP address of the local family, naming the argument', async () => {
    const { engine } = setup();
    await expect(engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', stun: { address: 'stun.example.com' } })).rejects.toThrow(/^stun\.address: expected the STUN server's IP address/);
    await expect(engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', stun: { address: '::1' } })).rejects.toThrow(/^stun\.address: ::1 cannot be reached from the IPv4 address 127\.0\.0\.1/);
    await expect(engine.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', stun: { address: '127.0.0.1', port: 0 } })).rejects.toThrow(/^stun\.port:/);
  });
});

describe('a running stream and STUN on its socket (RFC 7983 §7)', () => {
  it('a late STUN answer is neither RTP nor RTCP: ignored, not even counted as dropped', async () => {
    const { engine } = setup();
    const s = await engine.handle({
      type: 'create-stream',
      streamId: 's',
      spec: { localAddress: '127.0.0.1', portRange: range, remote: { address: '127.0.0.1', rtpPort: 9 }, rtcpMux: true, codec: { name: 'pcmu', payloadType: 0 }, source: { kind: 'silence' }, sink: { kind: 'silence' } },
    });
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    const stun = Stun.bindingResponse({ transactionId: Stun.newTransactionId(), mapped: { family: 4, address: '127.0.0.2', port: 30000 } });
    // A 0x40 first byte is no STUN (RFC 7983) and no RTP version 2: counted as malformed.
    const junk = Uint8Array.of(0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1);
    for (const d of [stun, stun, junk]) await new Promise((resolve) => sender.send(d, s.localPort, '127.0.0.1', resolve));
    let stats = await engine.handle({ type: 'get-stats', streamId: 's' });
    const end = Date.now() + 3000;
    while (stats.dropped.malformed === 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
      stats = await engine.handle({ type: 'get-stats', streamId: 's' });
    }
    // Datagrams on loopback from one socket arrive in order: the STUN ones came first.
    expect(stats.dropped).toEqual({ srtp: 0, malformed: 1, payloadType: 0, foreignSource: 0 });
    expect(stats.packetsReceived).toBe(0);
    await new Promise<void>((resolve) => sender.close(() => resolve()));
    await engine.shutdown();
  });
});
