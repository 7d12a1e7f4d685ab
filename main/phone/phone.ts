/**
 * The engine people use (DESIGN.md "phone/"): accounts and their registrations, instant
 * messages, OPTIONS, and the SIP trace, over our SIP stack. It speaks `api.ts`: the CLI calls it
 * directly; the desktop app reaches it over IPC, and the browser bridge over a WebSocket.
 */
import { EventEmitter } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import {
  SipTransport,
  SipResolver,
  SourceLimiter,
  UserAgent,
  Registerer,
  InviteUsage,
  ReferUsage,
  DigestAuthenticator,
  parseUri,
  realClock,
  type Clock,
  type InviteSession,
  type IncomingRequest,
  type RegistrationSnapshot,
  type TraceEvent,
  type TransportProtocol,
} from '../sip/index.ts';
import type {
  AccountConfig,
  AccountSnapshot,
  AnswerRequest,
  ApiEvents,
  CallAudioSource,
  CallCodec,
  CallLatched,
  CallSettings,
  CallSnapshot,
  CallTransferOutcome,
  ConferenceSnapshot,
  DialRequest,
  MessageSnapshot,
  SipTraceEntry,
  SrtpMode,
} from '../contract/api.ts';
import { Call, CallError, DEFAULT_CODECS, reject488, unreadableOffer, type CallHost, type CallMedia } from './call.ts';
import { STUN_DEFAULT_PORT } from '../media/index.ts';
import { MediaHost, type DeviceLinkPort } from './media-host.ts';
import { Transfers } from './transfers.ts';
import { admit, registrationContactUser, type Admission, type PolicyAccount } from './incoming-policy.ts';
import { isAccountServer, realmTrust, secureSignalling, tlsPolicyFor } from './account-trust.ts';
import { Conference } from './conference.ts';

export const USER_AGENT = 'Appel/0.1';

export interface PhoneOptions {
  /** Local sockets; default UDP and TCP on 0.0.0.0 with any free port. */
  listen?: Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /** DNS servers for RFC 3263 look-ups (`ip` or `ip:port`); default the system's. */
  dnsServers?: string[];
  tls?: { ca?: string; verify?: boolean; cert?: string; key?: string };
  /** RFC 3261 timers, ms (tests shorten them). */
  timers?: { T1?: number; T2?: number; T4?: number };
  /** RFC 5626 keep-alive interval on registration flows, seconds (default 30; 0 = off). */
  keepAlive?: number;
  clock?: Clock;
  media?: {
    /** Our RTP address; default the address the SIP flow toward the peer leaves from. */
    address?: string;
    /** RTP ports (default 16384-32766). */
    portRange?: { min: number; max: number };
    /**
     * A STUN server (RFC 5389), `host[:port]` (default port 3478; `stun:` URI form too, RFC 7064):
     * each call learns its RTP socket's public address and puts it in its SDP. '' or absent: none.
     */
    stun?: string;
    /** Another media engine entry point (tests). */
    workerUrl?: URL;
  };
  /** Incoming-call behaviour (changeable later with `callSettings`). */
  calls?: Partial<CallSettings>;
  /**
   * Calls without `play`/`record` speak and hear through the local user's audio device (the
   * app's microphone and speaker, `connectAudio`); default false: they send silence (headless).
   */
  localAudio?: boolean;
  /** RFC 4028 session timers (default on: 1800 s asked, 90 s minimum; false: off). */
  sessionTimer?: { expires?: number; minSE?: number } | false;
  /**
   * New requests per second one source may send (sustained; three times as many at once), the
   * registrars of our accounts excepted (default 20; 0: unlimited, for load tests of a PBX).
   */
  maxRequestRate?: number;
}

interface Account {
  id: string;
  config: AccountConfig;
  /** The user part of its AOR, and of the Contact it registers (incoming-policy.ts). */
  aorUser: string;
  contactUser: string;
  /** Every address its registrar or outbound proxy resolves to, learned once it registers. */
  serverAddresses?: string[];
  registerer?: Registerer;
  snapshot: AccountSnapshot;
}

type Events = { [K in keyof ApiEvents]: [ApiEvents[K]] };

/** A stable `urn:uuid` per machine and AOR (RFC 5626 §4.1: the same across restarts). */
function instanceIdFor(aor: string): string {
  const h = createHash('sha256').update(`appel:${hostname()}:${aor}`).digest('hex');
  // Shaped as a version-5-style UUID (RFC 4122 §4.3 layout, our own hash).
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** From, next hop and credentials of a request outside a dialog: the account's, else none. */
function outOfDialogRoute(account: Account | undefined, proxy?: string) {
  const config = account?.config;
  return {
    from: config?.aor,
    proxy: config?.proxy ?? proxy,
    transport: toTransport(config?.transport),
    credentials: account && { username: config!.username, password: config!.password, trust: realmTrust(account) },
  };
}

function toTransport(name?: string): TransportProtocol | undefined {
  return name ? (name.toUpperCase() as TransportProtocol) : undefined;
}

/** A STUN server as configured: a name or an IP address, and a port. */
interface StunTarget {
  host: string;
  port: number;
}

/** Incoming calls ringing at once; one more gets 486. */
export const MAX_RINGING = 5;
/** The longest an incoming call rings before it is a missed call (480). */
export const RING_LIMIT_S = 120;

/** How long a call waits for the STUN server's name to resolve (its own query is bounded too). */
const STUN_DNS_MS = 1500;

/**
 * `host[:port]`, `[v6]:port`, a bare IPv6 address, or the `stun:` URI of RFC 7064 §3.1; '' is
 * none. Throws TypeError saying what is wrong.
 */
function parseStunServer(text: string): StunTarget | undefined {
  let s = text.trim();
  if (s === '') return undefined;
  // Over TLS the server would see a TCP connection, not the RTP socket's UDP mapping.
  if (/^stuns:/i.test(s)) throw new TypeError(`the STUN server ${JSON.stringify(text)} is over TLS (stuns:), which cannot learn the address of a UDP port; use stun: or host[:port]`);
  s = s.replace(/^stun:/i, '');
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracketed) [, host, port] = bracketed;
  else if (isIPv6(s)) host = s;
  else {
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(s);
    if (!m) throw new TypeError(`the STUN server ${JSON.stringify(text)} is not host[:port]`);
    [, host, port] = m;
  }
  const n = port === undefined ? STUN_DEFAULT_PORT : Number(port);
  if (!(n >= 1 && n <= 65535)) throw new TypeError(`the STUN server ${JSON.stringify(text)} has port ${port}, not 1-65535`);
  return { host: host!.toLowerCase(), port: n };
}

