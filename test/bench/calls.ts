// Call benchmarks: Appel's headless engine (`main/cli.ts listen|call`) beside baresip 1.0, both
// driven by SIPp 3.6 in one private network namespace on loopback, measured in the same run:
//
//   - capacity: simultaneous calls (PCMU, each phone playing a tone, SIPp echoing the RTP back
//     with -rtp_echo) in steps, until a call fails or the jitter the phones report passes 30 ms.
//     Jitter is what each phone itself reports in its RTCP reception reports (RFC 3550 §6.4.1),
//     read by a small sink on SIPp's RTCP port (-mp + 1): the same measure for both phones.
//     Appel's own per-second `stats` events are shown beside it.
//   - call rate: short calls (INVITE/200/ACK/BYE, no pause) at rising rates, 5 s each, until
//     one fails: the highest rate with no failed call.
//   - set-up time, on the wire: INVITE → 180 and INVITE → 200 as SIPp sees them (the phone as
//     callee), and 200 → first RTP packet (the phone as caller; SIPp answers, a probe on the
//     answer's media port stamps the first packet).
//
//   node_modules/.bin/node test/bench/calls.ts     prints the table
//   import { run } from './calls.ts'               returns the figures
//   APPEL_BENCH_QUICK=1 …                          small steps only (checks the harness)
//   APPEL_BENCH_RATE_ONLY=1 …                      the call-rate steps only
//   APPEL_BENCH_STEPS=400,500 …                    these capacity steps only
//   APPEL_BENCH_PHONES=Appel …                     this phone only (Appel or baresip)
//
// Bounded: a fixed list of steps, each SIPp run with -timeout; the namespace and every process
// in it end with the run.
import { once } from 'node:events';
import { join } from 'node:path';
import { NetNs, stopProcess, waitFor } from '../interop/lab/netns.ts';
import { CLI, NODE } from '../interop/lab/appel-cli.ts';
import { Baresip } from '../interop/lab/baresip.ts';
import { makeToneWav } from '../interop/lab/peers-audio-fixtures.ts';
import { BaresipUas } from './lab/baresip-uas.ts';
import { JsonLines } from './lab/json-lines.ts';
import { sipp, wire } from './lab/sipp.ts';

const LAB = join(import.meta.dirname, 'lab');
const PROBE = join(LAB, 'udp-probe.ts');
const ECHO_PORT = 30000; // SIPp -rtp_echo; RTCP arrives on 30001
const APPEL_PORT = 5070;
const BARESIP_PORT = 5062;
const SIPP_UAS_PORT = 5090;

/** Capacity steps (simultaneous calls), the ramp rate, and the time all calls of a step are up. */
/** APPEL_BENCH_QUICK=1: two small steps of each, to check the harness itself. */
const QUICK = process.env.APPEL_BENCH_QUICK === '1';
const CAPACITY_STEPS = process.env.APPEL_BENCH_STEPS
  ? process.env.APPEL_BENCH_STEPS.split(',').map(Number)
  : QUICK
    ? [5, 10]
    : [10, 25, 50, 100, 150, 200, 250, 300, 400, 500];
if (!CAPACITY_STEPS.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`APPEL_BENCH_STEPS: expected positive integers, not ${process.env.APPEL_BENCH_STEPS}`);
const RAMP_CPS = 20;
const WINDOW_MS = 9_000;
const JITTER_LIMIT_MS = 30;
/** Call-rate steps (calls per second), each held this long. */
const RATE_STEPS = QUICK ? [5, 10] : [5, 10, 20, 40, 80, 120, 160, 200, 240, 320, 400];
const RATE_STEP_S = 5;
const SETUP_CALLS = QUICK ? 3 : 8;

type PhoneName = 'Appel' | 'baresip';

export interface CapacityStep {
  calls: number;
  ok: boolean;
  failed: number;
  /** RTCP-reported jitter (ms) over the window: 95th percentile and maximum. */
  rtcpJitterP95: number;
  rtcpJitterMax: number;
  reports: number;
  /** Appel only: its `stats` events' jitter over the window. */
  statsJitterP95?: number;
  statsJitterMax?: number;
}

export interface CallsBenchResult {
  phone: PhoneName;
  /** Most simultaneous calls with no failure and p95 jitter ≤ 30 ms (0: none passed). */
  capacity: number;
  capacitySteps: CapacityStep[];
  /** Highest call rate (cps) with no failed call. */
  callRate: number;
  rateSteps: Array<{ cps: number; calls: number; failed: number }>;
  /** Medians, ms. */
  inviteTo180Ms?: number;
  inviteTo200Ms?: number;
  answerToFirstRtpMs?: number;
}

