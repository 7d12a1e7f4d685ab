/**
 * Runs Appel's real command line (`main/cli.ts` on Node 24) inside a test's network namespace
 * and collects its JSON events, so interop tests drive Appel exactly as a user would.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { NetNs } from './netns.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const NODE = join(root, 'node_modules/.bin/node');
export const CLI = join(root, 'main/cli.ts');

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

  constructor(ns: NetNs, args: string[], env: Record<string, string> = {}) {
    this.child = ns.spawn(NODE, [CLI, ...args, '--json'], { env: { ...process.env, ...env } });
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
  waitEvent(test: (e: AppelEvent) => boolean, timeoutMs: number, what = 'event'): Promise<AppelEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.filter((e) => e.event !== 'trace'))}\nstderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ test, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }

  /** Count events of a kind, after the `from`-th event. */
  count(name: string, from = 0): number {
    return this.events.slice(from).filter((e) => e.event === name).length;
  }

  async exit(timeoutMs: number): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
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
