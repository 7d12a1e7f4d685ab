/**
 * A real baresip 1.0 (Debian's `baresip-core`) as a remote phone for the call interop tests,
 * configured from here, started inside a test's network namespace and driven through its
 * ctrl_tcp module (netstring-framed JSON: commands, responses and pushed events).
 *
 * What the generated config does, and why (PEERS.md "baresip 1.0.0"):
 *   - `net_interface 127.0.0.1` (`lo` fails) and `sip_listen 127.0.0.1:<sipPort>`: SIP contact
 *     and SDP stay on loopback. TLS, when asked for, listens on sipPort + 1.
 *   - microphone = `aufile` on an 8 kHz mono WAV (`ausrc_srate 8000`, `ausrc_channels 1`: aufile
 *     refuses any file that does not match them; baresip resamples for Opus and G.722). Without
 *     `playWav` a silent WAV is written. When the file ends baresip HANGS UP the call, so give it a
 *     file longer than the call (the fixtures default to 60 s).
 *   - speaker = `aubridge` (a silent sink: `alsa,null` spins a core). Ring tones go there too.
 *   - `record: true` loads the `sndfile` filter into `<dir>/rec`: one `dump-<time>-enc.wav`
 *     (what was sent) and one `dump-<time>-dec.wav` (what was heard) per call, named to the
 *     second — two calls of one phone within the same second would clash.
 *   - `statmode_default off`: no `[0:00:01] audio=…` flood in the log.
 *   - `audio_codecs` filters the account's codecs; an entry matching nothing makes baresip offer
 *     every codec silently, so names are checked here (`G722/16000/1`, not `g722`).
 *   - `mediaenc` = srtp | srtp-mand | srtp-mandf (SDES, RFC 4568) | dtls_srtp.
 *   - On SIGTERM baresip un-registers first: stop phones before Kamailio (`stop()` falls back
 *     to SIGKILL after a bounded grace period).
 *
 * Readiness is never a sleep: `start()` returns once ctrl_tcp answers and, with a registrar, once
 * `reginfo` shows the binding (or rejects on REGISTER_FAIL / timeout).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NetNs } from './netns.ts';
import { stopProcess } from './netns.ts';
import { TcpBridge } from './peers-tcp-bridge.ts';
import { NetstringDecoder, encodeNetstring } from './peers-netstring.ts';
import { writeWav } from '../../helpers/audio-analysis.ts';
import { PeerEventLog } from './peers-event-log.ts';
import { wavClosed, wavFormat, wavSecondsWritten } from './peers-wav.ts';

export type BaresipCodec = 'opus' | 'G722/16000/1' | 'PCMU' | 'PCMA' | 'GSM';
export type BaresipMediaEnc = 'srtp' | 'srtp-mand' | 'srtp-mandf' | 'dtls_srtp';

export interface BaresipOptions {
  user: string;
  password?: string;
  /** The AoR's domain, default `lab.test`. */
  domain?: string;
  /**
   * `host:port` of the registrar/outbound proxy, used with `transport` (Kamailio: `127.0.0.1:5060`,
   * `127.0.0.1:5061` for TLS); null = no registration (direct calls to `directUri`).
   */
  registrar: string | null;
  sipPort: number;
  transport?: 'udp' | 'tcp' | 'tls';
  autoAnswer?: boolean;
  /** 8 kHz mono 16-bit WAV played as the microphone. */
  playWav?: string;
  record?: boolean;
  /** In order of preference (the account's `audio_codecs`). Default: all of them. */
  codecs?: BaresipCodec[];
  srtp?: BaresipMediaEnc;
  /** ctrl_tcp port (inside the namespace). */
  ctrlPort: number;
  /** RTP/RTCP port range, default 20000-29999 (baresip retries another port when one is taken). */
  rtpPorts?: [number, number];
  /** For TLS: CA file to check the registrar's certificate with (must exist or baresip exits). */
  caFile?: string;
  /**
   * Video (PEERS.md "Video peers"): VP8, baresip's moving test pattern as the camera
   * (`fakevideo`), a display that shows nothing, and `snapshot_recv PATH` to save what it receives.
   */
  video?: boolean;
  /** Extra `config` lines, for what the options above do not cover. */
  extraConfig?: string[];
  /** How long `start()` may take, default 10 s. */
  startTimeoutMs?: number;
}

