#!/usr/bin/env node
/**
 * `npm run phone -- <command> …`: the headless command line over the same engine the desktop
 * app drives (main/phone/). Every event can be printed as one JSON object per line (--json) for
 * automation; without --json it prints short sentences. Exit status: 0 on success, 1 when the
 * SIP side failed (one line says why, in words), 2 for a usage error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createInterface } from 'node:readline';
import { reasonPhrase } from './sip/index.ts';
import { guardProcess } from './phone/last-resort.ts';
import { Phone, type PhoneOptions } from './phone/phone.ts';
import type { AccountConfig, AccountSnapshot, CallAudioSource, CallCodec, CallSnapshot, DirectCalls, SipTraceEntry, TransferRequests, SrtpMode } from './contract/api.ts';

const HELP = `Appel — a SIP softphone. Headless command line.

Usage:
  npm run phone -- register --aor URI [options]     register an account, then exit (or stay --for S)
  npm run phone -- call URI [options]               call, print what happens, hang up after --duration
  npm run phone -- listen [options]                 take calls (ring, or --auto-answer), answer OPTIONS,
                                                    print MESSAGEs received
  npm run phone -- options URI [options]            send OPTIONS and print the answer
  npm run phone -- message URI TEXT [options]       send an instant message (RFC 3428)
  npm run phone -- help                             this text

Account options:
  --aor URI            address of record, e.g. sip:alice@example.com
  --username U         authentication user (default: the AOR's user part)
  --realm R            the only digest realm given credentials (default: the registrar's
                       realm and the AOR's domain; others are refused)
  --password P         password (also: environment variable APPEL_PASSWORD; else a prompt
                       when run in a terminal)
  --display-name N     display name in From
  --proxy URI          outbound proxy, e.g. 'sip:127.0.0.1:5061;transport=tls'
                       (skips DNS look-ups of the AOR's domain)
  --transport T        udp, tcp or tls when neither the proxy nor DNS decides
  --ca FILE            PEM file of extra certificate authorities trusted for TLS
  --insecure           do not verify TLS certificates (testing only)
  --expires N          registration interval to ask for, seconds (default 600)
  --no-outbound        do not use RFC 5626 outbound (reg-id, flow keep-alive)
  --keep-alive S       keep-alive interval in seconds (0 = off)
  --retry-base S       back-off base after a failed registration (RFC 5626 §4.5; default 30)
  --no-register        do not register (listen, options, message)

Network options:
  --listen SPEC        local socket(s), e.g. udp:127.0.0.1:5070, tcp:[::1]:0, tls:0.0.0.0:5061
                       (repeatable; default: udp, tcp and tls on 0.0.0.0, any free port)
  --dns HOST:PORT      DNS server(s) for RFC 3263 look-ups (repeatable; default: the system's)
  --stun HOST[:PORT]   learn each call's public RTP address from this STUN server (RFC 5389)
  --rtp-ports MIN-MAX  RTP ports to use (default 16384-32766)
  --tls-cert FILE --tls-key FILE   certificate for a TLS listener

Call options (call, listen):
  --play FILE          send this WAV file (16-bit PCM) as the microphone; tone:HZ sends a tone
                       (default: silence)
  --record FILE        write what is heard to this WAV file (mono, 16 kHz); in listen, {n} in
                       the name is replaced by the call's number
  --codecs LIST        codecs in order of preference (default opus,g722,pcmu,pcma,g729,gsm)
  --srtp MODE          off, optional or mandatory SDES-SRTP (default: off for call, mandatory
                       when it goes over TLS or to a sips: URI; optional for listen)
  --duration S         call: hang up S seconds after the answer (default: when the other side does)
  --dtmf DIGITS        call: send these digits (0-9 * # A-D) once media flows
  --dtmf-info          call: DTMF by SIP INFO, not RFC 4733 events
  --auto-answer        listen: answer every call; --delay S waits S seconds first
  --dnd                listen: do not disturb (every call gets 486 Busy Here)
  --max-rate N         new requests per second one address may send before it gets 503 and
                       then silence (default 20; 0: no limit, for load tests); the account's
                       registrar is never limited
  --transfers WHEN     when the other side asks to transfer us (REFER): never (the default;
                       refused with 603), always, or ask (a 'transfer' event with state
                       'asking', then accept-transfer or decline-transfer on standard input)
  --direct-calls WHEN  take calls, messages and OPTIONS sent straight to this computer rather
                       than through the account's server: auto (only when no account
                       registers; the default), always or never. A request for a registered
                       account is taken only from its registrar, at the Contact registered.
  --session-expires S  RFC 4028 session interval asked for, and the shortest accepted when
                       below 90 (default 1800; short values are for tests)

  While call or listen runs, lines on standard input act on the current call (the latest one,
  or the one 'swap' or 'call' moved to): hold, resume, hangup, answer, decline [486|603],
  dtmf DIGITS, codecs LIST, message TEXT (to its peer), and
    transfer URI        blind transfer (RFC 5589 §6): the call is held, its peer REFERred to URI
    call URI            a second call (the current one is put on hold first); it records to
                        the --record name with -2 (then -3…) before the extension
    swap                hold the current call and take the other one off hold
    attended-transfer   connect the first call's peer with the second call's (Replaces)
    accept-transfer     follow the transfer the other side asked for (with --transfers ask)
    decline-transfer    refuse it (the call goes on)
    merge               the two calls into a three-way conference (mixed here; the first
                        call's --play and --record are our voice and ears)
    split               back to two calls (the second one held)
  A transfer the other side asks for (REFER) is followed: a new call to the target, which
  replaces the old call once answered; 'call' runs until every call is over.

Run options:
  --for S              stay S seconds (refreshing the registration), then unregister and exit
  --json               print events as JSON, one object per line
  --trace              print every SIP message sent and received (credentials masked)
  -h, --help           this text

Call events (--json): calling, redirected, ringing, early-media, answered (codec, srtp), held,
resumed, dtmf, message, stats (each second), latched (where RTP now goes, learned from what
arrived), ended (reason in words, status, duration), transfer (progress: trying, ringing),
transferred (to, outcome, reason), conference (members, state); and incoming, for listen. Exit status of call: 0 when the call was answered and ended normally, else 1
with the reason on one line ("sip:bob@lab.test is busy (486 Busy Here)").

Examples:
  npm run phone -- register --aor sip:alice@lab.test --proxy 'sip:127.0.0.1:5061;transport=tls' --ca ca.pem
  npm run phone -- call sip:bob@lab.test --aor sip:alice@lab.test --proxy sip:127.0.0.1 --play hello.wav --duration 10
  npm run phone -- listen --listen udp:127.0.0.1:5070 --auto-answer --record 'heard-{n}.wav' --json
  APPEL_PASSWORD=secret npm run phone -- register --aor sip:alice@lab.test --for 60 --json
  npm run phone -- message sip:bob@lab.test 'Hello Bob' --aor sip:alice@lab.test
`;

const OPTIONS = {
  aor: { type: 'string' },
  username: { type: 'string' },
  realm: { type: 'string' },
  password: { type: 'string' },
  'display-name': { type: 'string' },
  proxy: { type: 'string' },
  transport: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  expires: { type: 'string' },
  'no-outbound': { type: 'boolean' },
  'keep-alive': { type: 'string' },
  'retry-base': { type: 'string' },
  'no-register': { type: 'boolean' },
  listen: { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  stun: { type: 'string' },
  'rtp-ports': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  play: { type: 'string' },
  record: { type: 'string' },
  codecs: { type: 'string' },
  srtp: { type: 'string' },
  duration: { type: 'string' },
  dtmf: { type: 'string' },
  'dtmf-info': { type: 'boolean' },
  'auto-answer': { type: 'boolean' },
  'direct-calls': { type: 'string' },
  transfers: { type: 'string' },
  'max-rate': { type: 'string' },
  delay: { type: 'string' },
  dnd: { type: 'boolean' },
  'session-expires': { type: 'string' },
  for: { type: 'string' },
  json: { type: 'boolean' },
  trace: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export class UsageError extends Error {}

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function seconds(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} wants a number of seconds ≥ ${min}, not '${value}'`);
  return n;
}

/** Parse `udp:127.0.0.1:5070`, `tcp:[::1]:0`, `tls:0.0.0.0:5061`. */
export function parseListen(spec: string): { protocol: 'UDP' | 'TCP' | 'TLS'; address: string; port: number } {
  const m = /^(udp|tcp|tls):(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(spec);
  if (!m) throw new UsageError(`--listen wants PROTO:ADDRESS:PORT (udp:127.0.0.1:5070, tcp:[::1]:0), not '${spec}'`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--listen port ${port} is above 65535`);
  return { protocol: m[1].toUpperCase() as 'UDP' | 'TCP' | 'TLS', address: m[2].replace(/^\[|\]$/g, ''), port };
}

export function parseCli(argv: string[]): { command: string; positionals: string[]; values: Values } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [command = 'help', ...positionals] = parsed.positionals;
  return { command, positionals, values: parsed.values as Values };
}

async function promptPassword(aor: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  process.stderr.write(`Password for ${aor}: `);
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Hide what is typed: the readline echo is swallowed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

async function accountFrom(values: Values, needAor: boolean): Promise<AccountConfig | undefined> {
  if (!values.aor) {
    if (needAor) throw new UsageError('--aor is required, e.g. --aor sip:alice@example.com');
    return undefined;
  }
  if (!/^sips?:/i.test(values.aor)) throw new UsageError(`--aor wants a sip: or sips: URI, not '${values.aor}'`);
  const transport = values.transport?.toLowerCase();
  if (transport !== undefined && !['udp', 'tcp', 'tls'].includes(transport)) {
    throw new UsageError(`--transport wants udp, tcp or tls, not '${values.transport}'`);
  }
  if (values.password !== undefined) {
    // Anyone on this computer can read a command line (ps, /proc/<pid>/cmdline).
    process.stderr.write('warning: --password can be read by other users of this computer; set APPEL_PASSWORD instead\n');
  }
  const password = values.password ?? process.env.APPEL_PASSWORD ?? (await promptPassword(values.aor));
  return {
    aor: values.aor,
    username: values.username,
    ...(values.realm ? { realm: values.realm } : {}),
    password,
    displayName: values['display-name'],
    proxy: values.proxy,
    transport: transport as AccountConfig['transport'],
    ca: values.ca,
    tlsVerify: !values.insecure,
    expires: seconds('expires', values.expires, 1),
    outbound: !values['no-outbound'],
    keepAlive: seconds('keep-alive', values['keep-alive']),
    retryBase: seconds('retry-base', values['retry-base'], 0.01),
    register: !values['no-register'],
  };
}

/** `--transfers never|always|ask` (default never: nobody may be there to ask). */
function transferRequests(value: string | undefined): TransferRequests {
  if (value === undefined) return 'never';
  if (value !== 'ask' && value !== 'always' && value !== 'never') throw new UsageError(`--transfers wants never, always or ask, not '${value}'`);
  return value;
}

/** `--direct-calls auto|always|never`. */
function directCalls(value: string): DirectCalls {
  if (value !== 'auto' && value !== 'always' && value !== 'never') throw new UsageError(`--direct-calls wants auto, always or never, not '${value}'`);
  return value;
}

/** `--rtp-ports 20000-20100`: even start, within 1024-65535. */
function portRange(spec: string | undefined): { min: number; max: number } | undefined {
  if (spec === undefined) return undefined;
  const m = /^(\d{4,5})-(\d{4,5})$/.exec(spec);
  const [min, max] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(min >= 1024 && max <= 65535 && min + 1 < max)) throw new UsageError(`--rtp-ports wants MIN-MAX within 1024-65535 (e.g. 20000-20100), not '${spec}'`);
  return { min, max };
}

function phoneOptions(values: Values, account?: AccountConfig): PhoneOptions {
  const sessionExpires = seconds('session-expires', values['session-expires'], 1);
  const ports = portRange(values['rtp-ports']);
  const maxRate = values['max-rate'];
  if (maxRate !== undefined && !/^\d{1,6}$/.test(maxRate)) throw new UsageError(`--max-rate wants a whole number of requests per second (0: no limit), not '${maxRate}'`);
  return {
    ...(maxRate !== undefined ? { maxRequestRate: Number(maxRate) } : {}),
    ...(values.stun !== undefined || ports ? { media: { ...(values.stun !== undefined ? { stun: values.stun } : {}), ...(ports ? { portRange: ports } : {}) } } : {}),
    ...(sessionExpires !== undefined ? { sessionTimer: { expires: Math.round(sessionExpires), minSE: Math.min(90, Math.round(sessionExpires)) } } : {}),
    listen: values.listen?.map(parseListen),
    dnsServers: values.dns,
    keepAlive: account?.keepAlive,
    tls: {
      ca: account?.ca ?? values.ca,
      verify: !values.insecure,
      cert: values['tls-cert'],
      key: values['tls-key'],
    },
  };
}

/** Output: JSON lines or sentences. */
class Printer {
  private readonly json: boolean;
  constructor(json: boolean) {
    this.json = json;
  }
  /** One event: a JSON line, or the sentence (none: nothing in sentence mode). */
  event(name: string, fields: Record<string, unknown>, sentence?: string): void {
    if (this.json) process.stdout.write(JSON.stringify({ event: name, time: new Date().toISOString(), ...fields }) + '\n');
    else if (sentence !== undefined) process.stdout.write(sentence + '\n');
  }
  trace(t: SipTraceEntry): void {
    if (this.json) {
      process.stdout.write(JSON.stringify({ event: 'trace', ...t, time: new Date(t.time).toISOString() }) + '\n');
    } else {
      const arrow = t.direction === 'sent' ? `${t.local} -> ${t.remote}` : `${t.remote} -> ${t.local}`;
      process.stderr.write(`--- ${new Date(t.time).toISOString()} ${t.direction} ${t.transport} ${arrow}\n${t.text.replace(/\r\n/g, '\n')}\n`);
    }
  }
}

function accountEvent(p: Printer, s: AccountSnapshot): void {
  switch (s.state) {
    case 'registering':
      p.event('registering', { aor: s.aor }, `registering ${s.aor} …`);
      break;
    case 'registered':
      p.event(
        'registered',
        { aor: s.aor, expires: s.expires, contact: s.contact, publicAddress: s.publicAddress },
        `registered ${s.aor} for ${s.expires} s as ${s.contact}`,
      );
      break;
    case 'failed':
      p.event(
        'failed',
        { aor: s.aor, status: s.error?.status, reason: s.error?.reason, retryAt: s.nextAttemptAt && new Date(s.nextAttemptAt).toISOString() },
        `registration of ${s.aor} failed: ${s.error?.reason}`,
      );
      break;
    case 'unregistered':
      p.event('unregistered', { aor: s.aor }, `unregistered ${s.aor}`);
      break;
  }
}


const CODECS: readonly CallCodec[] = ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'];

function parseCodecs(value: string | undefined): CallCodec[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
  for (const c of list) if (!CODECS.includes(c as CallCodec)) throw new UsageError(`--codecs: unknown codec '${c}' (known: ${CODECS.join(', ')})`);
  if (list.length === 0) throw new UsageError('--codecs wants at least one codec, e.g. --codecs opus,pcmu');
  return list as CallCodec[];
}

function parseSrtp(value: string | undefined): SrtpMode | undefined {
  if (value === undefined) return undefined;
  if (value !== 'off' && value !== 'optional' && value !== 'mandatory') throw new UsageError(`--srtp wants off, optional or mandatory, not '${value}'`);
  return value;
}

function parsePlay(value: string | undefined): CallAudioSource | undefined {
  if (value === undefined) return undefined;
  const tone = /^tone:(\d+(?:\.\d+)?)(?:\+(\d+(?:\.\d+)?))?$/.exec(value);
  if (tone) return { tone: tone[2] ? [Number(tone[1]), Number(tone[2])] : [Number(tone[1])] };
  return { wav: value };
}

function heldWords(by: CallSnapshot['heldBy']): string {
  return by === 'local' ? 'on hold (by us)' : by === 'remote' ? 'on hold (by the other side)' : 'on hold (both sides)';
}

/** Turns the engine's call snapshots into the CLI's events: what changed, in words or JSON. */
function printCalls(p: Printer, phone: Phone): void {
  const previous = new Map<string, CallSnapshot>();
  phone.on('call:incoming', (s) =>
    p.event('incoming', { callId: s.id, from: s.peer.uri, displayName: s.peer.displayName }, `incoming call from ${s.peer.displayName ? `"${s.peer.displayName}" ` : ''}${s.peer.uri}`),
  );
  phone.on('call:state', (s) => {
    const before = previous.get(s.id);
    previous.set(s.id, s);
    if (s.state === 'ended') previous.delete(s.id);
    const answered = before?.answeredAt !== undefined;
    if (!before && s.direction === 'outgoing') p.event('calling', { callId: s.id, to: s.peer.uri }, `calling ${s.peer.uri} …`);
    if (before && s.direction === 'outgoing' && !answered && s.state !== 'ended' && before.peer.uri !== s.peer.uri) {
      p.event('redirected', { callId: s.id, to: s.peer.uri }, `redirected to ${s.peer.uri}`);
    }
    if (s.state === 'ringing' && s.direction === 'outgoing' && before?.state !== 'ringing') p.event('ringing', { callId: s.id }, `${s.peer.uri} is ringing`);
    if (s.state === 'early' && before?.state !== 'early') p.event('early-media', { callId: s.id, codec: s.codec, srtp: s.srtp }, `early media (${s.codec}${s.srtp ? ', SRTP' : ''})`);
    if ((s.state === 'connected' || s.state === 'held') && !answered) {
      p.event('answered', { callId: s.id, peer: s.peer.uri, codec: s.codec, srtp: s.srtp }, `in call with ${s.peer.uri} (${s.codec}${s.srtp ? ', SRTP' : ''})`);
    }
    if (s.state === 'held' && (before?.state !== 'held' || before.heldBy !== s.heldBy)) p.event('held', { callId: s.id, by: s.heldBy }, heldWords(s.heldBy));
    if (s.state === 'connected' && before?.state === 'held') p.event('resumed', { callId: s.id }, 'resumed');
    if (s.state === 'ended') {
      const duration = s.answeredAt !== undefined ? Math.round(((s.endedAt ?? Date.now()) - s.answeredAt) / 100) / 10 : 0;
      p.event(
        'ended',
        { callId: s.id, reason: s.endReason, status: s.endStatus, by: s.endedBy, duration },
        `call ended: ${s.endReason}${s.endStatus ? ` (${s.endStatus})` : ''}${s.answeredAt !== undefined ? ` after ${duration} s` : ''}`,
      );
    }
  });
  phone.on('call:dtmf', (d) => p.event('dtmf', { callId: d.callId, digit: d.digit, via: d.via, durationMs: d.durationMs }, `DTMF ${d.digit} (${d.via === 'rtp' ? 'RFC 4733' : 'SIP INFO'})`));
  phone.on('call:stats', (st) => p.event('stats', { ...st }));
  phone.onLatched((l) => p.event('latched', { ...l }, `${l.rtcp ? 'RTCP' : 'media'} now goes to ${l.address}:${l.port}`));
  phone.onMediaWarning((w) => p.event('warning', { ...w }, `warning: ${w.message}`));
  printTransfers(p, phone, previous);
}

/** Transfer progress (from the snapshots), transfer outcomes, and conferences. */
function printTransfers(p: Printer, phone: Phone, previous: Map<string, CallSnapshot>): void {
  const shown = new Map<string, string>();
  phone.on('call:state', (s) => {
    const t = s.transfer;
    const key = t ? `${t.role}/${t.state}/${t.status ?? ''}` : '';
    if (!t || shown.get(s.id) === key || t.state === 'transferred' || t.state === 'failed') {
      if (s.state === 'ended') shown.delete(s.id);
      return;
    }
    shown.set(s.id, key);
    if (s.state === 'ended') shown.delete(s.id);
    const words = t.role === 'transferor' ? `transferring to ${t.to}` : t.role === 'transferee' ? `asked to call ${t.to}` : `being replaced by a call with ${t.to}`;
    p.event('transfer', { callId: s.id, role: t.role, kind: t.kind, to: t.to, state: t.state, status: t.status }, `${words}: ${t.state}`);
  });
  phone.on('call:transferred', (e) =>
    p.event(
      'transferred',
      { callId: e.callId, role: e.role, kind: e.kind, to: e.to, outcome: e.outcome, reason: e.reason, status: e.status, newCallId: e.newCallId },
      e.ok ? (e.role === 'target' ? `the call was replaced by a call with ${e.to}` : `transferred to ${e.to}`) : `the transfer to ${e.to} failed: ${e.reason}`,
    ),
  );
  phone.on('conference:state', (c) =>
    p.event(
      'conference',
      { conferenceId: c.id, members: c.members, peers: c.members.map((id) => previous.get(id)?.peer.uri), state: c.state, reason: c.endReason },
      c.state === 'active' ? `in a conference with ${c.members.map((id) => previous.get(id)?.peer.uri ?? id).join(' and ')}` : `the conference ended (${c.endReason})`,
    ),
  );
}

/**
 * Commands on standard input while `call` or `listen` runs, one per line, acting on the latest
 * call still going: what a person at the keyboard (or a test driving the CLI) would press.
 */
function readCommands(
  phone: Phone,
  printer: Printer,
  message: (to: string, text: string) => Promise<void>,
  dial: (to: string) => Promise<CallSnapshot>,
): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  /** The call `swap` or `call` moved to (the latest call otherwise). */
  let focus: string | undefined;
  rl.on('line', (line) => {
    const [verb = '', ...rest] = line.trim().split(/\s+/);
    const arg = line.trim().slice(verb.length).trim();
    if (verb === '') return;
    const calls = phone.listCalls();
    const ringing = verb === 'answer' || verb === 'decline' ? calls.filter((c) => c.direction === 'incoming' && c.state === 'ringing').at(-1) : undefined;
    const call = ringing ?? calls.find((c) => c.id === focus) ?? calls.at(-1);
    /** The calls that are up (connected or held), oldest first. */
    const up = calls.filter((c) => c.state === 'connected' || c.state === 'held');
    const two = (what: string): [CallSnapshot, CallSnapshot] => {
      if (up.length !== 2) throw new Error(`${what} needs two calls that are up, not ${up.length}`);
      return [up[0], up[1]];
    };
    const run = async (): Promise<void> => {
      switch (verb) {
        case 'call': {
          if (!/^\S+$/.test(arg)) throw new Error('call wants one URI: call sip:carol@example.com');
          if (call?.state === 'connected') await phone.hold({ callId: call.id });
          focus = (await dial(arg)).id;
          return;
        }
        case 'swap': {
          const [a, b] = two('swap');
          const [from, to] = call?.id === b.id ? [b, a] : [a, b];
          if (from.state === 'connected') await phone.hold({ callId: from.id });
          if (to.heldBy === 'local' || to.heldBy === 'both') await phone.resume({ callId: to.id });
          focus = to.id;
          printer.event('swapped', { callId: to.id, peer: to.peer.uri }, `now with ${to.peer.uri}`);
          return;
        }
        case 'attended-transfer': {
          const [a, b] = two('attended-transfer');
          await phone.attendedTransfer({ callId: a.id, targetCallId: b.id });
          return;
        }
        case 'merge': {
          const [a, b] = two('merge');
          await phone.merge({ callIds: [a.id, b.id] });
          return;
        }
        case 'split': {
          const conf = phone.listConferences()[0];
          if (!conf) throw new Error('there is no conference');
          await phone.split({ conferenceId: conf.id });
          focus = conf.members[0];
          return;
        }
      }
      if (verb === 'accept-transfer' || verb === 'decline-transfer') {
        const asked = calls.find((c) => c.transfer?.role === 'transferee' && c.transfer.state === 'asking');
        if (!asked) throw new Error('no transfer request is waiting for an answer');
        phone.answerTransfer({ callId: asked.id, accept: verb === 'accept-transfer' });
        return;
      }
      if (!call) throw new Error('there is no call');
      const callId = call.id;
      switch (verb) {
        case 'transfer':
          if (!/^\S+$/.test(arg)) throw new Error('transfer wants one URI: transfer sip:carol@example.com');
          await phone.transfer({ callId, to: arg });
          return;
        case 'hold':
          await phone.hold({ callId });
          return;
        case 'resume':
          await phone.resume({ callId });
          return;
        case 'hangup':
          await phone.hangup({ callId });
          return;
        case 'answer':
          await phone.answer({ callId });
          return;
        case 'decline':
          phone.decline({ callId, status: rest[0] === '603' ? 603 : 486 });
          return;
        case 'dtmf':
          await phone.sendDtmf({ callId, digits: arg });
          printer.event('dtmf-sent', { callId, digits: arg }, `sent DTMF ${arg}`);
          return;
        case 'codecs':
          await phone.changeCodecs({ callId, codecs: parseCodecs(arg) ?? [] });
          return;
        case 'message':
          await message(call.peer.uri, arg);
          return;
        default:
          throw new Error(
            `unknown command '${verb}' (hold, resume, hangup, answer, decline, dtmf, codecs, message, transfer, call, swap, attended-transfer, merge, split, accept-transfer, decline-transfer)`,
          );
      }
    };
    run().catch((err: unknown) => {
      printer.event('command-failed', { command: verb, error: (err as Error).message });
      process.stderr.write(`${verb}: ${(err as Error).message}\n`);
    });
  });
  return () => rl.close();
}

/** "sip:bob@lab.test is busy (486 Busy Here)": why a call did not go as asked, in one line. */
export function callOutcomeLine(to: string, s: CallSnapshot): string {
  const words = s.endReason ?? 'the call failed';
  const status = s.endStatus !== undefined && s.endStatus >= 300 ? ` (${s.endStatus} ${reasonPhrase(s.endStatus)})` : '';
  if (s.answeredAt !== undefined) return `the call with ${to} ended: ${words}${status}`;
  if (/^(busy|busy everywhere|not available right now)$/.test(words)) return `${to} is ${words}${status}`;
  if (words === 'declined') return `${to} declined the call${status}`;
  if (words === 'not found') return `${to} was not found${status}`;
  return `${to}: ${words}${status}`;
}

/** The next snapshot of `callId` that passes `test` (already seen ones are not replayed). */
function nextCallState(phone: Phone, callId: string, test: (s: CallSnapshot) => boolean, signal?: AbortSignal): Promise<CallSnapshot | undefined> {
  return new Promise((resolve) => {
    const done = (s: CallSnapshot | undefined) => {
      phone.off('call:state', listener);
      signal?.removeEventListener('abort', onAbort);
      resolve(s);
    };
    const listener = (s: CallSnapshot) => {
      if (s.id === callId && test(s)) done(s);
    };
    const onAbort = () => done(undefined);
    phone.on('call:state', listener);
    signal?.addEventListener('abort', onAbort);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Until no call is left, `until` (ms since the epoch) has passed, or `signal` aborts. */
async function whileCalls(phone: Phone, until: number | undefined, signal: AbortSignal): Promise<void> {
  while (phone.listCalls().length > 0 && !signal.aborted && (until === undefined || Date.now() < until)) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, until === undefined ? 2 ** 31 - 1 : Math.max(0, until - Date.now()));
      function done(): void {
        clearTimeout(timer);
        phone.off('call:state', onState);
        signal.removeEventListener('abort', done);
        resolve();
      }
      const onState = (s: CallSnapshot): void => {
        if (s.state === 'ended') done();
      };
      phone.on('call:state', onState);
      signal.addEventListener('abort', done);
    });
  }
}

interface CallArgs {
  to: string;
  accountId?: string;
  proxy?: string;
  codecs?: CallCodec[];
  srtp?: SrtpMode;
  play?: CallAudioSource;
  record?: string;
  duration?: number;
  dtmf?: string;
  dtmfInfo: boolean;
}

/** `call`: dial, wait for the answer, send DTMF, stay --duration, hang up; the exit status. */
async function placeCall(phone: Phone, printer: Printer, signal: AbortSignal, a: CallArgs): Promise<number> {
  const started = await phone.dial({
    to: a.to,
    ...(a.accountId ? { accountId: a.accountId } : {}),
    ...(a.proxy && !a.accountId ? { proxy: a.proxy } : {}),
    ...(a.codecs ? { codecs: a.codecs } : {}),
    ...(a.srtp ? { srtp: a.srtp } : {}),
    ...(a.play ? { play: a.play } : {}),
    ...(a.record ? { record: a.record } : {}),
    ...(a.dtmfInfo ? { dtmf: 'info' as const } : {}),
  });
  const id = started.id;
  const current = () => phone.listCalls().find((c) => c.id === id);
  const ended = new Promise<CallSnapshot>((resolve) => {
    const listener = (s: CallSnapshot) => {
      if (s.id !== id || s.state !== 'ended') return;
      phone.off('call:state', listener);
      resolve(s);
    };
    if (started.state === 'ended') resolve(started);
    else phone.on('call:state', listener);
  });
  const upNow = current();
  const answered =
    upNow?.answeredAt !== undefined ? upNow : await nextCallState(phone, id, (s) => s.answeredAt !== undefined || s.state === 'ended', signal);
  if (answered && answered.state !== 'ended') {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort);
    void ended.then(() => stop.abort());
    const hangupAt = a.duration === undefined ? undefined : Date.now() + a.duration * 1000;
    if (a.dtmf) {
      // Once media flows (its first statistics), so the other side's receiver is running.
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 2000);
        function done() {
          clearTimeout(t);
          phone.off('call:stats', onStats);
          resolve();
        }
        const onStats = (st: { callId: string; packetsReceived: number }) => {
          if (st.callId === id) done();
        };
        phone.on('call:stats', onStats);
        stop.signal.addEventListener('abort', done);
      });
      if (!stop.signal.aborted) {
        try {
          await phone.sendDtmf({ callId: id, digits: a.dtmf });
          printer.event('dtmf-sent', { callId: id, digits: a.dtmf }, `sent DTMF ${a.dtmf}`);
        } catch (err) {
          process.stderr.write(`DTMF not sent: ${(err as Error).message}\n`);
        }
      }
    }
    await sleep(hangupAt === undefined ? 2 ** 31 - 1 : Math.max(0, hangupAt - Date.now()), stop.signal);
    signal.removeEventListener('abort', onAbort);
    // The call ended but others go on (a transfer's new call, a second call): wait for them too.
    if (!current()) await whileCalls(phone, hangupAt, signal);
  }
  const left = phone.listCalls();
  if (left.length > 0) await Promise.race([Promise.all(left.map((c) => phone.hangup({ callId: c.id }).catch(() => undefined))), new Promise((r) => setTimeout(r, 5000).unref())]);
  const final = await Promise.race([ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref())]);
  if (!final) {
    process.stderr.write(`the call with ${a.to} did not end cleanly\n`);
    return 1;
  }
  const normal = final.answeredAt !== undefined && (final.endStatus === undefined || final.endStatus < 300);
  if (!normal) {
    process.stderr.write(callOutcomeLine(a.to, final) + '\n');
    return 1;
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nTry: npm run phone -- --help\n`);
    return 2;
  }
  const { command, positionals, values } = cli;
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const printer = new Printer(!!values.json);
  const stopSignal = new AbortController();
  const onSignal = () => stopSignal.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let phone: Phone | undefined;
  let stopCommands: (() => void) | undefined;
  try {
    const needAor = command === 'register';
    if (!['register', 'options', 'message', 'listen', 'call'].includes(command)) {
      throw new UsageError(`unknown command '${command}'`);
    }
    if (command === 'call' && positionals.length !== 1) throw new UsageError('call wants one URI: call sip:bob@example.com');
    const codecs = parseCodecs(values.codecs);
    const srtp = parseSrtp(values.srtp);
    const direct = values['direct-calls'] !== undefined ? directCalls(values['direct-calls']) : undefined;
    const transfers = transferRequests(values.transfers);
    const play = parsePlay(values.play);
    const duration = seconds('duration', values.duration);
    const delay = seconds('delay', values.delay);
    if (values.dtmf !== undefined && !/^[0-9*#A-Da-d]+$/.test(values.dtmf)) throw new UsageError(`--dtmf wants digits 0-9, *, #, A-D, not '${values.dtmf}'`);
    if (command === 'options' && positionals.length !== 1) throw new UsageError('options wants one URI: options sip:bob@example.com');
    if (command === 'message' && positionals.length !== 2) throw new UsageError("message wants a URI and a text: message sip:bob@example.com 'Hello'");
    const account = await accountFrom(values, needAor);
    const stayFor = seconds('for', values.for);
    phone = new Phone(phoneOptions(values, account));
    if (values.trace) phone.on('sip:trace', (t) => printer.trace(t));
    printCalls(printer, phone);
    phone.on('message:received', (m) =>
      printer.event('message', { from: m.peer, text: m.text, contentType: m.contentType }, `message from ${m.peer}: ${m.text}`),
    );
    await phone.start();

    let accountId: string | undefined;
    if (account) {
      if (command !== 'register' && account.register === undefined) account.register = !values['no-register'];
      const firstOutcome = new Promise<AccountSnapshot>((resolve) => {
        phone!.on('account:state', (s) => {
          accountEvent(printer, s);
          if (s.state === 'registered' || s.state === 'failed') resolve(s);
        });
      });
      const snap = phone.addAccount(account);
      accountId = snap.id;
      if (account.register !== false) {
        const outcome = await Promise.race([firstOutcome, new Promise<undefined>((r) => stopSignal.signal.addEventListener('abort', () => r(undefined)))]);
        if (!outcome) return 1;
        if (outcome.state === 'failed') {
          process.stderr.write(`${outcome.error?.reason ?? 'registration failed'}\n`);
          return 1;
        }
      }
    }

    if (command === 'call' || command === 'listen') {
      let dialled = 1;
      stopCommands = readCommands(
        phone,
        printer,
        async (to, text) => {
          const m = await phone!.sendMessage({ accountId, to, text, proxy: values.proxy });
          printer.event('message-sent', { to: m.peer, status: m.status, error: m.error }, m.status === 'sent' ? `message delivered to ${m.peer}` : `message not delivered: ${m.error}`);
        },
        (to) => {
          // `call URI` on standard input: a call like the first (the engine numbers its record file).
          const record = values.record?.replace('{n}', `out-${++dialled}`);
          return phone!.dial({
            to,
            ...(accountId ? { accountId } : {}),
            ...(values.proxy && !accountId ? { proxy: values.proxy } : {}),
            ...(codecs ? { codecs } : {}),
            ...(srtp ? { srtp } : {}),
            ...(play ? { play } : {}),
            ...(record ? { record } : {}),
            ...(values['dtmf-info'] ? { dtmf: 'info' as const } : {}),
          });
        },
      );
    }
    if (command === 'call') {
      return await placeCall(phone, printer, stopSignal.signal, {
        to: positionals[0],
        accountId,
        proxy: values.proxy,
        codecs,
        srtp,
        play,
        record: values.record,
        duration,
        dtmf: values.dtmf,
        dtmfInfo: !!values['dtmf-info'],
      });
    }
    phone.callSettings({ transferRequests: transfers, ...(direct ? { directCalls: direct } : {}) });
    if (command === 'listen') {
      phone.callSettings({
        autoAnswer: !!values['auto-answer'],
        autoAnswerDelay: delay ?? 0,
        doNotDisturb: !!values.dnd,
        ...(play ? { autoAnswerPlay: play } : {}),
        ...(values.record ? { autoAnswerRecord: values.record } : {}),
        ...(codecs ? { codecs } : {}),
        ...(srtp ? { srtp } : {}),
      });
    }
    if (command === 'options') {
      const res = await phone.options({ accountId, to: positionals[0], proxy: values.proxy });
      printer.event('options', { to: positionals[0], status: res.status, reason: res.reason }, `${res.status} ${res.reason}`);
      if (res.status >= 300) return 1;
    } else if (command === 'message') {
      const msg = await phone.sendMessage({ accountId, to: positionals[0], text: positionals[1], proxy: values.proxy });
      printer.event('message-sent', { to: msg.peer, status: msg.status, error: msg.error }, msg.status === 'sent' ? `message delivered to ${msg.peer}` : `message not delivered: ${msg.error}`);
      if (msg.status !== 'sent') {
        process.stderr.write(`${msg.error}\n`);
        return 1;
      }
    } else if (command === 'listen' || stayFor !== undefined) {
      if (command === 'listen') {
        for (const a of phone.localAddresses()) printer.event('listening', { ...a }, `listening on ${a.protocol.toLowerCase()}:${a.address}:${a.port}`);
      }
      await sleep(stayFor === undefined ? 2 ** 31 - 1 : stayFor * 1000, stopSignal.signal);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\nTry: npm run phone -- --help\n`);
      return 2;
    }
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopCommands?.();
    if (phone) await phone.stop();
  }
}

if (import.meta.main) {
  guardProcess((line) => process.stderr.write(`${line}\n`));
  process.exitCode = await main(process.argv.slice(2));
}
