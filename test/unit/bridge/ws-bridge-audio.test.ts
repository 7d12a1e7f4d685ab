/**
 * The call audio link over the loopback WebSocket bridge (main/bridge/ws-bridge.ts): after
 * `{ audio: 'connect' }`, a page's binary frames reach the engine as Int16Array blocks, what the
 * engine posts goes back as binary frames, and 'bye' or the socket closing ends the link. The
 * engine side is a recording fake of `phone.connectAudio`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import WebSocket from 'ws';
import { WsBridge } from '../../../main/bridge/ws-bridge.ts';
import { PageAccess } from '../../../main/bridge/page-access.ts';
import type { DeviceLinkPort } from '../../../main/phone/media-host.ts';


interface Link {
  port: DeviceLinkPort;
  sampleRate: number;
  blocks: unknown[];
  closed: boolean;
}

let server: Server;
let bridge: WsBridge;
let links: Link[];
let refuse: boolean;
let access: PageAccess;

beforeEach(async () => {
  links = [];
  refuse = false;
  server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  access = new PageAccess({ port: (server.address() as { port: number }).port });
  bridge = new WsBridge({
    server,
    access,
    handlers: {},
    events: [],
    connectAudio: (port, sampleRate) => {
      if (refuse) throw new RangeError('sampleRate: no');
      const link: Link = { port, sampleRate, blocks: [], closed: false };
      port.on!('message', (b) => void link.blocks.push(b));
      port.on!('close', () => (link.closed = true));
      links.push(link);
    },
  });
});

afterEach(async () => {
  bridge.close();
  await new Promise<void>((ok) => server.close(() => ok()));
});

async function open(): Promise<{ ws: WebSocket; received: Buffer[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/bridge`, { headers: { Cookie: access.cookie } });
  const received: Buffer[] = [];
  ws.on('message', (d, binary) => binary && received.push(d as Buffer));
  await new Promise((ok) => ws.once('open', ok));
  return { ws, received };
}

/** Until `pred` holds (bounded). */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the audio link over the bridge', () => {
  it('carries PCM16 both ways after connect; frames before it, and odd-sized ones, are dropped', async () => {
    const { ws, received } = await open();
    ws.send(Buffer.from(new Int16Array([9, 9]).buffer)); // before connect: nobody takes it
    ws.send(JSON.stringify({ audio: 'connect', sampleRate: 48000 }));
    await until(() => links.length === 1, 'the link');
    expect(links[0].sampleRate).toBe(48000);

    ws.send(Buffer.from(new Int16Array([1, -2, 32767, -32768]).buffer));
    ws.send(Buffer.from([1, 2, 3])); // not whole samples
    await until(() => links[0].blocks.length === 1, 'the capture block');
    expect(links[0].blocks[0]).toBeInstanceOf(Int16Array);
    expect([...(links[0].blocks[0] as Int16Array)]).toEqual([1, -2, 32767, -32768]);

    const frame = new Int16Array(960).map((_, i) => i - 480);
    links[0].port.postMessage(frame);
    links[0].port.postMessage('not audio');
    await until(() => received.length === 1, 'the playback frame');
    const back = new Int16Array(received[0].buffer.slice(received[0].byteOffset, received[0].byteOffset + received[0].byteLength));
    expect([...back]).toEqual([...frame]);

    ws.send(JSON.stringify({ audio: 'bye' }));
    await until(() => links[0].closed, 'the end of the link');
    ws.send(Buffer.from(new Int16Array([5]).buffer));
    await new Promise((r) => setTimeout(r, 50));
    expect(links[0].blocks).toHaveLength(1);
    ws.close();
  });

  it('the socket closing ends the link; a second connect replaces the first', async () => {
    const { ws } = await open();
    ws.send(JSON.stringify({ audio: 'connect', sampleRate: 48000 }));
    ws.send(JSON.stringify({ audio: 'connect', sampleRate: 48000 }));
    await until(() => links.length === 2, 'two links');
    await until(() => links[0].closed, 'the first link replaced');
    expect(links[1].closed).toBe(false);
    ws.close();
    await until(() => links[1].closed, 'the link ended with the socket');
  });

  it('a link the engine refuses leaves the socket serving', async () => {
    refuse = true;
    const { ws } = await open();
    ws.send(JSON.stringify({ audio: 'connect', sampleRate: 44100 }));
    ws.send(JSON.stringify({ id: 1, channel: 'account:list', req: null }));
    const answer = await new Promise<string>((ok) => ws.on('message', (d, binary) => !binary && ok(d.toString())));
    expect(JSON.parse(answer)).toMatchObject({ id: 1, result: { ok: false, error: { code: 'unavailable' } } });
    expect(links).toHaveLength(0);
    ws.close();
  });
});
