/**
 * The addon's polled UDP socket (native/udp.ts): datagrams wait in the kernel until `receive`,
 * which hands over each one's bytes, sender and age (the kernel's arrival stamp); errors carry
 * the errno's name, as node:dgram's do.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpSocket, type Datagram } from '../../../native/udp.ts';

const opened: Array<UdpSocket | Socket> = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function polled(family: 4 | 6 = 4, address = family === 6 ? '::1' : '127.0.0.1'): UdpSocket {
  const s = new UdpSocket(family);
  opened.push(s);
  s.bind(address, 0);
  return s;
}

async function dgram(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const s = createSocket(type);
  opened.push(s);
  await new Promise<void>((r) => s.bind(0, type === 'udp6' ? '::1' : '127.0.0.1', () => r()));
  return s;
}

function drain(s: UdpSocket): Datagram[] {
  const got: Datagram[] = [];
  s.receive((d) => got.push(d));
  return got;
}

const sent = (s: Socket, bytes: Uint8Array, port: number, address = '127.0.0.1') => new Promise<void>((r, j) => s.send(bytes, port, address, (err) => (err ? j(err) : r())));

describe('UdpSocket (native/udp.ts)', () => {
  it('keeps datagrams until receive, in order, with the sender and how long they waited', async () => {
    const s = polled();
    const peer = await dgram();
    expect(drain(s)).toEqual([]);
    for (let i = 0; i < 3; i++) await sent(peer, new Uint8Array([i, i, i]), s.localPort);
    await new Promise((r) => setTimeout(r, 30));
    const got = drain(s);
    expect(got.map((d) => [...d.bytes])).toEqual([[0, 0, 0], [1, 1, 1], [2, 2, 2]]);
    expect(got.every((d) => d.address === '127.0.0.1' && d.port === peer.address().port)).toBe(true);
    // They arrived at least 30 ms before this receive, by the kernel's stamp.
    expect(Math.min(...got.map((d) => d.ageMs))).toBeGreaterThanOrEqual(25);
    expect(Math.max(...got.map((d) => d.ageMs))).toBeLessThan(1000);
    expect(drain(s)).toEqual([]);
  });

  it('hands out bytes that later receives never overwrite', async () => {
    const s = polled();
    const peer = await dgram();
    await sent(peer, new Uint8Array(100).fill(7), s.localPort);
    const first = drain(s)[0].bytes;
    for (let i = 0; i < 40; i++) await sent(peer, new Uint8Array(100).fill(9), s.localPort);
    expect(drain(s)).toHaveLength(40);
    expect(first.every((b) => b === 7)).toBe(true);
  });

  it('reads a burst of many batches in one call (the kernel holds 256 small datagrams by default)', async () => {
    const s = polled();
    const peer = await dgram();
    for (let i = 0; i < 200; i++) await sent(peer, new Uint8Array([i]), s.localPort);
    expect(drain(s).map((d) => d.bytes[0])).toEqual([...Array(200).keys()]);
    expect(drain(s)).toEqual([]);
  });

  it('hands over a datagram longer than 2048 bytes empty (the stream counts it malformed)', async () => {
    const s = polled();
    const peer = await dgram();
    await sent(peer, new Uint8Array(3000), s.localPort);
    await sent(peer, new Uint8Array(10), s.localPort);
    expect(drain(s).map((d) => d.bytes.length)).toEqual([0, 10]);
  });

  it('sends to IPv4 and IPv6 peers; a send that cannot leave says why in words', async () => {
    const s = polled();
    const peer = await dgram();
    const heard = new Promise<Buffer>((r) => peer.once('message', r));
    expect(s.send(new Uint8Array([1, 2, 3]), '127.0.0.1', peer.address().port)).toBeUndefined();
    expect([...(await heard)]).toEqual([1, 2, 3]);
    // A loopback socket may not reach TEST-NET-1; an IPv6 peer is not reachable from IPv4.
    expect(s.send(new Uint8Array(1), '192.0.2.1', 9)).toMatch(/^send: .*EINVAL/);
    expect(s.send(new Uint8Array(1), '::1', 9)).toMatch(/not an IPv4 address/);

    const s6 = polled(6);
    const peer6 = await dgram('udp6');
    const heard6 = new Promise<Buffer>((r) => peer6.once('message', r));
    expect(s6.send(new Uint8Array([4]), '::1', peer6.address().port)).toBeUndefined();
    expect([...(await heard6)]).toEqual([4]);
    await sent(peer6, new Uint8Array([5]), s6.localPort, '::1');
    expect(drain(s6).map((d) => [d.address, [...d.bytes]])).toEqual([['::1', [5]]]);
    // A zone (RFC 4007 §11) by name or index; an unknown one is refused in words.
    const zoned = new Promise<Buffer>((r) => peer6.once('message', r));
    expect(s6.send(new Uint8Array([6]), '::1%lo', peer6.address().port)).toBeUndefined();
    expect([...(await zoned)]).toEqual([6]);
    expect(s6.send(new Uint8Array([7]), '::1%nosuchif0', peer6.address().port)).toMatch(/not an IPv6 address/);
  });

  it('refuses a port in use with EADDRINUSE, and bad arguments with a TypeError naming them', () => {
    const s = polled();
    const other = new UdpSocket(4);
    opened.push(other);
    expect(() => other.bind('127.0.0.1', s.localPort)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', message: expect.stringMatching(/Address already in use/) }));
    expect(() => other.bind('::1', 0)).toThrow(TypeError);
    expect(() => other.bind('127.0.0.1', 70000)).toThrow(/port: expected an integer/);
    expect(() => new UdpSocket(5 as 4)).toThrow(/family/);
    expect(() => s.send('x' as unknown as Uint8Array, '127.0.0.1', 9)).toThrow(/bytes/);
  });

  it('once closed, receives nothing and sends nothing; close twice is harmless', async () => {
    const s = polled();
    s.close();
    s.close();
    expect(s.open).toBe(false);
    expect(drain(s)).toEqual([]);
    expect(s.send(new Uint8Array(1), '127.0.0.1', 9)).toMatch(/closed/);
  });
});

/** Waits (bounded) until `peer` has received `n` datagrams; resolves with them and when each came (performance.now()). */
function collect(peer: Socket, n: number, timeoutMs = 5_000): Promise<Array<{ bytes: number[]; at: number }>> {
  const got: Array<{ bytes: number[]; at: number }> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} datagrams within ${timeoutMs} ms`)), timeoutMs);
    peer.on('message', (msg) => {
      got.push({ bytes: [...msg], at: performance.now() });
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe('UdpSocket.sendAt: the pacer (native/src/udp-pacer.cc)', () => {
  it('sends each datagram no sooner than its delay, in due order (equal delays in the order queued)', async () => {
    const s = polled();
    const peer = await dgram();
    const arrived = collect(peer, 6);
    const t0 = performance.now();
    const delays = [60, 0, 20, 40, 40, 80];
    delays.forEach((d, i) => expect(s.sendAt(new Uint8Array([i]), '127.0.0.1', peer.address().port, d)).toBeUndefined());
    const got = await arrived;
    expect(got.map((g) => g.bytes[0])).toEqual([1, 2, 3, 4, 0, 5]);
    for (const g of got) expect(g.at - t0).toBeGreaterThanOrEqual(delays[g.bytes[0]] - 1);
    expect(s.pacedPending).toBe(0);
  });

  it('cancelPaced drops what waits, retargetPaced moves it; a sentinel queued later shows what left', async () => {
    const s = polled();
    const a = await dgram();
    const b = await dgram();
    const atA = collect(a, 1);
    const atB = collect(b, 3);
    for (let i = 0; i < 3; i++) s.sendAt(new Uint8Array([i]), '127.0.0.1', a.address().port, 30 + i * 10);
    expect(s.pacedPending).toBe(3);
    expect(s.cancelPaced()).toBe(3);
    s.sendAt(new Uint8Array([10]), '127.0.0.1', a.address().port, 20);
    s.sendAt(new Uint8Array([11]), '127.0.0.1', a.address().port, 30);
    s.retargetPaced('127.0.0.1', b.address().port);
    s.sendAt(new Uint8Array([12]), '127.0.0.1', b.address().port, 60);
    s.sendAt(new Uint8Array([99]), '127.0.0.1', a.address().port, 90); // the sentinel: after everything
    expect((await atB).map((g) => g.bytes[0])).toEqual([10, 11, 12]);
    expect((await atA).map((g) => g.bytes[0])).toEqual([99]);
  });

  it('bounds the queue (64 a socket) and says so in words; a closed socket drops what waited', async () => {
    const s = polled();
    const peer = await dgram();
    for (let i = 0; i < 64; i++) expect(s.sendAt(new Uint8Array([i]), '127.0.0.1', peer.address().port, 40)).toBeUndefined();
    expect(s.sendAt(new Uint8Array([64]), '127.0.0.1', peer.address().port, 40)).toMatch(/queue is full/);
    expect(s.sendAt(new Uint8Array([0]), 'not an address', peer.address().port, 0)).toMatch(/not an IPv4 address/);
    expect(() => s.sendAt(new Uint8Array([0]), '127.0.0.1', peer.address().port, Number.NaN)).toThrow(TypeError);
    const other = polled();
    const arrived = collect(peer, 1);
    other.sendAt(new Uint8Array([200]), '127.0.0.1', peer.address().port, 80);
    s.close();
    expect(s.pacedPending).toBe(0);
    expect(s.sendAt(new Uint8Array([1]), '127.0.0.1', peer.address().port, 0)).toMatch(/closed/);
    // Another socket's datagram still leaves, and none of the 64 closed ones came before it.
    expect((await arrived).map((g) => g.bytes[0])).toEqual([200]);
  });
});

