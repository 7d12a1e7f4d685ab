/**
 * Runs Appel's real command line (bin/appel.js on Node 24: what `npx appel` runs, compiled when the
 * build is fresh, else the sources; bin/built.js) inside a test's network namespace
 * and collects its JSON events, so interop tests drive Appel exactly as a user would.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { NetNs } from './netns.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const NODE = join(root, 'node_modules/.bin/node');
export const CLI = join(root, 'bin/appel.js');

export interface AppelEvent {
  event: string;
  [key: string]: unknown;
}

export class AppelProcess {
  readonly child: ChildProcess;
  readonly events: AppelEvent[] = [];
  stdout = '';
  stderr = '';
  private waiters: Array<{ test: (e: AppelEvent) => boolean; resolve: (e: AppelEvent) => void }> = [];

  /** `stdin: true` gives the CLI a pipe for the commands it reads while a call runs (`send`). */
  constructor(ns: NetNs, args: string[], env: Record<string, string> = {}, opts: { stdin?: boolean } = {}) {
    // A password goes the way the CLI asks people to pass it (APPEL_PASSWORD), not on the
    // command line where other users could read it (the CLI warns about --password).
    const at = args.indexOf('--password');
    const password = at >= 0 ? args[at + 1] : undefined;
    const rest = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
    this.child = ns.spawn(NODE, [CLI, ...rest, '--json'], {
      env: { ...process.env, ...(password !== undefined ? { APPEL_PASSWORD: password } : {}), ...env },
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      partial += d.toString();
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        let e: AppelEvent;
        try {
          e = JSON.parse(line) as AppelEvent;
        } catch {
          continue;
        }
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => {
          if (!w.test(e)) return true;
          w.resolve(e);
          return false;
        });
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** The first event (already seen or still to come) that passes `test`, within `timeoutMs`. */
  waitEvent(test: (e: AppelEvent) => boolean, timeoutMs: number, what = 'event', since = 0): Promise<AppelEvent> {
    const seen = this.events.slice(since).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve: (e: AppelEvent) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`Appel: no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.filter((e) => e.event !== 'trace' && e.event !== 'stats'))}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The same as `waitEvent`, arguments in the order the call tests read best. */
  wait(test: (e: AppelEvent) => boolean, what: string, timeoutMs = 15_000, since = 0): Promise<AppelEvent> {
    return this.waitEvent(test, timeoutMs, what, since);
  }

  /** The first `name` event from index `since` on. */
  event(name: string, since = 0, timeoutMs = 10_000): Promise<AppelEvent> {
    return this.waitEvent((e) => e.event === name, timeoutMs, name, since);
  }

  /** How many events so far: pass it as `since` to wait for what comes next. */
  get mark(): number {
    return this.events.length;
  }

  /** Type a command line on its standard input (needs `stdin: true`). */
  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** Every event of one kind so far. */
  named(name: string): AppelEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  /** SIGTERM (it hangs up and unregisters), SIGKILL after a bounded grace period. */
  async stop(graceMs = 8_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Count events of a kind, after the `from`-th event. */
  count(name: string, from = 0): number {
    return this.events.slice(from).filter((e) => e.event === name).length;
  }

  async exit(timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const [code] = (await once(this.child, 'exit')) as [number | null];
    clearTimeout(timer);
    return code;
  }
}

/** Run the CLI to completion. */
export async function runAppel(ns: NetNs, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}) {
  const p = new AppelProcess(ns, args, opts.env);
  const code = await p.exit(opts.timeoutMs ?? 60_000);
  return { code, events: p.events, stdout: p.stdout, stderr: p.stderr };
}
