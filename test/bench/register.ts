// Start to registered: how long after it is launched a phone holds a registration, on loopback,
// against one real Kamailio (digest challenge and all: REGISTER, 401, REGISTER with credentials,
// 200), in a private network namespace. Appel's headless engine (`bin/appel.js register … --for`,
// the bundle in dist/ when it is fresh) beside baresip 1.0 in the same run, each started fresh
// STARTS times; the median and the spread.
//
//   - Appel: spawn → its `registered` event on standard output (--json).
//   - baresip: spawn → its own line saying the registrar's 200 OK came ("… 200 OK … binding").
//
// Both clocks are this process's: what a person who starts the phone would wait, including the
// program's own start. The app registers the same way as soon as its engine is up, while the
// window loads (main/app/main.ts), so its time to registered is the engine's start (ui.ts) plus
// the round trips measured here.
//
//   node_modules/.bin/node test/bench/register.ts
//   import { run } from './register.ts'          returns the figures
//
// Bounded: every wait has a timeout; each phone, Kamailio and the namespace end with the run.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs, stopProcess } from '../interop/lab/netns.ts';
import { Kamailio } from '../interop/lab/kamailio.ts';
import { CLI, NODE } from '../interop/lab/appel-cli.ts';

const STARTS = 7;
const TIMEOUT_MS = 10_000;
const USERS = [
  { username: 'alice', password: 'wonderland' },
  { username: 'bob', password: 'builder' },
];

export interface RegisterFigures {
  /** Launch → registered (ms), each start, in order. */
  appel: number[];
  baresip: number[];
}

/** Spawns `cmd` in the namespace; resolves with the ms from spawn until `done` holds for its output. */
async function timeToLine(ns: NetNs, cmd: string, args: string[], env: Record<string, string>, done: (out: string) => boolean): Promise<{ ms: number; child: ChildProcess }> {
  const start = performance.now();
  const child = ns.spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    const ms = await new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`${cmd}: not registered within ${TIMEOUT_MS} ms:\n${out.slice(-2000)}`)), TIMEOUT_MS);
      const read = (d: Buffer) => {
        out += d.toString();
        if (!done(out)) return;
        clearTimeout(timer);
        ok(performance.now() - start);
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`${cmd} exited (${code}) before registering:\n${out.slice(-2000)}`));
      });
    });
    return { ms, child };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}

/** baresip's config folder: one account at Kamailio, PCMU, no sound device, its accounts module. */
function baresipDir(ns: NetNs): string {
  const dir = join(ns.dir, 'baresip-register');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'accounts'), '<sip:bob@lab.test>;auth_pass=builder;outbound="sip:127.0.0.1:5060";regint=600\n');
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll', 'sip_listen 127.0.0.1:5062', 'net_interface 127.0.0.1', 'rtp_ports 20000-20100', 'audio_level no',
      'module_path /usr/lib/baresip/modules', 'module g711.so', 'module_app account.so', 'statmode_default off', '',
    ].join('\n'),
  );
  return dir;
}

export async function run(): Promise<RegisterFigures> {
  const ns = await NetNs.create();
  const kamailio = new Kamailio(ns, { users: USERS });
  const figures: RegisterFigures = { appel: [], baresip: [] };
  try {
    await kamailio.start();
    const appelArgs = [CLI, 'register', '--aor', 'sip:alice@lab.test', '--proxy', 'sip:127.0.0.1:5060;transport=udp', '--listen', 'udp:127.0.0.1:0', '--for', '30', '--json'];
    const dir = baresipDir(ns);
    for (let i = 0; i < STARTS; i++) {
      // Alternate, so that neither always starts on a warmer machine.
      const a = await timeToLine(ns, NODE, appelArgs, { APPEL_PASSWORD: 'wonderland' }, (out) => out.includes('"event":"registered"'));
      await stopProcess(a.child);
      figures.appel.push(a.ms);
      const b = await timeToLine(ns, 'baresip', ['-f', dir], {}, (out) => /200 OK.*binding/.test(out));
      await stopProcess(b.child);
      figures.baresip.push(b.ms);
    }
  } finally {
    await kamailio.stop();
    await ns.close();
  }
  return figures;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function format(f: RegisterFigures): string {
  const row = (name: string, xs: number[]) => `| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} |`;
  return [
    `Launch → registered at Kamailio on loopback (digest challenge included), ${STARTS} fresh starts each, ms:`,
    '| phone | median | range |',
    '|---|---|---|',
    row('Appel CLI (`register`)', f.appel),
    row('baresip', f.baresip),
  ].join('\n');
}

if (import.meta.main) console.log(format(await run()));
