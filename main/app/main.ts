/**
 * The thin Electron shell (DESIGN.md "app/"): one instance, sandboxed windows on our own
 * `app://appel` origin, the engine (main/phone/engine.ts) behind IPC, the tray, notifications,
 * sip:/sips:/tel:/callto: links, sleep and network changes. Everything with logic lives in the
 * small modules beside this one and is tested in Node; this file only wires Electron to them.
 *
 * Compiled to dist/ (`npm start`, `npm run dist`): Electron does not strip types.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, protocol, safeStorage, screen, session, shell, Tray } from 'electron';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccountSnapshot, Settings } from '../contract/api.ts';
import { createEngine, defaultWorkerUrl, type Engine } from '../phone/engine.ts';
import { guardProcess } from '../phone/last-resort.ts';
import { APP_INDEX, APP_ORIGIN, APP_SCHEME, appResponse } from './app-protocol.ts';
import { registerIpc, type EventSourceLike } from './ipc.ts';
import { CallNotifier } from './notifications.ts';
import { watchPower } from './power.ts';
import { linkFromArgv, type ParsedLink } from './protocol.ts';
import { keychainProblem, safeStorageSecrets } from './secrets.ts';
import { shellLanguage, TEXT } from './shell-text.ts';
import { AppTray } from './tray.ts';
import { closeAction, externalUrl, incomingRoute, incomingWindowOptions, mainWindowOptions, permissionAllowed, startHidden } from './window-state.ts';

const LINK_SCHEMES = ['sip', 'sips', 'tel', 'callto'] as const;

// Element and Electron's security checklist: every renderer sandboxed.
app.enableSandbox();

// Our page's origin: standard (relative URLs, localStorage), secure (like https), fetch allowed.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const root = app.getAppPath();
const here = fileURLToPath(new URL('.', import.meta.url));
const paths = {
  preload: join(here, 'preload.cjs'),
  renderer: join(root, 'dist', 'renderer'),
  sounds: join(root, 'assets', 'sounds'),
  assets: join(root, 'assets'),
  icon: join(root, 'assets', 'icon.png'),
};

/**
 * The media worker, outside the asar archive when packaged (a worker thread loads its ES modules
 * and the native addon from plain files; electron-builder.yml unpacks dist/main/media, dist/native).
 * worker-host.js beside the compiled shell, worker-host.ts when this file runs from source.
 */
function mediaWorkerUrl(): URL {
  const url = defaultWorkerUrl(import.meta.url);
  return new URL(url.href.replace('/app.asar/', '/app.asar.unpacked/'));
}

