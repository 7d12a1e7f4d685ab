/**
 * The Electron shell's main process (main/app/main.ts) run from source under a recording fake of
 * 'electron', driven as Electron would drive it: before and after 'ready', the window's guards,
 * IPC from the preload (trusted and not), the audio link, a ringing call from a peer on loopback
 * (notification, incoming-call window, missed count), links from a second instance and macOS,
 * waking from sleep, closing to the tray (and opening again without it), and quitting. Every
 * module main.ts composes is the real one; only Electron is fake, and the engine's sockets are
 * narrowed to 127.0.0.1 (main.ts itself listens on UDP and TCP on every interface, port 0:
 * Phone's default).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiResult, ContactSnapshot, Settings } from '../../../main/contract/api.ts';
import type { Engine, EngineOptions } from '../../../main/phone/engine.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const mainTs = fileURLToPath(new URL('../../../main/app/main.ts', import.meta.url));

/** The fake Electron: every object records what main.ts did with it. */
const fake = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join: joinPath } = await import('node:path');
  const { fileURLToPath: toPath } = await import('node:url');

  /** What happened, in order (to tell "before ready" from "after"). */
  const order: string[] = [];
  const userData = mkdtempSync(joinPath(tmpdir(), 'appel-main-smoke-'));
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  type Listener = (...args: never[]) => unknown;

  const app = Object.assign(new EventEmitter(), {
    enableSandbox: vi.fn(() => void order.push('app.enableSandbox')),
    requestSingleInstanceLock: vi.fn(() => (order.push('app.requestSingleInstanceLock'), true)),
    whenReady: vi.fn(() => ready),
    getAppPath: vi.fn(() => toPath(new URL('../../../', import.meta.url)).replace(/\/$/, '')),
    getPath: vi.fn((name: string) => {
      if (name !== 'userData') throw new Error(`getPath(${name}) not faked`);
      return userData;
    }),
    getLocale: vi.fn(() => 'en-US'),
    setAsDefaultProtocolClient: vi.fn((_scheme: string, _path?: string, _args?: string[]) => true),
    setBadgeCount: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
  });

  class FakeWebContents extends EventEmitter {
    url = '';
    destroyed = false;
    windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
    send = vi.fn();
    executeJavaScript = vi.fn(async () => undefined);
    setWindowOpenHandler = vi.fn((handler: (details: { url: string }) => { action: string }) => void (this.windowOpenHandler = handler));
    getURL = () => this.url;
    isDestroyed = () => this.destroyed;
  }

  class FakeBrowserWindow extends EventEmitter {
    static all: FakeBrowserWindow[] = [];
    readonly options: Record<string, unknown> & { webPreferences: Record<string, unknown> };
    readonly webContents = new FakeWebContents();
    destroyed = false;
    visible = false;
    constructor(options: FakeBrowserWindow['options']) {
      super();
      this.options = options;
      FakeBrowserWindow.all.push(this);
      order.push('new BrowserWindow');
      // Electron announces every webContents it creates.
      app.emit('web-contents-created', { preventDefault() {} }, this.webContents);
    }
    loadURL = vi.fn(async (url: string) => void (this.webContents.url = url));
    show = vi.fn(() => void (this.visible = true));
    showInactive = vi.fn(() => void (this.visible = true));
    hide = vi.fn(() => void (this.visible = false));
    focus = vi.fn();
    restore = vi.fn();
    isMinimized = () => false;
    isDestroyed = () => this.destroyed;
    close = vi.fn(() => {
      const event = { defaultPrevented: false, preventDefault: () => void (event.defaultPrevented = true) };
      this.emit('close', event);
      if (event.defaultPrevented) return;
      this.destroyed = this.webContents.destroyed = true;
      this.visible = false;
      this.emit('closed');
    });
  }

  const ipcMain = Object.assign(new EventEmitter(), {
    handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
    handle: vi.fn((channel: string, listener: (event: unknown, ...args: unknown[]) => unknown) => {
      if (ipcMain.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      ipcMain.handlers.set(channel, listener);
    }),
    removeHandler: vi.fn((channel: string) => void ipcMain.handlers.delete(channel)),
  });

  const protocol = {
    handlers: new Map<string, (request: { url: string; method?: string }) => Promise<Response>>(),
    registerSchemesAsPrivileged: vi.fn(() => void order.push('protocol.registerSchemesAsPrivileged')),
    handle: vi.fn((scheme: string, handler: (request: { url: string; method?: string }) => Promise<Response>) => {
      order.push('protocol.handle');
      protocol.handlers.set(scheme, handler);
    }),
  };

  const defaultSession = {
    requestHandler: undefined as Listener | undefined,
    checkHandler: undefined as Listener | undefined,
    setPermissionRequestHandler: vi.fn((h: Listener) => void (defaultSession.requestHandler = h)),
    setPermissionCheckHandler: vi.fn((h: Listener) => void (defaultSession.checkHandler = h)),
  };

  class Tray extends EventEmitter {
    static all: Tray[] = [];
    readonly image: unknown;
    constructor(image: unknown) {
      super();
      this.image = image;
      Tray.all.push(this);
    }
    setImage = vi.fn();
    setToolTip = vi.fn();
    setContextMenu = vi.fn();
    destroy = vi.fn();
  }

  class Notification extends EventEmitter {
    static all: Notification[] = [];
    static isSupported = vi.fn(() => true);
    readonly options: { title: string; body: string };
    constructor(options: { title: string; body: string }) {
      super();
      this.options = options;
      Notification.all.push(this);
    }
    show = vi.fn();
    close = vi.fn();
  }

  // A reversible stand-in for the OS keychain's cipher (never the clear text).
  const flip = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0x5a));
  const safeStorage = {
    isEncryptionAvailable: vi.fn(() => true),
    getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
    encryptString: vi.fn((plain: string) => flip(Buffer.from(plain, 'utf8'))),
    decryptString: vi.fn((cipher: Buffer) => flip(cipher).toString('utf8')),
  };

  const module = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain,
    protocol,
    session: { defaultSession },
    Tray,
    Menu: { buildFromTemplate: vi.fn((template: unknown[]) => ({ template })) },
    nativeImage: { createFromPath: vi.fn((path: string) => ({ path })) },
    Notification,
    powerMonitor: new EventEmitter(),
    safeStorage,
    screen: { getPrimaryDisplay: vi.fn(() => ({ workArea: { x: 0, y: 0, width: 1920, height: 1040 } })) },
    dialog: { showErrorBox: vi.fn() },
    shell: { openExternal: vi.fn(async () => undefined) },
  };

  return {
    module,
    order,
    userData,
    markReady,
    /** What main.ts gave createEngine, and the engine it got. */
    engineOptions: undefined as EngineOptions | undefined,
    engine: undefined as Engine | undefined,
  };
});

