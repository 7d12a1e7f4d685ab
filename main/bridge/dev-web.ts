/**
 * `npm run dev:web`: the engine (createEngine: phone and store), the renderer and the WebSocket bridge on 127.0.0.1, for
 * working on the UI in a plain browser and for the end-to-end tests. Prints
 * `http://127.0.0.1:PORT/?token=…`. The token works once (page-access.ts): the first load trades it
 * for a session cookie and goes on to the address without it; later loads and the bridge need the
 * cookie. Contacts, history and settings go to `--database FILE` (`.tmp/dev-web/appel.db` by
 * default; `:memory:` keeps nothing); passwords stay in memory.
 *
 *   node main/bridge/dev-web.ts [--built] [--port N] [--database FILE] [--sip udp:127.0.0.1:5070]…
 *
 * Default: Vite in middleware mode (edits reload the page). `--built`: serve dist/renderer (the
 * `vite build` output; built first when missing).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Phone, PhoneOptions } from '../phone/phone.ts';
import { createEngine, type Engine } from '../phone/engine.ts';
import { guardProcess } from '../phone/last-resort.ts';
import { MemorySecretStore, type Store } from '../store/index.ts';
import type { Handlers } from './dispatch.ts';
import { WsBridge, isLoopbackHost, type EventSource } from './ws-bridge.ts';
import { CONTENT_TYPES, CSP } from './page-policy.ts';
import { PageAccess } from './page-access.ts';

/**
 * node:http through `getBuiltinModule`, not an ESM import: Node builds a builtin's ESM facade by
 * reading every export, and node:http's lazy ones load undici (fetch, WebSocket), about 50 ms of
 * the engine's start (90 on a busy machine) for nothing we use.
 */
const { createServer } = process.getBuiltinModule('node:http');

// Two levels up from main/bridge/dev-web.ts, as from its bundle dist/node/dev-web.js.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BUILT_RENDERER = join(REPO, 'dist', 'renderer');
/** The ringtone and other sounds, served under `/sounds/` as the app's protocol does (main/app/app-protocol.ts). */
export const SOUNDS = join(REPO, 'assets', 'sounds');

/** The page's policy and the content types, as the app's protocol serves them. */
export { CSP };
export interface DevWebOptions {
  /** HTTP port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** `built`: serve dist/renderer (built first when missing); `vite`: Vite middleware mode. */
  mode?: 'built' | 'vite';
  /** The phone's options (sockets, media address…). */
  phoneOptions?: PhoneOptions;
  /** The SQLite file of contacts, history, messages and settings (default ':memory:'). */
  database?: string;
  /** More handlers, merged over the engine's (tests). */
  extraHandlers?: Handlers;
  /** The printed link's one-time token. Default: 32 random bytes, hex. */
  token?: string;
}

export interface DevWeb {
  /** The printed link: its token works once. */
  url: string;
  port: number;
  token: string;
  /** A new one-time link to the page (each browser that opens the page needs its own). */
  link(): string;
  /** The session as a `Cookie` header value, for requests this process makes itself. */
  cookie: string;
  engine: Engine;
  phone: Phone;
  store: Store;
  bridge: WsBridge;
  close(): Promise<void>;
}

/** Builds the renderer with Vite into dist/renderer. */
export async function buildRenderer(): Promise<void> {
  const vite = await import('vite');
  await vite.build({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'warn' });
}

/** The path of a request, or undefined when it cannot be decoded (`%E0%A4%A`). */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return undefined;
  }
}

/** A file under `/sounds/`: served, or 404 (never the page in its place). True when handled. */
function serveSound(req: IncomingMessage, res: ServerResponse): boolean {
  const path = pathOf(req);
  if (path === undefined || !path.startsWith('/sounds/')) return false;
  const file = resolve(SOUNDS, `.${path.slice('/sounds'.length)}`);
  if (!file.startsWith(SOUNDS + sep) || !existsSync(file) || statSync(file).isDirectory() || CONTENT_TYPES[extname(file)] !== 'audio/wav') {
    res.writeHead(404).end();
    return true;
  }
  res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': statSync(file).size, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  return true;
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const path = pathOf(req);
  if (path === undefined) {
    res.writeHead(400).end();
    return;
  }
  let file = resolve(root, `.${path}`);
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': 'no-store',
  });
  res.end(readFileSync(file));
}

