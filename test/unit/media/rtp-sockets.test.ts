/**
 * RtpSockets over the addon's polled sockets: datagrams wait for `drain`, one that its handler
 * throws on does not lose the rest, the separate RTCP socket is read only when asked, and a
 * remote given by host name is looked up once.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpSockets } from '../../../main/media/rtp-sockets.ts';
import { UdpSocket } from '../../../native/udp.ts';

const closing: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c();
});

async function peer(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  closing.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

async function polled(rtcpMux: boolean, onMessage: (msg: Uint8Array, rtcp: boolean) => void, errors: Error[] = []): Promise<RtpSockets> {
  const s = await RtpSockets.bind({
    localAddress: '127.0.0.1',
    portRange: { min: 40000, max: 49998 },
    rtcpMux,
    random: Math.random,
    onMessage: (msg, _rinfo, rtcp) => onMessage(msg, rtcp),
    onError: (err) => errors.push(err),
    createUdp: (family) => new UdpSocket(family),
  });
  closing.push(() => s.close());
  return s;
}

const send = (s: Socket, bytes: number[], port: number, address = '127.0.0.1') => new Promise<void>((r) => s.send(new Uint8Array(bytes), port, address, () => r()));

describe('RtpSockets, polled', () => {
  it('keeps datagrams for drain; a throwing handler loses none of the rest', async () => {
    const got: number[] = [];
    const errors: Error[] = [];
    const s = await polled(true, (msg) => {
      got.push(msg[0]);
      if (msg[0] === 1) throw new Error('bad datagram');
    }, errors);
    expect(s.polled).toBe(true);
    const p = await peer();
    for (const b of [1, 2, 3]) await send(p, [b], s.localPort);
    expect(got).toEqual([]);
    s.drain(true);
    expect(got).toEqual([1, 2, 3]);
    expect(errors.map((e) => e.message)).toEqual(['bad datagram']);
  });

  it('reads the separate RTCP socket only when asked', async () => {
    const got: Array<[number, boolean]> = [];
    const s = await polled(false, (msg, rtcp) => got.push([msg[0], rtcp]));
    expect(s.localRtcpPort).toBe(s.localPort + 1);
    const p = await peer();
    await send(p, [1], s.localPort);
    await send(p, [2], s.localRtcpPort);
    s.drain(false);
    expect(got).toEqual([[1, false]]);
    s.drain(true);
    expect(got).toEqual([[1, false], [2, true]]);
  });

  it('sends to a host name once it is looked up (localhost: the hosts file), and says when a name is unknown', async () => {
    const s = await polled(true, () => {});
    const p = await peer();
    const heard: number[] = [];
    p.on('message', (m) => heard.push(m[0]));
    const outcome = (bytes: number[], address: string) => new Promise<Error | null>((r) => s.sendRtp(new Uint8Array(bytes), { address, port: p.address().port }, r));
    expect(await outcome([1], 'localhost')).toBeNull(); // dropped while the name is looked up
    await new Promise((r) => setTimeout(r, 50));
    expect(await outcome([2], 'localhost')).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual([2]);
  });
});

describe('RtpSockets.drain, rounds', () => {
  it('reads again while a read comes back full (256), at most `rounds` times', async () => {
    let waiting = 700;
    const reads: number[] = [];
    const fake = {
      localPort: 40000,
      bind: () => undefined,
      send: () => undefined,
      close: () => undefined,
      receive: (each: (d: { bytes: Uint8Array; address: string; port: number; ageMs: number }) => void) => {
        const n = Math.min(256, waiting);
        waiting -= n;
        for (let i = 0; i < n; i++) each({ bytes: new Uint8Array(12), address: '127.0.0.1', port: 9, ageMs: 0 });
        reads.push(n);
        return n;
      },
    };
    let got = 0;
    const s = await RtpSockets.bind({ localAddress: '127.0.0.1', localPort: 40000, rtcpMux: true, random: Math.random, onMessage: () => got++, onError: () => undefined, createUdp: () => fake });
    s.drain(false, 1);
    expect(reads).toEqual([256]);
    s.drain(false, 5);
    expect(reads).toEqual([256, 256, 188]);
    expect(got).toBe(700);
  });
});
