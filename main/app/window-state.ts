/**
 * Our windows' options and behaviour, as pure functions main.ts applies: the secure web
 * preferences every window shares (STYLE.md "Electron"), the main window, the small incoming-call
 * window in a corner of the screen, closing to the tray, starting hidden.
 */
import type { BrowserWindowConstructorOptions, Rectangle, WebPreferences } from 'electron';

/** Every window: isolated, sandboxed, no Node, our preload, nothing else. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    sandbox: true,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  };
}

export function mainWindowOptions(opts: { preload: string; icon?: string; show: boolean }): BrowserWindowConstructorOptions {
  return {
    width: 420,
    height: 720,
    minWidth: 360,
    minHeight: 560,
    title: 'Appel',
    show: opts.show,
    backgroundColor: '#00000000',
    autoHideMenuBar: true,
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: secureWebPreferences(opts.preload),
  };
}

export const INCOMING_SIZE = { width: 360, height: 168 } as const;

/** The incoming-call window: small, on top, bottom right of the work area, not in the taskbar. */
export function incomingWindowOptions(opts: { preload: string; workArea: Rectangle; icon?: string }): BrowserWindowConstructorOptions {
  const margin = 16;
  const { workArea: a } = opts;
  return {
    ...INCOMING_SIZE,
    x: Math.round(a.x + a.width - INCOMING_SIZE.width - margin),
    y: Math.round(a.y + a.height - INCOMING_SIZE.height - margin),
    title: 'Appel',
    show: false,
    frame: false,
    resizable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    skipTaskbar: true,
    alwaysOnTop: true,
    focusable: true,
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: secureWebPreferences(opts.preload),
  };
}

/**
 * The renderer's route for the incoming-call window: every call ringing now, in one window (a
 * burst of calls is one window to look at, not one window each).
 */
export function incomingRoute(): string {
  return '/incoming';
}

/** Closing the main window hides it to the tray, unless we are quitting or there is no tray. */
export function closeAction(opts: { closeToTray: boolean; quitting: boolean; hasTray: boolean }): 'hide' | 'close' {
  return opts.closeToTray && opts.hasTray && !opts.quitting ? 'hide' : 'close';
}

/** Start without showing the window: the setting, or `--hidden` (a login item), when a tray can bring it back. */
export function startHidden(opts: { startMinimised: boolean; argv: readonly string[]; hasTray: boolean }): boolean {
  return opts.hasTray && (opts.startMinimised || opts.argv.includes('--hidden'));
}

/** A link a person clicked in our page opens in their browser if it is https:, else nowhere. */
export function externalUrl(url: string): string | undefined {
  return /^https:\/\/[^\s]+$/i.test(url) ? url : undefined;
}

/**
 * What our page may be granted (Electron's permission handlers deny everything else): the
 * microphone — audio only, no camera or screen — and choosing the speaker, for our origin only.
 */
export function permissionAllowed(opts: { permission: string; url: string; origin: string; mediaTypes?: readonly string[] }): boolean {
  if (opts.url !== opts.origin && !opts.url.startsWith(`${opts.origin}/`)) return false;
  if (opts.permission === 'speaker-selection') return true;
  if (opts.permission !== 'media') return false;
  return (opts.mediaTypes ?? ['audio']).every((t) => t === 'audio');
}
