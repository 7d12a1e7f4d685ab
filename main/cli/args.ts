/**
 * The command line's arguments: the options it takes, checked at the boundary (a UsageError names
 * the option; exit status 2), and what they make: the account, the phone's options, the codecs,
 * SRTP mode and audio source of calls.
 */
import { AppelError } from '../contract/errors.ts';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createInterface } from 'node:readline';
import type { AccountConfig, CallAudioSource, CallCodec, CallVideoSource, DirectCalls, TransferRequests, SrtpMode } from '../contract/api.ts';
import { existsSync } from 'node:fs';
import { portRangeSchema } from '../contract/schemas.ts';
import { CALL_CODECS, RTP_PORT_LIMITS, TRANSPORTS } from '../contract/values.ts';
import type { PhoneOptions } from '../phone/phone.ts';

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
  video: { type: 'boolean' },
  'video-source': { type: 'string' },
  'record-video': { type: 'string' },
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

/** A command line Appel cannot follow (AppelError 'bad-request'; the CLI exits with status 2). */
export class UsageError extends AppelError {
  constructor(message: string) {
    super('bad-request', message);
    this.name = 'UsageError';
  }
}

export type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export function seconds(name: string, value: string | undefined, min = 0): number | undefined {
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


export async function accountFrom(values: Values, needAor: boolean): Promise<AccountConfig | undefined> {
  if (!values.aor) {
    if (needAor) throw new UsageError('--aor is required, e.g. --aor sip:alice@example.com');
    return undefined;
  }
  if (!/^sips?:/i.test(values.aor)) throw new UsageError(`--aor wants a sip: or sips: URI, not '${values.aor}'`);
  const transport = values.transport?.toLowerCase();
  if (transport !== undefined && !(TRANSPORTS as readonly string[]).includes(transport)) {
    throw new UsageError(`--transport wants ${TRANSPORTS.join(', ')}, not '${values.transport}'`);
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
export function transferRequests(value: string | undefined): TransferRequests {
  if (value === undefined) return 'never';
  if (value !== 'ask' && value !== 'always' && value !== 'never') throw new UsageError(`--transfers wants never, always or ask, not '${value}'`);
  return value;
}

/** `--direct-calls auto|always|never`. */
export function directCalls(value: string): DirectCalls {
  if (value !== 'auto' && value !== 'always' && value !== 'never') throw new UsageError(`--direct-calls wants auto, always or never, not '${value}'`);
  return value;
}

/** `--rtp-ports 20000-20100`: the range the contract's portRangeSchema accepts. */
function portRange(spec: string | undefined): { min: number; max: number } | undefined {
  if (spec === undefined) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(spec);
  const range = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
  const problem = portRangeSchema(range, '--rtp-ports');
  if (!range || problem) throw new UsageError(`--rtp-ports wants MIN-MAX within ${RTP_PORT_LIMITS.min}-${RTP_PORT_LIMITS.max} (e.g. 20000-20100), not '${spec}'${problem ? ` (${problem})` : ''}`);
  return range;
}

export function phoneOptions(values: Values, account?: AccountConfig): PhoneOptions {
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

export function parseCodecs(value: string | undefined): CallCodec[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
  for (const c of list) if (!CALL_CODECS.includes(c as CallCodec)) throw new UsageError(`--codecs: unknown codec '${c}' (known: ${CALL_CODECS.join(', ')})`);
  if (list.length === 0) throw new UsageError('--codecs wants at least one codec, e.g. --codecs opus,pcmu');
  return list as CallCodec[];
}

export function parseSrtp(value: string | undefined): SrtpMode | undefined {
  if (value === undefined) return undefined;
  if (value !== 'off' && value !== 'optional' && value !== 'mandatory') throw new UsageError(`--srtp wants off, optional or mandatory, not '${value}'`);
  return value;
}

export function parsePlay(value: string | undefined): CallAudioSource | undefined {
  if (value === undefined) return undefined;
  const tone = /^tone:(\d+(?:\.\d+)?)(?:\+(\d+(?:\.\d+)?))?$/.exec(value);
  if (tone) return { tone: tone[2] ? [Number(tone[1]), Number(tone[2])] : [Number(tone[1])] };
  return { wav: value };
}

/**
 * `--video`, `--video-source testsrc|FILE.y4m`, `--record-video FILE`: a video call (either of the
 * last two implies `--video`). Without a source, the call receives video and sends none.
 */
export function parseVideo(values: Values): { videoSource?: CallVideoSource; recordVideo?: string } | undefined {
  const source = values['video-source'];
  const record = values['record-video'];
  if (!values.video && source === undefined && record === undefined) return undefined;
  let videoSource: CallVideoSource | undefined;
  if (source === 'testsrc') videoSource = 'testsrc';
  else if (source !== undefined) {
    if (!/\.y4m$/i.test(source)) throw new UsageError(`--video-source wants testsrc or a .y4m file, not '${source}' (convert one: ffmpeg -i IN -pix_fmt yuv420p OUT.y4m)`);
    if (!existsSync(source)) throw new UsageError(`--video-source: no file '${source}'`);
    videoSource = { y4m: source };
  }
  return { ...(videoSource ? { videoSource } : {}), ...(record ? { recordVideo: record } : {}) };
}