/** The p-th percentile (0..1) of `values` (NaN when empty). */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const median = (values: number[]): number => percentile(values, 0.5);

/** A callee under test: where SIPp calls it, and (Appel) its stats. */
interface Callee {
  name: PhoneName;
  target: string;
  stats?: JsonLines<{ event: string; time: string; jitterMs?: number }>;
  stop(): Promise<void>;
}

async function startAppel(ns: NetNs): Promise<Callee> {
  const child = ns.spawn(NODE, [CLI, 'listen', '--listen', `udp:127.0.0.1:${APPEL_PORT}`, '--max-rate', '0', '--auto-answer', '--codecs', 'pcmu', '--play', 'tone:440', '--json']);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-5000)));
  const stats = new JsonLines<{ event: string; time: string; jitterMs?: number }>(child);
  if (!(await waitFor(child, (out) => out.includes('"listening"'), 15_000))) throw new Error(`Appel did not start: ${err}`);
  return { name: 'Appel', target: `127.0.0.1:${APPEL_PORT}`, stats, stop: () => stopProcess(child, 5_000) };
}

async function startBaresip(ns: NetNs, wav: string): Promise<Callee> {
  const b = new BaresipUas(ns, { sipPort: BARESIP_PORT, playWav: wav });
  await b.start();
  return { name: 'baresip', target: `127.0.0.1:${BARESIP_PORT}`, stop: () => b.stop() };
}

async function capacity(ns: NetNs, callee: Callee, rtcp: JsonLines<{ t: number; jitterMs: number }>, log: (s: string) => void): Promise<CapacityStep[]> {
  const steps: CapacityStep[] = [];
  for (const n of CAPACITY_STEPS) {
    const rampMs = (n / RAMP_CPS) * 1000;
    const holdMs = Math.ceil(rampMs + WINDOW_MS + 1_000);
    const start = Date.now();
    const r = await sipp(ns, `capacity-${callee.name}-${n}`, [
      '-sf', join(LAB, 'bench-uac.xml'), '-p', '5080', '-mp', String(ECHO_PORT), '-rtp_echo',
      '-r', String(RAMP_CPS), '-l', String(n), '-m', String(n), '-d', String(holdMs), callee.target,
    ], holdMs + rampMs + 30_000);
    // The window: every call of the step up (ramp done, one second to settle), none hung up yet.
    const from = start + rampMs + 1_500;
    const to = start + holdMs - 500;
    const reports = rtcp.items.filter((x) => x.t >= from && x.t <= to).map((x) => x.jitterMs);
    const own = callee.stats?.items.filter((e) => e.event === 'stats' && Date.parse(e.time) >= from && Date.parse(e.time) <= to).map((e) => Number(e.jitterMs));
    const failed = Number.isNaN(r.failed) ? n : r.failed;
    const step: CapacityStep = {
      calls: n,
      failed,
      ok: r.code === 0 && failed === 0 && r.successful === n,
      rtcpJitterP95: percentile(reports, 0.95),
      rtcpJitterMax: Math.max(...reports),
      reports: reports.length,
      ...(own ? { statsJitterP95: percentile(own, 0.95), statsJitterMax: Math.max(...own) } : {}),
    };
    if (step.ok && !(step.rtcpJitterP95 <= JITTER_LIMIT_MS)) step.ok = false;
    steps.push(step);
    log(`  ${callee.name}: ${n} calls: ${step.ok ? 'ok' : 'FAILED'} (failed ${failed}, exit ${r.code}), RTCP jitter p95 ${step.rtcpJitterP95.toFixed(1)} ms, max ${step.rtcpJitterMax.toFixed(1)} ms over ${reports.length} reports${own ? `; stats p95 ${step.statsJitterP95!.toFixed(1)} ms` : ''}`);
    if (!step.ok) break;
    await new Promise((res) => setTimeout(res, 1_500));
  }
  return steps;
}

async function callRate(ns: NetNs, callee: Callee, log: (s: string) => void): Promise<Array<{ cps: number; calls: number; failed: number; ok: boolean }>> {
  const steps = [];
  for (const cps of RATE_STEPS) {
    const calls = cps * RATE_STEP_S;
    const r = await sipp(ns, `rate-${callee.name}-${cps}`, [
      '-sf', join(LAB, 'bench-uac.xml'), '-p', '5080', '-mp', String(ECHO_PORT), '-rtp_echo',
      '-r', String(cps), '-l', String(calls), '-m', String(calls), '-d', '0', callee.target,
    ], RATE_STEP_S * 1000 + 40_000);
    const failed = Number.isNaN(r.failed) ? calls : r.failed;
    const ok = r.code === 0 && failed === 0 && r.successful === calls;
    steps.push({ cps, calls, failed, ok });
    const why = Object.entries(r.failures).map(([reason, n]) => `${n}× ${reason}`).join('; ');
    log(`  ${callee.name}: ${cps} cps × ${RATE_STEP_S} s: ${ok ? 'ok' : 'FAILED'} (${r.successful} ok, ${failed} failed${why ? `: ${why}` : ''})`);
    if (!ok) break;
    await new Promise((res) => setTimeout(res, 2_000));
  }
  return steps;
}

