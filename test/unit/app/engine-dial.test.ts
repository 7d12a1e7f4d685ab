/**
 * What the engine decides for every client, not the UI alone (main/phone/calls.ts): a dial that
 * names no codecs or SRTP mode gets the saved settings (Settings.codecs, Settings.srtp), and a
 * connected call is put on hold before another call is placed. Engines on loopback, requests
 * through the bridge's dispatch, as the app, the CLI's bridge or a test would send them.
 */
import { describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { call, engineLab, next } from './engine-lab.ts';

const lab = engineLab('engine-dial');
const { newDir, start } = lab;

describe('call:dial in the engine', () => {
  it('without codecs or an SRTP mode uses the saved ones, and settings:set changes them for the next dial', async () => {
    const [alice, bob] = await Promise.all([start(newDir()), start(newDir())]);
    const bobPort = bob.phone.localAddresses().find((a) => a.protocol === 'UDP')!.port;
    await call(bob, 'settings:set', { autoAnswer: { enabled: true, delay: 0 }, srtp: 'optional' });
    await call(alice, 'settings:set', { codecs: ['pcma'], srtp: 'mandatory' });

    const first = await call<CallSnapshot>(alice, 'call:dial', { to: `sip:bob@127.0.0.1:${bobPort}` });
    const up = await next(alice, 'call:state', (s) => s.id === first.id && s.state === 'connected');
    expect(up).toMatchObject({ codec: 'pcma', srtp: true });
    await call(alice, 'call:hangup', { callId: first.id });

    await call(alice, 'settings:set', { codecs: ['pcmu'], srtp: 'off' });
    const second = await call<CallSnapshot>(alice, 'call:dial', { to: `sip:bob@127.0.0.1:${bobPort}` });
    expect(await next(alice, 'call:state', (s) => s.id === second.id && s.state === 'connected')).toMatchObject({ codec: 'pcmu', srtp: false });
    // What a request names still wins.
    await call(alice, 'call:hangup', { callId: second.id });
    const third = await call<CallSnapshot>(alice, 'call:dial', { to: `sip:bob@127.0.0.1:${bobPort}`, codecs: ['g722'] });
    expect(await next(alice, 'call:state', (s) => s.id === third.id && s.state === 'connected')).toMatchObject({ codec: 'g722' });
  });

  it('puts the connected call on hold before it places another one', async () => {
    const [alice, bob, carol] = await Promise.all([start(newDir()), start(newDir()), start(newDir())]);
    const port = (e: typeof bob) => e.phone.localAddresses().find((a) => a.protocol === 'UDP')!.port;
    for (const e of [bob, carol]) await call(e, 'settings:set', { autoAnswer: { enabled: true, delay: 0 } });

    const withBob = await call<CallSnapshot>(alice, 'call:dial', { to: `sip:bob@127.0.0.1:${port(bob)}` });
    await next(alice, 'call:state', (s) => s.id === withBob.id && s.state === 'connected');
    const held = next(alice, 'call:state', (s) => s.id === withBob.id && s.state === 'held');
    const withCarol = await call<CallSnapshot>(alice, 'call:dial', { to: `sip:carol@127.0.0.1:${port(carol)}` });
    // Held by the time the new call is placed.
    expect((await call<CallSnapshot[]>(alice, 'call:list')).find((c) => c.id === withBob.id)).toMatchObject({ state: 'held', heldBy: 'local' });
    expect(await held).toMatchObject({ heldBy: 'local' });
    expect(await next(alice, 'call:state', (s) => s.id === withCarol.id && s.state === 'connected')).toMatchObject({ state: 'connected' });
  });
});