const CODEC_NAMES: readonly CallCodec[] = ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'];
const SRTP_MODES: readonly SrtpMode[] = ['off', 'optional', 'mandatory'];

/** Checks a CallAudioSource at the boundary (a missing WAV fails the request, not the call). */
function checkPlay(name: string, play: CallAudioSource | undefined): void {
  if (play === undefined) return;
  if (typeof play !== 'object' || play === null) throw new CallError('bad-request', `${name}: expected { wav }, { tone } or { silence }`);
  if ('wav' in play) {
    if (typeof play.wav !== 'string' || !existsSync(play.wav)) throw new CallError('bad-request', `${name}: no such WAV file '${String(play.wav)}'`);
  } else if ('tone' in play) {
    if (!Array.isArray(play.tone) || play.tone.length === 0 || play.tone.length > 2 || play.tone.some((f) => !(f > 0 && f < 24000))) {
      throw new CallError('bad-request', `${name}: tone wants one or two frequencies in Hz`);
    }
  } else if (!('silence' in play)) {
    throw new CallError('bad-request', `${name}: expected { wav }, { tone } or { silence }`);
  }
}

function checkCodecs(codecs: CallCodec[] | undefined): void {
  if (codecs === undefined) return;
  if (!Array.isArray(codecs) || codecs.length === 0) throw new CallError('bad-request', 'codecs: expected a non-empty list');
  for (const c of codecs) if (!CODEC_NAMES.includes(c)) throw new CallError('bad-request', `codecs: unknown codec '${String(c)}' (known: ${CODEC_NAMES.join(', ')})`);
}

function checkSrtp(srtp: SrtpMode | undefined): void {
  if (srtp !== undefined && !SRTP_MODES.includes(srtp)) throw new CallError('bad-request', `srtp: expected off, optional or mandatory, not '${String(srtp)}'`);
}

export class Phone extends EventEmitter<Events> {
  private readonly opts: PhoneOptions;
  private readonly clock: Clock;
  private transport?: SipTransport;
  private ua?: UserAgent;
  private usage?: InviteUsage;
  private media?: MediaHost;
  private readonly accounts = new Map<string, Account>();
  private readonly calls = new Map<string, Call>();
  private refers?: ReferUsage;
  private transfers?: Transfers;
  private readonly conferences = new Map<string, Conference>();
  /** The outbound proxy a direct call (no account) was placed through: a transfer's new call goes the same way. */
  private readonly callProxies = new WeakMap<Call, string>();
  private settings: CallSettings;
  private autoAnswered = 0;
  private readonly latchedListeners: Array<(latched: CallLatched) => void> = [];
  private readonly mediaWarningListeners: Array<(warning: { callId: string; message: string }) => void> = [];
  private resolver?: SipResolver;
  /** STUN server and RTP ports for the next call (`setMediaNetwork`). */
  private mediaNetwork: { stun?: StunTarget | { error: string }; portRange?: { min: number; max: number } };
  /** When each call last came to the foreground (early media, answered, resumed): the latest has the device. */
  private readonly foregroundSince = new Map<Call, number>();
  private foregroundCount = 0;
  private nextId = 1;
  /** What the incoming policy said of each request it admitted, and where it came from (read when its call is set up). */
  private readonly admissions = new WeakMap<object, { admission: Admission; arrival: { source: { address: string; port: number }; connectionId?: string } }>();

  constructor(opts: PhoneOptions = {}) {
    super();
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.settings = { autoAnswer: false, autoAnswerDelay: 0, doNotDisturb: false, ...opts.calls };
    this.mediaNetwork = {};
    this.setMediaNetwork({ ...(opts.media?.stun !== undefined ? { stun: opts.media.stun } : {}), ...(opts.media?.portRange ? { portRange: opts.media.portRange } : {}) });
  }

