/**
 * The one place that registers IPC handlers (STYLE.md "Electron"): `ipcMain.handle` per channel of
 * the contract, each going through the same `dispatch()` as the WebSocket bridge (validation,
 * `{ ok, value } | { ok: false, error: { code, message } }`, never a throw), and the engine's
 * events pushed to our window with `webContents.send`.
 *
 * Every call's sender frame is checked: only our page (the `app://appel` origin, top frame) is
 * answered; anything else — another origin after a navigation we failed to stop, an iframe — gets
 * `{ ok: false, error: { code: 'forbidden' } }` and the engine never sees the request.
 *
 * Electron is injected (its `ipcMain` and the window's `webContents`), so this runs in plain Node
 * with fakes (test/unit/app/ipc.test.ts).
 */
import type { ApiHandlers, ApiResult } from '../contract/api.ts';
import { dispatch } from '../bridge/dispatch.ts';
import type { DeviceLinkPort } from '../phone/media-host.ts';
import { CONTRACT_CHANNEL, contract, type Contract } from './contract.ts';

/** The parts of Electron's WebFrameMain we read. */
export interface SenderFrame {
  url: string;
  /** null for a window's top frame. */
  parent: unknown;
}

export interface IpcEventLike {
  senderFrame: SenderFrame | null;
  returnValue?: unknown;
  /** MessagePortMain objects sent with `ipcRenderer.postMessage` (the audio link). */
  ports?: unknown[];
}

/** The preload forwards the renderer's audio link here (renderer/src/api.ts AUDIO_CONNECT). */
export const AUDIO_CHANNEL = 'appel:audio';

/** The parts of Electron's `ipcMain` we use. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

/** Where events go: our window's webContents. */
export interface EventTarget {
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

/** An emitter of the engine's events (engine.events). */
export interface EventSourceLike {
  on(event: string, listener: (payload: unknown) => void): unknown;
  off(event: string, listener: (payload: unknown) => void): unknown;
}

export interface RegisterIpcOptions {
  ipcMain: IpcMainLike;
  /**
   * The engine's handlers, or the promise of them: the window may load while the engine starts,
   * and its first requests then wait here for the engine.
   */
  handlers: ApiHandlers | Promise<ApiHandlers>;
  /** The engine's events, or the promise of its emitter (heard from when it is there). */
  events: EventSourceLike | Promise<EventSourceLike>;
  /** The windows that hear events (the main window, the incoming-call window). */
  targets: () => EventTarget[];
  /** Our page's origin, `app://appel` (app-protocol.ts). */
  origin: string;
  /** The names to serve (default: contract()). */
  contract?: Contract;
  /** Takes the page's audio link (a MessagePortMain) — the engine's `phone.connectAudio`. */
  connectAudio?: (port: DeviceLinkPort, sampleRate: number) => unknown;
}

/**
 * `scheme://host` of a URL as written. (WHATWG `URL.origin` is 'null' for schemes it does not
 * know, such as our `app:`.)
 */
export function originOf(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  return m ? `${m[1].toLowerCase()}://${m[2].toLowerCase()}` : undefined;
}

/** Only our page's top frame may call the engine. */
export function isTrustedSender(frame: SenderFrame | null | undefined, origin: string): boolean {
  if (!frame || frame.parent) return false;
  return originOf(frame.url) === origin.toLowerCase();
}

const FORBIDDEN: ApiResult<never> = { ok: false, error: { code: 'forbidden', message: 'this page may not use Appel’s engine' } };

/** Registers everything; returns the function that removes it all again. */
export function registerIpc(opts: RegisterIpcOptions): () => void {
  const { ipcMain, handlers, origin } = opts;
  const names = opts.contract ?? contract();
  const undo: Array<() => void> = [];

  const onContract = (event: IpcEventLike) => {
    // A foreign frame learns no names (and its preload, if it had ours, exposes nothing).
    event.returnValue = isTrustedSender(event.senderFrame, origin) ? names : { channels: [], events: [] };
  };
  ipcMain.on(CONTRACT_CHANNEL, onContract);
  undo.push(() => ipcMain.removeListener(CONTRACT_CHANNEL, onContract));

  if (opts.connectAudio) {
    const connect = opts.connectAudio;
    const onAudio = (event: IpcEventLike, meta: unknown) => {
      const port = event.ports?.[0] as DeviceLinkPort | undefined;
      const sampleRate = (meta as { sampleRate?: unknown } | null)?.sampleRate;
      if (!port) return;
      // Only our page's top frame gets the microphone link; anything else is closed unheard.
      if (!isTrustedSender(event.senderFrame, origin) || typeof sampleRate !== 'number') return void port.close?.();
      try {
        connect(port, sampleRate);
      } catch {
        port.close?.();
      }
    };
    ipcMain.on(AUDIO_CHANNEL, onAudio);
    undo.push(() => ipcMain.removeListener(AUDIO_CHANNEL, onAudio));
  }

  // An engine that fails to start answers nothing (its requests fail); whoever started it says so.
  if ('then' in handlers) handlers.catch(() => undefined);
  for (const channel of names.channels) {
    ipcMain.handle(channel, async (event, req) => {
      if (!isTrustedSender(event.senderFrame, origin)) return FORBIDDEN;
      return dispatch(await handlers, channel, req);
    });
    undo.push(() => ipcMain.removeHandler(channel));
  }

  let removed = false;
  const subscribe = (events: EventSourceLike) => {
    if (removed) return;
    for (const name of names.events) {
      const listener = (payload: unknown) => {
        for (const target of opts.targets()) {
          try {
            if (!target.isDestroyed()) target.send(name, payload);
          } catch {
            // A window closing meanwhile: it no longer listens.
          }
        }
      };
      events.on(name, listener);
      undo.push(() => events.off(name, listener));
    }
  };
  // The engine's emitter at once when it is given, else when it is there (an engine that fails
  // to start has no events; whoever started it says so).
  if ('then' in opts.events) opts.events.then(subscribe, () => undefined);
  else subscribe(opts.events);

  return () => {
    removed = true;
    for (const u of undo.splice(0)) u();
  };
}
