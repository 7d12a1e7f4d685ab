/**
 * A real Kamailio (Debian's package) as registrar and proxy for the interop tests, configured
 * from here, started inside a test's network namespace, with users in a db_text folder.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NetNs } from './netns.ts';
import { stopProcess } from './netns.ts';

export interface KamailioUser {
  username: string;
  password: string;
}

export interface KamailioOptions {
  domain?: string;
  users: KamailioUser[];
  /** Digest algorithm of the challenges: '' (MD5, not named) | 'MD5' | 'SHA-256'. */
  algorithm?: '' | 'MD5' | 'SHA-256';
  /** Registrations shorter than this get 423 Interval Too Brief with Min-Expires. */
  minExpires?: number;
  maxExpires?: number;
  /** PEM files for the TLS listener on 5061 (no TLS when absent). */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** Also listen on [::1]. */
  ipv6?: boolean;
}

function moduleDir(): string {
  for (const dir of ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules']) {
    if (existsSync(join(dir, 'tm.so'))) return dir;
  }
  const base = '/usr/lib';
  for (const entry of readdirSync(base)) {
    const dir = join(base, entry, 'kamailio/modules');
    if (existsSync(join(dir, 'tm.so'))) return dir;
  }
  throw new Error('Kamailio modules not found: apt-get install kamailio kamailio-tls-modules');
}

export function kamailioConfig(dir: string, opts: KamailioOptions): string {
  const domain = opts.domain ?? 'lab.test';
  const listen = ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'];
  if (opts.ipv6) listen.push('udp:[::1]:5060', 'tcp:[::1]:5060');
  if (opts.tls) listen.push('tls:127.0.0.1:5061');
  const modules = ['kex', 'corex', 'tm', 'tmx', 'sl', 'rr', 'pv', 'maxfwd', 'usrloc', 'registrar', 'textops', 'siputils', 'xlog', 'sanity', 'db_text', 'auth', 'auth_db', 'nathelper'];
  if (opts.tls) modules.push('tls');
  return `#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=2
tcp_children=2
dns=no
rev_dns=no
use_dns_cache=no
auto_aliases=no
alias="${domain}"
${listen.map((l) => `listen=${l}`).join('\n')}
${opts.tls ? 'enable_tls=yes' : ''}
tcp_connection_lifetime=3605
mpath="${moduleDir()}/"
${modules.map((m) => `loadmodule "${m}.so"`).join('\n')}

${opts.tls ? `modparam("tls", "config", "${dir}/tls.cfg")` : ''}
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", ${opts.minExpires ?? 30})
modparam("registrar", "min_expires_mode", 1)
modparam("registrar", "max_expires", ${opts.maxExpires ?? 3600})
modparam("registrar", "default_expires", 600)
modparam("auth_db", "db_url", "text://${dir}/db")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("auth", "nonce_count", 1)
modparam("auth", "qop", "auth")
modparam("auth", "nonce_expire", 300)
modparam("auth", "algorithm", "${opts.algorithm ?? ''}")
modparam("rr", "enable_full_lr", 1)

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (!sanity_check("17895", "7")) {
    xlog("L_WARN", "malformed request from $si:$sp\\n");
    exit;
  }
  if (!has_totag() && is_present_hf("Route")) {
    # A pre-loaded route to us (the phone's outbound proxy, RFC 3261 §8.1.2): consume it.
    loose_route();
  }
  if (is_method("REGISTER")) {
    if (!auth_check("$fd", "subscriber", "1")) {
      auth_challenge("$fd", "1");
      exit;
    }
    consume_credentials();
    if (proto == TCP || proto == TLS) {
      add_contact_alias();
    }
    # save() answers by itself, errors (423 Interval Too Brief among them) included.
    save("location");
    exit;
  }
  if (is_method("OPTIONS") && uri == myself && $rU == $null) {
    sl_send_reply("200", "OK");
    exit;
  }
  if (has_totag()) {
    # In-dialog requests whose target is a GRUU or AOR of ours (linphone's Contact is a GRUU,
    # sip:carol@lab.test;gr=…) are looked up in the location table, never resolved by DNS.
    if (loose_route()) {
      if (uri == myself && !lookup("location")) {
        sl_send_reply("404", "Not here");
        exit;
      }
      t_relay();
      exit;
    }
    if (is_method("ACK")) {
      if (t_check_trans()) {
        t_relay();
      } else if (uri == myself && lookup("location")) {
        t_relay();
      }
      exit;
    }
    if (uri == myself && lookup("location")) {
      t_relay();
      exit;
    }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) t_relay();
    exit;
  }
  if (is_method("INVITE|MESSAGE") && uri == myself) {
    # Failures and redirects on demand, for the call tests (user part of the Request-URI).
    if ($rU == "busy") { sl_send_reply("486", "Busy Here"); exit; }
    if ($rU == "decline") { sl_send_reply("603", "Decline"); exit; }
    if ($rU == "away") { sl_send_reply("480", "Temporarily Unavailable"); exit; }
    if ($rU =~ "^redirect-") {
      $var(target) = $(rU{s.substr,9,0});
      append_to_reply("Contact: <sip:$var(target)@${domain}>\r\n");
      sl_send_reply("302", "Moved Temporarily");
      exit;
    }
  }
  if (uri == myself) {
    if (!lookup("location")) {
      sl_send_reply("404", "Not Found");
      exit;
    }
    handle_ruri_alias();
  }
  if (is_method("INVITE|SUBSCRIBE")) record_route();
  if (!t_relay()) sl_reply_error();
}
`;
}