/** An event pushed by ctrl_tcp (baresip's `event_encode_dict`). */
export interface BaresipEvent {
  /** `REGISTER_OK`, `CALL_INCOMING`, `CALL_RINGING`, `CALL_PROGRESS`, `CALL_ESTABLISHED`, `CALL_CLOSED`, `CALL_DTMF_START`, `CALL_DTMF_END`, `CALL_RTPESTAB`, `CALL_MENC`, `AUDIO_ERROR`, … */
  type: string;
  class?: string;
  accountaor?: string;
  direction?: 'incoming' | 'outgoing';
  peeruri?: string;
  peerdisplayname?: string;
  /** The call's id (SIP Call-ID). */
  id?: string;
  /** Event detail: for CALL_CLOSED the reason (`Connection reset by user`, `486 Busy Here`…), for DTMF the key. */
  param?: string;
  [key: string]: unknown;
}

interface Pending {
  resolve: (data: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const CODEC_NAMES: Record<BaresipCodec, string> = { opus: 'opus/48000/2', 'G722/16000/1': 'G722/16000/1', PCMU: 'PCMU', PCMA: 'PCMA', GSM: 'GSM' };

export class Baresip {
  readonly dir: string;
  readonly recDir: string;
  /** baresip's own stdout+stderr (last 200 kB), for failure messages. */
  log = '';
  private readonly ns: NetNs;
  private readonly opts: BaresipOptions;
  private child?: ChildProcess;
  private bridge?: TcpBridge;
  private decoder = new NetstringDecoder();
  private readonly pending = new Map<string, Pending>();
  private nextToken = 1;
  private readonly eventLog: PeerEventLog<BaresipEvent>;

  constructor(ns: NetNs, opts: BaresipOptions) {
    for (const c of opts.codecs ?? []) if (!(c in CODEC_NAMES)) throw new Error(`baresip: unknown codec ${c}`);
    this.ns = ns;
    this.opts = opts;
    this.eventLog = new PeerEventLog<BaresipEvent>({ name: `baresip ${opts.user}`, describe: (e) => `${e.type}${e.param ? `(${e.param})` : ''}` });
    this.dir = join(ns.dir, `baresip-${opts.user}-${opts.sipPort}`);
    this.recDir = join(this.dir, 'rec');
    mkdirSync(this.recDir, { recursive: true });
    writeFileSync(join(this.dir, 'config'), this.config());
    writeFileSync(join(this.dir, 'accounts'), this.accountLine() + '\n');
    writeFileSync(join(this.dir, 'contacts'), '');
    if (opts.playWav) {
      const f = wavFormat(opts.playWav);
      if (f.sampleRate !== 8000 || f.channels !== 1 || f.bits !== 16) {
        throw new Error(`baresip: playWav must be 8 kHz mono 16-bit (aufile, PEERS.md), ${opts.playWav} is ${f.sampleRate} Hz, ${f.channels} ch, ${f.bits} bit`);
      }
    } else {
      writeWav(join(this.dir, 'silence.wav'), { sampleRate: 8000, channels: [new Int16Array(8000 * 120)] });
    }
  }

  /** Every event ctrl_tcp pushed since `start()`, in order. */
  get events(): readonly BaresipEvent[] {
    return this.eventLog.events;
  }

  /** The AoR, `sip:user@domain`. */
  get aor(): string {
    return `sip:${this.opts.user}@${this.opts.domain ?? 'lab.test'}`;
  }

  /** A URI that reaches this phone directly, without a registrar (`sip:user@127.0.0.1:port;transport=…`). */
  get directUri(): string {
    const t = this.opts.transport ?? 'udp';
    const port = t === 'tls' ? this.opts.sipPort + 1 : this.opts.sipPort;
    return `sip:${this.opts.user}@127.0.0.1:${port}${t === 'udp' ? '' : `;transport=${t}`}`;
  }

  private config(): string {
    const o = this.opts;
    const [rtpMin, rtpMax] = o.rtpPorts ?? [20000, 29999];
    const modules = ['g711', 'opus', 'g722', 'gsm', 'aufile', 'aubridge'];
    if (o.record) modules.push('sndfile');
    if (o.video) modules.push('vp8', 'fakevideo', 'snapshot');
    if (o.srtp === 'dtls_srtp') modules.push('dtls_srtp');
    else if (o.srtp) modules.push('srtp');
    const lines = [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${o.sipPort}`,
      ...(o.caFile ? [`sip_cafile ${o.caFile}`] : []),
      'call_local_timeout 120',
      'call_max_calls 8',
      `audio_player aubridge,sink-${o.sipPort}`,
      `audio_alert aubridge,alert-${o.sipPort}`,
      `audio_source aufile,${o.playWav ?? join(this.dir, 'silence.wav')}`,
      'ausrc_srate 8000',
      'ausrc_channels 1',
      'audio_level no',
      `rtp_ports ${rtpMin}-${rtpMax}`,
      'net_interface 127.0.0.1',
      'module_path /usr/lib/baresip/modules',
      ...modules.map((m) => `module ${m}.so`),
      'module_app account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
      'statmode_default off',
      'menu_bell no',
      `snd_path ${this.recDir}`,
      ...(o.video ? ['video_source fakevideo,nil', 'video_display fakevideo,nil', 'video_size 640x480', 'video_fps 25', 'video_bitrate 800000'] : []),
      ...(o.extraConfig ?? []),
    ];
    return lines.join('\n') + '\n';
  }

  private accountLine(): string {
    const o = this.opts;
    const t = o.transport ?? 'udp';
    const uriParams = t === 'udp' ? '' : `;transport=${t}`;
    const params = [`answermode=${o.autoAnswer ? 'auto' : 'manual'}`];
    if (o.password !== undefined) params.push(`auth_pass=${o.password}`);
    if (o.registrar) {
      params.push(`outbound="sip:${o.registrar}${uriParams}"`, 'regint=600');
    } else {
      params.push('regint=0');
    }
    if (o.codecs) params.push(`audio_codecs=${o.codecs.map((c) => CODEC_NAMES[c]).join(',')}`);
    if (o.srtp) params.push(`mediaenc=${o.srtp}`);
    return `<sip:${o.user}@${o.domain ?? 'lab.test'}${uriParams}>;${params.join(';')}`;
  }

  /** Starts baresip; resolves once ctrl_tcp answers and (with a registrar) the phone is registered. */
  async start(): Promise<void> {
    const timeoutMs = this.opts.startTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    this.log = '';
    this.eventLog.reset();
    const child = this.ns.spawn('baresip', ['-f', this.dir]);
    this.child = child;
    child.once('exit', (code, signal) => {
      const err = new Error(`baresip ${this.opts.user} exited (${code ?? signal}):\n${this.log.slice(-2000)}`);
      this.eventLog.fail(err);
      this.failPending(err);
    });
    const append = (d: Buffer) => {
      this.log += d.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`baresip ${this.opts.user} exited (${code ?? signal}) during start:\n${this.log.slice(-3000)}`))),
    );
    exited.catch(() => {});
    await Promise.race([exited, this.connect(timeoutMs)]);
    if (this.opts.registrar) await Promise.race([exited, this.waitRegistered(deadline)]);
  }

  private async connect(timeoutMs: number): Promise<void> {
    this.decoder = new NetstringDecoder();
    this.bridge = await TcpBridge.open(this.ns, {
      port: this.opts.ctrlPort,
      timeoutMs,
      onData: (chunk) => this.onCtrlData(chunk),
      onClose: () => this.failPending(new Error(`baresip ${this.opts.user}: ctrl_tcp connection closed`)),
    });
  }

  private async waitRegistered(deadline: number): Promise<void> {
    for (;;) {
      const failed = this.events.find((e) => e.type === 'REGISTER_FAIL');
      if (failed) throw new Error(`baresip ${this.opts.user}: registration failed: ${failed.param}`);
      const since = this.eventLog.count;
      const info = stripAnsi(await this.command('reginfo', '', Math.max(100, deadline - Date.now())));
      // One line per UA: `> sip:alice@lab.test   OK  <server> Expires 600s` once registered.
      if (/\sOK\s/.test(info)) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`baresip ${this.opts.user}: not registered in time; reginfo: ${info}\n${this.log.slice(-2000)}`);
      // The REGISTER_OK event may have gone by before ctrl_tcp was connected: ask again after
      // the next registration event, or after 250 ms at the latest.
      await this.eventLog.wait((e) => e.type === 'REGISTER_OK' || e.type === 'REGISTER_FAIL', Math.min(left, 250), { since }).catch(() => undefined);
    }
  }

  private onCtrlData(chunk: Buffer): void {
    let messages: string[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      this.failPending(err as Error);
      return;
    }
    for (const text of messages) {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event === true || msg.event === 'true') {
        this.eventLog.push(msg as unknown as BaresipEvent);
      } else if (msg.response === true || msg.response === 'true') {
        const token = String(msg.token ?? '');
        const p = this.pending.get(token);
        if (!p) continue;
        this.pending.delete(token);
        clearTimeout(p.timer);
        const data = typeof msg.data === 'string' ? msg.data : '';
        if (msg.ok === true || msg.ok === 'true') p.resolve(data);
        else p.reject(new Error(`baresip ${this.opts.user}: command failed: ${data}`));
      }
    }
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /**
   * Sends one ctrl_tcp command (a long command of baresip's menu module, e.g. `dial`, `accept`,
   * `hangup`, `hold`, `resume`, `sndcode`, `transfer`, `reginfo`, `listcalls`) and resolves with
   * its text output; rejects when baresip says it failed, or after `timeoutMs`.
   */
  command(name: string, params = '', timeoutMs = 5_000): Promise<string> {
    const bridge = this.bridge;
    if (!bridge?.isOpen) return Promise.reject(new Error(`baresip ${this.opts.user} is not running`));
    const token = String(this.nextToken++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip ${this.opts.user}: no answer to '${name}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer });
      bridge.write(encodeNetstring(JSON.stringify({ command: name, params, token })));
    });
  }

  /** Number of events seen so far: pass it as `since` to wait only for later ones. */
  /** The baresip process's id while it runs (for /proc measurements). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get eventCount(): number {
    return this.eventLog.count;
  }

  /**
   * The first event, from index `since` on (default 0: already seen ones count), that passes
   * `test`; rejects after `timeoutMs` with the events seen so far, or at once if baresip exits.
   */
  waitEvent(test: (e: BaresipEvent) => boolean, timeoutMs: number, options: { since?: number; what?: string } = {}): Promise<BaresipEvent> {
    return this.eventLog.wait(test, timeoutMs, options);
  }

  /** Shorthand: the first event of `type` from `since` on. */
  waitFor(type: string, timeoutMs: number, since = 0): Promise<BaresipEvent> {
    return this.waitEvent((e) => e.type === type, timeoutMs, { since, what: type });
  }

  /** Places a call. Follow it with `waitFor('CALL_ESTABLISHED', …)`. */
  async dial(uri: string): Promise<void> {
    await this.command('dial', uri);
  }

  /** The calls baresip holds now (`listcalls`): line number, state (`ESTABLISHED`, `RINGING`…) and peer. */
  async calls(): Promise<Array<{ line: number; state: string; peer: string }>> {
    const out = stripAnsi(await this.command('listcalls'));
    return [...out.matchAll(/\[line (\d+)\]\s+\S+\s+(\S+)\s+(\S+)/g)].map((m) => ({ line: Number(m[1]), state: m[2], peer: m[3] }));
  }

  /** Accepts the ringing incoming call. */
  async answer(): Promise<void> {
    await this.command('accept');
  }

  /** Hangs up the current call (or rejects a ringing one). */
  async hangup(): Promise<void> {
    await this.command('hangup');
  }

  /** Puts the current call on hold (re-INVITE with a=sendonly). */
  async hold(): Promise<void> {
    await this.command('hold');
  }

  async resume(): Promise<void> {
    await this.command('resume');
  }

  /** Sends DTMF digits (0-9, *, #, A-D) as RFC 4733 telephone-events, one `sndcode` each. */
  async sendDtmf(digits: string): Promise<void> {
    if (!/^[0-9*#A-D]+$/.test(digits)) throw new Error(`baresip: bad DTMF digits ${JSON.stringify(digits)}`);
    for (const d of digits) await this.command('sndcode', d);
  }

  /** Blind transfer of the current call (REFER, RFC 3515). */
  async transfer(uri: string): Promise<void> {
    await this.command('transfer', uri);
  }

  /**
   * The enc (sent) and dec (heard) WAVs of the last call, once sndfile has closed them (their
   * RIFF size matches the file: the header is only written when the call's audio stops).
   */
  async recordings(timeoutMs = 3_000): Promise<{ enc: string; dec: string }> {
    if (!this.opts.record) throw new Error(`baresip ${this.opts.user} was started without record: true`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const files = readdirSync(this.recDir).filter((f) => /^dump-.*-(enc|dec)\.wav$/.test(f)).sort();
      const enc = files.filter((f) => f.endsWith('-enc.wav')).at(-1);
      const dec = files.filter((f) => f.endsWith('-dec.wav')).at(-1);
      if (enc && dec && wavClosed(join(this.recDir, enc), 'exact') && wavClosed(join(this.recDir, dec), 'exact')) {
        return { enc: join(this.recDir, enc), dec: join(this.recDir, dec) };
      }
      if (Date.now() > deadline) throw new Error(`baresip ${this.opts.user}: no complete recordings in ${this.recDir} (${files.join(', ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Waits (bounded) until the current call's `dec` recording holds `seconds` of audio: "the
   * phone has heard that much", the signal to end a call whose audio will be checked.
   */
  async waitHeard(seconds: number, timeoutMs: number): Promise<void> {
    if (!this.opts.record) throw new Error(`baresip ${this.opts.user} was started without record: true`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dec = readdirSync(this.recDir).filter((f) => f.endsWith('-dec.wav')).sort().at(-1);
      const heard = dec ? wavSecondsWritten(join(this.recDir, dec), { sampleRate: 8000, channels: 1 }) : 0;
      if (heard >= seconds) return;
      if (Date.now() > deadline) throw new Error(`baresip ${this.opts.user}: heard ${heard.toFixed(2)} s, not ${seconds} s, within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Deletes earlier recordings (so `recordings()` cannot return a previous call's). */
  clearRecordings(): void {
    for (const f of readdirSync(this.recDir)) rmSync(join(this.recDir, f), { force: true });
  }

  /** Stops baresip (SIGTERM: it un-registers; SIGKILL after 3 s) and its control connection. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stopProcess(child, 3_000);
    await this.bridge?.close();
    this.bridge = undefined;
    this.failPending(new Error(`baresip ${this.opts.user} stopped`));
  }
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
