/**
 * A real linphonec 5.1 (Debian's `linphone-cli`, liblinphone) as a remote phone for the call
 * interop tests: a very different SIP/media stack from baresip, and the one peer with G.729.
 *
 * How it is run, and why (PEERS.md "linphonec 5.1.65"):
 *   - `--pipe`: with stdin from a pipe linphonec never iterates its core; with `--pipe` it takes
 *     commands on the unix socket `/tmp/linphonec-<uid>` (one command per connection, the answer
 *     comes back on it). That path is fixed, so each instance gets its OWN /tmp: it runs in a
 *     child mount namespace (inside the test's network namespace) where `<dir>/tmp` is
 *     bind-mounted over /tmp. The test's folder (`ns.dir`, itself under /tmp) is mapped back in
 *     at the same path, so every path under `ns.dir` works inside; a `playWav` (or video
 *     picture) elsewhere is copied into the phone's folder. The test process talks to the socket through
 *     `<dir>/tmp/linphonec-<uid>` directly (no `linphonecsh` process per command), so several
 *     Linphone instances can run at once, in one namespace or many.
 *   - HOME = the phone's folder, with `.local/share/linphone/` for its database.
 *   - `[rtp] bind_address=127.0.0.1`: SDP and media on loopback. Unused SIP transports are `0`
 *     (disabled): `-1` means "random port", and with it linphonec 5.1 here started with no SIP
 *     listening point at all ("No listening point matching", never registers).
 *   - No sound card: `soundcard use files`, then `play <wav>` (the microphone) and
 *     `record <wav>` (what it hears). The record file is APPENDED to across calls and its WAV
 *     header is written when the call ends: `call()`/`answer()` delete it first, and
 *     `recording()` waits for the header.
 *   - Codecs: enabled/disabled at start with `codec enable|disable <index>` from `codec list`
 *     (a codec missing from the config file would otherwise keep its default state).
 *   - Video (option `video`, linphone-config.ts): `-V`, a static picture as the camera (VP8),
 *     and `snapshot()` saves what the call's video shows (the picture received) as a JPEG.
 *   - Events: linphonec prints call progress on stdout (`Call 1 with … connected.`); they are
 *     parsed into `events`. `calls()` polls the `calls` table for the state liblinphone holds.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { NetNs } from './netns.ts';
import { linphonerc, type LinphoneCodec, type LinphoneOptions } from './linphone-config.ts';
import { wavClosed, wavSecondsWritten } from './peers-wav.ts';
import { PeerEventLog } from './peers-event-log.ts';

export type { LinphoneCodec, LinphoneOptions, LinphoneVideo } from './linphone-config.ts';

/** One line of linphonec's call progress, as printed on its stdout. */
export interface LinphoneEvent {
  type: 'incoming' | 'progress' | 'ringing' | 'early-media' | 'connected' | 'streams' | 'paused' | 'paused-by-remote' | 'resuming' | 'ended' | 'error' | 'dtmf' | 'transferred';
  /** linphonec's call number (1, 2, …). */
  call?: number;
  peer?: string;
  /** `ended`: the reason in words (`Call terminated`, `Busy`…); `dtmf`: the digit; `streams`: the media. */
  detail?: string;
  line: string;
}

/** A row of the `calls` table. */
export interface LinphoneCall {
  id: number;
  destination: string;
  /** liblinphone's state name: `OutgoingProgress`, `IncomingReceived`, `StreamsRunning`, `Paused`, … */
  state: string;
  flags: string;
}

