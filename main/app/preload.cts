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

// The call audio link (renderer/src/api.ts connectAudio): a MessagePort cannot be an argument
// through contextBridge, so the page posts it to its own window and we hand it to the main
// process, which gives it to the engine. Only a message from this very page is taken.
const AUDIO_CONNECT = 'appel:audio-connect';
/** The page's window as the preload sees it (the shell compiles without the DOM's types). */
declare const window: {
  addEventListener(type: 'message', listener: (event: { source: unknown; data: unknown; ports: NonNullable<Parameters<typeof ipcRenderer.postMessage>[2]> }) => void): void;
};
window.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown; sampleRate?: unknown } | null;
  if (event.source !== window || data?.type !== AUDIO_CONNECT || event.ports.length !== 1) return;
  ipcRenderer.postMessage('appel:audio', { sampleRate: Number(data.sampleRate) }, [event.ports[0]]);
});

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
