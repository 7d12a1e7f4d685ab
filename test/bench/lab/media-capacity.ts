/**
 * Media capacity without SIP: one media worker (worker-host.ts through MediaEngineClient, as the
 * phone runs it) with N PCMU streams, each playing a 440 Hz tone into a silence sink like the
 * headless CLI's `--play tone:440`, all sending to one echo process (lab/udp-echo.ts, SIPp's
 * -rtp_echo) that sends every packet back. Streams start at RAMP_PER_S, settle, then for
 * `seconds` we read:
 *
 *   - CPU of this process (the worker, plus the main thread taking the stats events), as % of
 *     one core and as µs per stream per 20 ms frame;
 *   - the jitter the streams report: their own `stats` events (jitterMs of the echoed audio) and
 *     their RTCP reception reports, as the echo reads them — the SIPp benchmark's measure;
 *   - the send-time jitter the echo sees (RFC 3550 A.8 over arrival at the echo).
 *
 * `impl` points at another copy of main/media (e.g. an older commit's, for an A/B run).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MediaEngineClient as Client } from '../../../main/media/media-engine-client.ts';
import { JsonLines } from './json-lines.ts';

const HERE = import.meta.dirname;
const MEDIA = resolve(HERE, '../../../main/media');
const RAMP_PER_S = 50;
const SETTLE_MS = 2000;

export interface CapacityRow {
  streams: number;
  /** % of one core over the window (the whole process: the media worker and the main thread). */
  cpuPercent: number;
  /** CPU µs per stream per 20 ms frame. */
  cpuUsPerFrame: number;
  /** p95 / max of the streams' `stats` jitter over the window (ms). */
  statsJitterP95: number;
  statsJitterMax: number;
  /** p95 of the jitter in the streams' RTCP reports (ms), and how many reports. */
  rtcpJitterP95: number;
  rtcpReports: number;
  /** p95 of the send-time jitter seen at the echo (ms). */
  sendJitterP95: number;
  /** Packets the streams sent and received in the window, per stream per second (50 ideal). */
  sentPerStreamS: number;
  receivedPerStreamS: number;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function capacityRun(options: { streams: number; seconds?: number; impl?: string }): Promise<CapacityRow> {
  const seconds = options.seconds ?? 10;
  const impl = resolve(options.impl ?? MEDIA);
  const echoPort = 40000 + 2 * Math.floor(Math.random() * 5000);
  const echo = spawn(process.execPath, [join(HERE, 'udp-echo.ts'), String(echoPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = new JsonLines<{ ready?: boolean; t: number; send: number[]; rtcp: number[] }>(echo).items;
  for (let i = 0; i < 100 && !lines.some((l) => l.ready); i++) await sleep(50);
  const { MediaEngineClient } = (await import(pathToFileURL(join(impl, 'media-engine-client.ts')).href)) as { MediaEngineClient: typeof Client };
  const client = new MediaEngineClient({ workerUrl: pathToFileURL(join(impl, 'worker-host.ts')) });
  const stats: { t: number; streamId: string; jitterMs: number; sent: number; received: number }[] = [];
  client.on('stats', (e) => stats.push({ t: Date.now(), streamId: e.streamId, jitterMs: e.stats.jitterMs, sent: e.stats.packetsSent, received: e.stats.packetsReceived }));
  const ids: string[] = [];
  try {
    for (let i = 0; i < options.streams; i++) {
      const r = await client.createStream({
        localAddress: '127.0.0.1',
        remote: { address: '127.0.0.1', rtpPort: echoPort },
        rtcpMux: false,
        codec: { name: 'pcmu', payloadType: 0 },
        telephoneEventPt: 101,
        source: { kind: 'tone', frequencies: [440] },
        sink: { kind: 'silence' },
      });
      ids.push(r.streamId);
      await sleep(1000 / RAMP_PER_S);
    }
    await sleep(SETTLE_MS);
    const from = Date.now();
    const cpu0 = process.cpuUsage();
    await sleep(seconds * 1000);
    const used = process.cpuUsage(cpu0);
    const to = Date.now();
    const cpuUs = used.user + used.system;
    const wallUs = (to - from) * 1000;
    const inWindow = stats.filter((s) => s.t >= from && s.t <= to);
    const byStream = new Map<string, typeof inWindow>();
    for (const s of inWindow) byStream.set(s.streamId, [...(byStream.get(s.streamId) ?? []), s]);
    let sent = 0;
    let received = 0;
    let spanS = 0;
    for (const list of byStream.values()) {
      if (list.length < 2) continue;
      const a = list[0];
      const b = list[list.length - 1];
      sent += b.sent - a.sent;
      received += b.received - a.received;
      spanS += (b.t - a.t) / 1000;
    }
    const echoed = lines.filter((l) => !l.ready && l.t >= from && l.t <= to);
    const jitters = inWindow.map((s) => s.jitterMs);
    const rtcp = echoed.flatMap((l) => l.rtcp);
    return {
      streams: options.streams,
      cpuPercent: (cpuUs / wallUs) * 100,
      cpuUsPerFrame: cpuUs / (options.streams * ((to - from) / 20)),
      statsJitterP95: percentile(jitters, 0.95),
      statsJitterMax: Math.max(...jitters),
      rtcpJitterP95: percentile(rtcp, 0.95),
      rtcpReports: rtcp.length,
      sendJitterP95: percentile(echoed.flatMap((l) => l.send), 0.95),
      sentPerStreamS: spanS > 0 ? sent / spanS : NaN,
      receivedPerStreamS: spanS > 0 ? received / spanS : NaN,
    };
  } finally {
    await Promise.all(ids.map((id) => client.stopStream(id).catch(() => undefined)));
    await client.close();
    echo.kill('SIGTERM');
    await once(echo, 'exit');
  }
}

export function formatCapacity(rows: CapacityRow[]): string {
  const head = 'streams   CPU %   µs/stream/frame   stats jitter p95/max ms   RTCP jitter p95 ms (n)   send jitter p95 ms   sent/recv per stream·s';
  const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '—');
  return [
    head,
    ...rows.map((r) =>
      [
        String(r.streams).padStart(7),
        f(r.cpuPercent).padStart(7),
        f(r.cpuUsPerFrame).padStart(17),
        `${f(r.statsJitterP95, 2)} / ${f(r.statsJitterMax, 2)}`.padStart(25),
        `${f(r.rtcpJitterP95, 2)} (${r.rtcpReports})`.padStart(24),
        f(r.sendJitterP95, 2).padStart(20),
        `${f(r.sentPerStreamS)} / ${f(r.receivedPerStreamS)}`.padStart(24),
      ].join(' '),
    ),
  ].join('\n');
}