const EVENT_PATTERNS: Array<[RegExp, LinphoneEvent['type'], { call: number; peer?: number; detail?: number }]> = [
  [/^Receiving new incoming call from (.+), assigned id (\d+)$/, 'incoming', { call: 2, peer: 1 }],
  [/^Call (\d+) to (.+) in progress\.$/, 'progress', { call: 1, peer: 2 }],
  [/^Call (\d+) to (.+) ringing\.$/, 'ringing', { call: 1, peer: 2 }],
  [/^Call (\d+) with (.+) early media\.$/, 'early-media', { call: 1, peer: 2 }],
  [/^Call (\d+) with (.+) connected\.$/, 'connected', { call: 1, peer: 2 }],
  [/^Media streams established with (.+) for call (\d+) \((.*)\)\.$/, 'streams', { call: 2, peer: 1, detail: 3 }],
  [/^Call (\d+) with (.+) is now paused\.$/, 'paused', { call: 1, peer: 2 }],
  [/^Call (\d+) has been paused by (.+)\.$/, 'paused-by-remote', { call: 1, peer: 2 }],
  [/^Resuming call (\d+) with (.+)\.$/, 'resuming', { call: 1, peer: 2 }],
  [/^Call (\d+) with (.+) ended \((.*)\)\.$/, 'ended', { call: 1, peer: 2, detail: 3 }],
  [/^Call (\d+) with (.+) error\.$/, 'error', { call: 1, peer: 2 }],
  [/^The distant endpoint (.+) of call (\d+) has been transfered/, 'transferred', { call: 2, peer: 1 }],
];

export class Linphone {
  readonly dir: string;
  readonly recordWav: string;
  /** linphonec's stdout+stderr (last 200 kB), for failure messages. */
  log = '';
  private readonly ns: NetNs;
  private readonly opts: LinphoneOptions;
  private readonly socketPath: string;
  private readonly playWav?: string;
  private readonly picture?: string;
  private child?: ChildProcess;
  private queue: Promise<unknown> = Promise.resolve();
  private partial = '';
  private readonly eventLog: PeerEventLog<LinphoneEvent>;

  constructor(ns: NetNs, opts: LinphoneOptions) {
    this.ns = ns;
    this.opts = opts;
    this.eventLog = new PeerEventLog<LinphoneEvent>({ name: `linphonec ${opts.user}`, describe: (e) => e.line });
    this.dir = join(ns.dir, `linphone-${opts.user}-${opts.sipPort}`);
    mkdirSync(join(this.dir, 'tmp'), { recursive: true });
    mkdirSync(join(this.dir, '.local/share/linphone'), { recursive: true });
    this.socketPath = join(this.dir, 'tmp', `linphonec-${process.getuid?.() ?? 0}`);
    this.recordWav = opts.recordWav ?? join(this.dir, 'heard.wav');
    if (opts.playWav) this.playWav = this.visible(opts.playWav);
    if (opts.video) {
      if (!existsSync(opts.video.picture)) throw new Error(`linphone: no picture ${opts.video.picture}`);
      this.picture = this.visible(opts.video.picture);
    }
    if (!this.recordWav.startsWith(ns.dir + '/')) throw new Error(`linphone: recordWav must be under ${ns.dir}`);
    writeFileSync(join(this.dir, 'linphonerc'), linphonerc(opts));
  }

  /** Only paths under ns.dir are visible inside the phone's private /tmp: others are copied into its folder. */
  private visible(path: string): string {
    if (path.startsWith(this.ns.dir + '/')) return path;
    const copy = join(this.dir, basename(path));
    copyFileSync(path, copy);
    return copy;
  }

  /** Every call event linphonec printed since `start()`, in order. */
  get events(): readonly LinphoneEvent[] {
    return this.eventLog.events;
  }

  /** The AoR, `sip:user@domain`. */
  get aor(): string {
    return `sip:${this.opts.user}@${this.opts.domain ?? 'lab.test'}`;
  }

  /** A URI that reaches this phone directly, without a registrar. */
  get directUri(): string {
    const t = this.opts.transport ?? 'udp';
    return `sip:${this.opts.user}@127.0.0.1:${this.opts.sipPort}${t === 'udp' ? '' : `;transport=${t}`}`;
  }

