/**
 * baresip 1.0 as the benchmark's callee: no registrar, auto-answer, a WAV file as microphone
 * (aufile), a silent speaker (aubridge), PCMU only, and a call limit far above the lab's (the
 * interop harness, test/interop/lab/baresip.ts, caps calls at 8). PEERS.md explains each line.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetNs } from '../../interop/lab/netns.ts';
import { stopProcess, waitFor } from '../../interop/lab/netns.ts';

export interface BaresipUasOptions {
  sipPort: number;
  /** 8 kHz mono 16-bit WAV, longer than any call (baresip hangs up when it ends). */
  playWav: string;
  /** Auto-answer, or let calls ring (the caller then cancels). Default true. */
  autoAnswer?: boolean;
}

export class BaresipUas {
  readonly dir: string;
  log = '';
  private child?: ChildProcess;
  private readonly ns: NetNs;
  private readonly opts: BaresipUasOptions;

  constructor(ns: NetNs, opts: BaresipUasOptions) {
    this.ns = ns;
    this.opts = opts;
    this.dir = join(ns.dir, `baresip-uas-${opts.sipPort}`);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(
      join(this.dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${opts.sipPort}`,
        'call_local_timeout 120',
        'call_max_calls 4000',
        `audio_player aubridge,sink-${opts.sipPort}`,
        `audio_alert aubridge,alert-${opts.sipPort}`,
        `audio_source aufile,${opts.playWav}`,
        'ausrc_srate 8000',
        'ausrc_channels 1',
        'audio_level no',
        'rtp_ports 20000-39999',
        'net_interface 127.0.0.1',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module aubridge.so',
        'module_app account.so',
        'module_app menu.so',
        'statmode_default off',
        'menu_bell no',
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.dir, 'accounts'), `<sip:bench@127.0.0.1:${opts.sipPort}>;answermode=${opts.autoAnswer === false ? 'manual' : 'auto'};regint=0;audio_codecs=PCMU\n`);
    writeFileSync(join(this.dir, 'contacts'), '');
  }

  async start(): Promise<void> {
    const child = this.ns.spawn('baresip', ['-f', this.dir]);
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-50_000)));
    const ready = waitFor(child, (out) => {
      this.log = out.slice(-50_000);
      return /baresip is ready/i.test(out);
    }, 10_000);
    if (!(await ready)) throw new Error(`baresip did not start:\n${this.log.slice(-2000)}`);
    // Its stdout keeps flowing (one line per call): drain it.
    child.stdout!.on('data', () => undefined);
    await this.ns.waitListening('udp', this.opts.sipPort);
  }

  /** baresip's process id (for /proc), once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 3_000);
  }
}
