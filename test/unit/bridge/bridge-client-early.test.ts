/**
 * The page's client (renderer/src/bridge-client.ts) given the socket public/bridge-boot.js opened
 * while the bundle loaded: an open one carries the first requests at once (its 'open' event has
 * come and gone), a connecting one when it opens, and one already closed is left for a new
 * connection of the client's own. Against the real bridge (main/bridge/ws-bridge.ts) on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import WebSocket from 'ws';
import { WsBridge } from '../../../main/bridge/ws-bridge.ts';
import { PageAccess } from '../../../main/bridge/page-access.ts';
import { createBridgeClient, type BridgeClient } from '../../../renderer/src/bridge-client.ts';

let server: Server;
let bridge: WsBridge;
let access: PageAccess;
let url: string;
let client: BridgeClient | undefined;
/** Every socket the bridge accepted. */
let connections: number;

beforeEach(async () => {
  connections = 0;
  server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  url = `ws://127.0.0.1:${port}/bridge`;
  access = new PageAccess({ port });
  server.on('upgrade', () => connections++);
  bridge = new WsBridge({ server, access, handlers: { 'app:status': () => ({ notices: [] }) }, events: [] });
});

afterEach(async () => {
  client?.close();
  client = undefined;
  bridge.close();
  await new Promise<void>((ok) => server.close(() => ok()));
});

/** ws's WebSocket with the page's cookie, shaped as the browser's constructor. */
const WithCookie = class extends WebSocket {
  constructor(address: string) {
    super(address, { headers: { Cookie: access.cookie } });
  }
} as unknown as typeof globalThis.WebSocket;

const early = () => new WithCookie(url);
const opened = (ws: globalThis.WebSocket) => new Promise((ok) => ws.addEventListener('open', ok, { once: true }));

describe('the client and an early socket', () => {
  it('uses a socket that is already open: the first request leaves at once and is answered', async () => {
    const socket = early();
    await opened(socket);
    client = createBridgeClient({ url, WebSocketImpl: WithCookie, socket });
    await expect(client.invoke('app:status', undefined)).resolves.toEqual({ ok: true, value: { notices: [] } });
    expect(connections).toBe(1); // no second socket
  });

  it('uses a socket still connecting: requests made meanwhile leave when it opens', async () => {
    const socket = early();
    client = createBridgeClient({ url, WebSocketImpl: WithCookie, socket });
    const answers = Promise.all([client.invoke('app:status', undefined), client.invoke('app:status', undefined)]);
    await expect(answers).resolves.toEqual([
      { ok: true, value: { notices: [] } },
      { ok: true, value: { notices: [] } },
    ]);
    expect(connections).toBe(1);
  });

  it('opens its own when the early socket is closed already', async () => {
    const socket = early();
    await opened(socket);
    const closed = new Promise((ok) => socket.addEventListener('close', ok, { once: true }));
    socket.close();
    await closed;
    client = createBridgeClient({ url, WebSocketImpl: WithCookie, socket });
    await expect(client.invoke('app:status', undefined)).resolves.toEqual({ ok: true, value: { notices: [] } });
    expect(connections).toBe(2);
  });

  it('reconnects with a socket of its own when the early one drops', async () => {
    const socket = early();
    await opened(socket);
    client = createBridgeClient({ url, WebSocketImpl: WithCookie, socket, retryMs: 10 });
    await expect(client.invoke('app:status', undefined)).resolves.toMatchObject({ ok: true });
    const dropped = new Promise((ok) => socket.addEventListener('close', ok, { once: true }));
    for (const ws of (bridge as unknown as { wss: { clients: Set<WebSocket> } }).wss.clients) ws.terminate();
    await dropped;
    await expect(client.invoke('app:status', undefined)).resolves.toMatchObject({ ok: true });
    expect(connections).toBe(2);
  });
});
