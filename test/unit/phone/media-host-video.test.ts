/**
 * The main process's share of decoded-frame recycling (media-host.ts): each decoded frame the
 * media worker sends for the page goes on to the page's link, and its buffer goes back to the
 * worker as 'spent' once the link no longer reads it: at once for a link that copies in
 * postMessage (Electron's MessagePortMain), when `postVideo` says so for one that queues the
 * bytes (the WebSocket bridge). A real worker receives the test pattern from an in-process engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaHost, type DeviceLinkPort } from '../../../main/phone/media-host.ts';
import { MediaEngine } from '../../../main/media/media-engine.ts';
import type { VideoLinkMessage } from '../../../main/contract/video.ts';
import { videoSpec } from '../media/video-spec.ts';

type Frame = Extract<VideoLinkMessage, { video: 'frame' }>;

async function until(test: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let host: MediaHost | undefined;
let sender: MediaEngine | undefined;
afterEach(async () => {
  await sender?.shutdown();
  await host?.close();
  host = sender = undefined;
});

/** The worker receives the test pattern on a stream whose sink is the page's link. */
async function receiveVideo(outer: DeviceLinkPort): Promise<void> {
  host = new MediaHost();
  host.connectDevice(outer, 48000);
  const client = host.client();
  const { localPort } = await client.createVideo('in', videoSpec({ sink: { kind: 'device' }, direction: 'recvonly' }));
  sender = new MediaEngine({ onEvent: () => undefined });
  await sender.handle({ type: 'create-video', streamId: 'out', spec: videoSpec({ source: { kind: 'testsrc' }, remote: { address: '127.0.0.1', rtpPort: localPort } }) });
}

describe("decoded frames' buffers go back to the media worker", () => {
  it('at once from a link that copies what it posts', async () => {
    const frames: Frame[] = [];
    await receiveVideo({
      postMessage: (m) => {
        const f = m as Frame;
        if (f.video !== 'frame') return;
        // The link copies here: what it saw is the picture, whole.
        expect(f.data.byteLength).toBe((f.width * f.height * 3) / 2);
        frames.push(f);
      },
    });
    await until(() => frames.length >= 10, 'frames on the link');
    // Each buffer was moved back to the worker right after: nothing of it is left here.
    expect(frames.slice(0, 10).every((f) => f.data.byteLength === 0)).toBe(true);
  });

  it('only once a link that queues the bytes says they are written', async () => {
    const waiting: Array<{ frame: Frame; done: () => void }> = [];
    await receiveVideo({
      postMessage: () => undefined,
      postVideo: (m, done) => {
        if (m.video === 'frame') waiting.push({ frame: m, done });
      },
    });
    await until(() => waiting.length >= 5, 'frames on the link');
    const [first, second] = waiting;
    await new Promise((r) => setTimeout(r, 100));
    expect(first.frame.data.byteLength).toBeGreaterThan(0);
    first.done();
    expect(first.frame.data.byteLength).toBe(0);
    expect(second.frame.data.byteLength).toBeGreaterThan(0);
    for (const w of waiting) w.done();
  });
});
