/**
 * The preload (main/app/preload.cts) run the way Electron runs a sandboxed preload: a script with
 * a `require` that offers 'electron' only — here fakes of contextBridge and ipcRenderer, the
 * types stripped by Node. What the page gets is exactly `window.appel` = { invoke, on } over the
 * contract's names, never Electron's event object.
 */
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, CONTRACT_CHANNEL, EVENT_NAMES, contract, type Contract } from '../../../main/app/contract.ts';

const SOURCE = stripTypeScriptTypes(readFileSync(new URL('../../../main/app/preload.cts', import.meta.url), 'utf8'));

type Listener = (event: unknown, payload: unknown) => void;

function runPreload(answer: Contract | Error = contract()) {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<Listener>>();
  const invoked: Array<[string, unknown]> = [];
  const posted: Array<[string, unknown, unknown[]]> = [];
  const sync: string[] = [];
  const windowListeners: Array<(event: unknown) => void> = [];
  const window = {
    addEventListener(type: string, l: (event: unknown) => void) {
      if (type === 'message') windowListeners.push(l);
    },
  };
  let invokeResult: (channel: string) => Promise<unknown> = async () => ({ ok: true, value: null });
  const ipcRenderer = {
    sendSync(channel: string) {
      sync.push(channel);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    invoke(channel: string, req: unknown) {
      invoked.push([channel, req]);
      return invokeResult(channel);
    },
    on(channel: string, l: Listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
    },
    removeListener(channel: string, l: Listener) {
      listeners.get(channel)?.delete(l);
    },
    postMessage(channel: string, message: unknown, transfer: unknown[]) {
      posted.push([channel, message, transfer]);
    },
  };
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api) };
  const required: string[] = [];
  const require = (name: string) => {
    required.push(name);
    if (name === 'electron') return { contextBridge, ipcRenderer };
    throw new Error(`module not found: ${name}`);
  };
  runInNewContext(SOURCE, { require, window, module: { exports: {} }, exports: {}, Promise, Set, Array, TypeError, Error, String, Number });
  /** A window message as the page's postMessage delivers it. */
  const message = (event: { source: unknown; data: unknown; ports: unknown[] }) => windowListeners.forEach((l) => l(event));
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'the IpcRendererEvent', ports: [] }, payload);
  };
  return {
    exposed,
    appel: exposed.get('appel') as { invoke(c: unknown, r?: unknown): Promise<unknown>; on(e: unknown, cb: unknown): () => void },
    listeners,
    invoked,
    sync,
    required,
    emit,
    window,
    message,
    posted,
    setInvokeResult: (f: typeof invokeResult) => (invokeResult = f),
  };
}

describe('the preload', () => {
  it('hands the page\'s audio link (one MessagePort, posted to its own window) to the main process, and nothing else', () => {
    const p = runPreload();
    const port = { fake: 'MessagePort' };
    p.message({ source: p.window, data: { type: 'appel:audio-connect', sampleRate: 48000 }, ports: [port] });
    expect(p.posted).toEqual([['appel:audio', { sampleRate: 48000 }, [port]]]);
    // Another window (a frame), another message type, or no port: ignored.
    p.message({ source: { other: 'window' }, data: { type: 'appel:audio-connect', sampleRate: 48000 }, ports: [port] });
    p.message({ source: p.window, data: { type: 'something-else', sampleRate: 48000 }, ports: [port] });
    p.message({ source: p.window, data: { type: 'appel:audio-connect', sampleRate: 48000 }, ports: [] });
    p.message({ source: p.window, data: null, ports: [port] });
    expect(p.posted).toHaveLength(1);
  });

  it('requires electron only, asks main for the contract once, and exposes window.appel = { invoke, on } alone', () => {
    const p = runPreload();
    expect(p.required).toEqual(['electron']);
    expect(p.sync).toEqual([CONTRACT_CHANNEL]);
    expect([...p.exposed.keys()]).toEqual(['appel']);
    expect(Object.keys(p.appel).sort()).toEqual(['invoke', 'on']);
  });

  it('passes every channel of the contract to ipcRenderer.invoke and returns its ApiResult', async () => {
    const p = runPreload();
    p.setInvokeResult(async (channel) => ({ ok: true, value: channel }));
    for (const channel of CHANNEL_NAMES) expect(await p.appel.invoke(channel, { x: 1 })).toEqual({ ok: true, value: channel });
    expect(p.invoked.map(([c]) => c)).toEqual(CHANNEL_NAMES);
  });

  it('refuses a channel outside the contract without any IPC, and never rejects', async () => {
    const p = runPreload();
    for (const channel of ['ELECTRON_BROWSER_REQUIRE', 'appel:contract', 'call:explode', 42, undefined]) {
      expect(await p.appel.invoke(channel, {})).toEqual({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/^channel: unknown channel/) } });
    }
    expect(p.invoked).toEqual([]);
    p.setInvokeResult(async () => {
      throw new Error("Error invoking remote method 'history:clear': reply was never sent");
    });
    expect(await p.appel.invoke('history:clear')).toEqual({ ok: false, error: { code: 'ipc', message: expect.stringMatching(/reply was never sent/) } });
  });

  it('hands a listener the payload alone, never the IpcRendererEvent, and unsubscribes', () => {
    const p = runPreload();
    const got: unknown[][] = [];
    const off = p.appel.on('call:state', (...args: unknown[]) => void got.push(args));
    p.emit('call:state', { id: 'c1', state: 'ringing' });
    expect(got).toEqual([[{ id: 'c1', state: 'ringing' }]]);
    off();
    p.emit('call:state', { id: 'c1', state: 'ended' });
    expect(got).toHaveLength(1);
    expect(p.listeners.get('call:state')?.size).toBe(0);
  });

  it('listens to the contract events only', () => {
    const p = runPreload();
    for (const event of EVENT_NAMES) p.appel.on(event, () => undefined)();
    expect(() => p.appel.on('ELECTRON_RENDERER_CONTEXT_MENU', () => undefined)).toThrow(/^event: unknown event/);
    expect(() => p.appel.on('call:state', 'not a function')).toThrow(/^cb: a function is needed/);
  });

  it('exposes nothing usable when main does not answer with a contract', async () => {
    const p = runPreload(new Error('no handler'));
    expect(await p.appel.invoke('call:list')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(() => p.appel.on('call:state', () => undefined)).toThrow(/unknown event/);
  });
});
