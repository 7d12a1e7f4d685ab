/**
 * The callee's memory as calls come (per-call.ts): SIPp calls a phone (Appel's `listen
 * --auto-answer`, or baresip auto-answering), PCMU, SIPp echoing the phone's RTP back
 * (-rtp_echo), and the phone's resident set (VmRSS) is read at each point:
 *
 *   - idle: started, settled, no call yet;
 *   - simultaneous: 1, 2, 5, 10 calls up at once (a step's calls all up for SETTLE_MS);
 *   - in a row: 100 calls one after the other (each HOLD_MS), RSS after every 10;
 *   - warm: 1, then 10 calls up at once again, after the calls in a row. The first calls of a
 *     phone's life also pay once for what any call would: Appel's V8 compiles its hot functions
 *     with its optimizing tiers (their code in the node binary is paged in then, +5 MB of file
 *     pages from 1 to 10 calls), grows its young generation, and malloc's arenas take the
 *     compilers' zones. 10 − 1 warm is what a further call holds once that is paid;
 *   - idle again: IDLE_AGAIN_MS after the last call (Appel's media worker stops after 30 s idle).
 *
 * Also INVITE → 200 as SIPp sees it: the first call after the phone has been idle (Appel starts its
 * media worker for it) and the median of the calls in a row (worker up).
 * Bounded: every SIPp run has a timeout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetNs } from '../../interop/lab/netns.ts';
import { inviteTo200, sipp } from './sipp.ts';

const LAB = import.meta.dirname;
const SIPP_PORT = 5080;
const ECHO_PORT = 30000;
export const SIMULTANEOUS = [1, 2, 5, 10];
export const IN_A_ROW = 100;
const BLOCK = 10;
const SETTLE_MS = 3_000;
const HOLD_MS = 300;
export const IDLE_AGAIN_MS = 35_000;

export interface MemoryCurve {
  idleMb: number;
  /** RSS with n calls up at once. */
  simultaneous: Array<{ calls: number; rssMb: number; ok: boolean }>;
  /** RSS after every 10 calls in a row (10, 20, … 100). */
  inARow: Array<{ calls: number; rssMb: number }>;
  inARowFailed: number;
  /** RSS with 1 and with 10 calls up at once, after the calls in a row (absent when a step failed). */
  warm?: { oneMb: number; tenMb: number };
  idleAgainMb: number;
  /** INVITE → 200 (ms): the first call after idle, and the median of the calls in a row. */
  firstSetupMs?: number;
  warmSetupMs?: number;
}

/** Resident MB of a process (VmRSS). */
export function rssMb(pid: number): number {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return rss ? Number(rss[1]) / 1024 : NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : undefined);

/** SIPp calling `target` (host:port): `calls` at once (or one at a time), each held `holdMs`. */
function calls(ns: NetNs, name: string, target: string, opts: { calls: number; atOnce: number; holdMs: number; trace?: boolean }) {
  return sipp(ns, name, [
    '-sf', join(LAB, 'bench-uac.xml'), '-p', String(SIPP_PORT), '-mp', String(ECHO_PORT), '-rtp_echo',
    '-r', '20', '-l', String(opts.atOnce), '-m', String(opts.calls), '-d', String(opts.holdMs), ...(opts.trace ? ['-trace_msg'] : []), target,
  ], opts.holdMs * opts.calls + 60_000);
}

/** `n` calls up at once for SETTLE_MS: the phone's RSS then, whether all were answered, SIPp's log (traced for one call). */
async function atOnce(ns: NetNs, name: string, pid: number, target: string, n: number): Promise<{ rssMb: number; ok: boolean; log: string; successful: number }> {
  const run = calls(ns, name, target, { calls: n, atOnce: n, holdMs: SETTLE_MS + 2_000, trace: n === 1 });
  await sleep(SETTLE_MS + n * 50);
  const rss = rssMb(pid);
  const r = await run;
  await sleep(500);
  return { rssMb: rss, ok: r.code === 0 && r.successful === n, log: r.log, successful: r.successful };
}

/** The whole curve of one phone, already started and listening on `target`, its process `pid`. */
export async function memoryCurve(ns: NetNs, who: string, pid: number, target: string, log: (s: string) => void): Promise<MemoryCurve> {
  await sleep(SETTLE_MS);
  const idleMb = rssMb(pid);
  log(`  ${who}: idle ${idleMb.toFixed(1)} MB`);
  const simultaneous: MemoryCurve['simultaneous'] = [];
  let firstSetupMs: number | undefined;
  for (const n of SIMULTANEOUS) {
    const r = await atOnce(ns, `${who}-at-once-${n}`, pid, target, n);
    if (n === 1) firstSetupMs = inviteTo200(r.log)[0];
    simultaneous.push({ calls: n, rssMb: r.rssMb, ok: r.ok });
    log(`  ${who}: ${n} at once ${r.rssMb.toFixed(1)} MB (${r.successful}/${n} ok)`);
  }
  const inARow: MemoryCurve['inARow'] = [];
  let failed = 0;
  const setups: number[] = [];
  for (let done = 0; done < IN_A_ROW; done += BLOCK) {
    const r = await calls(ns, `${who}-row-${done}`, target, { calls: BLOCK, atOnce: 1, holdMs: HOLD_MS, trace: done === 0 });
    if (done === 0) setups.push(...inviteTo200(r.log));
    failed += Number.isNaN(r.failed) ? BLOCK : r.failed;
    await sleep(300);
    inARow.push({ calls: done + BLOCK, rssMb: rssMb(pid) });
  }
  log(`  ${who}: ${IN_A_ROW} in a row: ${inARow.map((p) => p.rssMb.toFixed(1)).join(' ')} MB (${failed} failed)`);
  const one = await atOnce(ns, `${who}-warm-1`, pid, target, 1);
  const ten = await atOnce(ns, `${who}-warm-10`, pid, target, 10);
  log(`  ${who}: warm, 1 at once ${one.rssMb.toFixed(1)} MB, 10 at once ${ten.rssMb.toFixed(1)} MB (${one.successful + ten.successful}/11 ok)`);
  await sleep(IDLE_AGAIN_MS);
  const idleAgainMb = rssMb(pid);
  log(`  ${who}: idle again ${idleAgainMb.toFixed(1)} MB`);
  const warm = median(setups);
  return { idleMb, simultaneous, inARow, inARowFailed: failed, ...(one.ok && ten.ok ? { warm: { oneMb: one.rssMb, tenMb: ten.rssMb } } : {}), idleAgainMb, ...(firstSetupMs !== undefined ? { firstSetupMs } : {}), ...(warm !== undefined ? { warmSetupMs: warm } : {}) };
}