  /** Starts linphonec; resolves once it takes commands, its codecs and files are set, and (with a registrar) it is registered. */
  async start(): Promise<void> {
    const timeoutMs = this.opts.startTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    rmSync(this.socketPath, { force: true });
    this.log = '';
    const priv = join(this.dir, 'tmp');
    // Map the test's folder back in at its own path when it lives under /tmp.
    const underTmp = this.ns.dir.startsWith('/tmp/') ? this.ns.dir.slice('/tmp/'.length) : undefined;
    const script = [
      'set -e',
      ...(underTmp ? [`mkdir -p "$1/${underTmp}"`, `mount --bind "$2" "$1/${underTmp}"`] : []),
      'mount --rbind "$1" /tmp',
      'shift 2',
      'exec "$@"',
    ].join('\n');
    const args = ['--pipe', '-c', join(this.dir, 'linphonerc'), ...(this.opts.autoAnswer ? ['-a'] : []), ...(this.opts.video ? ['-V'] : [])];
    const child = this.ns.spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', priv, this.ns.dir, 'linphonec', ...args], {
      env: { ...process.env, HOME: this.dir },
    });
    this.child = child;
    this.eventLog.reset();
    child.once('exit', (code, signal) => this.eventLog.fail(new Error(`linphonec ${this.opts.user} exited (${code ?? signal}):\n${this.log.slice(-2000)}`)));
    child.stdout!.on('data', (d: Buffer) => this.onOutput(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.appendLog(d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`linphonec ${this.opts.user} exited (${code ?? signal}) during start:\n${this.log.slice(-3000)}`))),
    );
    exited.catch(() => {});
    await Promise.race([exited, this.setUp(deadline)]);
  }

  private async setUp(deadline: number): Promise<void> {
    // The control socket appears once linphonec reads commands.
    while (!existsSync(this.socketPath)) {
      if (Date.now() > deadline) throw new Error(`linphonec ${this.opts.user}: no control socket ${this.socketPath}\n${this.log.slice(-2000)}`);
      await delay(20);
    }
    await this.command('soundcard use files');
    if (this.playWav) await this.command(`play ${this.playWav}`);
    if (this.picture) {
      const out = await this.command(`staticpic set ${this.picture}`);
      if (out.trim() !== '') throw new Error(`linphonec ${this.opts.user}: staticpic set ${this.picture}: ${out.trim()}`);
      const codecs = await this.command('vcodec list');
      if (!/^\s*\d+: VP8 \(90000\) enabled$/m.test(codecs)) throw new Error(`linphonec ${this.opts.user}: VP8 is not enabled:\n${codecs}`);
    }
    await this.command(`record ${this.recordWav}`);
    if (this.opts.codecs) await this.setCodecs(this.opts.codecs);
    if (!this.opts.registrar) return;
    for (;;) {
      const status = await this.command('status register');
      if (/^registered,/m.test(status)) return;
      if (Date.now() > deadline) throw new Error(`linphonec ${this.opts.user}: not registered in time (${status.trim()})\n${this.log.slice(-2000)}`);
      await delay(50);
    }
  }

  private async setCodecs(codecs: LinphoneCodec[]): Promise<void> {
    const list = await this.command('codec list');
    const rows = [...list.matchAll(/^\s*(\d+): (\S+) \((\d+)\) (enabled|disabled)$/gm)];
    const names = new Set(rows.map((r) => r[2]));
    for (const c of codecs) if (!names.has(c)) throw new Error(`linphonec: no codec ${c} in:\n${list}`);
    for (const [, index, name, , state] of rows) {
      const want = (codecs as string[]).includes(name);
      if (want !== (state === 'enabled')) await this.command(`codec ${want ? 'enable' : 'disable'} ${index}`);
    }
  }

  private appendLog(text: string): void {
    this.log += text;
    if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
  }

  private onOutput(text: string): void {
    this.appendLog(text);
    this.partial += text;
    let nl;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/^(linphonec> )+/, '').trim();
      this.partial = this.partial.slice(nl + 1);
      const e = parseEvent(line);
      if (e) this.eventLog.push(e);
    }
  }

  /**
   * Runs one linphonec command through its control socket and resolves with what it printed.
   * Commands are serialized (linphonec serves one connection at a time).
   */
  command(line: string, timeoutMs = 5_000): Promise<string> {
    const run = () =>
      new Promise<string>((resolve, reject) => {
        if (!this.child || this.child.exitCode !== null) {
          reject(new Error(`linphonec ${this.opts.user} is not running`));
          return;
        }
        const socket = connect(this.socketPath);
        let out = '';
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`linphonec ${this.opts.user}: no answer to '${line}' within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.on('connect', () => socket.write(line));
        socket.on('data', (d: Buffer) => (out += d.toString()));
        socket.on('error', (err) => {
          clearTimeout(timer);
          reject(new Error(`linphonec ${this.opts.user}: '${line}': ${err.message}`));
        });
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(out);
        });
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Number of events seen so far: pass it as `since` to wait only for later ones. */
  get eventCount(): number {
    return this.eventLog.count;
  }

  /** The first event, from index `since` on, that passes `test`; rejects after `timeoutMs` or when linphonec exits. */
  waitEvent(test: (e: LinphoneEvent) => boolean, timeoutMs: number, options: { since?: number; what?: string } = {}): Promise<LinphoneEvent> {
    return this.eventLog.wait(test, timeoutMs, options);
  }

  /**
   * Shorthand: the first event of `type` from `since` on. Events of earlier calls count too:
   * when a phone makes several calls, pass `since` (an `eventCount` taken before) or use `waitCall`.
   */
  waitFor(type: LinphoneEvent['type'], timeoutMs: number, since = 0): Promise<LinphoneEvent> {
    return this.waitEvent((e) => e.type === type, timeoutMs, { since, what: `'${type}' event` });
  }

  /** The first event of `type` for linphonec's call number `call`. */
  waitCall(call: number, type: LinphoneEvent['type'], timeoutMs: number): Promise<LinphoneEvent> {
    return this.waitEvent((e) => e.call === call && e.type === type, timeoutMs, { what: `'${type}' event of call ${call}` });
  }

  /** The calls liblinphone holds now (the `calls` table). */
  async calls(): Promise<LinphoneCall[]> {
    const out = await this.command('calls');
    const rows: LinphoneCall[] = [];
    for (const line of out.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells.length >= 3 && /^\d+$/.test(cells[0])) rows.push({ id: Number(cells[0]), destination: cells[1], state: cells[2], flags: cells[3] ?? '' });
    }
    return rows;
  }

  /** Polls `calls` (every 100 ms, bounded) until `test` holds for the list. */
  async waitCalls(test: (calls: LinphoneCall[]) => boolean, timeoutMs: number, what = 'call state'): Promise<LinphoneCall[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const calls = await this.calls();
      if (test(calls)) return calls;
      if (Date.now() > deadline) throw new Error(`linphonec ${this.opts.user}: no ${what} within ${timeoutMs} ms; calls: ${JSON.stringify(calls)}`);
      await delay(100);
    }
  }

  /**
   * Places a call (the record file is emptied first); resolves with linphonec's number for it,
   * which its events carry (`waitCall(n, 'connected', …)`).
   */
  async call(uri: string, options: { audioOnly?: boolean } = {}): Promise<number> {
    this.clearRecording();
    const out = await this.command(`call ${uri}${options.audioOnly ? ' --audio-only' : ''}`);
    const assigned = /Establishing call id to .*, assigned id (\d+)/.exec(out);
    if (!assigned) throw new Error(`linphonec ${this.opts.user}: call ${uri}: ${out.trim()}`);
    return Number(assigned[1]);
  }

  /** Answers the incoming call (the record file is emptied first). */
  async answer(): Promise<void> {
    this.clearRecording();
    const out = await this.command('answer');
    if (/There are no calls to answer|Fail to accept/.test(out)) throw new Error(`linphonec ${this.opts.user}: answer: ${out.trim()}`);
  }

  /**
   * Saves the next picture the current call's video shows (what it receives) as a JPEG at `path`
   * (under the test's folder) and resolves once the file is complete; rejects after `timeoutMs`
   * (no video decoded, or none received).
   */
  async snapshot(path: string, timeoutMs = 5_000): Promise<string> {
    if (!path.startsWith(this.ns.dir + '/')) throw new Error(`linphone: snapshot path must be under ${this.ns.dir}`);
    rmSync(path, { force: true });
    const out = await this.command(`snapshot ${path}`);
    if (!out.includes('Taking video snapshot')) throw new Error(`linphonec ${this.opts.user}: snapshot: ${out.trim()}`);
    const deadline = Date.now() + timeoutMs;
    while (!jpegComplete(path)) {
      if (Date.now() > deadline) throw new Error(`linphonec ${this.opts.user}: no snapshot at ${path} within ${timeoutMs} ms`);
      await delay(50);
    }
    return path;
  }

  /** Asks the other side of the current call for a key frame (`vfureq`: RTCP PLI/FIR, RFC 4585/5104). */
  async requestKeyFrame(): Promise<void> {
    const out = await this.command('vfureq');
    if (!out.includes('VFU request sent')) throw new Error(`linphonec ${this.opts.user}: vfureq: ${out.trim()}`);
  }

  /** Hangs up the current call. */
  async terminate(): Promise<void> {
    await this.command('terminate');
  }

  /** Puts the current call on hold (`pause`: re-INVITE with a=sendonly); `paused` event follows. */
  async pause(): Promise<void> {
    await this.command('pause');
  }

  /** Takes the paused call off hold; `resuming`, then `streams` events follow. */
  async resume(): Promise<void> {
    await this.command('resume');
  }

  /** Blind transfer of the current call (REFER, RFC 3515); a `transferred` event follows. */
  async transfer(uri: string): Promise<void> {
    await this.command(`transfer ${uri}`);
  }

  /** Sets the auto-answer mode at run time. */
  async setAutoAnswer(enabled: boolean): Promise<void> {
    await this.command(`autoanswer ${enabled ? 'enable' : 'disable'}`);
  }

  /** `status register` / `status autoanswer` / `status hook`, as printed. */
  status(what: 'register' | 'autoanswer' | 'hook'): Promise<string> {
    return this.command(`status ${what}`);
  }

  /** Deletes the record file (linphonec appends to it across calls). */
  clearRecording(): void {
    rmSync(this.recordWav, { force: true });
  }

  /**
   * Waits (bounded) until the record file holds `seconds` of audio. The file has no header
   * until the call ends, so give the rate it records at: the codec's (8000; opus 48000).
   */
  async waitHeard(seconds: number, timeoutMs: number, sampleRate = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const heard = wavSecondsWritten(this.recordWav, { sampleRate, channels: 1 });
      if (heard >= seconds) return;
      if (Date.now() > deadline) throw new Error(`linphonec ${this.opts.user}: heard ${heard.toFixed(2)} s, not ${seconds} s, within ${timeoutMs} ms`);
      await delay(50);
    }
  }

  /** The record file of the last call, once its WAV header has been written (the call ended). */
  async recording(timeoutMs = 3_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!wavClosed(this.recordWav, 'nonzero')) {
      if (Date.now() > deadline) throw new Error(`linphonec ${this.opts.user}: no complete recording at ${this.recordWav}`);
      await delay(20);
    }
    return this.recordWav;
  }

  /**
   * Stops linphonec: `quit` (it ends calls and un-registers), then one empty connection to wake
   * its control thread (blocked in accept(): SIGTERM alone leaves it hanging), SIGKILL after 3 s.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await this.command('quit', 1_000).catch(() => undefined);
      await this.poke();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    rmSync(this.socketPath, { force: true });
  }

  private poke(): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect(this.socketPath);
      socket.on('connect', () => socket.end());
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
  }
}

function parseEvent(line: string): LinphoneEvent | undefined {
  const tone = /^Receiving tone (.) from (.+)$/.exec(line);
  if (tone) return { type: 'dtmf', detail: tone[1], peer: tone[2], line };
  for (const [re, type, at] of EVENT_PATTERNS) {
    const m = re.exec(line);
    if (!m) continue;
    return { type, call: Number(m[at.call]), peer: at.peer ? m[at.peer] : undefined, detail: at.detail ? m[at.detail] : undefined, line };
  }
  return undefined;
}

/** A JPEG file that is all there: it ends with the End Of Image marker (FF D9). */
function jpegComplete(path: string): boolean {
  if (!existsSync(path)) return false;
  const data = readFileSync(path);
  return data.length > 4 && data[0] === 0xff && data[1] === 0xd8 && data[data.length - 2] === 0xff && data[data.length - 1] === 0xd9;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
