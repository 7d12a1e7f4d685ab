/**
 * Registration against a real Kamailio (Debian's package) over UDP, TCP, TLS and IPv6, with
 * digest (qop=auth, nonce counts checked), as a user runs it: `npm run phone -- register`.
 * Kamailio and Appel share a private network namespace; nothing leaves loopback.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Kamailio } from './lab/kamailio.ts';
import { AppelProcess, runAppel, NODE } from './lab/appel-cli.ts';
import { makeTestPki } from '../helpers/certs.ts';

const USERS = [
  { username: 'alice', password: 'wonderland' },
  { username: 'bob', password: 'builder' },
];

describe('registration with Kamailio (MD5 digest, qop=auth)', () => {
  let ns: NetNs;
  let kamailio: Kamailio;
  let ca: string;

  beforeAll(async () => {
    ns = await NetNs.create();
    const pki = makeTestPki(join(ns.dir, 'pki'), { names: ['127.0.0.1', 'lab.test'] });
    ca = pki.caFile;
    kamailio = new Kamailio(ns, { users: USERS, tls: pki, ipv6: true, minExpires: 2 });
    await kamailio.start();
  });

  afterAll(async () => {
    await kamailio?.stop();
    await ns?.close();
  });

  const account = (transport: string, extra: string[] = [], password = 'wonderland') => [
    'register', '--aor', 'sip:alice@lab.test', '--password', password,
    '--proxy', transport === 'tls' ? 'sip:127.0.0.1:5061;transport=tls' : `sip:127.0.0.1:5060;transport=${transport}`,
    '--listen', 'udp:127.0.0.1:0', '--listen', 'tcp:127.0.0.1:0',
    ...extra,
  ];

  for (const transport of ['udp', 'tcp', 'tls']) {
    it(`registers over ${transport.toUpperCase()}, then unregisters on exit`, async () => {
      const r = await runAppel(ns, account(transport, transport === 'tls' ? ['--ca', ca] : []));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const names = r.events.map((e) => e.event);
      expect(names).toEqual(['registering', 'registered', 'unregistered']);
      const registered = r.events[1];
      expect(registered.expires).toBe(600);
      if (transport !== 'udp') expect(String(registered.contact)).toContain(`transport=${transport}`);
    });
  }

  it('registers over IPv6', async () => {
    const r = await runAppel(ns, [
      'register', '--aor', 'sip:alice@lab.test', '--password', 'wonderland',
      '--proxy', 'sip:[::1]:5060', '--listen', 'udp:[::1]:0',
    ]);
    expect(r.code).toBe(0);
    expect(r.events.find((e) => e.event === 'registered')?.contact).toMatch(/@\[::1\]:\d+/);
  });

  it('says "wrong password" in words, exits 1, and does not loop', async () => {
    const p = new AppelProcess(ns, [...account('udp', [], 'not-the-password'), '--trace']);
    const code = await p.exit(30_000);
    expect(code).toBe(1);
    expect(p.stderr).toMatch(/^wrong password for alice@lab\.test \((401 Unauthorized|403 Forbidden)\)\n$/);
    const sent = p.events.filter((e) => e.event === 'trace' && e.direction === 'sent' && String(e.text).startsWith('REGISTER'));
    // One REGISTER without credentials, one with them, then stop (RFC 3261 §22.2 loop avoidance)…
    expect(sent.length).toBeLessThanOrEqual(3);
    // …and no trace or output ever shows a credential.
    for (const e of p.events) expect(JSON.stringify(e)).not.toMatch(/response=\\?"[0-9a-f]{32}/);
    expect(p.stdout + p.stderr).not.toContain('not-the-password');
  }, 40_000);

  it('never prints the password, even with --trace', async () => {
    const r = await runAppel(ns, [...account('tcp'), '--trace'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('wonderland');
    const auth = r.events.filter((e) => e.event === 'trace' && /Authorization:/i.test(String(e.text)));
    expect(auth.length).toBeGreaterThan(0);
    for (const e of auth) expect(String(e.text)).not.toMatch(/response="[0-9a-f]{32}"/);
  });

  it('takes the password from APPEL_PASSWORD', async () => {
    const args = account('udp').filter((a, i, all) => a !== '--password' && all[i - 1] !== '--password');
    const r = await runAppel(ns, args, { env: { APPEL_PASSWORD: 'wonderland' } });
    expect(r.code).toBe(0);
  });

  it('honours 423 Interval Too Brief and refreshes before the granted expiry', async () => {
    // Kamailio's minimum is 2 s: asking for 1 s gets 423 with Min-Expires: 2 (RFC 3261 §10.2.8).
    const p = new AppelProcess(ns, [...account('udp', ['--expires', '1', '--for', '4.5']), '--trace']);
    const code = await p.exit(30_000);
    expect(code).toBe(0);
    const got423 = p.events.some((e) => e.event === 'trace' && e.direction === 'received' && /^SIP\/2\.0 423 /.test(String(e.text)));
    expect(got423).toBe(true);
    const registered = p.events.filter((e) => e.event === 'registered');
    expect(registered[0].expires).toBe(2);
    // Refreshes every second (half the granted 2 s) over 4.5 s: at least three more.
    expect(registered.length).toBeGreaterThanOrEqual(4);
    expect(p.events.at(-1)?.event).toBe('unregistered');
  }, 40_000);

  it('registers again after Kamailio restarts (TCP flow lost)', async () => {
    const p = new AppelProcess(ns, account('tcp', ['--retry-base', '0.2', '--for', '60', '--keep-alive', '1']));
    await p.waitEvent((e) => e.event === 'registered', 15_000, 'first registration');
    const before = p.count('registered');
    await kamailio.restart();
    // Within Timer F (64·T1 = 32 s) even if the first attempt went into the dying registrar's socket.
    await p.waitEvent((e) => e.event === 'registered' && p.count('registered') > before, 45_000, 'registration after restart');
    p.child.kill('SIGTERM');
    expect(await p.exit(15_000)).toBe(0);
    expect(p.events.at(-1)?.event).toBe('unregistered');
  }, 90_000);

  it('Kamailio sees the binding while registered', async () => {
    const p = new AppelProcess(ns, account('udp', ['--for', '30']));
    const reg = await p.waitEvent((e) => e.event === 'registered', 15_000, 'registration');
    // Another client asks Kamailio to route an OPTIONS to alice: it reaches Appel through the
    // binding, and Appel answers 200 (its OPTIONS handler, RFC 3261 §11.2).
    const r = await runAppel(ns, ['options', 'sip:alice@lab.test', '--proxy', 'sip:127.0.0.1:5060', '--listen', 'udp:127.0.0.1:0']);
    expect(r.events.find((e) => e.event === 'options')).toMatchObject({ status: 200 });
    expect(reg.contact).toBeTruthy();
    p.child.kill('SIGTERM');
    expect(await p.exit(15_000)).toBe(0);
  }, 40_000);

  it('exits 2 with a clear message for a bad argument', async () => {
    const r = await runAppel(ns, ['register', '--aor', 'alice@lab.test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--aor wants a sip: or sips: URI, not 'alice@lab.test'");
  });

  it('explains an untrusted TLS certificate', async () => {
    const r = await runAppel(ns, account('tls'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate of 127\.0\.0\.1:5061 .*not trusted; pass --ca FILE/);
  });

  it('node is 24', async () => {
    const r = await ns.run(NODE, ['-v']);
    expect(r.stdout).toMatch(/^v24\./);
  });
});

describe('registration with Kamailio challenging with SHA-256 (RFC 8760)', () => {
  let ns: NetNs;
  let kamailio: Kamailio;

  beforeAll(async () => {
    ns = await NetNs.create();
    kamailio = new Kamailio(ns, { users: USERS, algorithm: 'SHA-256' });
    await kamailio.start();
  });

  afterAll(async () => {
    await kamailio?.stop();
    await ns?.close();
  });

  it('answers a SHA-256 challenge', async () => {
    const r = await runAppel(ns, [
      'register', '--aor', 'sip:bob@lab.test', '--password', 'builder', '--proxy', 'sip:127.0.0.1:5060',
      '--listen', 'udp:127.0.0.1:0', '--trace',
    ]);
    expect(r.code).toBe(0);
    const challenge = r.events.find((e) => e.event === 'trace' && /^SIP\/2\.0 401 /.test(String(e.text)));
    expect(String(challenge?.text)).toMatch(/algorithm=SHA-256/i);
    expect(r.events.some((e) => e.event === 'registered')).toBe(true);
  });

  it('still says wrong password with SHA-256', async () => {
    const r = await runAppel(ns, ['register', '--aor', 'sip:bob@lab.test', '--password', 'nope', '--proxy', 'sip:127.0.0.1:5060', '--listen', 'udp:127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('wrong password for bob@lab.test');
  });
});

describe('registration through RFC 3263 DNS on loopback', () => {
  let ns: NetNs;
  let kamailio: Kamailio;
  let dnsPort: number;

  beforeAll(async () => {
    ns = await NetNs.create();
    kamailio = new Kamailio(ns, { users: USERS });
    await kamailio.start();
    // lab.test prefers TCP through NAPTR → SRV → A; the A record is the only way to 127.0.0.1.
    const zone = {
      'lab.test': {
        NAPTR: [
          { order: 10, preference: 10, flags: 's', services: 'SIP+D2T', replacement: '_sip._tcp.lab.test' },
          { order: 20, preference: 10, flags: 's', services: 'SIP+D2U', replacement: '_sip._udp.lab.test' },
        ],
      },
      '_sip._tcp.lab.test': { SRV: [{ priority: 10, weight: 10, port: 5060, target: 'sip1.lab.test' }] },
      '_sip._udp.lab.test': { SRV: [{ priority: 10, weight: 10, port: 5060, target: 'sip1.lab.test' }] },
      'sip1.lab.test': { A: ['127.0.0.1'] },
    };
    const dns = ns.spawn(NODE, [join(import.meta.dirname, 'lab/dns-main.ts'), JSON.stringify(zone)]);
    dnsPort = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('DNS server did not start')), 10_000);
      dns.stdout!.once('data', (d: Buffer) => {
        clearTimeout(t);
        resolve((JSON.parse(d.toString()) as { port: number }).port);
      });
    });
  });

  afterAll(async () => {
    await kamailio?.stop();
    await ns?.close();
  });

  it('finds the registrar by NAPTR and SRV, and uses the transport they prefer', async () => {
    const r = await runAppel(ns, [
      'register', '--aor', 'sip:alice@lab.test', '--password', 'wonderland', '--dns', `127.0.0.1:${dnsPort}`,
      '--listen', 'udp:127.0.0.1:0', '--listen', 'tcp:127.0.0.1:0', '--trace',
    ]);
    expect(r.code).toBe(0);
    const register = r.events.find((e) => e.event === 'trace' && e.direction === 'sent' && String(e.text).startsWith('REGISTER'));
    expect(register?.transport).toBe('TCP');
    expect(register?.remote).toBe('127.0.0.1:5060');
  });
});