/** INVITE → 180 and INVITE → 200 (medians, ms), SIPp calling the phone one call at a time. */
async function calleeSetup(ns: NetNs, callee: Callee): Promise<{ to180?: number; to200?: number }> {
  const r = await sipp(ns, `setup-${callee.name}`, [
    '-sf', join(LAB, 'bench-uac.xml'), '-p', '5080', '-mp', String(ECHO_PORT), '-rtp_echo',
    '-r', '2', '-l', '1', '-m', String(SETUP_CALLS), '-d', '200', '-trace_msg', callee.target,
  ], 60_000);
  const msgs = wire(r.log);
  const to180: number[] = [];
  const to200: number[] = [];
  for (const inv of msgs.filter((m) => m.direction === 'sent' && m.firstLine.startsWith('INVITE'))) {
    const same = msgs.filter((m) => m.callId === inv.callId && m.direction === 'received');
    const ringing = same.find((m) => m.firstLine.startsWith('SIP/2.0 180'));
    const ok = same.find((m) => m.firstLine.startsWith('SIP/2.0 200'));
    if (ringing) to180.push(ringing.time - inv.time);
    if (ok) to200.push(ok.time - inv.time);
  }
  return { ...(to180.length ? { to180: median(to180) } : {}), ...(to200.length ? { to200: median(to200) } : {}) };
}

/** 200 sent by SIPp → first RTP from the caller at the answer's port (median, ms). */
async function callerSetup(ns: NetNs, name: PhoneName, wav: string): Promise<number | undefined> {
  const probe = ns.spawn(NODE, [PROBE, 'first', '7078']);
  const firsts = new JsonLines<{ t?: number; ready?: boolean }>(probe);
  const uas = sipp(ns, `caller-${name}`, ['-sf', join(LAB, 'bench-uas.xml'), '-p', String(SIPP_UAS_PORT), '-m', String(SETUP_CALLS), '-trace_msg'], 120_000);
  await ns.waitListening('udp', SIPP_UAS_PORT);
  await ns.waitListening('udp', 7078);
  let baresip: Baresip | undefined;
  try {
    if (name === 'baresip') {
      baresip = new Baresip(ns, { user: 'caller', registrar: null, sipPort: 5064, ctrlPort: 6064, playWav: wav, codecs: ['PCMU'] });
      await baresip.start();
    }
    for (let i = 0; i < SETUP_CALLS; i++) {
      if (baresip) {
        const since = baresip.eventCount;
        await baresip.dial(`sip:sipp@127.0.0.1:${SIPP_UAS_PORT}`);
        await baresip.waitFor('CALL_CLOSED', 15_000, since);
      } else {
        const child = ns.spawn(NODE, [CLI, 'call', `sip:sipp@127.0.0.1:${SIPP_UAS_PORT}`, '--listen', 'udp:127.0.0.1:0', '--codecs', 'pcmu', '--play', 'tone:440']);
        child.stdout!.resume();
        child.stderr!.resume();
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await once(child, 'exit');
        clearTimeout(timer);
      }
    }
  } finally {
    await baresip?.stop();
  }
  const r = await uas;
  await stopProcess(probe);
  const oks = wire(r.log).filter((m) => m.direction === 'sent' && m.firstLine.startsWith('SIP/2.0 200') && !/BYE/.test(m.firstLine));
  const answers = oks.filter((_, i, all) => all.findIndex((o) => o.callId === all[i].callId) === i);
  const packets = firsts.items.filter((x) => x.t !== undefined).map((x) => x.t!);
  // Calls are one after the other: the k-th new RTP source follows the k-th answer.
  const deltas = answers.map((a, i) => (packets[i] !== undefined ? packets[i] - a.time : NaN)).filter((d) => d >= 0 && d < 5_000);
  return deltas.length ? median(deltas) : undefined;
}

