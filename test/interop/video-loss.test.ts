/**
 * Video through 5 % packet loss, each way, on the seeded user-space impairment relay (PEERS.md:
 * no netem here), with the call's audio beside it on a clean path, between two real media
 * engines (libvpx). The picture keeps coming: the receiver asks for key
 * frames (PLI) and NACKs what is missing, the sender answers, and no two decoded frames come
 * more than 1 s apart. The audio beside it stays clean. Each side's engine runs in its own
 * worker thread, as in each phone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { MediaEngineClient } from '../../main/media/media-engine-client.ts';
import type { VideoSpec } from '../../main/media/media-protocol.ts';
import { UdpImpairmentRelay } from '../helpers/udp-impairment-relay.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const until = async (test: () => boolean, what: string, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('video through 5 % loss', () => {
  it('keeps the picture coming (key frames asked and sent, NACKs answered, no gap over 1 s) and leaves the audio alone', async () => {
    // Each side's engine in its own worker thread, as each phone runs it.
    const alice = new MediaEngineClient();
    const bob = new MediaEngineClient();
    cleanups.push(() => alice.close(), () => bob.close());
    let framesSent = 0;
    alice.on('video-stats', (e) => (framesSent = e.stats.framesSent));
    // Bob's decoded frames, as the app would get them, with the RTP timestamp order kept by arrival.
    const channel = new MessageChannel();
    const decoded: number[] = [];
    channel.port2.on('message', (m: { video?: string }) => {
      if (m?.video === 'frame') decoded.push(performance.now());
    });
    cleanups.push(async () => {
      channel.port1.close();
      channel.port2.close();
    });
    await bob.attachDevice(channel.port1, 48000);

    const base: Omit<VideoSpec, 'remote' | 'source' | 'sink' | 'direction' | 'label'> = {
      localAddress: '127.0.0.1',
      rtcpMux: true,
      codec: { name: 'vp8', payloadType: 96 },
      feedback: { nack: true, pli: true, fir: true },
      format: { width: 320, height: 192, fps: 30, bitrateKbps: 400 },
    };
    const rx = await bob.request({ type: 'create-video', streamId: 'v', spec: { ...base, remote: { address: '127.0.0.1', rtpPort: 9 }, source: { kind: 'none' }, sink: { kind: 'device' }, direction: 'recvonly', label: 'call' } });
    const relay = await UdpImpairmentRelay.create({ target: { address: '127.0.0.1', port: rx.localPort }, seed: 7, aToB: { loss: 0.05 }, bToA: { loss: 0.05 } });
    cleanups.push(() => relay.close());
    await alice.request({ type: 'create-video', streamId: 'v', spec: { ...base, remote: { address: '127.0.0.1', rtpPort: relay.portA }, source: { kind: 'testsrc' }, sink: { kind: 'none' }, direction: 'sendonly', label: 'call' } });
    // Bob's feedback (PLI, NACK, reports) goes back through the relay, lossy too.
    await bob.request({ type: 'stop-video', streamId: 'v' });
    const rx2 = await bob.request({ type: 'create-video', streamId: 'v2', spec: { ...base, localPort: rx.localPort, remote: { address: '127.0.0.1', rtpPort: relay.portB }, source: { kind: 'none' }, sink: { kind: 'device' }, direction: 'recvonly', label: 'call' } });
    expect(rx2.localPort).toBe(rx.localPort);

    // The audio of the same call, on a clean path.
    const aAudio = await alice.request({ type: 'create-stream', streamId: 'a', spec: { localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: 9 }, rtcpMux: true, codec: { name: 'pcmu', payloadType: 0 }, source: { kind: 'tone', frequencies: [1000] }, sink: { kind: 'silence' } } });
    const bAudio = await bob.request({ type: 'create-stream', streamId: 'a', spec: { localAddress: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: aAudio.localPort }, rtcpMux: true, codec: { name: 'pcmu', payloadType: 0 }, source: { kind: 'silence' }, sink: { kind: 'silence' } } });
    await alice.request({ type: 'update-remote', streamId: 'a', remote: { address: '127.0.0.1', rtpPort: bAudio.localPort } });

    // 240 frames sent (8 s at 30 fps) through the loss.
    await until(() => framesSent >= 240, '240 frames sent');
    const sent = (await alice.request({ type: 'get-video-stats', streamId: 'v' })).stats;
    const got = (await bob.request({ type: 'get-video-stats', streamId: 'v2' })).stats;
    expect(relay.counters.aToB.dropped, 'the relay dropped packets').toBeGreaterThan(3);
    expect(got.nacksSent).toBeGreaterThan(0);
    expect(sent.nacksReceived + sent.keyFramesAskedOfUs).toBeGreaterThan(0);
    expect(sent.retransmitted).toBeGreaterThan(0);
    expect(sent.keyFramesSent).toBeGreaterThanOrEqual(1);
    // Most frames make it (loss is repaired by retransmission or skipped to the next key frame).
    expect(got.framesDecoded / sent.framesSent).toBeGreaterThan(0.8);
    // No frozen picture: between two decoded frames, never more than 1 s.
    const gaps = decoded.slice(1).map((t, i) => t - decoded[i]);
    expect(Math.max(...gaps), 'longest time without a new picture (ms)').toBeLessThan(1000);
    const audio = await bob.request({ type: 'get-stats', streamId: 'a' });
    expect(audio.packetsReceived).toBeGreaterThan(300);
    // Not a packet of it lost; its loss figure also counts packets that came too late for the
    // jitter buffer (a busy machine), which the quality estimate takes in.
    expect(audio.packetsLost).toBe(0);
    expect(audio.lossPercent).toBeLessThan(2);
    expect(audio.mos).toBeGreaterThan(4);
  });
});
