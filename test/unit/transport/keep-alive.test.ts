import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/sip/clock.ts';
import type { FlowFailure } from '../../../main/sip/transport/sip-transport.ts';
import { rawTcpServer, rawUdp, request, startTransport, until } from './loopback.ts';

// Time for keep-alives and idle connections comes from a FakeClock: the test moves it; the
// sockets are real loopback ones, so waits for bytes are bounded polls, not timed assertions.

describe('RFC 5626 keep-alive', () => {
  it('pings a TCP registration flow with CRLFCRLF and accepts the CRLF pong (§4.4.1)', async () => {
    const clock = new FakeClock();
    const a = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }], keepAliveInterval: 30, clock });
    const b = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }] });
    const failures: FlowFailure[] = [];
    a.transport.onFlowFailed((f) => failures.push(f));
    const used = await a.transport.sendRequest(request('REGISTER', 'sip:127.0.0.1', ['Contact: <sip:alice@127.0.0.1>', 'Expires: 600']), {
      protocol: 'TCP',
      address: '127.0.0.1',
      port: b.port('TCP'),
    });
    await b.next();
    expect(a.transport.connections()[0]).toMatchObject({ id: used.connectionId, keepAlive: true, awaitingPong: false });

    for (let round = 0; round < 3; round++) {
      clock.advance(30_000);
      expect(a.transport.connections()[0].awaitingPong).toBe(true);
      await until(() => a.transport.connections()[0]?.awaitingPong === false, 'the pong');
    }
    clock.advance(10_000);
    expect(failures).toEqual([]);
    expect(a.transport.connections()).toHaveLength(1);
    // Keep-alives are not SIP messages: no trace, no delivery.
    expect(b.inbox).toHaveLength(1);
    expect(a.traces.filter((t) => t.direction === 'received')).toHaveLength(0);
  });

  it('closes a flow whose pong does not come back within 10 s and emits flow-failed', async () => {
    const clock = new FakeClock();
    // random() = 1: the ping goes out at exactly 100 % of the interval (no RFC 5626 jitter).
    const a = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }], keepAliveInterval: 30, clock, random: () => 1 });
    const silent = await rawTcpServer();
    const failures: FlowFailure[] = [];
    a.transport.onFlowFailed((f) => failures.push(f));
    const used = await a.transport.sendRequest(request('REGISTER', 'sip:127.0.0.1', ['Contact: <sip:alice@127.0.0.1>']), {
      protocol: 'TCP',
      address: '127.0.0.1',
      port: silent.port,
    });
    await until(() => silent.data().includes('REGISTER'), 'the REGISTER');
    clock.advance(30_000);
    await until(() => silent.data().endsWith('\r\n\r\n\r\n'), 'the ping after the message');
    clock.advance(9_999);
    expect(failures).toHaveLength(0);
    clock.advance(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      protocol: 'TCP',
      remote: { address: '127.0.0.1', port: silent.port },
      connectionId: used.connectionId,
    });
    expect(failures[0].reason).toContain('pong');
    expect(a.transport.connections()).toHaveLength(0);
  });

  it('sends CRLF keep-alives to a UDP registrar, and stops after un-REGISTER', async () => {
    const clock = new FakeClock();
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], keepAliveInterval: 30, clock });
    const registrar = await rawUdp();
    const target = { protocol: 'UDP' as const, address: '127.0.0.1', port: registrar.port };
    await a.transport.sendRequest(request('REGISTER', 'sip:127.0.0.1', ['Contact: <sip:alice@127.0.0.1>;expires=600']), target);
    expect((await registrar.next()).text).toMatch(/^REGISTER/);
    clock.advance(30_000);
    expect((await registrar.next()).text).toBe('\r\n\r\n');
    clock.advance(30_000);
    expect((await registrar.next()).text).toBe('\r\n\r\n');

    await a.transport.sendRequest(request('REGISTER', 'sip:127.0.0.1', ['Contact: <sip:alice@127.0.0.1>;expires=0']), target);
    expect((await registrar.next()).text).toMatch(/^REGISTER/);
    clock.advance(120_000);
    expect(clock.pending).toBe(0);
  });

  it('keeps any flow alive on request with its own interval, until stopped', async () => {
    const clock = new FakeClock();
    const a = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }], clock });
    const peer = await rawTcpServer();
    const used = await a.transport.sendRequest(request('OPTIONS', 'sip:127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: peer.port });
    const handle = a.transport.keepAlive(used, { interval: 5 });
    clock.advance(5_000);
    await until(() => peer.data().endsWith('\r\n\r\n\r\n'), 'a ping');
    peer.sockets[0].write('\r\n');
    await until(() => a.transport.connections()[0]?.awaitingPong === false, 'the pong');
    handle.stop();
    expect(a.transport.connections()[0].keepAlive).toBe(false);
    expect(() => a.transport.keepAlive({ protocol: 'TCP', address: '127.0.0.1', port: 1 })).toThrow(/no open TCP connection/);
  });
});

describe('idle connections', () => {
  it('closes a connection without SIP traffic after idleTimeout, but not a registration flow', async () => {
    const clock = new FakeClock();
    const a = await startTransport({
      listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }],
      idleTimeout: 60,
      keepAliveInterval: 3600,
      clock,
    });
    const b = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }] });
    const c = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }] });
    await a.transport.sendRequest(request('OPTIONS', 'sip:b@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: b.port('TCP') });
    await a.transport.sendRequest(request('REGISTER', 'sip:c@127.0.0.1', ['Contact: <sip:a@127.0.0.1>']), {
      protocol: 'TCP',
      address: '127.0.0.1',
      port: c.port('TCP'),
    });
    await b.next();
    await c.next();
    expect(a.transport.connections()).toHaveLength(2);
    clock.advance(59_000);
    expect(a.transport.connections()).toHaveLength(2);
    clock.advance(1_000);
    const left = a.transport.connections();
    expect(left).toHaveLength(1);
    expect(left[0].remote.port).toBe(c.port('TCP'));
  });
});
