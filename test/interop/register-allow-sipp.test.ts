/**
 * Allow and Allow-Events as a real peer reads them (RFC 3261 §20.5, RFC 6665 §8.2.2): SIPp as a
 * registrar keeps the REGISTER Appel sends, SIPp as a client gets Appel's 405 to a SUBSCRIBE and
 * its 200 to OPTIONS. All three name the same methods, and none promises SUBSCRIBE.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { NetNs } from './lab/netns.ts';
import { AppelProcess, runAppel } from './lab/appel-cli.ts';

const SCENARIOS = join(import.meta.dirname, 'sipp');

/** The messages of a SIPp -trace_msg log, whole, in order. */
function messages(log: string): string[] {
  return log.split(/\n-{20,}[^\n]*\n/).map((m) => m.replace(/^[^\n]*message (?:received|sent)[^\n]*\n\s*\n/, '').trim()).filter((m) => /^\S+ \S+ SIP\/2\.0|^SIP\/2\.0 /.test(m));
}

/** One header of one message, its comma list sorted (Allow: INVITE, ACK → ['ACK', 'INVITE']). */
function listIn(message: string, name: string): string[] | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(message);
  return m ? m[1].trim().split(/\s*,\s*/).filter(Boolean).sort() : undefined;
}

describe('what Appel says it handles, as SIPp reads it', () => {
  let ns: NetNs;
  beforeAll(async () => {
    ns = await NetNs.create();
  });
  afterAll(async () => {
    await ns?.close();
  });

  it("REGISTER's Allow, a SUBSCRIBE's 405 and the 200 to OPTIONS agree; Allow-Events is refer alone", async () => {
    const registrarLog = join(ns.dir, 'registrar-msg.log');
    const sipp = ns.spawn('sipp', [
      '-sf', join(SCENARIOS, 'registrar-ok.xml'), '-i', '127.0.0.1', '-p', '5060', '-m', '1',
      '-trace_msg', '-message_file', registrarLog, '-nostdin', '-timeout', '20s', '-timeout_error',
    ]);
    await ns.waitListening('udp', 5060);
    const r = await runAppel(ns, [
      'register', '--aor', 'sip:alice@lab.test', '--password', 'x', '--proxy', 'sip:127.0.0.1:5060',
      '--listen', 'udp:127.0.0.1:0',
    ], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    await new Promise<void>((resolve) => (sipp.exitCode !== null ? resolve() : sipp.once('exit', () => resolve())));
    const register = messages(readFileSync(registrarLog, 'utf8')).find((m) => m.startsWith('REGISTER '));
    expect(register).toBeDefined();

    const appel = new AppelProcess(ns, ['listen', '--listen', 'udp:127.0.0.1:5070', '--for', '60']);
    await appel.waitEvent((e) => e.event === 'listening', 15_000, 'listening');
    const clientLog = join(ns.dir, 'subscribe-msg.log');
    const c = await ns.run('sipp', [
      '-sf', join(SCENARIOS, 'subscribe-uac.xml'), '-i', '127.0.0.1', '-p', '5080', '-m', '1',
      '-trace_msg', '-message_file', clientLog, '-nostdin', '-timeout', '15s', '-timeout_error', '127.0.0.1:5070',
    ], 20_000);
    appel.child.kill('SIGTERM');
    await appel.exit(10_000);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    const received = messages(readFileSync(clientLog, 'utf8'));
    const refused = received.find((m) => m.startsWith('SIP/2.0 405'));
    const options = received.find((m) => m.startsWith('SIP/2.0 200'));
    expect(refused).toBeDefined();
    expect(options).toBeDefined();

    const allow = listIn(register!, 'Allow');
    expect(allow).toEqual(['ACK', 'BYE', 'CANCEL', 'INFO', 'INVITE', 'MESSAGE', 'NOTIFY', 'OPTIONS', 'PRACK', 'REFER', 'UPDATE']);
    expect(listIn(refused!, 'Allow')).toEqual(allow);
    expect(listIn(options!, 'Allow')).toEqual(allow);
    for (const m of [register!, refused!, options!]) expect(listIn(m, 'Allow-Events')).toEqual(['refer']);
  }, 60_000);
});
