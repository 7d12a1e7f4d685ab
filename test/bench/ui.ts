// UI benchmarks: what a person waits for and what the engine holds, through the browser bridge.
//
//   - bundle: the renderer as `vite build` makes it (into a temp dir), raw and gzip, per kind.
//   - start-up: from spawning `bin/dev-web.js --built` (what `npm run dev:web` runs: the bundle in
//     dist/node/ when it is fresh, else the sources; engine + store + bridge, in a child
//     process) to the dialpad input being editable in Debian's Chromium (playwright-core), split in
//     engine ready (the URL printed) and page usable (navigation → the input accepts text with
//     the engine's first answers in). Median of 5 fresh starts; the browser itself is launched once
//     (in the app, Electron's Chromium is already up when the engine starts). Beside it, `in-page`:
//     the same moment by the page's own clock, from its navigation's start (what the page does,
//     without the browser's new context and renderer process, or this script's polling).
//   - start-up, in parallel: as the app starts (main/app/main.ts), the window's renderer is made
//     while the engine starts. Here the browser context and page are made while dev-web starts,
//     then navigate when its URL is printed (dev-web serves the page, so unlike the app's
//     `app://` page, loading still waits for the engine). The sequential figure stays.
//   - memory: the dev-web process's RSS (/proc/PID/status), idle with the page open, then during a
//     loopback call (the page dials a second Phone in this process, which answers; OPUS, 20 ms
//     frames both ways).
//   - the page's own weight: its JS heap after a collection (CDP Runtime.getHeapUsage) and the
//     Chromium renderer process's RSS, idle and in that call, beside an empty page measured the
//     same way in the same browser. The renderer is the largest `renderer` process the browser
//     lists (SystemInfo.getProcessInfo): with one page open, the others are Chromium's spare.
//
//   node_modules/.bin/node test/bench/ui.ts      prints the tables
//   import { run } from './ui.ts'                returns the figures
//
// Bounded: every wait has a timeout; the child and the browser end with the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { Phone } from '../../main/phone/phone.ts';
import { buildRenderer } from '../../main/bridge/dev-web.ts';
import { launchChromium } from '../e2e/helpers/browser.ts';

const REPO = join(import.meta.dirname, '..', '..');
const DEV_WEB = join(REPO, 'bin', 'dev-web.js');
const STARTS = 5;
const STEP_TIMEOUT_MS = 60_000;

export interface BundleRow {
  kind: string;
  files: number;
  raw: number;
  gzip: number;
}

export interface StartRun {
  engineMs: number;
  pageMs: number;
  totalMs: number;
  /** Navigation start → usable, by the page's clock. */
  inPageMs: number;
}

export interface UiFigures {
  bundle: BundleRow[];
  starts: StartRun[];
  median: StartRun;
  /** Engine and browser page started together, as the app does (spawn → usable, ms). */
  parallel: number[];
  rss: { idleMiB: number; callMiB: number; peakMiB: number };
  /** The page in Chromium: JS heap and renderer RSS (MiB), an empty page, the app idle, in a call. */
  page: Record<'empty' | 'idle' | 'call', { heapMiB: number; rendererMiB: number }>;
}

/** The largest renderer process's RSS (KiB): the page's, with one page open. */
async function rendererRssKiB(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; id: number }> };
  await cdp.detach();
  const sizes = info.processInfo
    .filter((p) => p.type === 'renderer')
    .map((p) => {
      try {
        return rssKiB(p.id);
      } catch {
        return 0; // gone between the list and the read
      }
    });
  return Math.max(0, ...sizes);
}

/** The page's JS heap in use after a full collection (KiB). */
async function jsHeapKiB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize / 1024;
}

