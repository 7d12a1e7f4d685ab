/**
 * Where the callee's memory goes (issue 12): Appel's `listen --auto-answer` called by SIPp as in
 * per-call.ts's curve, and at each point its resident set split by what holds it, read from
 * /proc/PID/smaps and from both threads' V8 heaps (memory-probe.mjs, preloaded):
 *
 *   - node binary: its pages mapped in (code and read-only data that ran or was read, with the
 *     kernel's fault-around: shared with the page cache, but counted in RSS);
 *   - shared libraries (.so): the native addon and what it links (opus, spandsp, srtp, nss…);
 *   - V8 pages: the 256 KB anonymous chunks V8 heaps are made of (both threads), JIT code (rwx);
 *   - other anonymous memory: malloc (the [heap] and per-thread arenas), stacks, large objects.
 *
 *   node_modules/.bin/node test/bench/lab/memory-where.ts        (run `npm run build` first)
 *
 * Bounded: every SIPp run has a timeout; the namespace and Appel end with the run.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from '../../interop/lab/netns.ts';
import { AppelProcess } from '../../interop/lab/appel-cli.ts';
import { makeToneWav } from '../../interop/lab/peers-audio-fixtures.ts';
import { sipp } from './sipp.ts';

const LAB = import.meta.dirname;
const PORT = 5070;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

interface HeapStats {
  total_heap_size: number;
  used_heap_size: number;
  external_memory: number;
}
interface ProbeLine {
  memory: NodeJS.MemoryUsage;
  heap: HeapStats;
  workers: HeapStats[];
}

/** Resident KB of `pid` by what holds it (see the file's comment). */
export function residentByKind(pid: number): Record<string, number> {
  const kinds: Record<string, number> = { total: 0, 'node binary': 0, 'shared libraries': 0, 'V8 pages (256 KB)': 0, 'JIT code (rwx)': 0, 'other anonymous': 0 };
  let kind = 'other anonymous';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const map = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (map) {
      const size = parseInt(map[2], 16) - parseInt(map[1], 16);
      const name = map[4];
      if (name.endsWith('/bin/node')) kind = 'node binary';
      else if (name.includes('.so') || name.endsWith('.node')) kind = 'shared libraries';
      else if (name.startsWith('/')) kind = 'other files';
      else if (name === '' && map[3] === 'rwxp') kind = 'JIT code (rwx)';
      else if (name === '' && size === 256 * 1024) kind = 'V8 pages (256 KB)';
      else kind = 'other anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) {
      kinds[kind] = (kinds[kind] ?? 0) + Number(rss[1]);
      kinds.total += Number(rss[1]);
    }
  }
  return kinds;
}

async function main(): Promise<void> {
  const probeFile = join(process.env.TMPDIR ?? '/tmp', `appel-memory-probe-${process.pid}.jsonl`);
  rmSync(probeFile, { force: true });
  const ns = await NetNs.create();
  const tone = makeToneWav(ns.dir, { frequency: 440, seconds: 30 });
  const preload = join(LAB, 'memory-probe.mjs');
  const appel = new AppelProcess(ns, ['listen', '--listen', `udp:127.0.0.1:${PORT}`, '--max-rate', '0', '--auto-answer', '--codecs', 'pcmu', '--play', tone], {
    NODE_OPTIONS: `--import ${preload}`,
    APPEL_MEMORY_PROBE: probeFile,
  });
  const pid = appel.child.pid!;
  const rows: Array<{ at: string; kinds: Record<string, number>; probe: ProbeLine }> = [];
  const lines = () => (existsSync(probeFile) ? readFileSync(probeFile, 'utf8').trim().split('\n').filter(Boolean) : []);
  const probe = async (at: string) => {
    const before = lines().length;
    process.kill(pid, 'SIGUSR2');
    for (let i = 0; i < 100 && lines().length === before; i++) await sleep(50);
    const got = lines();
    if (got.length === before) throw new Error(`memory-where: no probe answer at '${at}'`);
    rows.push({ at, kinds: residentByKind(pid), probe: JSON.parse(got.at(-1)!) as ProbeLine });
    process.stderr.write(`  ${at}\n`);
  };
  const calls = (name: string, n: number, atOnce: number, holdMs: number) =>
    sipp(ns, name, ['-sf', join(LAB, 'bench-uac.xml'), '-p', '5080', '-mp', '30000', '-rtp_echo', '-r', '20', '-l', String(atOnce), '-m', String(n), '-d', String(holdMs), `127.0.0.1:${PORT}`], holdMs * n + 60_000);
  try {
    await appel.wait((e) => e.event === 'listening', 'listening', 15_000);
    await sleep(3000);
    await probe('idle');
    for (const n of [1, 10]) {
      const run = calls(`at-once-${n}`, n, n, 8000);
      await sleep(5000);
      await probe(`${n} call${n > 1 ? 's' : ''} up`);
      await run;
      await sleep(500);
    }
    for (let done = 0; done < 100; done += 10) await calls(`row-${done}`, 10, 1, 300);
    await sleep(300);
    await probe('after 100 in a row');
    await sleep(45_000);
    await probe('45 s later (worker stopped)');
  } finally {
    appel.child.kill('SIGTERM');
    await appel.exit(10_000).catch(() => undefined);
    await ns.close();
    rmSync(probeFile, { force: true });
  }
  const kinds = Object.keys(rows[0].kinds).filter((k) => rows.some((r) => (r.kinds[k] ?? 0) >= 512));
  console.log(`Appel's resident set as the callee (PCMU, SIPp), MB by what holds it.`);
  console.log(`| | ${rows.map((r) => r.at).join(' | ')} |`);
  console.log(`|---|${rows.map(() => '---').join('|')}|`);
  for (const k of kinds) console.log(`| ${k} | ${rows.map((r) => ((r.kinds[k] ?? 0) / 1024).toFixed(1)).join(' | ')} |`);
  const heap = (h: HeapStats | undefined) => (h ? `${mb(h.used_heap_size)} / ${mb(h.total_heap_size)}` : '—');
  console.log(`| main V8 heap, used / total | ${rows.map((r) => heap(r.probe.heap)).join(' | ')} |`);
  console.log(`| main ArrayBuffers | ${rows.map((r) => mb(r.probe.memory.arrayBuffers)).join(' | ')} |`);
  console.log(`| worker V8 heap, used / total | ${rows.map((r) => heap(r.probe.workers[0])).join(' | ')} |`);
  console.log(`| worker external (ArrayBuffers…) | ${rows.map((r) => (r.probe.workers[0] ? mb(r.probe.workers[0].external_memory) : '—')).join(' | ')} |`);
}

if (import.meta.main) await main();
