// One steady call, the thing every user makes: Appel's command line as the caller beside baresip
// 1.0 as the caller, both calling the same auto-answering baresip, same codec, same run, one
// private network namespace on loopback.
//
//   - CPU: the caller process, all its threads (utime + stime of /proc/PID/stat, which counts
//     every thread), over the same WINDOW_S seconds of a call that has been up SETTLE_S seconds,
//     as % of one core. Both callers play the same 8 kHz tone as their microphone. On this kind
//     of virtual machine one run of either phone can read anywhere in a 2× range (a wake-up's
//     cost depends on what the other core does), so each codec is measured in ROUNDS rounds,
//     Appel then baresip in each, and the table gives the medians, and each phone's range. Appel's is
//     also split by thread (/proc/PID/task/*/stat): the main thread ('MainThread': SIP, and the
//     media engine of a phone's first calls, media-placement.ts: RTP, jitter buffer, codecs),
//     and the rest (V8's compiler and GC helpers, libuv's pool). V8 compiles a function called once a frame with Maglev after about 400 calls
//     (8 s) and with TurboFan after about 3000 (60 s): `--settle 60` shows a call past that.
//   - memory: the caller's resident set (VmRSS) at the end of that window, and Appel's idle
//     (registered nowhere, listening, no call) before the call.
//   - memory as calls come, callee side (lab/memory-curve.ts): Appel's `listen --auto-answer` and
//     baresip, each called by SIPp: idle, 1/2/5/10 calls at once, 100 calls in a row (RSS after
//     every 10), 1 and 10 calls at once again once warm (after the calls in a row: the one-time
//     costs of the first calls paid), idle again after the calls; INVITE → 200 of the first call
//     after idle and of the next ones. `--curve-only` runs only this part.
//
// Appel runs as `npx appel` does (bin/appel.js): the bundle when it is fresh (`npm run build`,
// which `npm run bench` runs first), else the sources; the table says which.
//
//   node_modules/.bin/node test/bench/per-call.ts [--codecs pcmu,g722,opus] [--window 12] [--settle 3] [--rounds 3] [--no-curve | --curve-only]
//   import { run, runCurves } from './per-call.ts'        returns the rows, the curves
//
// Bounded: every wait has a limit; the namespace and every process in it end with the run.
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NetNs } from '../interop/lab/netns.ts';
import { AppelProcess } from '../interop/lab/appel-cli.ts';
import { Baresip, type BaresipCodec } from '../interop/lab/baresip.ts';
import { makeToneWav } from '../interop/lab/peers-audio-fixtures.ts';
import type { CallCodec } from '../../main/contract/api.ts';
// @ts-expect-error plain JavaScript without declarations (bin/ runs under any Node)
import { buildIsFresh } from '../../bin/built.js';
import { BaresipUas } from './lab/baresip-uas.ts';
import { IDLE_AGAIN_MS, IN_A_ROW, memoryCurve, type MemoryCurve } from './lab/memory-curve.ts';

const CALLEE_PORT = 5062;
const BARESIP_CALLER_PORT = 5080;
const APPEL_PORT = 5070;
const BARESIP_UAS_PORT = 5064;
/** How long a call has been up when the window starts, by default (s; `--settle`); also the idle engine's settling. */
const SETTLE_S = 3;
/** Rounds per codec, by default (`--rounds`): Appel then baresip in each. */
const ROUNDS = 3;

/** Appel's name of a codec → baresip's. */
const BARESIP_CODEC: Partial<Record<CallCodec, BaresipCodec>> = { pcmu: 'PCMU', g722: 'G722/16000/1', opus: 'opus' };

export interface PerCallRow {
  codec: CallCodec;
  /** Medians over the rounds. */
  appelCpu: number;
  /** The part of `appelCpu` spent in Appel's main thread (SIP and the call's media). */
  appelMainCpu: number;
  baresipCpu: number;
  /** Every round's figure, in the order measured. */
  appelRuns: number[];
  baresipRuns: number[];
  appelRssMb: number;
  baresipRssMb: number;
  appelIdleRssMb: number;
}

