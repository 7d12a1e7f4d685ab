/**
 * Lip sync at the speaker (RFC 3550 §6.4.1; contract/video.ts 'audio-delay'): a receiving video
 * engine holds each decoded frame until the audio of the same capture instant plays, and when the
 * device says its audio reaches the speaker N ms after the link, each picture waits N ms more.
 * Real streams on loopback: a media engine sends the test pattern with its sender reports; the
 * audio "now playing" is a clock 100 ms behind the sender's. Waits end on figures seen, bounded.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../main/media/media-engine.ts';
import { loadMediaNative } from '../../../main/media/media-native.ts';
import { VideoEngine } from '../../../main/media/video/video-engine.ts';
import type { VideoSpec } from '../../../main/media/media-protocol.ts';
import { videoSpec } from './video-spec.ts';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

const spec = (over: Partial<VideoSpec>): VideoSpec => videoSpec({ format: { width: 160, height: 96, fps: 30, bitrateKbps: 200 }, ...over });

/** The lip-sync offset of the frames that came after `after` frames were seen, once it has settled. */
async function offsetAfter(rx: VideoEngine, frames: () => number, after: number): Promise<number> {
  const end = Date.now() + 10_000;
  const seen: number[] = [];
  while (seen.length < 5) {
    if (Date.now() > end) throw new Error(`timed out waiting for lip-sync offsets (frames ${frames()}, seen ${seen.join(', ')})`);
    await new Promise((r) => setTimeout(r, 50));
    const offset = rx.stats('rx').syncOffsetMs;
    if (frames() > after && offset !== undefined) seen.push(offset);
  }
  return seen.sort((a, b) => a - b)[2];
}

describe('lip sync at the speaker', () => {
  it("holds each picture as much longer as the device's audio waits before its speaker", async () => {
    const tx = new MediaEngine({ onEvent: () => undefined });
    stops.push(() => tx.shutdown());
    const rx = new VideoEngine({
      native: loadMediaNative,
      // The audio playing now was captured 100 ms ago by the sender's clock (the same machine's).
      audioPlayout: (id) => (id === 'a1' ? Date.now() - 100 : undefined),
      takeReservation: async () => undefined,
      onStats: () => undefined,
      onWarning: () => undefined,
    });
    stops.push(() => rx.shutdown());
    const channel = new MessageChannel();
    stops.push(async () => channel.port2.close());
    let frames = 0;
    channel.port2.on('message', (m: { video?: string }) => {
      if (m.video === 'frame') frames++;
    });
    rx.attachDevice(channel.port1);
    const { localPort } = await rx.create('rx', spec({ direction: 'recvonly', sink: { kind: 'device' }, syncAudio: 'a1' }));
    await tx.handle({ type: 'create-video', streamId: 'tx', spec: spec({ direction: 'sendonly', source: { kind: 'testsrc' }, remote: { address: '127.0.0.1', rtpPort: localPort } }) });

    // Without a word from the device: a picture is ahead of the audio by about the 100 ms.
    const before = await offsetAfter(rx, () => frames, 0);
    expect(before).toBeGreaterThan(50);
    expect(before).toBeLessThanOrEqual(100);

    channel.port2.postMessage({ video: 'audio-delay', ms: 60 });
    const after = await offsetAfter(rx, () => frames, frames + 3);
    expect(after - before).toBeGreaterThan(40);
    expect(after - before).toBeLessThan(80);

    // A delay out of bounds changes nothing.
    channel.port2.postMessage({ video: 'audio-delay', ms: 5000 });
    const still = await offsetAfter(rx, () => frames, frames + 3);
    expect(Math.abs(still - after)).toBeLessThan(20);
  }, 30_000);
});