vi.mock('electron', () => fake.module);

// The real engine, with its SIP sockets on loopback only; everything else as main.ts asks.
vi.mock('../../../main/phone/engine.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../main/phone/engine.ts')>();
  return {
    ...actual,
    createEngine: async (opts: EngineOptions) => {
      fake.engineOptions = opts;
      fake.engine = await actual.createEngine({
        ...opts,
        phone: {
          ...opts.phone,
          listen: [
            { protocol: 'UDP', address: '127.0.0.1', port: 0 },
            { protocol: 'TCP', address: '127.0.0.1', port: 0 },
          ],
          media: { ...opts.phone?.media, address: '127.0.0.1' },
        },
      });
      fake.order.push('engine ready');
      return fake.engine;
    },
  };
});

const { app, ipcMain, protocol, powerMonitor, Notification, Tray, shell } = fake.module;
const windows = fake.module.BrowserWindow.all;
type FakeWindow = (typeof windows)[number];

const TRUSTED = { url: 'app://appel/index.html', parent: null };

/** ipcRenderer.invoke as the preload does it. */
async function invoke<T>(channel: string, req?: unknown, senderFrame: unknown = TRUSTED): Promise<ApiResult<T>> {
  const handler = ipcMain.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return (await handler({ senderFrame }, req)) as ApiResult<T>;
}