const TICK = 100; // USER_HZ on Linux

/** CPU ticks (user + system, every thread) and resident MB of a process. */
function sample(pid: number): { ticks: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { ticks, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ticks of the threads named `name` (a thread that ended since is not counted). */
function threadTicks(pid: number, name: string): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

/** % of one core the process used over `seconds` (and its threads named `thread`), and its RSS at the end. */
async function measure(pid: number, seconds: number, thread = ''): Promise<{ cpu: number; threadCpu: number; rssMb: number }> {
  const a = sample(pid);
  const ta = threadTicks(pid, thread);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const b = sample(pid);
  const tb = threadTicks(pid, thread);
  const elapsed = (performance.now() - t0) / 1000;
  let threadTicksUsed = 0;
  for (const [tid, t] of tb) threadTicksUsed += t - (ta.get(tid) ?? t);
  const pct = (ticks: number) => (ticks / TICK / elapsed) * 100;
  return { cpu: pct(b.ticks - a.ticks), threadCpu: pct(threadTicksUsed), rssMb: b.rssMb };
}

/** `listen` with nothing to do: the engine's resident set once it has settled. */
async function appelIdle(ns: NetNs): Promise<number> {
  const appel = new AppelProcess(ns, ['listen', '--listen', `udp:127.0.0.1:${APPEL_PORT}`]);
  try {
    await appel.wait((e) => e.event === 'listening', 'listening', 15_000);
    await sleep(SETTLE_S * 1000);
    return sample(appel.child.pid!).rssMb;
  } finally {
    appel.child.kill('SIGTERM');
    await appel.exit(10_000).catch(() => undefined);
  }
}

/** Node names its main OS thread so: SIP, and the media of a phone's first calls (media-placement.ts). */
const MAIN_THREAD = 'MainThread';

async function appelCall(ns: NetNs, codec: CallCodec, tone: string, windowS: number, settleS: number): Promise<{ cpu: number; threadCpu: number; rssMb: number }> {
  const appel = new AppelProcess(ns, ['call', `sip:callee@127.0.0.1:${CALLEE_PORT}`, '--listen', `udp:127.0.0.1:${APPEL_PORT}`, '--codecs', codec, '--play', tone, '--duration', String(windowS + settleS + 6)]);
  try {
    await appel.wait((e) => e.event === 'answered', 'answered', 20_000);
    await sleep(settleS * 1000);
    return await measure(appel.child.pid!, windowS, MAIN_THREAD);
  } finally {
    appel.child.kill('SIGTERM');
    await appel.exit(10_000).catch(() => undefined);
  }
}

async function baresipCall(ns: NetNs, codec: BaresipCodec, tone: string, windowS: number, settleS: number): Promise<{ cpu: number; rssMb: number }> {
  const caller = new Baresip(ns, { user: 'caller', registrar: null, sipPort: BARESIP_CALLER_PORT, ctrlPort: 4445, codecs: [codec], playWav: tone, rtpPorts: [40000, 40999] });
  await caller.start();
  try {
    await caller.dial(`sip:callee@127.0.0.1:${CALLEE_PORT}`);
    await caller.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(settleS * 1000);
    return await measure(caller.pid!, windowS);
  } finally {
    await caller.hangup().catch(() => undefined);
    await caller.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function run(codecs: CallCodec[], windowS: number, settleS = SETTLE_S, rounds = ROUNDS): Promise<PerCallRow[]> {
  const ns = await NetNs.create();
  const rows: PerCallRow[] = [];
  try {
    const idleRssMb = await appelIdle(ns);
    // Longer than a call: neither caller's microphone runs dry inside the window.
    const tone = makeToneWav(ns.dir, { frequency: 440, seconds: Math.max(120, settleS + windowS + 30) });
    for (const codec of codecs) {
      const b = BARESIP_CODEC[codec];
      if (!b) throw new Error(`per-call: no baresip name for ${codec}`);
      const callee = new Baresip(ns, { user: 'callee', registrar: null, sipPort: CALLEE_PORT, ctrlPort: 4444, autoAnswer: true, codecs: [b], playWav: tone });
      await callee.start();
      try {
        const appel: Array<Awaited<ReturnType<typeof appelCall>>> = [];
        const baresip: Array<Awaited<ReturnType<typeof baresipCall>>> = [];
        for (let r = 0; r < rounds; r++) {
          appel.push(await appelCall(ns, codec, tone, windowS, settleS));
          baresip.push(await baresipCall(ns, b, tone, windowS, settleS));
        }
        rows.push({
          codec,
          appelCpu: median(appel.map((x) => x.cpu)),
          appelMainCpu: median(appel.map((x) => x.threadCpu)),
          baresipCpu: median(baresip.map((x) => x.cpu)),
          appelRuns: appel.map((x) => x.cpu),
          baresipRuns: baresip.map((x) => x.cpu),
          appelRssMb: median(appel.map((x) => x.rssMb)),
          baresipRssMb: median(baresip.map((x) => x.rssMb)),
          appelIdleRssMb: idleRssMb,
        });
      } finally {
        await callee.stop();
      }
    }
  } finally {
    await ns.close();
  }
  return rows;
}

function print(rows: PerCallRow[], windowS: number, settleS: number): void {
  const pct = (x: number) => `${x.toFixed(2)} %`;
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const mb = (x: number) => `${x.toFixed(0)} MB`;
  const rounds = rows[0]?.appelRuns.length ?? 0;
  console.log(`One steady call, caller side, CPU over the same ${windowS} s (all threads) of a call up ${settleS} s, RSS at its end; callee: auto-answering baresip. Medians of ${rounds} rounds (Appel, then baresip, in each), the range beside.`);
  console.log('| codec | Appel CPU | of which main thread (SIP, media) | baresip CPU | Appel / baresip | Appel range | baresip range | Appel RSS | baresip RSS | Appel idle RSS |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.codec} | ${pct(r.appelCpu)} | ${pct(r.appelMainCpu)} | ${pct(r.baresipCpu)} | ${(r.appelCpu / r.baresipCpu).toFixed(2)}× | ${range(r.appelRuns)} | ${range(r.baresipRuns)} | ${mb(r.appelRssMb)} | ${mb(r.baresipRssMb)} | ${mb(r.appelIdleRssMb)} |`);
  }
}

/** The callee-side memory curves of Appel and baresip, one after the other in one namespace. */
export async function runCurves(log: (s: string) => void = () => undefined): Promise<{ appel: MemoryCurve; baresip: MemoryCurve }> {
  const ns = await NetNs.create();
  try {
    // Longer than any call of the curve, and short: a WAV source is held whole per call (by both
    // phones), so a long file would weigh more than the call itself (300 s: about 5 MB a call).
    const tone = makeToneWav(ns.dir, { frequency: 440, seconds: 30 });
    const appel = new AppelProcess(ns, ['listen', '--listen', `udp:127.0.0.1:${APPEL_PORT}`, '--max-rate', '0', '--auto-answer', '--codecs', 'pcmu', '--play', tone]);
    let appelCurve: MemoryCurve;
    try {
      await appel.wait((e) => e.event === 'listening', 'listening', 15_000);
      appelCurve = await memoryCurve(ns, 'Appel', appel.child.pid!, `127.0.0.1:${APPEL_PORT}`, log);
    } finally {
      appel.child.kill('SIGTERM');
      await appel.exit(10_000).catch(() => undefined);
    }
    const uas = new BaresipUas(ns, { sipPort: BARESIP_UAS_PORT, playWav: tone });
    await uas.start();
    try {
      return { appel: appelCurve, baresip: await memoryCurve(ns, 'baresip', uas.pid!, `127.0.0.1:${BARESIP_UAS_PORT}`, log) };
    } finally {
      await uas.stop();
    }
  } finally {
    await ns.close();
  }
}

function printCurves(c: { appel: MemoryCurve; baresip: MemoryCurve }): void {
  const mb = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(1)} MB`);
  const ms = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(1)} ms`);
  const at = (m: MemoryCurve, n: number) => m.simultaneous.find((s) => s.calls === n);
  const perFurther = (m: MemoryCurve) => {
    const one = at(m, 1);
    const ten = at(m, 10);
    return one && ten ? (ten.rssMb - one.rssMb) / 9 : undefined;
  };
  const perFurtherWarm = (m: MemoryCurve) => (m.warm ? (m.warm.tenMb - m.warm.oneMb) / 9 : undefined);
  const growth = (m: MemoryCurve) => (m.inARow.length > 1 ? m.inARow.at(-1)!.rssMb - m.inARow[0].rssMb : undefined);
  const rows: Array<[string, string, string, string]> = [
    ['idle (listening, no call)', mb(c.appel.idleMb), mb(c.baresip.idleMb), '≤ 60 MB'],
    ...c.appel.simultaneous.map((s): [string, string, string, string] => [`${s.calls} call${s.calls > 1 ? 's' : ''} at once${s.ok ? '' : ' (some failed)'}`, mb(s.rssMb), mb(at(c.baresip, s.calls)?.rssMb), s.calls === 1 ? '≤ 75 MB' : '']),
    ['per further call (10 at once − 1) / 9', mb(perFurther(c.appel)), mb(perFurther(c.baresip)), '≤ 0.5 MB'],
    ...c.appel.inARow.map((p, i): [string, string, string, string] => [`after ${p.calls} calls in a row`, mb(p.rssMb), mb(c.baresip.inARow[i]?.rssMb), '']),
    [`growth from call 10 to call ${IN_A_ROW}`, mb(growth(c.appel)), mb(growth(c.baresip)), 'none'],
    ['1 call at once, warm (after the calls in a row)', mb(c.appel.warm?.oneMb), mb(c.baresip.warm?.oneMb), ''],
    ['10 calls at once, warm', mb(c.appel.warm?.tenMb), mb(c.baresip.warm?.tenMb), ''],
    ['per further call, warm (10 − 1) / 9', mb(perFurtherWarm(c.appel)), mb(perFurtherWarm(c.baresip)), ''],
    [`idle again, ${IDLE_AGAIN_MS / 1000} s after the last call`, mb(c.appel.idleAgainMb), mb(c.baresip.idleAgainMb), ''],
    ['INVITE → 200, first call after idle', ms(c.appel.firstSetupMs), ms(c.baresip.firstSetupMs), ''],
    ['INVITE → 200, next calls (median)', ms(c.appel.warmSetupMs), ms(c.baresip.warmSetupMs), ''],
  ];
  console.log(`\nMemory as calls come, callee side (SIPp calling, PCMU, RTP echoed back); Appel ran ${buildIsFresh() ? 'the bundle (dist/node)' : 'the sources (the bundle is absent or older)'}.`);
  console.log('| | Appel | baresip | goal |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (c.appel.inARowFailed || c.baresip.inARowFailed) console.log(`(calls in a row that failed: Appel ${c.appel.inARowFailed}, baresip ${c.baresip.inARowFailed})`);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { codecs: { type: 'string' }, window: { type: 'string' }, settle: { type: 'string' }, rounds: { type: 'string' }, 'no-curve': { type: 'boolean' }, 'curve-only': { type: 'boolean' } } });
  if (values['no-curve'] && values['curve-only']) throw new Error('--no-curve and --curve-only: one or the other');
  const codecs = (values.codecs ?? 'pcmu,g722,opus').split(',') as CallCodec[];
  const windowS = Number(values.window ?? 12);
  const settleS = Number(values.settle ?? SETTLE_S);
  if (!(settleS >= 0 && settleS <= 600)) throw new Error(`--settle: expected 0-600 seconds, not ${values.settle}`);
  const rounds = Number(values.rounds ?? ROUNDS);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error(`--rounds: expected 1-20, not ${values.rounds}`);
  if (!values['curve-only']) print(await run(codecs, windowS, settleS, rounds), windowS, settleS);
  if (!values['no-curve']) printCurves(await runCurves((s) => process.stderr.write(`${s}\n`)));
}
