// Where the page's own start-up time goes: one engine (dev-web, built renderer, in this process),
// then N fresh browser contexts open the page; for each, the page's own clock (navigation start →
// usable, as test/bench/ui.ts notes it), its user-timing marks and resources, and a CPU profile of
// the page's main thread (CDP Profiler) from before navigation to usable. Prints the medians and the
// heaviest functions and scripts by self time, summed over the runs.
//
//   node_modules/.bin/node test/bench/ui-profile.ts [runs=7] [--no-build] [--save DIR] [--trace | --plain]
//
// With --plain, neither: the page's figures alone, as fast as it goes. With --trace, a Chromium trace instead of the profiler: the renderer main thread's self time per
// trace event (parse, compile, evaluate, style, layout, paint, tasks) up to usable, and the events
// of 3 ms or more in order (the last run).
//
// Bounded: every wait has a timeout; the engine and the browser end with the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildRenderer, startDevWeb } from '../../main/bridge/dev-web.ts';
import { launchChromium } from '../e2e/helpers/browser.ts';
import { NOTE_USABLE, USABLE } from './ui.ts';

const TIMEOUT_MS = 60_000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time, µs. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { frame?: string; url?: string; functionName?: string } };
}

interface Run {
  usable: number;
  marks: Record<string, number>;
  nav: Record<string, number>;
  profile?: CpuProfile;
  trace?: TraceEvent[];
}

const TRACE_CATEGORIES = ['devtools.timeline', 'v8.execute', 'v8', 'blink.user_timing', 'loading', 'toplevel', 'disabled-by-default-devtools.timeline'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Mode = 'profile' | 'trace' | 'plain';

async function once(browser: Browser, url: string, mode: Mode): Promise<Run> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
  try {
    await context.addInitScript(NOTE_USABLE);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    if (mode === 'trace') await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    else if (mode === 'profile') {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
    }
    await page.goto(url);
    await page.waitForFunction(USABLE, undefined, { timeout: TIMEOUT_MS, polling: 50 });
    const profile = mode === 'profile' ? ((await cdp.send('Profiler.stop')) as { profile: CpuProfile }).profile : undefined;
    const events = mode === 'trace' ? (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] }).traceEvents : undefined;
    const usable = (await page.evaluate('window.appelUsableAt')) as number;
    const entries = (await page.evaluate(
      `performance.getEntries().map((e) => ({ name: e.name, type: e.entryType, start: e.startTime, end: e.responseEnd ?? e.startTime + e.duration, di: e.domInteractive, dcl: e.domContentLoadedEventEnd, rs: e.responseStart }))`,
    )) as Array<{ name: string; type: string; start: number; end: number; di?: number; dcl?: number; rs?: number }>;
    const marks: Record<string, number> = {};
    const nav: Record<string, number> = {};
    for (const e of entries) {
      if (e.type === 'mark' || e.type === 'paint') marks[e.name] = e.start;
      else if (e.type === 'navigation') Object.assign(nav, { responseStart: e.rs!, responseEnd: e.end, domInteractive: e.di!, dcl: e.dcl! });
      else if (e.type === 'resource') nav[`${e.name.replace(/^.*\//, '').replace(/\?.*$/, '')} end`] = e.end;
    }
    return { usable, marks, nav, profile, trace: events };
  } finally {
    await context.close();
  }
}

/** Self time (ms) per function and per script, over every sample of the profile. */
function selfTimes(profile: CpuProfile, byFn: Map<string, number>, byUrl: Map<string, number>): void {
  const node = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = node.get(id)!;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const file = n.callFrame.url.replace(/^.*\//, '') || `(${n.callFrame.functionName || 'native'})`;
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + dt);
    byUrl.set(file, (byUrl.get(file) ?? 0) + dt);
  });
}

/** The page's main thread: the thread named CrRendererMain that holds the navigationStart mark. */
function mainThread(events: TraceEvent[]): { pid: number; tid: number; navStart: number } {
  const starts = events.filter((e) => e.name === 'navigationStart' && (e.args?.data as { documentLoaderURL?: string } | undefined)?.documentLoaderURL?.startsWith('http'));
  const nav = starts.at(-1);
  if (!nav) throw new Error('no navigationStart of the page in the trace');
  return { pid: nav.pid, tid: nav.tid, navStart: nav.ts };
}

/**
 * CPU time (ms) from navigation start to usable: the page's main thread (its top-level tasks'
 * thread time) and the background parse of its scripts (V8 streaming, off the main thread).
 */
function traceCpu(run: Run): { main: number; parse: number } {
  const events = run.trace!;
  const { pid, tid, navStart } = mainThread(events);
  const end = navStart + run.usable * 1000;
  const within = (e: TraceEvent) => e.pid === pid && e.ph === 'X' && e.ts >= navStart && e.ts < end;
  const main = events.filter((e) => within(e) && e.tid === tid && e.name === 'ThreadControllerImpl::RunTask').reduce((t, e) => t + (e.tdur ?? 0), 0);
  const parse = events.filter((e) => within(e) && e.name === 'v8.parseOnBackground').reduce((t, e) => t + (e.tdur ?? 0), 0);
  return { main: main / 1000, parse: parse / 1000 };
}