async function value<T>(channel: string, req?: unknown): Promise<T> {
  const result = await invoke<T>(channel, req);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Electron's MessagePortMain, as far as the engine uses it. */
function fakePort() {
  return Object.assign(new EventEmitter(), { postMessage: vi.fn(), start: vi.fn(), close: vi.fn() });
}

// ---- a SIP peer on loopback: registrar for alice, caller as carol ---------------------------------

interface Peer {
  socket: Socket;
  port: number;
  registers: Array<{ expires: string; from: RemoteInfo; contact: string }>;
  responses: string[];
  close(): void;
}

const header = (lines: string[], name: string) => lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim() ?? '';

async function startPeer(): Promise<Peer> {
  const socket = createSocket('udp4');
  const peer: Peer = { socket, port: 0, registers: [], responses: [], close: () => socket.close() };
  socket.on('message', (buf, rinfo) => {
    const text = buf.toString('utf8');
    const lines = text.split('\r\n\r\n')[0].split('\r\n');
    if (lines[0].startsWith('SIP/2.0 ')) {
      peer.responses.push(text);
      return;
    }
    if (!lines[0].startsWith('REGISTER ')) return;
    // RFC 3261 §10.3: the registrar's 200 echoes Via, From, To (with a tag), Call-ID and CSeq.
    const contact = header(lines, 'Contact');
    const expires = /;expires=(\d+)/.exec(contact)?.[1] ?? header(lines, 'Expires');
    peer.registers.push({ expires, from: rinfo, contact: /<([^>]+)>/.exec(contact)?.[1] ?? '' });
    const res = [
      'SIP/2.0 200 OK',
      ...lines.filter((l) => /^via:/i.test(l)),
      `From: ${header(lines, 'From')}`,
      `To: ${header(lines, 'To')};tag=reg1`,
      `Call-ID: ${header(lines, 'Call-ID')}`,
      `CSeq: ${header(lines, 'CSeq')}`,
      ...(expires === '0' ? [] : [`Contact: ${contact.replace(/;expires=\d+/, '')};expires=600`]),
      'Content-Length: 0',
      '',
      '',
    ];
    socket.send(res.join('\r\n'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok));
  peer.port = socket.address().port;
  return peer;
}

function sendSip(peer: Peer, to: RemoteInfo, lines: string[], body = '') {
  const text = [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  peer.socket.send(text, to.port, to.address);
}

// ---- the run ------------------------------------------------------------------------------------

let peer: Peer;
let mainWindow: FakeWindow;
const before = new Map<string, number>();
const countResources = () => {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
};

beforeAll(async () => {
  for (const [k, n] of countResources()) before.set(k, n);
  peer = await startPeer();
});

afterAll(async () => {
  peer?.close();
  if (fake.engine) await fake.engine.close().catch(() => undefined);
  rmSync(fake.userData, { recursive: true, force: true });
});

describe('main.ts under a fake Electron', () => {
  it('before ready: sandbox on, one instance, the app: scheme privileged, nothing else yet', async () => {
    await import('../../../main/app/main.ts');
    expect(app.enableSandbox).toHaveBeenCalledOnce();
    expect(app.requestSingleInstanceLock).toHaveBeenCalledOnce();
    expect(app.quit).not.toHaveBeenCalled();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) },
    ]);
    expect(protocol.handle).not.toHaveBeenCalled();
    expect(windows).toHaveLength(0);
    expect(fake.engineOptions).toBeUndefined();
  });

  it('on ready: the engine in userData, the app: handler, permissions, link schemes, the tray, and a sandboxed window on app://appel', async () => {
    fake.markReady();
    await vi.waitFor(() => expect(windows).toHaveLength(1), { timeout: 8000, interval: 20 });
    mainWindow = windows[0];
    await vi.waitFor(() => expect(fake.engine).toBeDefined(), { timeout: 8000, interval: 20 });
    // The window is made while the engine starts: it does not wait for it.
    expect(fake.order.indexOf('new BrowserWindow')).toBeLessThan(fake.order.indexOf('engine ready'));
    await vi.waitFor(() => expect(Tray.all).toHaveLength(1), { timeout: 8000, interval: 20 });
    expect(fake.module.dialog.showErrorBox).not.toHaveBeenCalled();

    expect(fake.order.indexOf('protocol.registerSchemesAsPrivileged')).toBeLessThan(fake.order.indexOf('protocol.handle'));
    expect(fake.order.indexOf('protocol.handle')).toBeLessThan(fake.order.indexOf('new BrowserWindow'));

    // The engine: its database under userData, the media worker a file that exists from source.
    const opts = fake.engineOptions!;
    expect(opts.dataDir).toBe(fake.userData);
    expect(existsSync(join(fake.userData, 'appel.db'))).toBe(true);
    const workerUrl = opts.phone?.media?.workerUrl;
    expect(workerUrl?.href).toMatch(/\/main\/media\/worker-host\.ts$/);
    expect(existsSync(fileURLToPath(workerUrl!))).toBe(true);
    expect(fake.engine!.status().notices).toEqual([]); // the keychain is fine: no notice

    // The window: isolated, sandboxed, no Node, our preload, hidden until ready-to-show.
    const prefs = mainWindow.options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
    // From source the preload is main/app/preload.cjs, which tsc emits (dist/main/app/) from preload.cts.
    expect(prefs.preload).toBe(join(dirname(mainTs), 'preload.cjs'));
    expect(existsSync(join(dirname(mainTs), 'preload.cts'))).toBe(true);
    expect(mainWindow.options.show).toBe(false);
    expect(mainWindow.loadURL).toHaveBeenCalledWith('app://appel/index.html');
    mainWindow.emit('ready-to-show');
    await vi.waitFor(() => expect(mainWindow.show).toHaveBeenCalled(), { timeout: 2000, interval: 10 }); // startMinimised is off

    // app:// serves our files with the CSP, and nothing outside them.
    const handler = protocol.handlers.get('app')!;
    const ringtone = await handler({ url: 'app://appel/sounds/ringtone.wav', method: 'GET' });
    expect(ringtone.status).toBe(200);
    expect(ringtone.headers.get('content-type')).toBe('audio/wav');
    expect(ringtone.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await handler({ url: 'app://appel/sounds/..%2f..%2fpackage.json' })).status).toBe(403);
    expect((await handler({ url: 'app://other/index.html' })).status).toBe(403);
    const index = await handler({ url: 'app://appel/index.html' });
    expect(index.status).toBe(existsSync(join(repo, 'dist', 'renderer', 'index.html')) ? 200 : 404);

    // Permissions: the microphone for our page only.
    const session = fake.module.session.defaultSession;
    const ask = (url: string, permission: string, mediaTypes?: string[]) => {
      const grant = vi.fn();
      (session.requestHandler as unknown as (...a: unknown[]) => void)({ getURL: () => url }, permission, grant, mediaTypes ? { mediaTypes } : {});
      return grant.mock.calls[0]?.[0] as boolean;
    };
    expect(ask('app://appel/index.html', 'media', ['audio'])).toBe(true);
    expect(ask('app://appel/index.html', 'media', ['audio', 'video'])).toBe(false);
    expect(ask('app://appel/index.html', 'geolocation')).toBe(false);
    expect(ask('https://evil.example/', 'media', ['audio'])).toBe(false);
    expect((session.checkHandler as unknown as (...a: unknown[]) => boolean)(null, 'media', 'https://evil.example')).toBe(false);

    expect(app.setAsDefaultProtocolClient.mock.calls.map((c) => c[0])).toEqual(['sip', 'sips', 'tel', 'callto']);

    // The tray: offline (no account yet), with its menu.
    expect(Tray.all).toHaveLength(1);
    expect(fake.module.nativeImage.createFromPath).toHaveBeenCalledWith(join(repo, 'assets', 'tray', 'offline.png'));
    expect(Tray.all[0].setContextMenu).toHaveBeenCalled();
  });

  it('every webContents: window.open denied (https opens in the browser), navigation and webviews refused', () => {
    const contents = mainWindow.webContents;
    expect(contents.windowOpenHandler!({ url: 'https://example.org/help' })).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.org/help');
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledOnce();
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const event = { preventDefault: vi.fn() };
      contents.emit(name, event, 'https://evil.example/');
      expect(event.preventDefault, name).toHaveBeenCalled();
    }
  });

  it('IPC: the contract to our page, the engine’s answers, and `forbidden` to anyone else', async () => {
    const event: { senderFrame: unknown; returnValue?: { channels: string[]; events: string[] } } = { senderFrame: TRUSTED };
    ipcMain.emit('appel:contract', event);
    expect(event.returnValue!.channels).toEqual(expect.arrayContaining(['settings:get', 'contacts:save', 'contacts:list', 'network:changed']));
    expect(event.returnValue!.events).toEqual(expect.arrayContaining(['call:incoming', 'app:link']));
    const foreign: typeof event = { senderFrame: { url: 'https://evil.example/', parent: null } };
    ipcMain.emit('appel:contract', foreign);
    expect(foreign.returnValue).toEqual({ channels: [], events: [] });

    const settings = await value<Settings>('settings:get');
    expect(settings).toMatchObject({ closeToTray: true, startMinimised: false, doNotDisturb: false });

    const saved = await value<ContactSnapshot>('contacts:save', { displayName: 'Carol Smoke', addresses: [{ uri: 'sip:carol@127.0.0.1', label: 'work' }] });
    expect(saved).toMatchObject({ displayName: 'Carol Smoke' });
    expect(mainWindow.webContents.send).toHaveBeenCalledWith('contacts:changed', expect.objectContaining({ saved: [expect.objectContaining({ id: saved.id })] }));
    expect((await value<ContactSnapshot[]>('contacts:list')).map((c) => c.id)).toEqual([saved.id]);

    const bad = await invoke('contacts:save', { displayName: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });

    for (const frame of [{ url: 'https://evil.example/', parent: null }, { url: 'app://appel/index.html', parent: {} }, null]) {
      expect(await invoke('contacts:list', undefined, frame)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
  });

  it('the audio link: our page’s port is taken and started; "bye" or "close" ends it; others are closed unheard', () => {
    const port = fakePort();
    ipcMain.emit('appel:audio', { senderFrame: TRUSTED, ports: [port] }, { sampleRate: 48000 });
    expect(port.start).toHaveBeenCalledOnce();
    expect(port.listenerCount('message')).toBe(1);
    expect(port.close).not.toHaveBeenCalled();
    port.emit('message', { data: new Int16Array(960), ports: [] }); // a 20 ms block, no worker yet: dropped quietly
    port.emit('message', { data: 'bye', ports: [] });
    expect(port.close).toHaveBeenCalledOnce();

    const second = fakePort();
    ipcMain.emit('appel:audio', { senderFrame: TRUSTED, ports: [second] }, { sampleRate: 48000 });
    expect(second.start).toHaveBeenCalledOnce();
    second.emit('close');
    expect(second.close).toHaveBeenCalledOnce();

    const foreign = fakePort();
    ipcMain.emit('appel:audio', { senderFrame: { url: 'https://evil.example/', parent: null }, ports: [foreign] }, { sampleRate: 48000 });
    const wrongRate = fakePort();
    ipcMain.emit('appel:audio', { senderFrame: TRUSTED, ports: [wrongRate] }, { sampleRate: 44100 });
    for (const p of [foreign, wrongRate]) {
      expect(p.start).not.toHaveBeenCalled();
      expect(p.close).toHaveBeenCalledOnce();
    }
  });

  it('an account registers on loopback; the tray says so', async () => {
    const added = await value<{ id: string }>('account:add', {
      aor: 'sip:alice@127.0.0.1',
      password: 'smoke-password',
      proxy: `sip:127.0.0.1:${peer.port}`,
      transport: 'udp',
      outbound: false,
    });
    await vi.waitFor(() => expect(mainWindow.webContents.send).toHaveBeenCalledWith('account:state', expect.objectContaining({ id: added.id, state: 'registered' })), {
      timeout: 5000,
      interval: 20,
    });
    expect(peer.registers.map((r) => r.expires)).toEqual(['600']);
    expect(fake.module.safeStorage.encryptString).toHaveBeenCalledWith('smoke-password');
    expect(fake.module.nativeImage.createFromPath).toHaveBeenLastCalledWith(join(repo, 'assets', 'tray', 'registered.png'));
  });

  it('a ringing call: a notification and the incoming-call window; CANCEL takes them away and counts a missed call', async () => {
    const phoneAt = peer.registers[0].from;
    // The registrar sends the call to the Contact the phone registered (its user part a token of that registration).
    const contactUri = peer.registers[0].contact;
    expect(contactUri).toMatch(/^sip:alice-[0-9a-f]{12}@127\.0\.0\.1:\d+$/);
    const notificationsBefore = Notification.all.length;
    const common = [
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-smoke-1;rport`,
      'Max-Forwards: 70',
      'From: "Carol" <sip:carol@127.0.0.1>;tag=carol1',
      'To: <sip:alice@127.0.0.1>',
      'Call-ID: smoke-call-1@127.0.0.1',
    ];
    const sdp = ['v=0', 'o=carol 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');
    sendSip(peer, phoneAt, [`INVITE ${contactUri} SIP/2.0`, ...common, 'CSeq: 1 INVITE', `Contact: <sip:carol@127.0.0.1:${peer.port}>`, 'Content-Type: application/sdp'], sdp);

    await vi.waitFor(() => expect(windows).toHaveLength(2), { timeout: 5000, interval: 20 });
    const ring = windows[1];
    expect(ring.options).toMatchObject({ alwaysOnTop: true, skipTaskbar: true, show: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false } });
    expect(ring.loadURL.mock.calls[0][0]).toBe('app://appel/index.html#/incoming');
    ring.emit('ready-to-show');
    expect(ring.showInactive).toHaveBeenCalled();
    const note = Notification.all[notificationsBefore];
    // The contact's name, from the store.
    expect(note.options).toMatchObject({ body: expect.stringContaining('Carol Smoke') });
    expect(note.show).toHaveBeenCalled();
    // Both windows hear the engine's events.
    expect(mainWindow.webContents.send).toHaveBeenCalledWith('call:incoming', expect.objectContaining({ state: 'ringing' }));

    sendSip(peer, phoneAt, [`CANCEL ${contactUri} SIP/2.0`, ...common, 'CSeq: 1 CANCEL']);
    await vi.waitFor(() => expect(ring.destroyed).toBe(true), { timeout: 5000, interval: 20 });
    expect(note.close).toHaveBeenCalled();
    await vi.waitFor(() => expect(Notification.all.length).toBe(notificationsBefore + 2), { timeout: 5000, interval: 20 });
    expect(Notification.all.at(-1)!.options.title).toMatch(/missed/i);
    expect(Tray.all[0].setToolTip).toHaveBeenLastCalledWith(expect.stringMatching(/1 missed/));
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(1);

    // RFC 3261 §17.1.1.3: the 487 to the INVITE is ACKed.
    const final = await vi.waitFor(
      () => {
        const r = peer.responses.find((t) => t.startsWith('SIP/2.0 487'));
        expect(r).toBeDefined();
        return r!;
      },
      { timeout: 5000, interval: 20 },
    );
    const to = header(final.split('\r\n'), 'To');
    sendSip(peer, phoneAt, [`ACK sip:alice@127.0.0.1:${phoneAt.port} SIP/2.0`, common[0], common[1], common[2], `To: ${to}`, common[4], 'CSeq: 1 ACK']);

    // The main window coming forward resets the count.
    mainWindow.emit('focus');
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(0);
  });

  it('links: one before the page loads waits for it; a second instance’s link reaches the page and brings the window forward', async () => {
    // A fresh page load: the window was created before 'did-finish-load' in this run.
    const openUrl = { preventDefault: vi.fn() };
    app.emit('open-url', openUrl, 'tel:+33123456789');
    expect(openUrl.preventDefault).toHaveBeenCalled();
    expect(mainWindow.webContents.send).not.toHaveBeenCalledWith('app:link', expect.anything());
    mainWindow.webContents.emit('did-finish-load');
    expect(mainWindow.webContents.send).toHaveBeenCalledWith('app:link', expect.objectContaining({ link: 'tel:+33123456789' }));

    mainWindow.hide();
    mainWindow.show.mockClear();
    mainWindow.focus.mockClear();
    app.emit('second-instance', { preventDefault() {} }, ['/opt/Appel/appel', '--no-sandbox', 'sip:bob@example.com'], '/home/alice');
    expect(mainWindow.webContents.send).toHaveBeenLastCalledWith('app:link', { target: 'sip:bob@example.com', link: 'sip:bob@example.com' });
    expect(mainWindow.show).toHaveBeenCalledOnce();
    expect(mainWindow.focus).toHaveBeenCalledOnce();
    expect(mainWindow.webContents.executeJavaScript).toHaveBeenLastCalledWith('location.hash = "#/dialpad"');

    // Without a link, a second start just shows the window.
    mainWindow.hide();
    app.emit('second-instance', { preventDefault() {} }, ['/opt/Appel/appel'], '/home/alice');
    expect(mainWindow.visible).toBe(true);
  });

  it('waking from sleep registers again (network:changed) after the network settles', async () => {
    const spy = vi.spyOn(fake.engine!.handlers, 'network:changed');
    const registers = peer.registers.length;
    powerMonitor.emit('resume');
    expect(spy).not.toHaveBeenCalled(); // power.ts waits 2 s for the network to settle (real time: the engine's sockets are real)
    await vi.waitFor(() => expect(peer.registers.length).toBe(registers + 1), { timeout: 6000, interval: 50 });
    expect(spy).toHaveBeenCalledOnce();
    expect(await spy.mock.results[0].value).toBeUndefined();
    expect(peer.registers.at(-1)!.expires).toBe('600');
  });

  it('closing the window hides it to the tray', () => {
    mainWindow.hide.mockClear();
    mainWindow.close();
    expect(mainWindow.hide).toHaveBeenCalledOnce();
    expect(mainWindow.destroyed).toBe(false);
  });

  it('with close to tray off, closing destroys the window; the tray’s Open, or a link, opens a new one', async () => {
    expect(await value<Settings>('settings:set', { closeToTray: false })).toMatchObject({ closeToTray: false });
    mainWindow.show();
    mainWindow.hide.mockClear();
    mainWindow.close();
    expect(mainWindow.hide).not.toHaveBeenCalled();
    expect(mainWindow.destroyed).toBe(true);
    expect(app.quit).not.toHaveBeenCalled(); // the tray keeps Appel running (window-all-closed is not quitting)

    const count = windows.length;
    Tray.all[0].emit('click');
    expect(windows).toHaveLength(count + 1);
    const reopened = windows.at(-1)!;
    expect(reopened.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(reopened.loadURL).toHaveBeenCalledWith('app://appel/index.html');
    expect(reopened.webContents.windowOpenHandler).toBeDefined(); // the guards of every webContents
    reopened.emit('ready-to-show');
    expect(reopened.visible).toBe(true);
    reopened.close();
    expect(reopened.destroyed).toBe(true);

    // A link while no window is open: a window opens, and the link reaches its page once loaded.
    app.emit('second-instance', { preventDefault() {} }, ['/opt/Appel/appel', 'sip:carol@127.0.0.1'], '/home/alice');
    expect(windows).toHaveLength(count + 2);
    mainWindow = windows.at(-1)!;
    expect(mainWindow.webContents.send).not.toHaveBeenCalledWith('app:link', expect.anything());
    mainWindow.webContents.emit('did-finish-load');
    expect(mainWindow.webContents.send).toHaveBeenCalledWith('app:link', { target: 'sip:carol@127.0.0.1', link: 'sip:carol@127.0.0.1' });

    expect(await value<Settings>('settings:set', { closeToTray: true })).toMatchObject({ closeToTray: true });
    mainWindow.close();
    expect(mainWindow.destroyed).toBe(false); // hidden to the tray again
  });

  it('quitting: the window closes for real, the engine unregisters and closes, IPC and watchers go, then app.exit(0)', async () => {
    expect(app.exit).not.toHaveBeenCalled();
    app.emit('before-quit', { preventDefault() {} });
    const willQuit = { preventDefault: vi.fn() };
    app.emit('will-quit', willQuit);
    expect(willQuit.preventDefault).toHaveBeenCalledOnce();
    expect(ipcMain.handlers.size).toBe(0);
    expect(ipcMain.listenerCount('appel:contract') + ipcMain.listenerCount('appel:audio')).toBe(0);
    expect(powerMonitor.listenerCount('resume')).toBe(0);
    expect(Tray.all[0].destroy).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0), { timeout: 8000, interval: 20 });
    expect(peer.registers.at(-1)!.expires).toBe('0'); // RFC 3261 §10.2.2: the binding removed

    // Electron then closes the windows: no longer kept for the tray.
    mainWindow.close();
    expect(mainWindow.destroyed).toBe(true);
    // A second will-quit (from app.exit's path) is let through.
    const again = { preventDefault: vi.fn() };
    app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();

    // Nothing of the engine keeps the process alive: sockets and timers are back to where they were.
    peer.close();
    peer = undefined as unknown as Peer;
    // (Polled by hand: vi.waitFor's own timers would count.)
    let left: string[] = [];
    for (let i = 0; i < 60; i++) {
      const now = countResources();
      left = [...now].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind, n]) => `${kind} ${n - (before.get(kind) ?? 0)}`);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(left).toEqual([]);
    fake.engine = undefined;
  });
});
