/**
 * A private network and mount namespace for one interop test file: its own loopback (so fixed
 * ports never clash with another test or the machine), and its own /etc/resolv.conf and
 * /etc/hosts (so no peer, and no Appel, ever asks the machine's resolver: PEERS.md).
 *
 * A holder process (`sleep`) keeps the namespaces alive; every peer and every Appel process
 * joins them with `nsenter`. Needs root (CI and the developers' machines run as root).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export interface NetNsOptions {
  /** Extra /etc/hosts entries: name → address. `lab.test` → 127.0.0.1 is always there. */
  hosts?: Record<string, string>;
  /** The resolver the namespace's /etc/resolv.conf names (a DNS server a test starts), default 127.0.0.1. */
  nameserver?: string;
}

export class NetNs {
  readonly dir: string;
  readonly pid: number;
  private readonly holder: ChildProcess;
  private readonly children = new Set<ChildProcess>();

  private constructor(dir: string, holder: ChildProcess) {
    this.dir = dir;
    this.holder = holder;
    this.pid = holder.pid!;
  }

  static async create(opts: NetNsOptions = {}): Promise<NetNs> {
    const dir = mkdtempSync(join(tmpdir(), 'appel-ns-'));
    const hosts = { 'lab.test': '127.0.0.1', ...opts.hosts };
    writeFileSync(
      join(dir, 'hosts'),
      '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' +
        Object.entries(hosts).map(([name, addr]) => `${addr} ${name}\n`).join(''),
    );
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${opts.nameserver ?? '127.0.0.1'}\n`);
    const script =
      'ip link set lo up && ' +
      `mount --bind ${dir}/resolv.conf /etc/resolv.conf && ` +
      `mount --bind ${dir}/hosts /etc/hosts && ` +
      'echo ready && exec sleep 100000';
    const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    holder.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ready = await waitFor(holder, (out) => out.includes('ready'), 10_000);
    if (!ready) {
      holder.kill('SIGKILL');
      throw new Error(`could not create a network namespace (needs root): ${err.trim()}`);
    }
    return new NetNs(dir, holder);
  }

  /** Start a process inside the namespaces. It is stopped by `close()` if still running. */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('nsenter', ['-t', String(this.pid), '-n', '-m', '--', cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Run a command inside the namespaces to completion; resolves with its output. */
  async run(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = this.spawn(cmd, args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return { code, stdout, stderr };
  }

  /** Wait until something listens on `proto` port (as `ss` sees it inside the namespace). */
  async waitListening(proto: 'udp' | 'tcp', port: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { stdout } = await this.run('ss', ['-Hln', proto === 'udp' ? '-u' : '-t']);
      if (stdout.split('\n').some((line) => new RegExp(`[:\\]]${port}\\s`).test(line))) return;
      if (Date.now() > deadline) throw new Error(`nothing listens on ${proto} port ${port} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.children].map((c) => stopProcess(c)));
    await stopProcess(this.holder);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL after a bounded grace period. */
export async function stopProcess(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolve true once `test(stdout so far)` holds, false on exit or timeout. */
export function waitFor(child: ChildProcess, test: (out: string) => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let out = '';
    const done = (v: boolean) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      resolve(v);
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (test(out)) done(true);
    };
    const onExit = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
