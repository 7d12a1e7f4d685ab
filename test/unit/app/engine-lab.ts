/**
 * What the engine's tests share: engines on 127.0.0.1 in temporary folders (closed after each
 * test), requests through the bridge's `dispatch`, bounded waits for an event, and a tiny digest
 * registrar on loopback (UDP, RFC 3261 §10 + RFC 2617 qop=auth).
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { dispatch } from '../../../main/bridge/dispatch.ts';
import type { ApiEvents, ApiResult } from '../../../main/contract/api.ts';
import { createEngine, type Engine, type EngineOptions } from '../../../main/phone/engine.ts';
import { MemorySecretStore } from '../../../main/store/index.ts';

/**
 * Engines and registrars made through it are closed after each test, its folder after the file.
 * Call once at the top of a test file.
 */
export function engineLab(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), `appel-${prefix}-`));
  const engines: Engine[] = [];
  const sockets: Socket[] = [];
  let dirs = 0;
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  return {
    root,
    newDir: () => join(root, `d${++dirs}`),

    /** An engine on 127.0.0.1 with its data in `dataDir` (`more` adds or replaces options). */
    async start(dataDir: string, secrets: EngineOptions['secrets'] = new MemorySecretStore(), more: Partial<EngineOptions> = {}): Promise<Engine> {
      const engine = await createEngine({
        dataDir,
        secrets,
        phone: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' }, keepAlive: 0 },
        ...more,
      });
      engines.push(engine);
      return engine;
    },

    /**
     * A registrar for `users` (user → password) that challenges every REGISTER without the right
     * answer; `log` lists what it saw: "alice on" / "alice off" accepted (a binding, its removal),
     * "alice 401" challenged.
     */
    async registrar(users: Record<string, string>): Promise<{ port: number; log: string[]; users: Record<string, string>; close(): void }> {
      const socket: Socket = createSocket('udp4');
      const log: string[] = [];
      const md5 = (s: string) => createHash('md5').update(s).digest('hex');
      socket.on('message', (buf, rinfo) => {
        const [head] = buf.toString('utf8').split('\r\n\r\n');
        const lines = head.split('\r\n');
        if (!lines[0].startsWith('REGISTER ')) return;
        const all = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
        const one = (name: string) => all(name)[0]?.slice(name.length + 1).trim() ?? '';
        const params = Object.fromEntries([...one('Authorization').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
        const user = /sips?:([^@>]+)@/.exec(one('To'))?.[1] ?? '?';
        const reply = (status: string, extra: string[]) => {
          const res = [`SIP/2.0 ${status}`, ...all('Via'), `From: ${one('From')}`, `To: ${one('To')};tag=reg1`, `Call-ID: ${one('Call-ID')}`, `CSeq: ${one('CSeq')}`, ...extra, 'Content-Length: 0', '', ''];
          socket.send(res.join('\r\n'), rinfo.port, rinfo.address);
        };
        const password = users[user];
        const ha1 = md5(`${params.username}:test:${password}`);
        const expected = md5(`${ha1}:${params.nonce}:${params.nc}:${params.cnonce}:${params.qop}:${md5(`REGISTER:${params.uri}`)}`);
        if (password !== undefined && params.username === user && params.response === expected) {
          log.push(`${user} ${/expires=0\b/.test(one('Contact')) || one('Expires') === '0' ? 'off' : 'on'}`);
          reply('200 OK', [`Contact: ${one('Contact')};expires=600`]);
        } else {
          log.push(`${user} 401`);
          reply('401 Unauthorized', ['WWW-Authenticate: Digest realm="test", nonce="n0nce", qop="auth", algorithm=MD5']);
        }
      });
      await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok));
      sockets.push(socket);
      const port = socket.address().port;
      const close = (): void => {
        const i = sockets.indexOf(socket);
        if (i >= 0) sockets.splice(i, 1)[0].close();
      };
      return { port, log, users, close };
    },
  };
}

/** One request through the bridge's dispatch (validation included); a failure throws with its code. */
export async function call<T = unknown>(engine: Engine, channel: string, req?: unknown): Promise<T> {
  const result = (await dispatch(engine.handlers, channel, req)) as ApiResult<T>;
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The next `event` that passes `test`, within `ms`. */
export function next<K extends keyof ApiEvents>(engine: Engine, event: K, test: (p: ApiEvents[K]) => boolean = () => true, ms = 8000): Promise<ApiEvents[K]> {
  return new Promise((resolve, reject) => {
    const listener = (p: ApiEvents[K]) => {
      if (!test(p)) return;
      clearTimeout(timer);
      engine.events.off(event, listener as never);
      resolve(p);
    };
    const timer = setTimeout(() => {
      engine.events.off(event, listener as never);
      reject(new Error(`no matching ${event} within ${ms} ms`));
    }, ms);
    engine.events.on(event, listener as never);
  });
}