async function pageWeight(browser: Browser, page: Page): Promise<{ heapMiB: number; rendererMiB: number }> {
  const heap = await jsHeapKiB(page);
  const rss = await rendererRssKiB(browser);
  return { heapMiB: Math.round((heap / 1024) * 10) / 10, rendererMiB: Math.round((rss / 1024) * 10) / 10 };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** `vite build` of the renderer into a temp dir; sizes per file kind. */
async function bundleSize(): Promise<BundleRow[]> {
  const out = mkdtempSync(join(tmpdir(), 'appel-bench-ui-'));
  try {
    const vite = await import('vite');
    await vite.build({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    const rows = new Map<string, BundleRow>();
    for (const file of walk(out)) {
      const kind = extname(file).slice(1) || 'other';
      const row = rows.get(kind) ?? { kind, files: 0, raw: 0, gzip: 0 };
      const bytes = readFileSync(file);
      row.files++;
      row.raw += statSync(file).size;
      row.gzip += gzipSync(bytes, { level: 9 }).length;
      rows.set(kind, row);
    }
    const list = [...rows.values()].sort((a, b) => b.gzip - a.gzip);
    const total = list.reduce((t, r) => ({ kind: 'total', files: t.files + r.files, raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { kind: 'total', files: 0, raw: 0, gzip: 0 });
    return [...list, total];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function rssKiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} for process ${pid}`);
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sampleRss(pid: number, n = 5, everyMs = 200): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(rssKiB(pid));
    await sleep(everyMs);
  }
  return median(xs);
}

interface DevWebChild {
  child: ChildProcess;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** Spawns dev-web --built with its own database; resolves when it prints its URL. */
async function spawnDevWeb(): Promise<DevWebChild> {
  const dir = mkdtempSync(join(tmpdir(), 'appel-bench-ui-db-'));
  const child = spawn(process.execPath, [DEV_WEB, '--built', '--port', '0', '--sip', 'udp:127.0.0.1:0', '--database', join(dir, 'appel.db')], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`dev-web printed no URL in ${STEP_TIMEOUT_MS} ms: ${errors}`)), STEP_TIMEOUT_MS);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Appel is at (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          ok(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`dev-web exited with ${code}: ${errors}`));
      });
    });
    return { child, url, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Usable, as the page itself sees it: the field focused and editable, and the account notice
 * shown. Noted (performance.now(), from the navigation's start) at the first DOM change or focus
 * that makes it so; read back as `window.appelUsableAt`. (Strings: they run in the page, and this
 * file is type-checked without the DOM library.)
 */
export const USABLE = `(() => { const el = document.querySelector('[data-testid=dialpad-input]'); return !!el && !el.disabled && !el.readOnly && document.activeElement === el && [...document.querySelectorAll('a')].some((a) => a.textContent.trim() === 'Add an account'); })()`;
export const NOTE_USABLE = `(() => {
  const check = () => { if (window.appelUsableAt === undefined && ${USABLE}) { window.appelUsableAt = performance.now(); watch.disconnect(); } };
  const watch = new MutationObserver(check);
  watch.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener('focusin', check);
})()`;

async function newPage(browser: Browser) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
  await context.addInitScript(NOTE_USABLE);
  return { context, page: await context.newPage() };
}

/** Navigates and waits until the dialpad is usable (see USABLE); the page's own figure. */
async function openUntilUsable(page: Page, url: string): Promise<number> {
  await page.goto(url);
  // Usable: the field is there, focused by the view, editable, and the engine's settings are in
  // (the dialpad's account notice appears only after accounts:list has answered).
  const input = page.getByTestId('dialpad-input');
  await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(
    `(() => { const el = document.querySelector('[data-testid=dialpad-input]'); return !!el && !el.disabled && !el.readOnly && document.activeElement === el; })()`,
    undefined,
    { timeout: STEP_TIMEOUT_MS },
  );
  await page.getByRole('link', { name: 'Add an account' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  return (await page.evaluate('window.appelUsableAt')) as number;
}

/** One fresh start; returns the timings, and the child and page still open when `keep` is set. */
async function startOnce(browser: Browser, keep: boolean) {
  const t0 = performance.now();
  const web = await spawnDevWeb();
  const t1 = performance.now();
  const { context, page } = await newPage(browser);
  const inPageMs = await openUntilUsable(page, web.url);
  const t2 = performance.now();
  const run: StartRun = { engineMs: t1 - t0, pageMs: t2 - t1, totalMs: t2 - t0, inPageMs };
  if (keep) return { run, web, page, context };
  await context.close();
  await web.stop();
  return { run };
}

/** One fresh start with the browser page made while the engine starts (spawn → usable, ms). */
async function startParallel(browser: Browser): Promise<number> {
  const t0 = performance.now();
  const [web, { context, page }] = await Promise.all([spawnDevWeb(), newPage(browser)]);
  try {
    await openUntilUsable(page, web.url);
    return performance.now() - t0;
  } finally {
    await context.close();
    await web.stop();
  }
}

export async function run(): Promise<UiFigures> {
  const bundle = await bundleSize();
  await buildRenderer(); // dev-web --built serves dist/renderer: the code as it is now
  const browser = await launchChromium();
  const peer = await Phone.create({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' }, calls: { autoAnswer: true } });
  const starts: StartRun[] = [];
  let kept: Awaited<ReturnType<typeof startOnce>> | undefined;
  try {
    // The reference: an empty page, alone in the browser.
    const emptyContext = await browser.newContext();
    const emptyPage = await emptyContext.newPage();
    await emptyPage.goto('data:text/html,<!doctype html><title>empty</title>');
    await sleep(1000);
    const empty = await pageWeight(browser, emptyPage);
    await emptyContext.close();
    const parallel: number[] = [];
    for (let i = 0; i < STARTS; i++) parallel.push(await startParallel(browser));
    for (let i = 0; i < STARTS; i++) {
      const r = await startOnce(browser, i === STARTS - 1);
      starts.push(r.run);
      kept = r;
    }
    const { web, page } = kept as Required<typeof kept & object>;
    const pid = web.child.pid!;
    await sleep(2000); // let start-up garbage settle
    const idle = await sampleRss(pid);
    const pageIdle = await pageWeight(browser, page);

    const uri = `sip:bench@127.0.0.1:${peer.localAddresses()[0].port}`;
    await page.getByTestId('dialpad-input').fill(uri);
    await page.getByTestId('dialpad-input').press('Enter');
    await page.getByTestId('call-state').filter({ hasText: /^Connected/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await sleep(3000); // media flowing both ways for a few seconds
    const inCall = await sampleRss(pid, 10, 300);
    const peak = rssKiB(pid, 'VmHWM');
    const pageCall = await pageWeight(browser, page);
    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor({ timeout: STEP_TIMEOUT_MS });
    await kept!.context!.close();
    await web.stop();
    const mib = (k: number) => Math.round((k / 1024) * 10) / 10;
    return {
      bundle,
      starts,
      median: {
        engineMs: median(starts.map((s) => s.engineMs)),
        pageMs: median(starts.map((s) => s.pageMs)),
        totalMs: median(starts.map((s) => s.totalMs)),
        inPageMs: median(starts.map((s) => s.inPageMs)),
      },
      parallel,
      rss: { idleMiB: mib(idle), callMiB: mib(inCall), peakMiB: mib(peak) },
      page: { empty, idle: pageIdle, call: pageCall },
    };
  } finally {
    await kept?.web?.stop().catch(() => undefined);
    await browser.close();
    await peer.stop();
  }
}

function print(f: UiFigures): void {
  const kb = (n: number) => (n / 1024).toFixed(1).padStart(9);
  console.log('Renderer bundle (vite build)');
  console.log('kind      files    raw KiB   gzip KiB');
  for (const r of f.bundle) console.log(`${r.kind.padEnd(8)} ${String(r.files).padStart(6)} ${kb(r.raw)}  ${kb(r.gzip)}`);
  console.log('');
  console.log(`Start-up to a usable dialpad (dev-web --built + Chromium), ${f.starts.length} fresh starts`);
  console.log('run     engine ms    page ms   total ms  in-page ms');
  const ms = (n: number) => n.toFixed(0).padStart(10);
  f.starts.forEach((s, i) => console.log(`${String(i + 1).padEnd(6)} ${ms(s.engineMs)} ${ms(s.pageMs)} ${ms(s.totalMs)} ${ms(s.inPageMs)}`));
  console.log(`median ${ms(f.median.engineMs)} ${ms(f.median.pageMs)} ${ms(f.median.totalMs)} ${ms(f.median.inPageMs)}`);
  console.log('');
  console.log('Start-up with the browser page made while the engine starts (as the app makes its window)');
  console.log(`total ms: median ${f.parallel.length ? median(f.parallel).toFixed(0) : '-'}, runs ${f.parallel.map((n) => n.toFixed(0)).join(' ')}`);
  console.log('');
  console.log('Engine memory (RSS of the dev-web process)');
  console.log('state                 MiB');
  console.log(`idle, page open  ${f.rss.idleMiB.toFixed(1).padStart(8)}`);
  console.log(`in a call        ${f.rss.callMiB.toFixed(1).padStart(8)}`);
  console.log(`peak (VmHWM)     ${f.rss.peakMiB.toFixed(1).padStart(8)}`);
  console.log('');
  console.log('The page in Chromium (JS heap after a collection; renderer process RSS), beside an empty page');
  console.log('page              JS heap MiB   renderer MiB');
  const row = (name: string, w: { heapMiB: number; rendererMiB: number }) => console.log(`${name.padEnd(16)} ${w.heapMiB.toFixed(1).padStart(12)} ${w.rendererMiB.toFixed(1).padStart(14)}`);
  row('empty page', f.page.empty);
  row('Appel, idle', f.page.idle);
  row('Appel, in a call', f.page.call);
}

if (import.meta.filename === process.argv[1]) {
  try {
    print(await run());
    process.exit(0);
  } catch (err) {
    console.error(`ui bench: ${(err as Error).stack ?? err}`);
    process.exit(1);
  }
}
