/**
 * MediaEngineClient with the engine in this thread (`inThread`, media-placement.ts's near engine)
 * speaks the same protocol as with a worker: two engines, one of each kind, carry a call both ways
 * over loopback; closing ends the in-thread engine like a worker ('exit', requests refused).
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngineClient, type MediaStreamStats } from '../../../main/media/media-engine-client.ts';
import type { StreamSpec } from '../../../main/media/media-protocol.ts';

const clients: MediaEngineClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function make(inThread: boolean): MediaEngineClient {
  const client = new MediaEngineClient(inThread ? { inThread: true } : {});
  clients.push(client);
  return client;
}

/** The first stats of `streamId` with at least `packets` received (bounded). */
function statsWith(client: MediaEngineClient, streamId: string, packets: number): Promise<MediaStreamStats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${streamId}: fewer than ${packets} packets in 8 s`)), 8000);
    client.on('stats', (e) => {
      if (e.streamId !== streamId || e.stats.packetsReceived < packets) return;
      clearTimeout(timer);
      resolve(e.stats);
    });
  });
}

const spec = (localPort: number, remotePort: number): StreamSpec => ({
  localAddress: '127.0.0.1',
  localPort,
  remote: { address: '127.0.0.1', rtpPort: remotePort },
  rtcpMux: true,
  codec: { name: 'pcmu', payloadType: 0 },
  source: { kind: 'tone', frequencies: [440], levelDb: -20 },
  sink: { kind: 'silence' },
});

describe('MediaEngineClient in this thread', () => {
  it('carries a call both ways with an engine in a worker', async () => {
    const near = make(true);
    const far = make(false);
    const [a, b] = await Promise.all([near.reservePorts({ localAddress: '127.0.0.1' }), far.reservePorts({ localAddress: '127.0.0.1' })]);
    await Promise.all([near.createStream(spec(a.localPort, b.localPort), 'a'), far.createStream(spec(b.localPort, a.localPort), 'b')]);
    const [sa, sb] = await Promise.all([statsWith(near, 'a', 50), statsWith(far, 'b', 50)]);
    expect(sa.packetsSent).toBeGreaterThan(0);
    expect(sb.packetsSent).toBeGreaterThan(0);
    // A transferred port reaches the in-thread engine as it reaches a worker.
    const { port1, port2 } = new MessageChannel();
    await near.attachDevice(port2, 48000);
    port1.close();
  });

  it('ends on close: an exit event, then every request refused in words', async () => {
    const near = make(true);
    expect((await near.capabilities()).codecs).toContain('pcmu');
    const exited = new Promise<{ code: number }>((resolve) => near.once('exit', resolve));
    await near.close();
    expect(await exited).toEqual({ code: 0 });
    await expect(near.capabilities()).rejects.toThrow(/media engine has exited/);
  });

  it('answers a bad request with an error, as in a worker', async () => {
    const near = make(true);
    await expect(near.request({ type: 'nonsense' } as never)).rejects.toThrow(/unknown request/);
    expect((await near.capabilities()).codecs).toContain('pcmu');
  });
});
