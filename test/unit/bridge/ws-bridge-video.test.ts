/**
 * Video on the device link over the loopback WebSocket bridge: the page's side
 * (renderer/src/bridge-client.ts) and the engine's (main/bridge/ws-bridge.ts) frame each message
 * as a JSON header then its bytes. The engine gets what a MessagePort would give it (a checked
 * `{ video: 'camera', … }` object) and the page gets the engine's `{ video: 'frame', … }`; bad
 * input changes nothing, and frames the page cannot take yet are dropped, not queued.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import WebSocket from 'ws';
import { WsBridge } from '../../../main/bridge/ws-bridge.ts';
import { PageAccess } from '../../../main/bridge/page-access.ts';
import type { DeviceLinkPort } from '../../../main/phone/media-host.ts';
import { i420Bytes } from '../../../main/contract/video.ts';
import { createBridgeClient, type BridgeClient } from '../../../renderer/src/bridge-client.ts';

interface Link {
  port: DeviceLinkPort;
  got: unknown[];
}

let server: Server;
let bridge: WsBridge;
let links: Link[];
let access: PageAccess;
let url: string;

beforeEach(async () => {
  links = [];
  server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  url = `ws://127.0.0.1:${port}/bridge`;
  access = new PageAccess({ port });
  bridge = new WsBridge({
    server,
    access,
    handlers: {},
    events: [],
    connectAudio: (p) => {
      const link: Link = { port: p, got: [] };
      p.on!('message', (m) => void link.got.push(m));
      links.push(link);
    },
  });
});

afterEach(async () => {
  bridge.close();
  await new Promise<void>((ok) => server.close(() => ok()));
});

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 60));
const bytes = (w: number, h: number, seed = 0) => new Uint8Array(i420Bytes(w, h)).map((_, i) => (i + seed) % 253);

/** A raw page: the socket alone, with what it receives. */
async function rawPage(): Promise<{ ws: WebSocket; text: string[]; binary: Buffer[] }> {
  const ws = new WebSocket(url, { headers: { Cookie: access.cookie } });
  const text: string[] = [];
  const binary: Buffer[] = [];
  ws.on('message', (d, isBinary) => (isBinary ? binary.push(d as Buffer) : text.push(d.toString())));
  await new Promise((ok) => ws.once('open', ok));
  ws.send(JSON.stringify({ audio: 'connect', sampleRate: 48000 }));
  await until(() => links.length === 1, 'the link');
  return { ws, text, binary };
}