export async function run(log: (s: string) => void = () => undefined): Promise<CallsBenchResult[]> {
  const ns = await NetNs.create();
  const results: CallsBenchResult[] = [];
  try {
    const wav = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000, seconds: 120 });
    const rtcpProbe = ns.spawn(NODE, [PROBE, 'rtcp', String(ECHO_PORT + 1)]);
    const rtcp = new JsonLines<{ t: number; jitterMs: number }>(rtcpProbe);
    await ns.waitListening('udp', ECHO_PORT + 1);
    const phones = (['Appel', 'baresip'] as const).filter((p) => !process.env.APPEL_BENCH_PHONES || process.env.APPEL_BENCH_PHONES.split(',').includes(p));
    for (const name of phones) {
      log(`${name}:`);
      const callee = name === 'Appel' ? await startAppel(ns) : await startBaresip(ns, wav);
      let steps: CapacityStep[] = [];
      let rates: Array<{ cps: number; calls: number; failed: number; ok: boolean }> = [];
      let setup: { to180?: number; to200?: number } = {};
      try {
        setup = await calleeSetup(ns, callee);
        // APPEL_BENCH_RATE_ONLY=1: the call-rate steps alone (an A/B of the rate between two trees).
        if (process.env.APPEL_BENCH_RATE_ONLY !== '1') steps = await capacity(ns, callee, rtcp, log);
        rates = await callRate(ns, callee, log);
      } finally {
        await callee.stop();
      }
      const answerToFirstRtpMs = await callerSetup(ns, name, wav);
      results.push({
        phone: name,
        capacity: Math.max(0, ...steps.filter((s) => s.ok).map((s) => s.calls)),
        capacitySteps: steps,
        callRate: Math.max(0, ...rates.filter((s) => s.ok).map((s) => s.cps)),
        rateSteps: rates.map(({ cps, calls, failed }) => ({ cps, calls, failed })),
        ...(setup.to180 !== undefined ? { inviteTo180Ms: setup.to180 } : {}),
        ...(setup.to200 !== undefined ? { inviteTo200Ms: setup.to200 } : {}),
        ...(answerToFirstRtpMs !== undefined ? { answerToFirstRtpMs } : {}),
      });
    }
    await stopProcess(rtcpProbe);
  } finally {
    await ns.close();
  }
  return results;
}

function table(results: CallsBenchResult[]): string {
  const fmt = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
  const cols = results.map((r) => r.phone);
  const lastOk = (r: CallsBenchResult) => [...r.capacitySteps].reverse().find((s) => s.ok);
  const firstBad = (r: CallsBenchResult) => r.capacitySteps.find((s) => !s.ok);
  const rows: Array<[string, ...string[]]> = [
    ['simultaneous calls, none failed, jitter p95 ≤ 30 ms', ...results.map((r) => String(r.capacity) + (firstBad(r) ? '' : '+ (all steps passed)'))],
    ['  RTCP-reported jitter at that load, p95 / max (ms)', ...results.map((r) => `${fmt(lastOk(r)?.rtcpJitterP95)} / ${fmt(lastOk(r)?.rtcpJitterMax)}`)],
    ['  Appel stats jitter at that load, p95 / max (ms)', ...results.map((r) => (lastOk(r)?.statsJitterP95 !== undefined ? `${fmt(lastOk(r)?.statsJitterP95)} / ${fmt(lastOk(r)?.statsJitterMax)}` : '—'))],
    ['  next step: calls (failed, RTCP jitter p95 ms)', ...results.map((r) => { const b = firstBad(r); return b ? `${b.calls} (${b.failed} failed, ${fmt(b.rtcpJitterP95)})` : '—'; })],
    ['call rate, no failed call (calls/s)', ...results.map((r) => String(r.callRate) + (r.rateSteps.length === RATE_STEPS.length && r.rateSteps.every((s) => s.failed === 0) ? '+' : ''))],
    ['INVITE → 180, median (ms)', ...results.map((r) => fmt(r.inviteTo180Ms, 2))],
    ['INVITE → 200, median (ms)', ...results.map((r) => fmt(r.inviteTo200Ms, 2))],
    ['200 → first RTP packet, median (ms)', ...results.map((r) => fmt(r.answerToFirstRtpMs, 2))],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const ws = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i + 1].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padStart(ws[i - 1]))).join('  ');
  return [line(['', ...cols]), ...rows.map((r) => line(r))].join('\n');
}

if (import.meta.main) {
  const results = await run((s) => process.stdout.write(s + '\n'));
  process.stdout.write('\n' + table(results) + '\n');
  process.stdout.write(
    `\nSIPp 3.6 UAC with -rtp_echo; PCMU 20 ms; ramp ${RAMP_CPS} calls/s, ${WINDOW_MS / 1000} s window per step; call-rate steps of ${RATE_STEP_S} s; set-up times over ${SETUP_CALLS} calls, on loopback in a network namespace, on this machine (load shared).\n`,
  );
}