  /**
   * The STUN server (`host[:port]`, '' for none) and RTP port range the next call uses (a call
   * under way keeps its own). Keys left out stay as they are. A port range out of bounds throws
   * TypeError; a STUN server that cannot be used is each call's warning (the call goes on).
   */
  setMediaNetwork(change: { stun?: string; portRange?: { min: number; max: number } }): void {
    const next = { ...this.mediaNetwork };
    if (change.stun !== undefined) {
      if (typeof change.stun !== 'string') throw new TypeError('stun: expected host[:port] or an empty string');
      let stun: StunTarget | { error: string } | undefined;
      try {
        stun = parseStunServer(change.stun);
      } catch (err) {
        stun = { error: (err as Error).message };
      }
      if (stun) next.stun = stun;
      else delete next.stun;
    }
    if (change.portRange !== undefined) {
      const { min, max } = change.portRange ?? {};
      if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1024 && max <= 65535 && min + 1 < max)) {
        throw new TypeError(`portRange: expected 1024 ≤ min < max ≤ 65535, not ${String(min)}-${String(max)}`);
      }
      next.portRange = { min, max };
    }
    this.mediaNetwork = next;
  }

  /** Engine-only (not an IPC event): what a call survived but the person may want to know (STUN failed). */
  onMediaWarning(listener: (warning: { callId: string; message: string }) => void): void {
    this.mediaWarningListeners.push(listener);
  }

  /** Emit without letting a listener's exception reach the stack (callbacks never throw). */
  private publish<K extends keyof ApiEvents>(event: K, payload: ApiEvents[K]): void {
    try {
      (this.emit as (e: K, p: ApiEvents[K]) => boolean)(event, payload);
    } catch {
      // The listener's bug stays with the listener.
    }
  }

  async start(): Promise<void> {
    const listen = this.opts.listen?.length
      ? this.opts.listen
      : [
          { protocol: 'UDP' as const, address: '0.0.0.0', port: 0 },
          { protocol: 'TCP' as const, address: '0.0.0.0', port: 0 },
        ];
    this.transport = new SipTransport({
      listen,
      tls: {
        ca: this.opts.tls?.ca,
        verify: this.opts.tls?.verify ?? true,
        cert: this.opts.tls?.cert,
        key: this.opts.tls?.key,
      },
      keepAliveInterval: this.opts.keepAlive ?? 30,
      tlsPolicy: (server) => tlsPolicyFor(this.accounts.values(), server),
      // A flood from one address costs it its own packets; the registrars of our accounts pass.
      ...(this.opts.maxRequestRate === 0
        ? {}
        : { limiter: new SourceLimiter({ clock: this.clock, rate: this.opts.maxRequestRate ?? 20, burst: 3 * (this.opts.maxRequestRate ?? 20), exempt: (address) => isAccountServer(this.accounts.values(), address) }) }),
    });
    // The trace is decoded only while someone listens to 'sip:trace' (the CLI's --trace, a viewer).
    const traceSink = (e: TraceEvent) => this.emit('sip:trace', toTraceEntry(e));
    const transport = this.transport;
    const self = this as EventEmitter;
    if (self.listenerCount('sip:trace') > 0) transport.setTrace(traceSink);
    self.on('newListener', (event) => {
      if (event === 'sip:trace') transport.setTrace(traceSink);
    });
    self.on('removeListener', (event) => {
      if (event === 'sip:trace' && self.listenerCount('sip:trace') === 0) transport.setTrace(undefined);
    });
    await this.transport.start();
    const resolver = new SipResolver({ servers: this.opts.dnsServers });
    this.resolver = resolver;
    this.ua = new UserAgent({
      transport: this.transport,
      resolver,
      clock: this.clock,
      timers: this.opts.timers,
      userAgent: USER_AGENT,
    });
    this.ua.setAdmission((incoming) => {
      const admission = this.admit(incoming);
      return admission.kind === 'refused' ? admission : undefined;
    });
    this.ua.onMessage((m) => {
      const snap: MessageSnapshot = {
        id: randomUUID(),
        direction: 'incoming',
        peer: m.from,
        text: m.text,
        contentType: m.contentType,
        time: Date.now(),
        status: 'received',
      };
      this.publish('message:received', snap);
    });
    this.usage = new InviteUsage({
      ua: this.ua,
      clock: this.clock,
      userAgent: USER_AGENT,
      ...(this.opts.sessionTimer !== undefined ? { sessionTimer: this.opts.sessionTimer } : {}),
    });
    this.usage.onIncoming((session) => {
      this.onIncoming(session).catch((err: unknown) => this.incomingFailed(session, err));
    });
    // Transfer (RFC 3515 REFER, RFC 3891 Replaces) over the same INVITE usage: phone/transfers.ts.
    this.refers = new ReferUsage({ ua: this.ua, invite: this.usage, clock: this.clock });
    this.transfers = new Transfers({
      refers: this.refers,
      clock: this.clock,
      call: (id) => this.call(id),
      callOf: (session) => [...this.calls.values()].find((c) => c.session === session),
      resolveTarget: (to, accountId) => this.targetUri(to, accountId !== undefined ? this.accounts.get(accountId) : undefined),
      followUp: (from, o) => this.followUp(from, o),
      transferred: (e) => this.publish('call:transferred', e),
      transferRequests: () => this.settings.transferRequests ?? 'ask',
    });
    this.media = new MediaHost(this.opts.media?.workerUrl ? { workerUrl: this.opts.media.workerUrl } : {});
    this.media.onExit((reason) => {
      for (const c of this.calls.values()) c.failMedia(reason);
    });
    this.transport.onFlowFailed(() => {
      // RFC 5626 §4.4.1: a failed flow is replaced by registering again on a new one, after
      // the §4.5 back-off.
      for (const a of this.accounts.values()) a.registerer?.flowFailed();
    });
  }

  /** Engine-only (not an IPC event): a call's RTP now goes where the peer's really came from. */
  onLatched(listener: (latched: CallLatched) => void): void {
    this.latchedListeners.push(listener);
  }

  localAddresses(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return this.transport?.localAddresses() ?? [];
  }

  addAccount(config: AccountConfig): AccountSnapshot {
    if (!this.ua) throw new Error('the phone is not started');
    const aor = parseUri(config.aor);
    if (aor.scheme !== 'sip' && aor.scheme !== 'sips') throw new TypeError(`aor: a sip: or sips: URI is needed, not '${config.aor}'`);
    const id = String(this.nextId++);
    const registers = config.register !== false;
    const account: Account = {
      id,
      config: { ...config },
      aorUser: aor.user,
      contactUser: registers ? registrationContactUser(aor.user) : aor.user,
      snapshot: { id, aor: config.aor, state: 'unregistered' },
    };
    this.accounts.set(id, account);
    if (registers) {
      const registerer = new Registerer({
        aor: config.aor,
        contactUser: account.contactUser,
        username: config.username,
        password: config.password,
        ...(config.realm ? { realm: config.realm } : {}),
        displayName: config.displayName,
        expires: config.expires ?? 600,
        instanceId: instanceIdFor(config.aor),
        outbound: config.outbound ?? true,
        retryBase: config.retryBase ?? 30,
        userAgent: USER_AGENT,
        sender: {
          send: (req, o) => this.ua!.send(req, { ...o, proxy: config.proxy, transport: toTransport(config.transport) }),
        },
        clock: this.clock,
      });
      registerer.onChange((s) => this.updateAccount(account, s));
      account.registerer = registerer;
      void registerer.register();
    }
    return { ...account.snapshot };
  }

  async removeAccount(id: string): Promise<void> {
    const account = this.accounts.get(id);
    if (!account) throw new TypeError(`id: no account '${id}'`);
    this.accounts.delete(id);
    await account.registerer?.unregister();
  }

  listAccounts(): AccountSnapshot[] {
    return [...this.accounts.values()].map((a) => ({ ...a.snapshot }));
  }

  /** Wake from sleep or a network change: every account registers again at once. */
  async networkChanged(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((a) => a.registerer?.refreshNow()));
  }

  async options(req: { accountId?: string; to: string; proxy?: string }): Promise<{ status: number; reason: string }> {
    const account = req.accountId ? this.accounts.get(req.accountId) : undefined;
    const res = await this.ua!.sendOutOfDialog({
      method: 'OPTIONS',
      to: req.to,
      ...outOfDialogRoute(account, req.proxy),
      fields: [['Accept', 'application/sdp']],
    });
    return { status: res.status, reason: res.reason };
  }

  async sendMessage(req: { accountId?: string; to: string; text: string; proxy?: string }): Promise<MessageSnapshot> {
    const account = req.accountId ? this.accounts.get(req.accountId) : undefined;
    const snap: MessageSnapshot = {
      id: randomUUID(),
      direction: 'outgoing',
      peer: req.to,
      text: req.text,
      contentType: 'text/plain;charset=UTF-8',
      time: Date.now(),
      status: 'sending',
    };
    // RFC 3428 §4: MESSAGE outside a dialog, text/plain body.
    const res = await this.ua!.sendOutOfDialog({
      method: 'MESSAGE',
      to: req.to,
      ...outOfDialogRoute(account, req.proxy),
      fields: [['Content-Type', snap.contentType]],
      body: req.text,
    });
    if (res.status >= 200 && res.status < 300) snap.status = 'sent';
    else {
      snap.status = 'failed';
      snap.error = res.status === 408 || res.status === 503 ? res.reason : `${req.to} answered ${res.status} ${res.reason}`;
    }
    this.emit('message:state', { ...snap });
    return snap;
  }

  // ───────────────────────────── calls ─────────────────────────────

  private callHost(): CallHost {
    // The network settings as they are now: a later setMediaNetwork is for the next call.
    const { stun, portRange } = this.mediaNetwork;
    return {
      media: this.media!,
      ...(portRange ? { portRange } : {}),
      ...(stun ? { stunServer: (family: 4 | 6) => ('error' in stun ? Promise.reject(new Error(stun.error)) : this.resolveStun(stun, family)) } : {}),
      warning: (call, message) => {
        for (const l of this.mediaWarningListeners) {
          try {
            l({ callId: call.id, message });
          } catch {
            // The listener's bug stays with the listener.
          }
        }
      },
      ...(this.opts.localAudio ? { localAudio: true } : {}),
      changed: (call) => {
        this.noteForeground(call);
        this.publish('call:state', call.snapshot);
      },
      streamStarted: () => this.updateDeviceOwner(),
      stats: (stats) => this.publish('call:stats', stats),
      dtmf: (dtmf) => this.publish('call:dtmf', dtmf),
      latched: (latched) => {
        for (const l of this.latchedListeners) {
          try {
            l(latched);
          } catch {
            // The listener's bug stays with the listener.
          }
        }
      },
      message: (m) =>
        this.publish('message:received', { id: randomUUID(), direction: 'incoming', peer: m.from, text: m.text, contentType: m.contentType, time: Date.now(), status: 'received' }),
      ended: (call) => {
        this.calls.delete(call.id);
        this.foregroundSince.delete(call);
        for (const conf of this.conferences.values()) conf.memberLeft(call, `${call.snapshot.peer.uri} left`);
        this.updateDeviceOwner();
      },
      streamReplaced: (call) => {
        for (const conf of this.conferences.values()) conf.memberLeft(call, `the audio of ${call.snapshot.peer.uri} changed`);
      },
    };
  }

  /** A call we hear and speak in: early media, connected, or held by the other side only. */
  private static inForeground(s: CallSnapshot): boolean {
    return s.state === 'early' || s.state === 'connected' || (s.state === 'held' && s.heldBy === 'remote');
  }

  private noteForeground(call: Call): void {
    const now = Phone.inForeground(call.snapshot);
    if (now && !this.foregroundSince.has(call)) this.foregroundSince.set(call, ++this.foregroundCount);
    else if (!now) this.foregroundSince.delete(call);
    this.updateDeviceOwner();
  }

  /**
   * Who has the local microphone and speaker: the active conference (its first call lends the
   * local audio to the mix), else the call most recently brought to the foreground. A call we
   * hold never has it: the other side hears nothing of the room.
   */
  private updateDeviceOwner(): void {
    if (!this.media || !this.opts.localAudio) return;
    const conf = [...this.conferences.values()].find((c) => c.active);
    let owner: Call | undefined = conf?.members[0];
    if (!owner) {
      let latest = 0;
      for (const [call, since] of this.foregroundSince) {
        if (since > latest && !call.snapshot.conferenceId) [owner, latest] = [call, since];
      }
    }
    this.media.setDeviceOwner(owner?.currentStreamId ?? null);
  }

  /**
   * The app's audio device link (MediaHost.connectDevice): what calls without `play` send and
   * where they play what they hear. Returns the function that ends it.
   */
  connectAudio(port: DeviceLinkPort, sampleRate: number): () => void {
    if (!this.media) throw new Error('the phone is not started');
    const end = this.media.connectDevice(port, sampleRate);
    this.updateDeviceOwner();
    return end;
  }

  private call(callId: string): Call {
    const call = typeof callId === 'string' ? this.calls.get(callId) : undefined;
    if (!call) throw new CallError('not-found', `callId: no call '${String(callId)}'`);
    return call;
  }

  /**
   * The STUN server's address for a socket of `family`: an IP literal as it is, a name through
   * the phone's own resolver (A/AAAA, the configured DNS servers), bounded so a call is not held
   * up. Rejects in words.
   */
  private async resolveStun(stun: StunTarget, family: 4 | 6): Promise<{ address: string; port: number }> {
    const named = stun.host.includes(':') ? `[${stun.host}]:${stun.port}` : `${stun.host}:${stun.port}`;
    let addresses: string[];
    if (isIP(stun.host)) addresses = [stun.host];
    else {
      if (!this.resolver) throw new Error('the phone is not started');
      let timer: unknown;
      const bound = new Promise<never>((_, reject) => {
        timer = this.clock.setTimeout(() => reject(new Error(`no DNS answer for ${stun.host} within ${STUN_DNS_MS / 1000} s`)), STUN_DNS_MS);
      });
      try {
        const targets = await Promise.race([this.resolver.resolve({ host: stun.host, port: stun.port, transport: 'UDP' }), bound]);
        addresses = targets.map((t) => t.address);
      } catch (err) {
        throw new Error(`the STUN server ${named} could not be found: ${(err as Error).message}`, { cause: err });
      } finally {
        this.clock.clearTimeout(timer as never);
      }
    }
    const address = addresses.find((a) => (isIPv6(a) ? 6 : 4) === family);
    if (address === undefined) throw new Error(`the STUN server ${named} has no IPv${family} address, and the call's audio uses IPv${family}`);
    return { address, port: stun.port };
  }

  /** The address our RTP should use toward `uri`: where the SIP flow leaves from. */
  private async mediaAddress(uri: string, proxy: string | undefined, transport: TransportProtocol | undefined): Promise<string> {
    if (this.opts.media?.address) return this.opts.media.address;
    try {
      const targets = await this.ua!.resolveNextHop(proxy ?? uri, transport ? { transport } : {});
      if (targets.length > 0) return (await this.ua!.flowFor(targets[0])).local.address;
    } catch {
      // The INVITE will say what is wrong with the address.
    }
    const first = this.localAddresses()[0]?.address;
    return first && first !== '0.0.0.0' && first !== '::' ? first : '127.0.0.1';
  }

  /** `to` as a sip:/sips: URI: a user part alone is dialled at the account's domain (CallError otherwise). */
  private targetUri(raw: string, account: Account | undefined): string {
    let to = raw.trim();
    if (!/^sips?:/i.test(to)) {
      if (!account) throw new CallError('bad-request', `to: '${to}' is not a sip: URI (and there is no account to dial it at)`);
      to = `sip:${to}@${parseUri(account.config.aor).host}`;
    }
    try {
      const uri = parseUri(to);
      if (uri.scheme !== 'sip' && uri.scheme !== 'sips') throw new Error('scheme');
    } catch {
      throw new CallError('bad-request', `to: '${raw}' is not a valid sip: URI`);
    }
    return to;
  }

  /** `path`, or `name-2.wav`, `name-3.wav`… when a live call of ours already records to it (two calls never share a file). */
  private freeRecordPath(path: string): string {
    const used = new Set([...this.calls.values()].map((c) => c.snapshot.record));
    if (!used.has(path)) return path;
    for (let k = 2; ; k++) {
      const candidate = path.replace(/(\.[^./\\]*)?$/, (ext) => `-${k}${ext}`);
      if (!used.has(candidate)) return candidate;
    }
  }

  /** Place a call. Resolves once the INVITE is sent (state `dialing`); `call:state` tells the rest. */
  async dial(req: DialRequest): Promise<CallSnapshot> {
    if (!this.usage) throw new Error('the phone is not started');
    if (typeof req?.to !== 'string' || req.to.trim() === '') throw new CallError('bad-request', 'to: a sip: URI or a user name is needed');
    const account = req.accountId !== undefined ? this.accounts.get(req.accountId) : undefined;
    if (req.accountId !== undefined && !account) throw new CallError('not-found', `accountId: no account '${req.accountId}'`);
    checkCodecs(req.codecs);
    checkSrtp(req.srtp);
    checkPlay('play', req.play);
    if (req.dtmf !== undefined && req.dtmf !== 'auto' && req.dtmf !== 'info') throw new CallError('bad-request', `dtmf: auto or info, not '${String(req.dtmf)}'`);
    const to = this.targetUri(req.to, account);
    const call = await this.place({
      to,
      account,
      proxy: account?.config.proxy ?? req.proxy,
      media: {
        codecs: req.codecs ?? DEFAULT_CODECS,
        // Signalling over TLS keeps the SDES keys secret, so its media is encrypted too unless
        // asked otherwise (RFC 4568 §8.3: SDES only over a secure signalling path).
        srtp: req.srtp ?? (secureSignalling(to, account?.config, req.proxy) ? 'mandatory' : 'off'),
        telephoneEvent: req.dtmf !== 'info',
        ...(req.play ? { play: req.play } : {}),
        ...(req.record ? { record: this.freeRecordPath(req.record) } : {}),
      },
    });
    return call.snapshot;
  }

  /** Create, announce and dial an outgoing call (dial, and a transfer's new call). */
  private async place(o: {
    to: string;
    account: Account | undefined;
    proxy: string | undefined;
    media: CallMedia;
    headers?: Array<[string, string]>;
    onSession?: (session: InviteSession) => void;
  }): Promise<Call> {
    const config = o.account?.config;
    const transport = toTransport(config?.transport);
    const call = Call.outgoing(this.callHost(), { to: o.to, ...(o.account ? { accountId: o.account.id } : {}), media: o.media });
    if (o.proxy && !config?.proxy) this.callProxies.set(call, o.proxy);
    this.calls.set(call.id, call);
    this.publish('call:state', call.snapshot);
    const address = await this.mediaAddress(o.to, o.proxy, transport);
    const host = address.includes(':') ? `[${address}]` : address;
    const from = config?.aor ?? `sip:appel@${host}`;
    const credentials =
      o.account && config?.password !== undefined
        ? new DigestAuthenticator({ username: config.username ?? parseUri(config.aor).user, password: config.password, trust: realmTrust(o.account) })
        : undefined;
    await call.dial({
      address,
      invite: (offer, delegate) => {
        const session = this.usage!.invite({
          to: o.to,
          from,
          ...(config?.displayName !== undefined ? { displayName: config.displayName } : {}),
          offer,
          delegate,
          ...(o.proxy ? { proxy: o.proxy } : {}),
          ...(transport ? { transport } : {}),
          ...(credentials ? { credentials } : {}),
          ...(o.headers?.length ? { headers: o.headers } : {}),
        });
        o.onSession?.(session);
        return session;
      },
    });
    return call;
  }

  /** A transfer's new call (we are the transferee): from the old call's account and proxy, with its media settings. */
  private followUp(from: Call, o: { to: string; headers: Array<[string, string]>; onSession: (session: InviteSession) => void }): Promise<Call> {
    const accountId = from.snapshot.accountId;
    const account = accountId !== undefined ? this.accounts.get(accountId) : undefined;
    const media = from.media;
    return this.place({
      to: o.to,
      account,
      proxy: account?.config.proxy ?? this.callProxies.get(from),
      media: { ...media, ...(media.record ? { record: this.freeRecordPath(media.record) } : {}) },
      headers: o.headers,
      onSession: o.onSession,
    });
  }

  /** The incoming-call policy's verdict on a request from outside a dialog (phone/incoming-policy.ts). */
  private admit(incoming: IncomingRequest): Admission {
    const accounts: PolicyAccount[] = [...this.accounts.values()].map((a) => ({
      id: a.id,
      aorUser: a.aorUser,
      contactUser: a.contactUser,
      registers: a.registerer !== undefined,
      flow: a.registerer?.flow,
      ...(a.serverAddresses ? { serverAddresses: a.serverAddresses } : {}),
    }));
    let uriUser: string | undefined;
    try {
      uriUser = incoming.message.parsedUri().user;
    } catch {
      uriUser = undefined;
    }
    const admission = admit({ uriUser, source: incoming.source, connectionId: incoming.connectionId }, accounts, this.settings.directCalls);
    this.admissions.set(incoming.message, { admission, arrival: { source: incoming.source, ...(incoming.connectionId !== undefined ? { connectionId: incoming.connectionId } : {}) } });
    return admission;
  }

  private accountFor(session: InviteSession): Account | undefined {
    const request = session.request;
    const admission = request ? this.admissions.get(request)?.admission : undefined;
    const id = admission && admission.kind !== 'refused' ? admission.accountId : undefined;
    return id !== undefined ? this.accounts.get(id) : undefined;
  }

  private async onIncoming(session: InviteSession): Promise<void> {
    const account = this.accountFor(session);
    // RFC 3891 §3: an INVITE whose Replaces names a call of ours takes that call's place.
    const replacing = this.transfers!.incoming(session);
    if (replacing.kind === 'rejected') return; // answered 400/481/486/603 already
    if (replacing.kind === 'replace') {
      // RFC 3891 §3: only someone entitled to may take a call's place: a caller our account's
      // server vouches for, or one that arrives by the replaced dialog's own path. Knowing the
      // Call-ID and tags is not enough (that would be a takeover).
      const seen = session.request ? this.admissions.get(session.request) : undefined;
      const old = replacing.replaced.session;
      const entitled = seen?.admission.kind === 'account' || (seen !== undefined && old?.dialog !== undefined && old.fromPath(old.dialog, seen.arrival));
      if (!entitled) {
        session.reject(403, { reason: 'Forbidden (not entitled to replace that call)' });
        return;
      }
      await this.answerReplacing(session, replacing.replaced, account);
      return;
    }
    const s = this.settings;
    // An offer that is not SDP at all is refused first, whatever else is going on (a flood of
    // them costs no call each).
    const unreadable = session.offer ? unreadableOffer(session.offer) : undefined;
    if (unreadable) {
      reject488(session, unreadable);
      return;
    }
    // However many INVITEs arrive, only so many ring at once: the rest are busy, and not a
    // notification, a window or a history row each.
    const ringing = [...this.calls.values()].filter((c) => c.snapshot.direction === 'incoming' && c.snapshot.state === 'ringing').length;
    if (ringing >= MAX_RINGING) {
      session.reject(486, { reason: 'Busy Here (too many calls ringing)' });
      return;
    }
    const call = Call.incoming(this.callHost(), session, {
      ...(account ? { accountId: account.id } : {}),
      media: {
        codecs: s.codecs ?? DEFAULT_CODECS,
        srtp: s.srtp ?? 'optional',
        ...(s.autoAnswerPlay ? { play: s.autoAnswerPlay } : {}),
      },
    });
    this.calls.set(call.id, call);
    if (s.doNotDisturb) {
      this.publish('call:incoming', call.snapshot);
      call.decline(486, 'refused: do not disturb is on');
      return;
    }
    let problem: string | undefined;
    try {
      problem = await call.check();
    } catch (err) {
      problem = (err as Error).message;
    }
    if (call.state !== 'ringing') return; // the caller gave up meanwhile
    this.publish('call:incoming', call.snapshot);
    if (problem) {
      call.reject488(problem);
      return;
    }
    call.ring();
    this.ringFor(call, session);
    if (s.autoAnswer) {
      const n = ++this.autoAnswered;
      const record = s.autoAnswerRecord?.replace('{n}', String(n));
      const handle = this.clock.setTimeout(
        () =>
          void call.answer(record ? { record } : {}).catch((err: unknown) => call.failMedia(`auto-answer failed: ${(err as Error).message}`)),
        Math.max(0, s.autoAnswerDelay) * 1000,
      );
      call.autoAnswerTimer = () => this.clock.clearTimeout(handle);
    }
  }

  /**
   * A ringing call rings no longer than its INVITE's Expires (RFC 3261 §13.3.1: then 487) and at
   * most RING_LIMIT_S seconds (480): either way a missed call, never one that rings for ever.
   */
  private ringFor(call: Call, session: InviteSession): void {
    let expires: number | undefined;
    const raw = session.request?.header('Expires')?.trim();
    if (raw !== undefined && /^\d{1,10}$/.test(raw)) expires = Number(raw);
    const byExpires = expires !== undefined && expires < RING_LIMIT_S;
    const seconds = byExpires ? expires! : RING_LIMIT_S;
    const handle = this.clock.setTimeout(() => {
      if (call.state !== 'ringing') return;
      try {
        if (byExpires) call.decline(487, `not answered: the caller's invitation expired after ${seconds} s`);
        else call.decline(480, `not answered within ${seconds} s`);
      } catch {
        // Answered or ended meanwhile.
      }
    }, seconds * 1000);
    void call.ended.then(() => this.clock.clearTimeout(handle));
  }

  /**
   * Whatever went wrong while an incoming call was being looked at, the caller gets an answer
   * (500, §21.5.1) and the phone goes on: nothing a caller sends may stop the engine.
   */
  private incomingFailed(session: InviteSession, err: unknown): void {
    const call = [...this.calls.values()].find((c) => c.session === session);
    const reason = `the incoming call could not be handled: ${(err as Error)?.message ?? String(err)}`;
    try {
      if (call) call.failMedia(reason);
      session.terminate({ status: 500, reason: { protocol: 'SIP', cause: 500, text: 'Server Internal Error' } });
    } catch {
      // The session is over already.
    }
  }

  /**
   * The transfer target's side (RFC 5589 §7): the new call is answered at once, with the audio
   * of the call it replaces (whatever do-not-disturb and auto-answer say: that call is up already).
   */
  private async answerReplacing(session: InviteSession, replaced: Call, account: Account | undefined): Promise<void> {
    const media = replaced.media;
    const call = Call.incoming(this.callHost(), session, {
      ...(account ? { accountId: account.id } : {}),
      media: { ...media, ...(media.record ? { record: this.freeRecordPath(media.record) } : {}) },
    });
    this.calls.set(call.id, call);
    let problem: string | undefined;
    try {
      problem = await call.check();
    } catch (err) {
      problem = (err as Error).message;
    }
    if (call.state !== 'ringing') return;
    this.publish('call:incoming', call.snapshot);
    if (problem) {
      call.reject488(problem);
      return;
    }
    this.transfers!.replacing(replaced, call);
    await call.answer().catch((err: unknown) => call.failMedia(`the replacing call could not be answered: ${(err as Error).message}`));
  }

  /** Answer a ringing incoming call. */
  async answer(req: AnswerRequest): Promise<CallSnapshot> {
    const call = this.call(req.callId);
    checkPlay('play', req.play);
    await call.answer({ ...(req.play ? { play: req.play } : {}), ...(req.record ? { record: this.freeRecordPath(req.record) } : {}) });
    return call.snapshot;
  }

  decline(req: { callId: string; status?: 486 | 603 }): void {
    if (req.status !== undefined && req.status !== 486 && req.status !== 603) throw new CallError('bad-request', `status: 486 or 603, not ${String(req.status)}`);
    this.call(req.callId).decline(req.status ?? 486);
  }

  /** End a call whatever its state; resolves once it has ended. */
  async hangup(req: { callId: string }): Promise<void> {
    await this.call(req.callId).hangup();
  }

  async hold(req: { callId: string }): Promise<CallSnapshot> {
    const call = this.call(req.callId);
    await call.hold();
    return call.snapshot;
  }

  async resume(req: { callId: string }): Promise<CallSnapshot> {
    const call = this.call(req.callId);
    await call.resume();
    return call.snapshot;
  }

  async sendDtmf(req: { callId: string; digits: string }): Promise<void> {
    await this.call(req.callId).sendDtmf(req.digits);
  }

  async changeCodecs(req: { callId: string; codecs: CallCodec[] }): Promise<CallSnapshot> {
    checkCodecs(req.codecs);
    const call = this.call(req.callId);
    await call.changeCodecs(req.codecs);
    return call.snapshot;
  }

  // ───────────────────────────── transfer and conference ─────────────────────────────

  /** Blind transfer (RFC 5589 §6): see phone/transfers.ts. Resolves with the outcome; a failure keeps the call. */
  async transfer(req: { callId: string; to: string }): Promise<CallTransferOutcome> {
    if (!this.transfers) throw new Error('the phone is not started');
    return this.transfers.blind(req);
  }

  /** Accept or decline the transfer the other side of a call asked for (its transfer state is 'asking'). */
  answerTransfer(req: { callId: string; accept: boolean }): void {
    if (!this.transfers) throw new Error('the phone is not started');
    this.transfers.answerTransfer(req);
  }

  /** Attended transfer (RFC 5589 §7): the peer of `callId` is connected to the peer of `targetCallId`; both calls end. */
  async attendedTransfer(req: { callId: string; targetCallId: string }): Promise<CallTransferOutcome> {
    if (!this.transfers) throw new Error('the phone is not started');
    return this.transfers.attended(req);
  }

  /** Mix two calls into a local three-way conference (phone/conference.ts); held calls are resumed. */
  async merge(req: { callIds: string[] }): Promise<ConferenceSnapshot> {
    if (!this.media) throw new Error('the phone is not started');
    if (!Array.isArray(req?.callIds)) throw new CallError('bad-request', 'callIds: expected a list of two call ids');
    const calls = req.callIds.map((id) => this.call(id));
    const conf = await Conference.merge(
      {
        media: this.media,
        changed: (snap) => {
          if (snap.state === 'ended') this.conferences.delete(snap.id);
          this.publish('conference:state', snap);
          this.updateDeviceOwner();
        },
      },
      calls,
    );
    if (conf.active) this.conferences.set(conf.id, conf);
    this.updateDeviceOwner();
    return conf.snapshot;
  }

  /** Back to separate calls: the first member goes on, the other is put on hold. */
  async split(req: { conferenceId: string }): Promise<CallSnapshot[]> {
    const conf = typeof req?.conferenceId === 'string' ? this.conferences.get(req.conferenceId) : undefined;
    if (!conf) throw new CallError('not-found', `conferenceId: no conference '${String(req?.conferenceId)}'`);
    const calls = await conf.split();
    return calls.map((c) => c.snapshot);
  }

  listConferences(): ConferenceSnapshot[] {
    return [...this.conferences.values()].map((c) => c.snapshot);
  }

  listCalls(): CallSnapshot[] {
    return [...this.calls.values()].map((c) => c.snapshot);
  }

  /** Read or change how incoming calls are handled (auto-answer, do-not-disturb, codecs, SRTP). */
  callSettings(change: Partial<CallSettings> = {}): CallSettings {
    checkCodecs(change.codecs);
    checkSrtp(change.srtp);
    checkPlay('autoAnswerPlay', change.autoAnswerPlay);
    if (change.autoAnswerDelay !== undefined && !(change.autoAnswerDelay >= 0)) throw new CallError('bad-request', 'autoAnswerDelay: seconds ≥ 0');
    if (change.transferRequests !== undefined && !['ask', 'always', 'never'].includes(change.transferRequests)) {
      throw new CallError('bad-request', `transferRequests: ask, always or never, not '${String(change.transferRequests)}'`);
    }
    if (change.directCalls !== undefined && !['auto', 'always', 'never'].includes(change.directCalls)) {
      throw new CallError('bad-request', `directCalls: auto, always or never, not '${String(change.directCalls)}'`);
    }
    this.settings = { ...this.settings, ...change };
    return { ...this.settings };
  }

  /** End every call (BYE/CANCEL, bounded), unregister every account (bounded), close every socket. */
  async stop(): Promise<void> {
    const calls = [...this.calls.values()];
    if (calls.length > 0) {
      const ended = Promise.all(calls.map((c) => c.hangup().catch(() => undefined).then(() => c.ended)));
      await Promise.race([ended, new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    this.usage?.close();
    await this.media?.close();
    const unregister = Promise.all([...this.accounts.values()].map((a) => a.registerer?.unregister()));
    await Promise.race([unregister, new Promise((r) => setTimeout(r, 5000).unref())]);
    for (const a of this.accounts.values()) a.registerer?.dispose();
    this.accounts.clear();
    this.ua?.close();
    await this.transport?.stop();
    this.transport = undefined;
    this.ua = undefined;
    this.usage = undefined;
    this.media = undefined;
    this.calls.clear();
  }

  /** Every address the account's server resolves to (RFC 3263): requests may come from any of them. */
  private async learnServerAddresses(account: Account): Promise<void> {
    const { config } = account;
    try {
      const hop = config.proxy ?? `sip:${parseUri(config.aor).host}`;
      const targets = await this.ua!.resolveNextHop(hop, toTransport(config.transport) ? { transport: toTransport(config.transport)! } : {});
      account.serverAddresses = [...new Set(targets.map((t) => t.address))].slice(0, 16);
    } catch {
      // The registration's own flow still counts.
    }
  }

  private updateAccount(account: Account, s: RegistrationSnapshot): void {
    if (s.state === 'registered' && account.serverAddresses === undefined) void this.learnServerAddresses(account);
    account.snapshot = {
      id: account.id,
      aor: account.config.aor,
      state: s.state,
      expires: s.expires,
      contact: s.contact,
      publicAddress: s.publicAddress,
      error: s.error,
      nextAttemptAt: s.nextAttemptAt,
    };
    this.emit('account:state', { ...account.snapshot });
  }
}

function toTraceEntry(e: TraceEvent): SipTraceEntry {
  const fmt = (a: { address: string; port: number }) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
  return { time: e.time, direction: e.direction, transport: e.protocol, local: fmt(e.local), remote: fmt(e.remote), text: e.text };
}
