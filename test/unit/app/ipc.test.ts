/**
 * The IPC boundary (main/app/ipc.ts) with a fake ipcMain: one handler per contract channel, each
 * through the bridge's dispatch (validation, ApiResult), only for our page's top frame; the
 * engine's events pushed to our windows.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { requestSchemas as validators } from '../../../main/contract/schemas.ts';
import { CHANNEL_NAMES, CONTRACT_CHANNEL, EVENT_NAMES, contract } from '../../../main/app/contract.ts';
import { AUDIO_CHANNEL, isTrustedSender, originOf, registerIpc, type IpcEventLike, type IpcMainLike } from '../../../main/app/ipc.ts';
import type { ApiHandlers } from '../../../main/contract/api.ts';

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  readonly listeners = new Map<string, (event: IpcEventLike, ...args: unknown[]) => void>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`); // as Electron does
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void) {
    this.listeners.set(channel, listener);
  }
  removeListener(channel: string) {
    this.listeners.delete(channel);
  }
  /** What ipcRenderer.invoke would resolve with; Electron rejects a channel without a handler. */
  async invoke(frame: IpcEventLike['senderFrame'], channel: string, req?: unknown) {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    return h({ senderFrame: frame }, req);
  }
}

const OURS = { url: 'app://appel/index.html#/dialpad', parent: null };

function setup(handlers: ApiHandlers = {}) {
  const ipcMain = new FakeIpcMain();
  const events = new EventEmitter();
  const sent: Array<[string, unknown]> = [];
  const window = { destroyed: false, send: (c: string, p: unknown) => void sent.push([c, p]), isDestroyed: () => window.destroyed };
  const dispose = registerIpc({ ipcMain, handlers, events, targets: () => [window], origin: 'app://appel' });
  return { ipcMain, events, sent, window, dispose };
}

describe('the contract', () => {
  it('is every ApiCalls channel (the validators, complete by type) and every event', () => {
    expect(CHANNEL_NAMES).toEqual(Object.keys(validators));
    expect(new Set(CHANNEL_NAMES).size).toBe(CHANNEL_NAMES.length);
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['account:state', 'call:incoming', 'call:state', 'history:changed', 'settings:changed', 'app:status', 'app:link']));
    expect(contract()).toEqual({ channels: CHANNEL_NAMES, events: EVENT_NAMES });
  });

  it('pushes no SIP trace to windows: nothing is decoded for a viewer that is not there', () => {
    expect(EVENT_NAMES).not.toContain('sip:trace');
  });
});