export async function startDevWeb(opts: DevWebOptions = {}): Promise<DevWeb> {
  const mode = opts.mode ?? 'built';
  // The same engine as the app's (phone, store, recorder, saved accounts); passwords in memory only.
  const engine = await createEngine({
    dataDir: join(REPO, '.tmp', 'dev-web'),
    database: opts.database ?? ':memory:',
    secrets: new MemorySecretStore(),
    ...(opts.phoneOptions ? { phone: opts.phoneOptions } : {}),
  });

  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  let server: Server;
  let closeVite: (() => Promise<void>) | undefined;
  // Made once the port is known (it names the cookie); no request is served before.
  const gate: { access?: PageAccess } = {};
  const guard = (req: IncomingMessage, res: ServerResponse): boolean => {
    // DNS rebinding: a page served under another name must not reach the engine or the page.
    const access = gate.access;
    if (!isLoopbackHost(req.headers.host ?? '') || !access) {
      res.writeHead(403).end();
      return false;
    }
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    return access.gate(req, res);
  };

  if (mode === 'built') {
    if (!existsSync(join(BUILT_RENDERER, 'index.html'))) await buildRenderer();
    handle = (req, res) => {
      if (!guard(req, res)) return;
      res.setHeader('Content-Security-Policy', CSP);
      if (!serveSound(req, res)) serveStatic(BUILT_RENDERER, req, res);
    };
    server = createServer((req, res) => handle(req, res));
  } else {
    server = createServer((req, res) => handle(req, res));
    const vite = await import('vite');
    const dev = await vite.createServer({
      configFile: join(REPO, 'vite.config.ts'),
      appType: 'spa',
      // Vite's HMR socket shares our server (`server.ws.server`; `hmr.server` is deprecated in Vite 8).
      server: { middlewareMode: true, ws: { server } },
    });
    closeVite = () => dev.close();
    handle = (req, res) => {
      if (guard(req, res) && !serveSound(req, res)) dev.middlewares(req, res);
    };
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as { port: number }).port;
  const pageAccess = new PageAccess({ port, ...(opts.token ? { token: opts.token } : {}) });
  gate.access = pageAccess;
  const linkTo = (token: string) => `http://127.0.0.1:${port}/?token=${token}`;

  const bridge = new WsBridge({
    server,
    access: pageAccess,
    handlers: { ...engine.handlers, ...opts.extraHandlers },
    events: [engine.events as unknown as EventSource],
    shareUpgrades: mode === 'vite',
    connectAudio: (port, sampleRate) => engine.phone.connectAudio(port, sampleRate),
  });

  return {
    url: linkTo(pageAccess.token),
    port,
    token: pageAccess.token,
    link: () => linkTo(pageAccess.issue()),
    cookie: pageAccess.cookie,
    engine,
    phone: engine.phone,
    store: engine.store,
    bridge,
    async close() {
      bridge.close();
      await closeVite?.();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await engine.close();
    },
  };
}

function parseArgs(argv: string[]): DevWebOptions {
  const opts: DevWebOptions = { mode: 'vite' };
  const listen: NonNullable<PhoneOptions['listen']> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--built') opts.mode = 'built';
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--database') opts.database = argv[++i];
    else if (a === '--sip') {
      const m = /^(udp|tcp|tls):(.+):(\d+)$/i.exec(argv[++i] ?? '');
      if (!m) throw new TypeError(`--sip: expected udp|tcp|tls:ADDRESS:PORT, not '${argv[i] ?? ''}'`);
      listen.push({ protocol: m[1].toUpperCase() as 'UDP' | 'TCP' | 'TLS', address: m[2], port: Number(m[3]) });
    } else if (a === '--help' || a === '-h') {
      console.log('usage: npm run dev:web -- [--built] [--port N] [--database FILE] [--sip udp:127.0.0.1:5070]…');
      process.exit(0);
    } else throw new TypeError(`unknown option '${a}' (try --help)`);
  }
  if (listen.length > 0) opts.phoneOptions = { listen };
  opts.database ??= join(REPO, '.tmp', 'dev-web', 'appel.db');
  return opts;
}

/** `npm run dev:web -- …` (bin/dev-web.js, or this file run by Node): starts and prints the link. */
export async function main(argv: string[]): Promise<void> {
  guardProcess((line) => console.error(line));
  try {
    const web = await startDevWeb(parseArgs(argv));
    console.log(`Appel is at ${web.url}`);
    const stop = () => void web.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    console.error(`dev-web: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
