/**
 * What a TCP attacker can hold: connections capped in total and per address, and a connection
 * that sends no complete message within the deadline (slowloris, idle sockets) closed.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/sip/clock.ts';
import { onCleanup, rawTcp, sipText, startTransport, until } from '../transport/loopback.ts';

const tcp = { protocol: 'TCP' as const, address: '127.0.0.1', port: 0 };

/** A connection from `from` (another loopback address) to 127.0.0.1:port. */
async function connectFrom(port: number, from: string): Promise<{ socket: net.Socket; closed: () => boolean }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  onCleanup(() => socket.destroy());
  return { socket, closed: () => closed };
}

describe('TCP: bounded connections', () => {
  it('closes one accepted connection too many from one address; in all, a newcomer replaces the oldest silent one', async () => {
    const t = await startTransport({ listen: [tcp], maxConnectionsPerAddress: 2, maxAcceptedConnections: 3 });
    const port = t.port('TCP');
    const a = [await connectFrom(port, '127.0.0.11'), await connectFrom(port, '127.0.0.11'), await connectFrom(port, '127.0.0.11')];
    await until(() => a[2].closed(), 'the third connection from one address closed');
    expect(a[0].closed() || a[1].closed()).toBe(false);
    // a[0] speaks: it is no longer the one to go.
    a[0].socket.write(sipText(['OPTIONS sip:bob@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.11:9;branch=z9hG4bKcap1', 'From: <sip:x@lab.test>;tag=1', 'To: <sip:bob@lab.test>', 'Call-ID: cap-1', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70']));
    await t.next();
    const b = await connectFrom(port, '127.0.0.12');
    expect(b.closed()).toBe(false);
    // Full (3): the next newcomer takes the place of a[1], which never said anything.
    const c = await connectFrom(port, '127.0.0.13');
    await until(() => a[1].closed(), 'the oldest silent connection closed to make room');
    expect(a[0].closed() || c.closed()).toBe(false);
    expect(t.transport.stats.refusedConnections).toBe(2);
  });

  it('closes a connection that sends no complete message within the deadline, however it dribbles', async () => {
    const clock = new FakeClock();
    const t = await startTransport({ listen: [tcp], clock, messageDeadline: 32 });
    const port = t.port('TCP');
    const idle = await rawTcp(port);
    const slow = await rawTcp(port);
    const good = await rawTcp(port);
    const message = sipText([
      'OPTIONS sip:bob@127.0.0.1 SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKdl1',
      'From: <sip:x@lab.test>;tag=1',
      'To: <sip:bob@lab.test>',
      'Call-ID: deadline-1',
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
    ]);
    good.socket.write(message);
    await t.next();
    for (let s = 0; s < 40; s++) {
      slow.socket.write('X');
      await new Promise((r) => setTimeout(r, 2));
      clock.advance(1000);
    }
    await until(() => idle.closed() && slow.closed(), 'idle and slow connections closed');
    expect(good.closed()).toBe(false);
  });
});
