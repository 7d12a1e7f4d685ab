/**
 * The media worker lives only while calls need it: absent while the phone is idle, started as a
 * call is being set up (dial, incoming INVITE), stopped once nothing has been open in it for the
 * idle delay; a call that comes while it stops gets a new one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/sip/index.ts';
import { MediaHost } from '../../../main/phone/media-host.ts';
import { startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `test` holds. */
async function until(test: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

describe('MediaHost: the worker and the idle delay', () => {
  let host: MediaHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it('has no worker until used, and stops it once idle for the delay', async () => {
    const clock = new FakeClock();
    host = new MediaHost({ clock, idleStopMs: 1000 });
    expect(host.running).toBe(false);
    host.warm();
    expect(host.running).toBe(true);
    expect((await host.capabilities()).codecs).toContain('pcmu');
    clock.advance(999);
    expect(host.running).toBe(true);
    clock.advance(1);
    expect(host.running).toBe(false);
    // What the engine can do is known without a worker.
    expect((await host.capabilities()).codecs).toContain('pcmu');
    expect(host.running).toBe(false);
  });

  it('keeps the worker while a port or a stream is held, and stops it after they go', async () => {
    const clock = new FakeClock();
    host = new MediaHost({ clock, idleStopMs: 1000 });
    const client = host.client();
    const ports = await client.reservePorts({ localAddress: '127.0.0.1' });
    clock.advance(5000);
    expect(host.running).toBe(true);
    await client.createStream({
      localAddress: '127.0.0.1',
      localPort: ports.localPort,
      remote: { address: '127.0.0.1', rtpPort: 9 },
      rtcpMux: false,
      codec: { name: 'pcmu', payloadType: 0 },
      source: { kind: 'silence' },
      sink: { kind: 'silence' },
    }, 'st');
    clock.advance(5000);
    expect(host.running).toBe(true);
    await client.stopStream('st');
    // The 'idle' that follows the answer restarts the delay.
    await until(() => client.idle, 'the client idle');
    clock.advance(999);
    expect(host.running).toBe(true);
    clock.advance(1);
    expect(host.running).toBe(false);
  });

  it('keeps the worker while a call is being set up (inUse), with nothing open yet', () => {
    const clock = new FakeClock();
    let calls = 1;
    host = new MediaHost({ clock, idleStopMs: 1000, inUse: () => calls > 0 });
    host.warm();
    clock.advance(3000);
    expect(host.running).toBe(true);
    calls = 0;
    clock.advance(1000);
    expect(host.running).toBe(false);
  });

  it('a use that comes while the worker stops gets a new worker that works', async () => {
    const clock = new FakeClock();
    host = new MediaHost({ clock, idleStopMs: 10 });
    const first = host.client();
    await first.capabilities();
    clock.advance(10); // the first worker is being shut down now
    expect(host.running).toBe(false);
    const second = host.client();
    expect(second).not.toBe(first);
    const ports = await second.reservePorts({ localAddress: '127.0.0.1' });
    expect(ports.localPort).toBeGreaterThan(0);
    await second.releasePorts(ports.localPort);
  });

  it('refuses an idle delay that is not a number of milliseconds', () => {
    expect(() => new MediaHost({ idleStopMs: -1 })).toThrow(/idleStopMs/);
    expect(() => new MediaHost({ idleStopMs: Number.NaN })).toThrow(/idleStopMs/);
  });
});

describe('a phone without calls has no media worker', () => {
  let alice: TestPhone;
  let bob: TestPhone;
  afterEach(async () => {
    await Promise.all([alice?.phone.stop(), bob?.phone.stop()]);
  });

  it('starts it for a call (both sides) and stops it after the idle delay; the next call works', async () => {
    [alice, bob] = await Promise.all([startPhone('alice', { media: { address: '127.0.0.1', idleStopMs: 300 } }), startPhone('bob', { media: { address: '127.0.0.1', idleStopMs: 300 } })]);
    await sleep(100);
    expect(alice.phone.calls.mediaRunning).toBe(false);
    expect(bob.phone.calls.mediaRunning).toBe(false);

    for (let round = 0; round < 2; round++) {
      const a = await alice.phone.dial({ to: bob.uri(), play: { tone: [800], levelDb: -20 } });
      expect(alice.phone.calls.mediaRunning).toBe(true);
      const incoming = await waitEvent(bob, 'call:incoming', (c) => !bob.events.some((e) => e.name === 'call:state' && e.payload.id === c.id && e.payload.state === 'ended'));
      expect(bob.phone.calls.mediaRunning).toBe(true);
      await bob.phone.answer({ callId: incoming.id });
      await waitState(alice, a.id, 'connected');
      await Promise.all([waitPackets(alice, a.id, 10), waitPackets(bob, incoming.id, 10)]);
      // A call longer than the idle delay keeps its worker.
      await sleep(400);
      expect(alice.phone.calls.mediaRunning).toBe(true);
      await alice.phone.hangup({ callId: a.id });
      await Promise.all([waitState(alice, a.id, 'ended'), waitState(bob, incoming.id, 'ended')]);
      await until(() => !alice.phone.calls.mediaRunning && !bob.phone.calls.mediaRunning, 'both workers stopped');
    }
  });
});
