/**
 * Attack benchmark: the scanner's flood of the security suite (test/security/lab/flooder.ts:
 * 2,000 OPTIONS/s and 500 INVITE/s from "friendly-scanner", straight to the phone's port from
 * another address) against Appel (its CLI, registered to Kamailio) and, in the same run and lab,
 * against baresip 1.0 (registered the same way), the reference.
 *
 *   node_modules/.bin/node test/bench/attack.ts [--seconds=20]
 *
 * For each phone: what the flood sent and what it got back, the phone's CPU during the flood, its
 * resident memory before, at the peak and 20 s after, the calls the flood made ring; for Appel,
 * how long a real call through Kamailio placed in the middle of the flood took to be answered.
 * Everything runs on loopback in a private network namespace (root needed) and ends with the run.
 */
import { join } from 'node:path';
import { NODE } from '../interop/lab/appel-cli.ts';
import { APPEL_PORT, ATTACKER, LAB, cpuSeconds, rssMb, securityLab } from '../security/lab/security-lab.ts';

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : Number(a.slice(name.length + 3));
};
const SECONDS = arg('seconds', 20);
const BARESIP_PORT = 5062;

interface Row {
  phone: string;
  sent: number;
  answered: Record<string, number>;
  cpuPercent: number;
  rss: { before: number; peak: number; after: number };
  rang: number;
  goodCallMs?: number;
}

const lab = await securityLab();
const rows: Row[] = [];
try {
  await lab.call(1); // the steady state: a call's memory is not the flood's doing

  async function flood(phone: string, pid: number, port: number, during?: () => Promise<number>): Promise<Row> {
    const rssBefore = rssMb(pid);
    const cpuBefore = cpuSeconds(pid);
    const flooder = lab.ns.spawn(NODE, [join(LAB, 'flooder.ts'), '--target', `127.0.0.1:${port}`, '--from', ATTACKER, '--options', '2000', '--invites', '500', '--seconds', String(SECONDS)]);
    let report = '';
    flooder.stdout!.on('data', (d: Buffer) => (report += d.toString()));
    const done = new Promise<void>((resolve) => flooder.once('exit', () => resolve()));
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
    let goodCallMs: number | undefined;
    if (during) {
      await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 4));
      goodCallMs = await during();
    }
    await done;
    const cpu = cpuSeconds(pid) - cpuBefore;
    await new Promise((r) => setTimeout(r, 20_000));
    clearInterval(sampler);
    const stats = JSON.parse(report.trim()) as { sent: { OPTIONS: number; INVITE: number }; answers: Record<string, number> };
    return {
      phone,
      sent: stats.sent.OPTIONS + stats.sent.INVITE,
      answered: stats.answers,
      cpuPercent: (100 * cpu) / SECONDS,
      rss: { before: rssBefore, peak, after: rssMb(pid) },
      rang: 0,
      ...(goodCallMs !== undefined ? { goodCallMs } : {}),
    };
  }

  const incomingBefore = lab.alice.named('incoming').length;
  const appel = await flood('Appel', lab.alice.child.pid!, APPEL_PORT, async () => (await lab.call(1)).answerMs);
  appel.rang = lab.alice.named('incoming').length - incomingBefore - 1; // bob's good call excepted
  rows.push(appel);

  const bobEvents = lab.bob.eventCount;
  const baresip = await flood('baresip', lab.bob.pid!, BARESIP_PORT);
  baresip.rang = lab.bob.events.slice(bobEvents).filter((e) => e.type === 'CALL_INCOMING').length;
  rows.push(baresip);
} finally {
  await lab.close();
}

const answered = (a: Record<string, number>) => Object.entries(a).map(([k, v]) => `${k}×${v}`).join(' ') || 'none';
console.log(`a scanner's flood: 2,000 OPTIONS/s + 500 INVITE/s for ${SECONDS} s from one address, straight to the phone's port\n`);
console.log('phone      sent     answered                      calls rung   CPU     RSS before → peak → 20 s after    a real call answered in');
for (const r of rows) {
  console.log(
    `${r.phone.padEnd(9)} ${String(r.sent).padStart(6)}   ${answered(r.answered).padEnd(29)} ${String(r.rang).padStart(10)}   ${r.cpuPercent.toFixed(0).padStart(3)} %   ` +
      `${r.rss.before.toFixed(0).padStart(4)} → ${r.rss.peak.toFixed(0).padStart(4)} → ${r.rss.after.toFixed(0).padStart(4)} MB          ${r.goodCallMs !== undefined ? `${r.goodCallMs.toFixed(0)} ms` : '(not placed)'}`,
  );
}
const a = rows[0];
console.log(`\nAppel absorbed ${(a.sent / SECONDS).toFixed(0)} requests/s; goals: nothing rings (${a.rang === 0 ? 'met' : 'NOT met'}), RSS +50 MB at most (${a.rss.peak - a.rss.before < 50 ? 'met' : 'NOT met'}) and within 20 MB after (${a.rss.after - a.rss.before < 20 ? 'met' : 'NOT met'}).`);
