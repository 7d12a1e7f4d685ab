/**
 * dev:web's link works once (main/bridge/page-access.ts): its first load trades the token for an
 * HttpOnly, SameSite=Strict session cookie and goes on to the address without the token; the
 * token's second use is refused, and neither a load nor the bridge's WebSocket gets anywhere
 * without the cookie. A real HTTP server and WebSocket bridge on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import WebSocket from 'ws';
import { PageAccess } from '../../../main/bridge/page-access.ts';
import { WsBridge } from '../../../main/bridge/ws-bridge.ts';

let server: Server;
let bridge: WsBridge;
let access: PageAccess;
let port: number;

beforeEach(async () => {
  server = createServer((req, res) => {
    if (access.gate(req, res)) res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Appel</title>');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as { port: number }).port;
  access = new PageAccess({ port });
  bridge = new WsBridge({ server, access, handlers: {}, events: [] });
});

afterEach(async () => {
  bridge.close();
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

/** One GET, as a browser that holds `cookie` (or none) would send it. */
function get(path: string, cookie?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: cookie ? { Cookie: cookie } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status of a WebSocket upgrade: 101 when accepted. */
function upgrade(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/bridge`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

/** `name=value` of a Set-Cookie header, and its attributes in lower case. */
function cookieOf(setCookie: string | string[] | undefined): { pair: string; attributes: string[] } {
  const line = Array.isArray(setCookie) ? setCookie[0] : setCookie ?? '';
  const [pair, ...attributes] = line.split(';').map((p) => p.trim());
  return { pair, attributes: attributes.map((a) => a.toLowerCase()) };
}

describe("dev:web's one-time link", () => {
  it('the first load sets an HttpOnly, SameSite=Strict cookie and goes on to the address without the token', async () => {
    const first = await get(`/?token=${access.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const { pair, attributes } = cookieOf(first.headers['set-cookie']);
    expect(pair).toMatch(new RegExp(`^appel-session-${port}=[0-9a-f]{64}$`));
    expect(pair).not.toContain(access.token);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    // Later loads need the cookie, and get the page with it.
    const page = await get('/', pair);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Appel</title>');
    expect(await upgrade({ Cookie: pair })).toBe(101);
  });

  it("the token's second use is refused in words; the cookie holder is only sent on", async () => {
    const first = await get(`/?token=${access.token}`);
    const { pair } = cookieOf(first.headers['set-cookie']);
    const again = await get(`/?token=${access.token}`);
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('Each link works once');
    const holder = await get(`/?token=${access.token}`, pair);
    expect(holder.status).toBe(303);
    expect(holder.headers['set-cookie']).toBeUndefined();
    expect((await get(`/?token=${'0'.repeat(64)}`)).status).toBe(403);
  });

  it('without the cookie: no page (401) and no WebSocket, not even with the token', async () => {
    const none = await get('/');
    expect(none.status).toBe(401);
    expect(none.body).toContain('npm run dev:web');
    expect((await get('/assets/index.js')).status).toBe(401);
    expect(await upgrade({})).toBe(401);
    expect(await upgrade({ Cookie: `appel-session-${port}=${'f'.repeat(64)}` })).toBe(401);
    const ws = await new Promise<number>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${port}/bridge?token=${access.token}`);
      s.on('open', () => (s.close(), resolve(101)));
      s.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      s.on('error', () => undefined);
    });
    expect(ws).toBe(401);
  });

  it('each issued link works once too, and keeps the rest of its query', async () => {
    const token = access.issue();
    expect(token).not.toBe(access.token);
    const first = await get(`/?lang=fr&token=${token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/?lang=fr');
    expect(cookieOf(first.headers['set-cookie']).pair).toBe(access.cookie);
    expect((await get(`/?token=${token}`)).status).toBe(403);
    // The printed link is still unspent: each is its own.
    expect((await get(`/?token=${access.token}`)).status).toBe(303);
  });
});
