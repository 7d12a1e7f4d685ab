/**
 * The preload of Appel's window (sandboxed: CommonJS, `require('electron')` only). It exposes
 * one object, `window.appel` (renderer/src/api.ts), and nothing of Electron:
 *
 *   invoke(channel, req) → Promise<ApiResult>   only the contract's calls; never rejects
 *   on(event, cb) → unsubscribe                 only the contract's events; cb gets the payload alone
 *
 * The names come from the main process (contract.ts) in one synchronous message at start, so the
 * page can neither reach another IPC channel nor see Electron's event object (STYLE.md "Electron").
 */
// A sandboxed preload has `require` (for 'electron' and a few built-ins), not `import`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

type Failure = { ok: false; error: { code: string; message: string } };

const CONTRACT_CHANNEL = 'appel:contract';

function readContract(): { channels: Set<string>; events: Set<string> } {
  try {
    const c = ipcRenderer.sendSync(CONTRACT_CHANNEL) as { channels?: unknown; events?: unknown } | undefined;
    const names = (v: unknown) => new Set(Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : []);
    return { channels: names(c?.channels), events: names(c?.events) };
  } catch {
    return { channels: new Set(), events: new Set() };
  }
}

const contract = readContract();

const failure = (code: string, message: string): Failure => ({ ok: false, error: { code, message } });
const show = (v: unknown) => (typeof v === 'string' ? `'${v.slice(0, 60)}'` : typeof v);

contextBridge.exposeInMainWorld('appel', {
  invoke(channel: unknown, req: unknown): Promise<unknown> {
    if (typeof channel !== 'string' || !contract.channels.has(channel)) {
      return Promise.resolve(failure('bad-request', `channel: unknown channel ${show(channel)}`));
    }
    // The main process answers every call with an ApiResult; a rejection means IPC itself failed.
    return ipcRenderer.invoke(channel, req).catch((err: unknown) => failure('ipc', err instanceof Error ? err.message : String(err)));
  },
  on(event: unknown, cb: unknown): () => void {
    if (typeof event !== 'string' || !contract.events.has(event)) throw new TypeError(`event: unknown event ${show(event)}`);
    if (typeof cb !== 'function') throw new TypeError('cb: a function is needed');
    const listener = (_event: unknown, payload: unknown) => {
      (cb as (payload: unknown) => void)(payload);
    };
    ipcRenderer.on(event, listener);
    return () => {
      ipcRenderer.removeListener(event, listener);
    };
  },
});