if (!app.requestSingleInstanceLock()) {
  // The running instance gets our argv (a link to dial) through 'second-instance'.
  app.quit();
} else {
  guardProcess((line) => console.error(line));
  let engine: Engine | undefined;
  let window: BrowserWindow | undefined;
  /** The one incoming-call window, while a call rings; the calls it shows. */
  let incomingWindow: BrowserWindow | undefined;
  const ringingIds = new Set<string>();
  let tray: AppTray | undefined;
  let notifier: CallNotifier | undefined;
  let quitting = false;
  let pageReady = false;
  let pendingLink: { link: string; parsed: ParsedLink } | undefined;
  let settings: Settings | undefined;
  let accounts: AccountSnapshot[] = [];
  const disposers: Array<() => void> = [];

  const text = () => TEXT[shellLanguage(settings?.language ?? 'system', app.getLocale())];

  const showMain = (route?: string) => {
    if (!window) {
      // Closed for real (close to tray off, or no tray): Appel still runs, so open it again.
      if (engine) createWindow({ hidden: false, route });
      return;
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    if (route) void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#${route}`)}`).catch(() => undefined);
    notifier?.resetMissed();
  };

  const deliverLink = (found: { link: string; parsed: ParsedLink }) => {
    if (!engine || !pageReady) {
      pendingLink = found;
      // No window to load it in: open one; its 'did-finish-load' delivers the link.
      if (engine && !window) showMain();
      return;
    }
    pendingLink = undefined;
    engine.publish('app:link', { target: found.parsed.target, link: found.link });
    showMain('/dialpad');
  };

  // macOS hands links over this way, possibly before 'ready'.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const found = linkFromArgv([url]);
    if (found) deliverLink(found);
  });

  app.on('second-instance', (_event, argv) => {
    const found = linkFromArgv(argv);
    if (found) deliverLink(found);
    else showMain();
  });

  // Every webContents, ours or not: no new windows, no navigation, no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      const external = externalUrl(url);
      if (external) void shell.openExternal(external);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  const redrawTray = () => {
    if (!tray || !settings) return;
    tray.update({ accounts, doNotDisturb: settings.doNotDisturb, missed: notifier?.missed ?? 0, text: text() });
  };

  const openIncomingWindow = (callId: string) => {
    ringingIds.add(callId);
    if (incomingWindow && !incomingWindow.isDestroyed()) return; // it lists every ringing call
    const { workArea } = screen.getPrimaryDisplay();
    const w = new BrowserWindow(incomingWindowOptions({ preload: paths.preload, workArea, icon: paths.icon }));
    incomingWindow = w;
    w.on('closed', () => {
      if (incomingWindow === w) incomingWindow = undefined;
    });
    w.once('ready-to-show', () => w.showInactive());
    void w.loadURL(`${APP_INDEX}#${incomingRoute()}`);
  };

  const closeIncomingWindow = (callId: string) => {
    ringingIds.delete(callId);
    if (ringingIds.size > 0) return;
    const w = incomingWindow;
    incomingWindow = undefined;
    if (w && !w.isDestroyed()) w.close();
  };

  /** `hidden`: known, or decided once the engine's settings are in (the first window, made while the engine starts). */
  const createWindow = ({ hidden, route }: { hidden: boolean | Promise<boolean>; route?: string }) => {
    const w = new BrowserWindow(mainWindowOptions({ preload: paths.preload, icon: paths.icon, show: false }));
    window = w;
    w.once('ready-to-show', () => {
      const show = (h: boolean) => {
        if (!h && window === w && !w.isDestroyed()) w.show();
      };
      if (typeof hidden === 'boolean') show(hidden);
      else void hidden.then(show, () => undefined);
    });
    w.webContents.on('did-finish-load', () => {
      pageReady = true;
      if (pendingLink) deliverLink(pendingLink);
    });
    w.on('focus', () => notifier?.resetMissed());
    w.on('close', (event) => {
      if (closeAction({ closeToTray: settings?.closeToTray ?? true, quitting, hasTray: tray !== undefined }) === 'hide') {
        event.preventDefault();
        window?.hide();
      }
    });
    w.on('closed', () => {
      if (window === w) window = undefined;
      pageReady = false;
    });
    void w.loadURL(route ? `${APP_INDEX}#${route}` : APP_INDEX);
  };

  const start = async () => {
    protocol.handle(APP_SCHEME, (request) => appResponse(request, { renderer: paths.renderer, sounds: paths.sounds }));

    // The page may use the microphone (calls) and pick the speaker; nothing else is granted.
    session.defaultSession.setPermissionRequestHandler((contents, permission, grant, details) =>
      grant(permissionAllowed({ permission, url: contents.getURL(), origin: APP_ORIGIN, mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined })),
    );
    session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
      permissionAllowed({ permission, url: requestingOrigin, origin: APP_ORIGIN }),
    );

    for (const scheme of LINK_SCHEMES) {
      // While developing (`electron .`), the OS must start Electron with our folder.
      if (process.defaultApp && process.argv[1]) app.setAsDefaultProtocolClient(scheme, process.execPath, [root]);
      else app.setAsDefaultProtocolClient(scheme);
    }

    const problem = keychainProblem(safeStorage);
    // The engine (the database, the saved passwords from the keychain, the sockets, the media
    // worker) starts while the window's renderer starts and loads the page: neither waits for the
    // other. The page's first requests wait in the IPC handlers until the engine is there.
    const starting = createEngine({
      dataDir: app.getPath('userData'),
      secrets: (store) => safeStorageSecrets(store, safeStorage),
      phone: { media: { workerUrl: mediaWorkerUrl() } },
    });
    disposers.push(
      registerIpc({
        ipcMain,
        handlers: starting.then((e) => e.handlers),
        events: starting.then((e) => e.events as unknown as EventSourceLike),
        origin: APP_ORIGIN,
        // At once when the engine is up (a refusal closes the port there); else when it is.
        connectAudio: (port, sampleRate) => {
          if (engine) return engine.phone.connectAudio(port, sampleRate);
          void starting.then((e) => e.phone.connectAudio(port, sampleRate)).catch(() => port.close?.());
        },
        targets: () => [...(window ? [window.webContents] : []), ...(incomingWindow && !incomingWindow.isDestroyed() ? [incomingWindow.webContents] : [])],
      }),
    );
    // Shown or not (start minimised) once the settings and the tray are known.
    let decideHidden!: (hidden: boolean) => void;
    createWindow({ hidden: new Promise<boolean>((ok) => (decideHidden = ok)) });

    engine = await starting;
    if (problem) engine.notify({ id: 'no-keychain', level: 'warning', message: problem });
    const e = engine;
    settings = await e.handlers['settings:get']!(undefined);
    accounts = await e.handlers['account:list']!(undefined);

    notifier = new CallNotifier({
      Notification,
      supported: Notification.isSupported(),
      platform: process.platform,
      handlers: e.handlers,
      text,
      contactName: (uri) => {
        try {
          return e.store.contacts.list({ text: uri, limit: 1 })[0]?.displayName;
        } catch {
          return undefined;
        }
      },
      openIncomingWindow,
      closeIncomingWindow,
      showMain,
      missedChanged: () => redrawTray(),
      icon: paths.icon,
    });
    // Under do not disturb the phone refuses the call at once: nothing rings on the screen.
    e.events.on('call:incoming', (call) => {
      if (!settings?.doNotDisturb) notifier?.incoming(call);
    });
    e.events.on('call:state', (call) => notifier?.callState(call));
    e.events.on('history:changed', (change) => notifier?.history(change));
    e.events.on('settings:changed', (next) => {
      settings = next;
      redrawTray();
    });
    e.events.on('account:state', (snapshot) => {
      const i = accounts.findIndex((a) => a.id === snapshot.id);
      if (i >= 0) accounts[i] = snapshot;
      else accounts.push(snapshot);
      redrawTray();
    });

    try {
      tray = new AppTray(
        { Tray, buildMenu: (t) => Menu.buildFromTemplate(t), image: (p) => nativeImage.createFromPath(p), assets: paths.assets, setBadge: (n) => void app.setBadgeCount(n) },
        {
          open: () => showMain(),
          setDoNotDisturb: (on) => void e.handlers['settings:set']!({ doNotDisturb: on }),
          quit: () => app.quit(),
        },
        { accounts, doNotDisturb: settings.doNotDisturb, missed: 0, text: text() },
      );
    } catch {
      tray = undefined; // a desktop without a tray: closing the window quits
    }

    disposers.push(
      watchPower(
        { powerMonitor, networkInterfaces, setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout), setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
        () => void e.handlers['network:changed']!(undefined),
      ),
    );

    decideHidden(startHidden({ startMinimised: settings.startMinimised, argv: process.argv, hasTray: tray !== undefined }));
    // A link given at start (argv), or one that came while the engine started.
    const first = linkFromArgv(process.argv.slice(1)) ?? pendingLink;
    if (first) deliverLink(first);
  };

  app.whenReady().then(start).catch((err: unknown) => {
    dialog.showErrorBox('Appel could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });

  app.on('activate', () => showMain());

  app.on('window-all-closed', () => {
    // With a tray Appel keeps running (calls still ring); without one, closing quits.
    if (!tray && process.platform !== 'darwin') app.quit();
  });

  app.on('before-quit', () => {
    quitting = true;
  });

  // End calls, unregister and close the database before leaving (bounded inside Phone.stop()).
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing || !engine) return;
    closing = true;
    event.preventDefault();
    for (const d of disposers.splice(0)) d();
    tray?.destroy();
    void engine.close().finally(() => app.exit(0));
  });
}