describe('video on the bridge, engine side', () => {
  it("hands the engine the page's camera frame as a checked message with its own bytes, and camera-off", async () => {
    const { ws } = await rawPage();
    const data = bytes(32, 16, 7);
    ws.send(JSON.stringify({ video: 'camera', width: 32, height: 16, data: 'ignored' }));
    ws.send(data);
    ws.send(JSON.stringify({ video: 'camera-off' }));
    await until(() => links[0].got.length === 2, 'two messages');
    const [cam, off] = links[0].got as [{ video: string; width: number; height: number; data: Uint8Array }, unknown];
    expect(cam).toMatchObject({ video: 'camera', width: 32, height: 16 });
    expect(cam.data).toBeInstanceOf(Uint8Array);
    expect(cam.data.byteLength).toBe(cam.data.buffer.byteLength); // its own buffer: transferable
    expect([...cam.data]).toEqual([...data]);
    expect(off).toEqual({ video: 'camera-off' });
    ws.close();
  });

  it('drops a bad message whole (its bytes are never audio) and keeps serving', async () => {
    const { ws } = await rawPage();
    ws.send(JSON.stringify({ video: 'camera', width: 64, height: 16 })); // size disagrees with the bytes
    ws.send(bytes(32, 16));
    ws.send(JSON.stringify({ video: 'frame', callId: 'c', width: 16, height: 16 })); // engine → page only
    ws.send(bytes(16, 16));
    ws.send(JSON.stringify({ video: 'camera', width: 16, height: 16 })); // replaced before its bytes
    ws.send(JSON.stringify({ video: 'camera', width: 32, height: 16 }));
    ws.send(bytes(32, 16, 1));
    ws.send(Buffer.from(new Int16Array([1, 2]).buffer));
    await until(() => links[0].got.length === 2, 'the good frame and the audio');
    await settle();
    expect(links[0].got).toHaveLength(2);
    expect(links[0].got[0]).toMatchObject({ video: 'camera', width: 32, height: 16 });
    expect([...(links[0].got[1] as Int16Array)]).toEqual([1, 2]);
    ws.close();
  });

  it('takes no video without a link', async () => {
    const ws = new WebSocket(url, { headers: { Cookie: access.cookie } });
    await new Promise((ok) => ws.once('open', ok));
    ws.send(JSON.stringify({ video: 'camera', width: 16, height: 16 }));
    ws.send(bytes(16, 16));
    ws.send(JSON.stringify({ audio: 'connect', sampleRate: 48000 }));
    await until(() => links.length === 1, 'the link');
    await settle();
    expect(links[0].got).toEqual([]);
    ws.close();
  });

  it("sends the engine's frames as header then bytes, an end as a header, and refuses what is not a frame", async () => {
    const { ws, text, binary } = await rawPage();
    const data = bytes(16, 32, 3);
    links[0].port.postMessage({ video: 'frame', callId: 'call-1', width: 16, height: 32, data });
    links[0].port.postMessage({ video: 'frame', callId: 'call-1', width: 16, height: 16, data }); // size disagrees
    links[0].port.postMessage({ video: 'camera', width: 16, height: 32, data }); // page → engine only
    links[0].port.postMessage({ video: 'ended', callId: 'call-1' });
    await until(() => text.length === 2 && binary.length === 1, 'the frame and the end');
    await settle();
    expect(text.map((t) => JSON.parse(t))).toEqual([{ video: 'frame', callId: 'call-1', width: 16, height: 32 }, { video: 'ended', callId: 'call-1' }]);
    expect([...binary[0]]).toEqual([...data]);
    ws.close();
  });

  it("says when a frame's bytes are written, so that its buffer can be decoded into again, and when it drops one", async () => {
    const { ws, binary } = await rawPage();
    const port = links[0].port;
    const done: string[] = [];
    port.postVideo!({ video: 'frame', callId: 'c', width: 64, height: 48, data: bytes(64, 48) }, () => done.push('sent'));
    await until(() => done.length === 1 && binary.length === 1, 'the frame written');
    expect(done).toEqual(['sent']);
    // One the page cannot take (not a frame for it) is done at once, and nothing is sent.
    port.postVideo!({ video: 'camera', width: 64, height: 48, data: bytes(64, 48) }, () => done.push('refused'));
    expect(done).toEqual(['sent', 'refused']);
    ws.close();
    await until(() => !(port as unknown as { open: boolean }).open, 'the link closed');
    port.postVideo!({ video: 'frame', callId: 'c', width: 64, height: 48, data: bytes(64, 48) }, () => done.push('closed'));
    expect(done).toEqual(['sent', 'refused', 'closed']);
  });

  it('drops frames for a page that does not read, rather than queueing them', async () => {
    const { ws, binary } = await rawPage();
    ws.pause();
    const data = bytes(1280, 720);
    const posted = 60; // 83 MB if all were queued
    for (let i = 0; i < posted; i++) {
      links[0].port.postMessage({ video: 'frame', callId: 'c', width: 1280, height: 720, data });
      await new Promise((r) => setImmediate(r));
    }
    ws.resume();
    // Until nothing more comes for 300 ms: everything the bridge kept has arrived.
    let seen = -1;
    const deadline = Date.now() + 10_000;
    while (seen !== binary.length && Date.now() < deadline) {
      seen = binary.length;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(binary.length).toBeGreaterThan(0);
    expect(binary.length).toBeLessThan(posted);
    ws.close();
  });
});

describe('video on the bridge, both sides', () => {
  let client: BridgeClient | undefined;
  afterEach(() => client?.close());

  /** ws's WebSocket with the page's cookie, shaped as the browser's constructor. */
  const withCookie = () =>
    class extends WebSocket {
      constructor(address: string) {
        super(address, { headers: { Cookie: access.cookie } });
      }
    } as unknown as typeof globalThis.WebSocket;

  it("carries the page's camera to the engine and the engine's frames to the page's end of the link", async () => {
    client = createBridgeClient({ url, WebSocketImpl: withCookie() });
    const { port1, port2 } = new MessageChannel();
    client.connectAudio(port2, 48000);
    await until(() => links.length === 1, 'the link');
    const got: unknown[] = [];
    port1.onmessage = (e) => void got.push(e.data);

    const cam = bytes(48, 32, 5);
    port1.postMessage({ video: 'camera', width: 48, height: 32, data: cam }, [cam.buffer]);
    port1.postMessage({ video: 'camera', width: 48, height: 30, data: bytes(48, 32) }); // bad: not sent
    port1.postMessage({ video: 'camera-off' });
    await until(() => links[0].got.length === 2, 'the camera frame and camera-off');
    await settle();
    expect(links[0].got).toHaveLength(2);
    expect(links[0].got[0]).toMatchObject({ video: 'camera', width: 48, height: 32 });
    expect([...(links[0].got[0] as { data: Uint8Array }).data]).toEqual([...bytes(48, 32, 5)]);
    expect(links[0].got[1]).toEqual({ video: 'camera-off' });

    const frame = bytes(64, 48, 9);
    links[0].port.postMessage({ video: 'frame', callId: 'call-7', width: 64, height: 48, data: frame });
    links[0].port.postMessage({ video: 'ended', callId: 'call-7' });
    links[0].port.postMessage(new Int16Array([3, 4]));
    await until(() => got.length === 3, 'frame, end and audio');
    const f = got[0] as { video: string; callId: string; width: number; height: number; data: Uint8Array };
    expect(f).toMatchObject({ video: 'frame', callId: 'call-7', width: 64, height: 48 });
    expect([...f.data]).toEqual([...frame]);
    expect(got[1]).toEqual({ video: 'ended', callId: 'call-7' });
    expect([...(got[2] as Int16Array)]).toEqual([3, 4]);
    port1.close();
  });
});