/** Self time (ms) per event name on the page's main thread, from navigation start to usable. */
function traceSelfTimes(run: Run, byName: Map<string, number>, long?: string[]): void {
  const events = run.trace!;
  const { pid, tid, navStart } = mainThread(events);
  const end = navStart + run.usable * 1000;
  const complete = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.dur !== undefined && e.ts + e.dur! > navStart && e.ts < end).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  // Nesting by time: an event's self time is its duration less its children's.
  const stack: Array<{ e: TraceEvent; child: number }> = [];
  const close = (upTo: number) => {
    while (stack.length > 0 && stack.at(-1)!.e.ts + stack.at(-1)!.e.dur! <= upTo) {
      const { e, child } = stack.pop()!;
      const from = Math.max(e.ts, navStart);
      const to = Math.min(e.ts + e.dur!, end);
      byName.set(e.name, (byName.get(e.name) ?? 0) + Math.max(0, to - from - child) / 1000);
      if (stack.length > 0) stack.at(-1)!.child += Math.max(0, to - from);
    }
  };
  for (const e of complete) {
    close(e.ts);
    if (long && e.dur! >= 3000) {
      const what = e.args?.data?.url ?? e.args?.data?.functionName ?? '';
      long.push(`${((e.ts - navStart) / 1000).toFixed(1).padStart(7)} +${(e.dur! / 1000).toFixed(1).padStart(6)}  ${'  '.repeat(stack.length)}${e.name} ${what.replace(/^.*\//, '')}`);
    }
    stack.push({ e, child: 0 });
  }
  close(Number.POSITIVE_INFINITY);
}

async function main(argv: string[]): Promise<void> {
  const runs = Number(argv.find((a) => /^\d+$/.test(a)) ?? 7);
  const saveAt = argv.indexOf('--save');
  const saveDir = saveAt >= 0 ? argv[saveAt + 1] : undefined;
  const trace = argv.includes('--trace');
  const mode: Mode = trace ? 'trace' : argv.includes('--plain') ? 'plain' : 'profile';
  if (!argv.includes('--no-build')) await buildRenderer();
  const web = await startDevWeb({ phoneOptions: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] } });
  const browser = await launchChromium();
  try {
    await once(browser, web.link(), 'plain'); // warm: the server's first reads of the files
    const all: Run[] = [];
    for (let i = 0; i < runs; i++) all.push(await once(browser, web.link(), mode));
    const byFn = new Map<string, number>();
    const byUrl = new Map<string, number>();
    const long: string[] = [];
    for (const r of all) {
      if (r.profile) selfTimes(r.profile, byFn, byUrl);
      if (r.trace) traceSelfTimes(r, byFn, r === all.at(-1) ? long : undefined);
    }
    if (saveDir) {
      mkdirSync(saveDir, { recursive: true });
      all.forEach((r, i) => writeFileSync(join(saveDir, `page-${i + 1}.${trace ? 'trace.json' : 'cpuprofile'}`), JSON.stringify(r.profile ?? { traceEvents: r.trace })));
    }
    console.log(`usable (in-page ms): median ${median(all.map((r) => r.usable)).toFixed(0)}, runs ${all.map((r) => r.usable.toFixed(0)).join(' ')}`);
    const keys = (pick: (r: Run) => Record<string, number>) => [...new Set(all.flatMap((r) => Object.keys(pick(r))))];
    for (const [title, pick] of [['navigation and resources', (r: Run) => r.nav], ['marks and paints', (r: Run) => r.marks]] as const) {
      console.log(`\n${title} (ms from navigation start, median)`);
      const rows = keys(pick).map((k) => [k, median(all.map((r) => pick(r)[k] ?? NaN).filter((x) => !Number.isNaN(x)))] as const);
      for (const [k, v] of rows.sort((a, b) => a[1] - b[1])) console.log(`  ${v.toFixed(1).padStart(8)}  ${k}`);
    }
    const top = (m: Map<string, number>, n: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .forEach(([k, v]) => console.log(`  ${(v / runs).toFixed(1).padStart(7)}  ${k}`));
    if (mode === 'plain') return;
    if (trace) {
      const cpu = all.map(traceCpu);
      console.log(`\nCPU to usable (ms): main thread median ${median(cpu.map((c) => c.main)).toFixed(0)} (runs ${cpu.map((c) => c.main.toFixed(0)).join(' ')}), background script parse median ${median(cpu.map((c) => c.parse)).toFixed(0)}`);
      console.log('\nmain thread self time per trace event, navigation start to usable (ms per run)');
      top(byFn, 30);
      console.log(`\nmain thread events of 3 ms or more, the last run (ms from navigation start, duration)`);
      for (const line of long) console.log(line);
      return;
    }
    console.log('\nself time per script (ms per run, profiler on: slower than without)');
    top(byUrl, 15);
    console.log('\nself time per function (ms per run)');
    top(byFn, 40);
  } finally {
    await browser.close();
    await web.close();
  }
}

await main(process.argv.slice(2));
process.exit(0);