describe('registerIpc', () => {
  it('registers exactly one handler per channel of the contract, and the contract for the preload', () => {
    const { ipcMain } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...CHANNEL_NAMES].sort());
    const event: IpcEventLike = { senderFrame: OURS };
    ipcMain.listeners.get(CONTRACT_CHANNEL)!(event);
    expect(event.returnValue).toEqual(contract());
  });

  it('dispatches a good request to the engine and answers { ok, value }', async () => {
    const seen: unknown[] = [];
    const { ipcMain } = setup({ 'contacts:get': (req) => (seen.push(req), { id: req.id, displayName: 'Zoé', favourite: false, notes: '', addresses: [], createdAt: 1, updatedAt: 1 }) });
    expect(await ipcMain.invoke(OURS, 'contacts:get', { id: 'c1' })).toEqual({ ok: true, value: expect.objectContaining({ id: 'c1', displayName: 'Zoé' }) });
    expect(seen).toEqual([{ id: 'c1' }]);
  });

  it('answers a bad payload with bad-request naming the field, and the engine never sees it', async () => {
    let called = false;
    const { ipcMain } = setup({ 'call:dial': () => ((called = true), undefined as never) });
    expect(await ipcMain.invoke(OURS, 'call:dial', { to: 42 })).toEqual({ ok: false, error: { code: 'bad-request', message: 'to: expected a string, not number' } });
    expect(await ipcMain.invoke(OURS, 'call:dial', { to: 'sip:a@b', record: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/^record: file paths are not accepted/) } });
    expect(await ipcMain.invoke(OURS, 'call:dial', 'sip:a@b')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(called).toBe(false);
  });

  it('has no handler for a channel outside the contract', async () => {
    const { ipcMain } = setup();
    await expect(ipcMain.invoke(OURS, 'ELECTRON_BROWSER_REQUIRE', 'fs')).rejects.toThrow(/No handler registered/);
    await expect(ipcMain.invoke(OURS, 'call:explode', {})).rejects.toThrow(/No handler registered/);
  });

  it('answers a channel the engine lacks with unavailable', async () => {
    const { ipcMain } = setup({});
    expect(await ipcMain.invoke(OURS, 'history:clear')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('refuses a foreign sender frame, an iframe and a destroyed frame before the engine sees anything', async () => {
    let called = 0;
    const { ipcMain } = setup({ 'history:clear': () => void called++ });
    for (const frame of [
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///home/me/index.html', parent: null },
      { url: 'app://appel.evil/index.html', parent: null },
      { url: 'app://appel/index.html', parent: { url: 'app://appel/' } },
      null,
    ]) {
      expect(await ipcMain.invoke(frame, 'history:clear')).toEqual({ ok: false, error: { code: 'forbidden', message: expect.any(String) } });
    }
    expect(called).toBe(0);
    const event: IpcEventLike = { senderFrame: { url: 'https://evil.example/', parent: null } };
    ipcMain.listeners.get(CONTRACT_CHANNEL)!(event);
    expect(event.returnValue).toEqual({ channels: [], events: [] });
  });

  it('pushes the engine events to the window, not to a destroyed one, and stops when disposed', () => {
    const { events, sent, window, dispose, ipcMain } = setup();
    events.emit('call:state', { id: 'c1', state: 'ringing' });
    events.emit('not-an-event', {});
    expect(sent).toEqual([['call:state', { id: 'c1', state: 'ringing' }]]);
    window.destroyed = true;
    events.emit('call:state', { id: 'c1', state: 'ended' });
    expect(sent).toHaveLength(1);
    window.destroyed = false;
    dispose();
    events.emit('call:state', { id: 'c1', state: 'ended' });
    expect(sent).toHaveLength(1);
    expect(ipcMain.handlers.size).toBe(0);
    expect(ipcMain.listeners.size).toBe(0);
    for (const name of EVENT_NAMES) expect(events.listenerCount(name)).toBe(0);
  });

  /** An engine still starting: its handlers and emitter arrive when `start()` is called. */
  function starting() {
    const ipcMain = new FakeIpcMain();
    const events = new EventEmitter();
    const sent: Array<[string, unknown]> = [];
    let start!: (handlers: ApiHandlers) => void;
    const handlers = new Promise<ApiHandlers>((ok) => (start = ok));
    const dispose = registerIpc({
      ipcMain,
      handlers,
      events: handlers.then(() => events),
      targets: () => [{ send: (c: string, p: unknown) => void sent.push([c, p]), isDestroyed: () => false }],
      origin: 'app://appel',
    });
    return { ipcMain, events, sent, start, dispose };
  }

  it('while the engine starts: a request waits for it and is answered (a bad one refused), a foreign frame at once', async () => {
    const { ipcMain, start } = starting();
    let answered = false;
    const early = ipcMain.invoke(OURS, 'settings:get').then((r) => ((answered = true), r));
    const bad = ipcMain.invoke(OURS, 'contacts:save', { displayName: 42 });
    expect(await ipcMain.invoke({ url: 'https://evil.example/', parent: null }, 'settings:get')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    let saved = 0;
    start({ 'settings:get': () => ({ language: 'fr' }) as never, 'contacts:save': () => ((saved++, {}) as never) });
    expect(await early).toEqual({ ok: true, value: { language: 'fr' } });
    expect(await bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(saved).toBe(0);
  });

  it('while the engine starts: its events are pushed once it is there; disposed before, it is never heard', async () => {
    const a = starting();
    a.start({});
    await new Promise((r) => setTimeout(r, 0));
    a.events.emit('call:state', { id: 'c1', state: 'ringing' });
    expect(a.sent).toEqual([['call:state', { id: 'c1', state: 'ringing' }]]);
    a.dispose();
    for (const name of EVENT_NAMES) expect(a.events.listenerCount(name)).toBe(0);

    const b = starting();
    b.dispose();
    b.start({});
    await new Promise((r) => setTimeout(r, 0));
    for (const name of EVENT_NAMES) expect(b.events.listenerCount(name)).toBe(0);
  });
});

describe('sender checks', () => {
  it('reads an origin as written, for schemes WHATWG URL does not know', () => {
    expect(originOf('app://appel/index.html#/call')).toBe('app://appel');
    expect(originOf('APP://Appel/')).toBe('app://appel');
    expect(originOf('about:blank')).toBeUndefined();
    expect(isTrustedSender({ url: 'app://appel/x', parent: null }, 'app://appel')).toBe(true);
    expect(isTrustedSender({ url: 'app://appel@evil/x', parent: null }, 'app://appel')).toBe(false);
  });
});

describe('the audio link (renderer → preload → ipcRenderer.postMessage)', () => {
  function withAudio() {
    const ipcMain = new FakeIpcMain();
    const connected: Array<[unknown, number]> = [];
    registerIpc({ ipcMain, handlers: {}, events: new EventEmitter(), targets: () => [], origin: 'app://appel', connectAudio: (port, rate) => void connected.push([port, rate]) });
    const port = () => ({ closed: false, postMessage() {}, close() { this.closed = true; } });
    const send = (frame: IpcEventLike['senderFrame'], p: unknown, meta: unknown) => ipcMain.listeners.get(AUDIO_CHANNEL)!({ senderFrame: frame, ports: [p] }, meta);
    return { connected, port, send };
  }

  it("gives our page's MessagePortMain to the engine with its rate", () => {
    const { connected, port, send } = withAudio();
    const p = port();
    send(OURS, p, { sampleRate: 48000 });
    expect(connected).toEqual([[p, 48000]]);
    expect(p.closed).toBe(false);
  });

  it('closes a port from another origin, an iframe, or without a rate, unheard', () => {
    const { connected, port, send } = withAudio();
    const ports = [port(), port(), port()];
    send({ url: 'https://evil.example/', parent: null }, ports[0], { sampleRate: 48000 });
    send({ url: 'app://appel/index.html', parent: {} }, ports[1], { sampleRate: 48000 });
    send(OURS, ports[2], {});
    expect(connected).toEqual([]);
    expect(ports.map((p) => p.closed)).toEqual([true, true, true]);
  });
});
