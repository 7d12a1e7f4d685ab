/**
 * The loopback bridge against the real engine: session cookie, origin and path checks on the upgrade;
 * every request validated with the field named; answers and events over the socket. Two Phones
 * in this process on 127.0.0.1 (the second one is the peer our messages and pings reach).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import WebSocket from 'ws';
import { Phone } from '../../main/phone/phone.ts';
import { WsBridge, type EventSource } from '../../main/bridge/ws-bridge.ts';
import { PageAccess } from '../../main/bridge/page-access.ts';
import { phoneHandlers } from '../../main/phone/phone-handlers.ts';
import { dispatch } from '../../main/bridge/dispatch.ts';
import { validateRequest, requestSchemas as validators } from '../../main/contract/schemas.ts';

const TOKEN = 'a'.repeat(64);
const loopback = () => Phone.create({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } });

describe('request validation (one schema per channel)', () => {
  it('covers every channel of the contract', () => {
    expect(Object.keys(validators).length).toBeGreaterThanOrEqual(31);
  });

  it.each([
    ['account:add', { aor: 'alice@lab.test' }, "aor: expected a sip: or sips: URI, not 'alice@lab.test'"],
    ['account:add', {}, 'aor: is required'],
    ['account:add', { aor: 'sip:a@b', transport: 'sctp' }, "transport: expected udp, tcp, tls, not 'sctp'"],
    ['account:add', { aor: 'sip:a@b', expires: 1.5 }, 'expires: expected a whole number, not 1.5'],
    ['account:add', { aor: 'sip:a@b', pasword: 'x' }, 'pasword: unknown field'],
    ['account:list', { x: 1 }, 'request: expects no arguments'],
    ['call:dial', { to: 'sip:b@x', record: '/etc/passwd' }, 'record: file paths are not accepted from the UI'],
    ['call:dial', { to: 'sip:b@x', play: { wav: '/tmp/a.wav' } }, 'play.wav: file paths are not accepted from the UI'],
    ['call:dial', { to: 'sip:b@x', codecs: ['opus', 'speex'] }, "codecs[1]: expected opus, g722, pcmu, pcma, g729, gsm, not 'speex'"],
    ['call:dial', { to: '' }, 'to: must not be empty'],
    ['call:dtmf', { callId: '1', digits: '12x' }, "digits: expected digits 0-9, *, #, A-D, not '12x'"],
    ['call:decline', { callId: '1', status: 404 }, 'status: expected 486, 603, not number'],
    ['contacts:save', { displayName: 'Bob', addresses: [{ uri: 'sip:b@x', label: 'car' }] }, "addresses[0].label: expected work, home, mobile, other, not 'car'"],
    ['history:delete', { id: '3' }, "id: expected a number, not '3'"],
    ['settings:set', { audio: { echoCancellation: 'yes' } }, "audio.echoCancellation: expected true or false, not 'yes'"],
    ['settings:set', { network: { rtpPortMin: 80 } }, 'network.rtpPortMin: must be ≥ 1024, not 80'],
    ['messages:list', null, 'request: expected an object, not null'],
  ] as const)('%s %j → %s', (channel, req, message) => {
    expect(validateRequest(channel, req)).toBe(message);
  });

  it.each([
    ['account:add', { aor: 'sips:alice@lab.test', password: 'x', transport: 'tls', register: false }],
    ['account:list', undefined],
    ['account:list', null],
    ['call:dial', { to: '1001', accountId: '1', codecs: ['pcmu'], srtp: 'optional', play: { tone: [440] } }],
    ['call:settings', { doNotDisturb: true, autoAnswerDelay: 2.5 }],
    ['contacts:list', undefined],
    ['contacts:list', { text: 'élo', favourites: true }],
    ['history:list', { kind: 'missed', limit: 50 }],
    ['settings:set', { autoAnswer: { delay: 3 }, codecs: ['opus', 'g722'] }],
  ] as const)('%s %j passes', (channel, req) => {
    expect(validateRequest(channel, req)).toBeUndefined();
  });

  it('answers an unknown channel, a missing handler and engine errors as ApiResults', async () => {
    expect(await dispatch({}, 'call:teleport', {})).toEqual({ ok: false, error: { code: 'bad-request', message: "channel: unknown channel 'call:teleport'" } });
    expect(await dispatch({}, 'account:list', undefined)).toEqual({ ok: false, error: { code: 'unavailable', message: 'account:list: not available in this engine' } });
    const thrown = await dispatch({ 'account:remove': () => Promise.reject(new TypeError("id: no account '9'")) }, 'account:remove', { id: '9' });
    expect(thrown).toEqual({ ok: false, error: { code: 'bad-request', message: "id: no account '9'" } });
    const coded = await dispatch({ 'call:hangup': () => Promise.reject(Object.assign(new Error("callId: no call 'x'"), { code: 'not-found' })) }, 'call:hangup', { callId: 'x' });
    expect(coded).toEqual({ ok: false, error: { code: 'not-found', message: "callId: no call 'x'" } });
  });
});

describe('the WebSocket bridge with the real engine', () => {
  let server: Server;
  let bridge: WsBridge;
  let phone: Phone;
  let peer: Phone;
  let port: number;
  let peerUri: string;
  let access: PageAccess;
  let cookie: string;

  beforeAll(async () => {
    [phone, peer] = await Promise.all([loopback(), loopback()]);
    peerUri = `sip:bob@127.0.0.1:${peer.localAddresses()[0].port}`;
    server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as { port: number }).port;
    access = new PageAccess({ port, token: TOKEN });
    cookie = access.cookie;
    bridge = new WsBridge({ server, access, handlers: phoneHandlers(phone), events: [phone as unknown as EventSource] });
  });

  afterAll(async () => {
    bridge?.close();
    server?.closeAllConnections();
    await new Promise<void>((ok) => server?.close(() => ok()));
    await Promise.all([phone?.stop(), peer?.stop()]);
  });

  /** Resolves with the HTTP status of a refused upgrade, or 101 when it is accepted. */
  function tryConnect(path: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
  }

  it('refuses a missing or wrong session cookie, the token alone, another origin and another path', async () => {
    const [name, value] = cookie.split('=');
    expect(await tryConnect('/bridge')).toBe(401);
    // The link's token opens no socket: only the cookie its first load was traded for does.
    expect(await tryConnect(`/bridge?token=${TOKEN}`)).toBe(401);
    expect(await tryConnect('/bridge', { Cookie: `${name}=${'b'.repeat(64)}` })).toBe(401);
    expect(await tryConnect('/bridge', { Cookie: `${name}=${value.slice(1)}` })).toBe(401);
    expect(await tryConnect('/bridge', { Cookie: `appel-session-${port + 1}=${value}` })).toBe(401);
    expect(await tryConnect('/bridge', { Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await tryConnect('/bridge', { Cookie: cookie, Origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await tryConnect('/other', { Cookie: cookie })).toBe(403);
    expect(await tryConnect('/bridge', { Cookie: `theme=dark; ${cookie}`, Origin: `http://127.0.0.1:${port}` })).toBe(101);
  });

  it('answers requests, refuses bad ones by field, and pushes events', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/bridge`, { headers: { Cookie: cookie } });
    const frames: Array<{ id?: number; result?: { ok: boolean; value?: unknown; error?: { code: string; message: string } }; event?: string; payload?: unknown }> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (d) => {
      frames.push(JSON.parse(d.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    await new Promise((ok) => ws.once('open', ok));
    const until = async (pred: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`no such frame; got ${JSON.stringify(frames)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    };
    let next = 1;
    const ask = async (channel: string, req?: unknown) => {
      const id = next++;
      ws.send(JSON.stringify({ id, channel, req: req ?? null }));
      await until(() => frames.some((f) => f.id === id));
      return frames.find((f) => f.id === id)!.result!;
    };

    expect(await ask('account:list')).toEqual({ ok: true, value: [] });
    expect(await ask('account:add', { aor: 'alice' })).toEqual({ ok: false, error: { code: 'bad-request', message: "aor: expected a sip: or sips: URI, not 'alice'" } });
    expect(await ask('call:hangup', { callId: 'nope' })).toEqual({ ok: false, error: { code: 'not-found', message: "callId: no call 'nope'" } });

    // A real OPTIONS and MESSAGE to the peer phone; the message's state comes back as an event.
    const ping = await ask('options:ping', { to: peerUri });
    expect(ping.ok).toBe(true);
    expect((ping.value as { status: number }).status).toBe(200);
    const sent = await ask('message:send', { to: peerUri, text: 'bonjour' });
    expect(sent).toMatchObject({ ok: true, value: { status: 'sent', text: 'bonjour' } });
    await until(() => frames.some((f) => f.event === 'message:state'));
    expect(frames.find((f) => f.event === 'message:state')!.payload).toMatchObject({ status: 'sent', peer: peerUri });

    // Garbage never gets an answer and never closes the socket.
    ws.send('not json');
    ws.send(JSON.stringify({ channel: 'account:list' }));
    expect(await ask('account:list')).toEqual({ ok: true, value: [] });
    expect(bridge.clients).toBe(1);
    ws.close();
  });
});
