/**
 * SIPp 3.6 in a benchmark's network namespace: one run to its end (bounded), its counters from
 * the final screen, and its -trace_msg log read as wire messages (calls.ts, per-call.ts).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetNs } from '../../interop/lab/netns.ts';

/** One line of SIPp's -trace_msg log. */
export interface WireMessage {
  time: number;
  direction: 'sent' | 'received';
  firstLine: string;
  callId: string;
}

/** SIPp's log times are local wall-clock time with µs. */
function sippTime(s: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)$/.exec(s)!;
  const ms = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime();
  return ms + Number(`0.${m[7]}`) * 1000;
}

export function wire(log: string): WireMessage[] {
  const re = /-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*\n\w+ message (sent|received)[^\n]*\n\s*\n([^\r\n]*)([\s\S]*?)(?=\n-{20,} \d{4}|$)/g;
  return [...log.matchAll(re)].map((m) => ({
    time: sippTime(m[1]),
    direction: m[2] as 'sent' | 'received',
    firstLine: m[3],
    callId: /\r?\nCall-ID: *([^\r\n]+)/i.exec(m[4])?.[1] ?? '',
  }));
}

/** INVITE sent → 200 received, ms, for each call of a UAC run's log, in order. */
export function inviteTo200(log: string): number[] {
  const msgs = wire(log);
  const out: number[] = [];
  for (const inv of msgs.filter((m) => m.direction === 'sent' && m.firstLine.startsWith('INVITE'))) {
    const ok = msgs.find((m) => m.callId === inv.callId && m.direction === 'received' && m.firstLine.startsWith('SIP/2.0 200'));
    if (ok) out.push(ok.time - inv.time);
  }
  return out;
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  /** Why calls failed, from SIPp's error log: "expected 100, got 486 Busy Here (…)" → how many. */
  failures: Record<string, number>;
  log: string;
  out: string;
}

/** SIPp's -trace_err lines, counted by what was expected and what came instead (or the event). */
export function failureReasons(errors: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /: (?:Aborting call on unexpected message for Call-Id '[^']*': while expecting '([^']*)'[^,]*, received '([^\r\n']*)|([^\n]*?(?:timeout|Timeout|retransmission)[^\n]*))/g;
  for (const m of errors.matchAll(re)) {
    const key = m[3] !== undefined ? m[3].replace(/Call-Id '[^']*'|\d+-\d+@[\d.]+/g, '…').slice(0, 120) : `expected ${m[1]}, got ${m[2].replace(/^SIP\/2\.0 /, '')}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Runs SIPp to its end (bounded) in the namespace; its counters from the final screen. */
export async function sipp(ns: NetNs, name: string, args: string[], timeoutMs: number): Promise<SippResult> {
  const screen = join(ns.dir, `${name}-screen.log`);
  const log = join(ns.dir, `${name}-msg.log`);
  const errors = join(ns.dir, `${name}-errors.log`);
  const child = ns.spawn('sipp', [
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-nostdin', '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error',
    '-trace_screen', '-screen_file', screen, '-trace_err', '-error_file', errors,
    ...args, ...(args.includes('-trace_msg') ? ['-message_file', log] : []),
  ]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const text = read(screen);
  const count = (label: string) => Number(new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(text)?.[1] ?? NaN);
  return { code, successful: count('Successful call'), failed: count('Failed call'), failures: failureReasons(read(errors)), log: read(log), out };
}
