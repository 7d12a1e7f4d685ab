// Lab: one steady Appel call to an auto-answering baresip, then baresip calling it, each with its
// CPU per thread (schedstat, ns) and context switches over the same window. Not part of `npm run bench`.
//   node_modules/.bin/node test/bench/lab/prof-call.ts [codec] [windowS] [settleS]
// Optional, by environment: APPEL_PROF_DIR (a --cpu-prof there), APPEL_NODE_OPTIONS (more
// NODE_OPTIONS), APPEL_STRACE (2 s of the main thread's system calls into that file), APPEL_PERF
// (perf record of the window into that file), APPEL_SHOW_STATS (the call's stats events and
// stderr), APPEL_SHOW_STDOUT (the CLI's non-JSON output).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { NetNs } from '../../interop/lab/netns.ts';
import { AppelProcess } from '../../interop/lab/appel-cli.ts';
import { Baresip } from '../../interop/lab/baresip.ts';
import { makeToneWav } from '../../interop/lab/peers-audio-fixtures.ts';

const codec = process.argv[2] ?? 'pcmu';
const windowS = Number(process.argv[3] ?? 12);
const settleS = Number(process.argv[4] ?? 3);
const names: Record<string, string> = { pcmu: 'PCMU', g722: 'G722/16000/1', opus: 'opus' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function threads(pid: number): Map<string, { name: string; ns: number; wakes: number }> {
  const m = new Map<string, { name: string; ns: number; wakes: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const wakes = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)![1]) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)![1]);
      m.set(tid, { name, ns, wakes });
    } catch { /* gone */ }
  }
  return m;
}

function ticks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(x[11]) + Number(x[12]);
}

async function window(pid: number, label: string) {
  const ta = ticks(pid);
  const a = threads(pid);
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const b = threads(pid);
  const el = (performance.now() - t0) / 1000;
  console.log(`${label}: /proc/PID/stat ticks say ${((ticks(pid) - ta) / 100 / el * 100).toFixed(3)} %`);
  let total = 0;
  const rows: string[] = [];
  for (const [tid, t] of b) {
    const p = a.get(tid) ?? { ns: 0, wakes: 0 };
    const cpu = ((t.ns - p.ns) / 1e9 / el) * 100;
    total += cpu;
    if (cpu > 0.005) rows.push(`  ${t.name.padEnd(16)} ${cpu.toFixed(3)} %  ${((t.wakes - p.wakes) / el).toFixed(1)} switches/s`);
  }
  console.log(`${label}: ${total.toFixed(3)} % all threads`);
  for (const r of rows) console.log(r);
}

const ns = await NetNs.create();
try {
  const tone = makeToneWav(ns.dir, { frequency: 440, seconds: 120 });
  const callee = new Baresip(ns, { user: 'callee', registrar: null, sipPort: 5062, ctrlPort: 4444, autoAnswer: true, codecs: [names[codec] as 'PCMU'], playWav: tone });
  await callee.start();
  try {
    const nodeOptions = [process.env.APPEL_PROF_DIR ? `--cpu-prof --cpu-prof-dir=${process.env.APPEL_PROF_DIR}` : '', process.env.APPEL_NODE_OPTIONS ?? ''].join(' ').trim();
    const env: Record<string, string> = nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
    const appel = new AppelProcess(ns, ['call', 'sip:callee@127.0.0.1:5062', '--listen', 'udp:127.0.0.1:5070', '--codecs', codec, '--play', tone, '--duration', String(windowS + settleS + 2)], env);
    await appel.wait((e) => e.event === 'answered', 'answered', 20_000);
    await sleep(settleS * 1000);
    if (process.env.APPEL_STRACE) await once(spawn('timeout', ['2', 'strace', '-tt', '-o', process.env.APPEL_STRACE, '-p', String(appel.child.pid)], { stdio: 'inherit' }), 'exit');
    const perf = process.env.APPEL_PERF ? spawn('perf', ['record', '-e', 'cpu-clock', '-F', '2000', '-g', '-o', process.env.APPEL_PERF, '-p', String(appel.child.pid), '--', 'sleep', String(windowS)], { stdio: 'inherit' }) : undefined;
    await window(appel.child.pid!, `Appel ${codec}`);
    if (perf) await once(perf, 'exit');
    await appel.exit(30_000).catch(() => undefined);
    if (process.env.APPEL_SHOW_STATS) {
      for (const e of appel.events.filter((e) => e.event === 'stats')) console.log(JSON.stringify(e));
      console.log(appel.stderr);
    }
    if (process.env.APPEL_SHOW_STDOUT) console.log(appel.stdout.split('\n').filter((l) => !l.startsWith('{')).join('\n'));
    const caller = new Baresip(ns, { user: 'caller', registrar: null, sipPort: 5080, ctrlPort: 4445, codecs: [names[codec] as 'PCMU'], playWav: tone, rtpPorts: [40000, 40999] });
    await caller.start();
    try {
      await caller.dial('sip:callee@127.0.0.1:5062');
      await caller.waitFor('CALL_ESTABLISHED', 15_000);
      await sleep(settleS * 1000);
      await window(caller.pid!, `baresip ${codec}`);
    } finally {
      await caller.hangup().catch(() => undefined);
      await caller.stop();
    }
  } finally {
    await callee.stop();
  }
} finally {
  await ns.close();
}