export class Kamailio {
  readonly dir: string;
  private child?: ChildProcess;
  private readonly ns: NetNs;
  private readonly opts: KamailioOptions;
  log = '';

  constructor(ns: NetNs, opts: KamailioOptions) {
    this.ns = ns;
    this.opts = opts;
    this.dir = join(ns.dir, 'kamailio');
    mkdirSync(join(this.dir, 'db'), { recursive: true });
    const domain = opts.domain ?? 'lab.test';
    writeFileSync(
      join(this.dir, 'db/version'),
      'id(int,auto) table_name(string) table_version(int) \n0:version:1\n0:subscriber:7\n0:location:9\n',
    );
    writeFileSync(
      join(this.dir, 'db/subscriber'),
      'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) \n' +
        opts.users.map((u, i) => `${i + 1}:${u.username}:${domain}:${u.password}::\n`).join(''),
    );
    if (opts.tls) {
      writeFileSync(
        join(this.dir, 'tls.cfg'),
        `[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n` +
          `private_key = ${opts.tls.keyFile}\ncertificate = ${opts.tls.certFile}\nca_list = ${opts.tls.caFile}\n\n` +
          `[client:default]\nverify_certificate = no\nrequire_certificate = no\n`,
      );
    }
    writeFileSync(join(this.dir, 'kamailio.cfg'), kamailioConfig(this.dir, opts));
  }

  /** Start and wait until it listens on every configured port. */
  async start(): Promise<void> {
    this.log = '';
    const child = this.ns.spawn('kamailio', [
      '-f', join(this.dir, 'kamailio.cfg'),
      '-DD', '-E',
      '-m', '64', '-M', '8',
      '-Y', this.dir,
      '-P', join(this.dir, 'kamailio.pid'),
    ]);
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`kamailio exited (${code}):\n${this.log.slice(-3000)}`))),
    );
    exited.catch(() => {});
    const ready = (async () => {
      await this.ns.waitListening('udp', 5060, 15_000);
      await this.ns.waitListening('tcp', 5060, 15_000);
      if (this.opts.tls) await this.ns.waitListening('tcp', 5061, 15_000);
    })();
    await Promise.race([ready, exited]);
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child);
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
