/**
 * Appel's web page (engine + WebSocket bridge, `main/bridge/dev-web.ts`) and Debian's Chromium,
 * both inside an interop network namespace, so that the page and the engine reach the peers
 * (Kamailio, baresip) on the namespace's private loopback.
 *
 * The engine runs as a child process (`nsenter … node dev-web.ts --built`); Chromium is launched
 * by playwright-core through a small wrapper script that `nsenter`s first. playwright speaks to
 * Chromium over a pipe (inherited file descriptors), which `nsenter` keeps, so no port of the
 * namespace has to be reached from outside.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { NetNs } from '../../interop/lab/netns.ts';
import { stopProcess } from '../../interop/lab/netns.ts';
import { CHROMIUM, chromiumArgs, type ChromiumOptions } from '../helpers/browser.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const NODE = join(REPO, 'node_modules', '.bin', 'node');
const DEV_WEB = join(REPO, 'main', 'bridge', 'dev-web.ts');

export interface AppelWebOptions {
  /** `--sip` listeners, default `udp:127.0.0.1:5070`. */
  sip?: string[];
  /** How long the engine may take to print its address, default 30 s. */
  startTimeoutMs?: number;
  /** `--database`: a SQLite file (kept across engines started on it), default ':memory:'. */
  database?: string;
}

/** The engine and its page, running inside `ns`. */
export class AppelWeb {
  /** `http://127.0.0.1:PORT/?token=…`, reachable from inside the namespace only. */
  readonly url: string;
  private readonly child: ChildProcess;
  private readonly output: { text: string };

  private constructor(child: ChildProcess, url: string, output: { text: string }) {
    this.child = child;
    this.url = url;
    this.output = output;
  }

  /** The engine's stdout and stderr so far (last 100 kB), for failure messages. */
  get log(): string {
    return this.output.text;
  }

  /** How the engine ended: null while it runs. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    const { exitCode: code, signalCode: signal } = this.child;
    return code === null && signal === null ? null : { code, signal };
  }

  /** Starts dev-web with the built renderer (dist/renderer must exist) and `opts.database` (default in memory). */
  static async start(ns: NetNs, opts: AppelWebOptions = {}): Promise<AppelWeb> {
    const sip = (opts.sip ?? ['udp:127.0.0.1:5070']).flatMap((s) => ['--sip', s]);
    const database = opts.database ?? ':memory:';
    const child = ns.spawn(NODE, [DEV_WEB, '--built', '--database', database, ...sip], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { text: '' };
    const append = (d: Buffer) => {
      output.text += d.toString();
      if (output.text.length > 200_000) output.text = output.text.slice(-100_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const timeoutMs = opts.startTimeoutMs ?? 30_000;
    const url = await new Promise<string>((resolve, reject) => {
      const done = (err: Error | undefined, found?: string) => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(found!);
      };
      const onData = () => {
        const m = /Appel is at (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output.text);
        if (m) done(undefined, m[1]);
      };
      const onExit = (code: number | null) => done(new Error(`dev-web exited (${code}) before printing its address:\n${output.text.slice(-3000)}`));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(new Error(`dev-web printed no address within ${timeoutMs} ms:\n${output.text.slice(-3000)}`));
      }, timeoutMs);
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
    });
    return new AppelWeb(child, url, output);
  }

  /** SIGTERM (the engine un-registers: stop it before Kamailio), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    await stopProcess(this.child, 5_000);
  }

  /** A crash: SIGKILL (nothing is un-registered, no call is hung up), resolved once it has exited. */
  async kill(): Promise<void> {
    if (this.exit) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Chromium inside `ns`: a wrapper script in `dir` runs `nsenter -t <pid> -n -m -- chromium "$@"`,
 * given to playwright-core as the executable. Fake media devices (the microphone can play a WAV),
 * no sandbox (containers), no background network traffic.
 */
export async function launchChromiumIn(ns: NetNs, dir: string, opts: ChromiumOptions = {}): Promise<Browser> {
  const wrapper = join(dir, 'chromium-in-ns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec nsenter -t ${ns.pid} -n -m -- ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return chromium.launch({
    executablePath: wrapper,
    timeout: 30_000,
    args: chromiumArgs(opts),
  });
}
