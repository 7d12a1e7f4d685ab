/**
 * The engine people use (DESIGN.md "phone/"), composed of its parts by job:
 *
 *   sip-stack.ts      the SIP stack set-up: transport, resolver, user agent, usages
 *   accounts.ts       accounts and their registrations, keyed by the caller's ids
 *   admissions.ts     the incoming policy at work (who may reach us outside a dialog)
 *   calls.ts          dial, answer, the calls going on, transfers, conferences, the audio device
 *   messaging.ts      MESSAGE and OPTIONS
 *   media-network.ts  our RTP address, the RTP ports, STUN
 *
 * It is its own event emitter (phone-events.ts: every ApiEvents event, plus 'call:latched' and
 * 'media:warning'), and it is ready once `Phone.create()` resolves. The app's engine
 * (engine.ts) uses the parts directly; the flat methods below serve the CLI and the tests.
 */
import { realClock, type Clock } from '../sip/index.ts';
import type {
  AccountConfig,
  AccountSnapshot,
  AnswerRequest,
  CallCodec,
  CallSettings,
  CallSnapshot,
  CallTransferOutcome,
  ConferenceSnapshot,
  DialRequest,
  MessageSnapshot,
  OptionsAnswer,
} from '../contract/api.ts';
import { Accounts } from './accounts.ts';
import { Admissions } from './admissions.ts';
import { Calls } from './calls.ts';
import type { DeviceLinkPort } from './media-host.ts';
import { MediaNetwork, type MediaNetworkOptions } from './media-network.ts';
import { Messaging } from './messaging.ts';
import { PhoneEvents } from './phone-events.ts';
import { SipStack, type SipStackOptions } from './sip-stack.ts';

export { USER_AGENT } from './sip-stack.ts';

export interface PhoneOptions extends SipStackOptions {
  clock?: Clock;
  media?: MediaNetworkOptions & {
    /** Another media worker entry point (tests): the engine of the calls beyond `nearCalls`. */
    workerUrl?: URL;
    /** Stop a media engine after this long without a call or a stream (ms; default 30 s). */
    idleStopMs?: number;
    /** Calls at once whose media runs in this thread; the next ones run in a media worker (default 16, media-placement.ts). */
    nearCalls?: number;
  };
  /** Incoming-call behaviour, and the codecs and SRTP mode of calls that name none (changeable later with `callSettings`). */
  calls?: Partial<CallSettings>;
  /**
   * Calls without `play`/`record` speak and hear through the local user's audio device (the
   * app's microphone and speaker, `connectAudio`); default false: they send silence (headless).
   */
  localAudio?: boolean;
  /** Where recordings asked for during a call (`call:record`) are written (default: the system's temporary directory). */
  recordings?: string;
}

export class Phone extends PhoneEvents {
  readonly stack: SipStack;
  readonly accounts: Accounts;
  readonly network: MediaNetwork;
  readonly calls: Calls;
  readonly messaging: Messaging;
  /** Ids of the accounts added without one (`addAccount(config)`). */
  #nextAccount = 1;
  #stopped: Promise<void> | undefined;

  /** A phone listening on its sockets, ready for accounts and calls. Rejects when a socket cannot be had. */
  static async create(opts: PhoneOptions = {}): Promise<Phone> {
    const clock = opts.clock ?? realClock;
    let phone: Phone | undefined;
    const stack = await SipStack.start({
      ...opts,
      clock,
      // No accounts yet while the sockets open: no TLS settings of theirs, no registrar to exempt.
      trust: { tlsPolicy: (server) => phone?.accounts.tlsPolicy(server), isAccountServer: (address) => phone?.accounts.isAccountServer(address) ?? false },
    });
    try {
      phone = new Phone(opts, clock, stack);
    } catch (err) {
      await stack.close();
      throw err;
    }
    return phone;
  }

  private constructor(opts: PhoneOptions, clock: Clock, stack: SipStack) {
    super();
    const { publish } = this;
    this.stack = stack;
    stack.traceTo(this);
    const { workerUrl, idleStopMs, nearCalls, ...network } = opts.media ?? {};
    this.network = new MediaNetwork({ ...network, ua: stack.ua, resolver: stack.resolver, clock, localAddresses: () => stack.localAddresses() });
    this.accounts = new Accounts({ ua: stack.ua, clock, publish, keepFlow: (flow, interval) => stack.transport.keepAlive(flow, { interval }) });
    const admissions = new Admissions({ accounts: this.accounts, directCalls: () => this.calls.currentSettings.directCalls });
    stack.ua.setAdmission((incoming) => {
      const admission = admissions.admit(incoming);
      return admission.kind === 'refused' ? admission : undefined;
    });
    this.calls = new Calls({
      invite: stack.invite,
      refers: stack.refers,
      accounts: this.accounts,
      admissions,
      network: this.network,
      clock,
      publish,
      localAudio: opts.localAudio === true,
      ...(opts.recordings ? { recordings: opts.recordings } : {}),
      ...(opts.calls ? { settings: opts.calls } : {}),
      ...(workerUrl ? { workerUrl } : {}),
      ...(idleStopMs !== undefined ? { mediaIdleStopMs: idleStopMs } : {}),
      ...(nearCalls !== undefined ? { nearCalls } : {}),
    });
    this.messaging = new Messaging({ ua: stack.ua, accounts: this.accounts, publish });
    stack.transport.onFlowFailed(() => this.accounts.flowFailed());
  }

  localAddresses(): ReturnType<SipStack['localAddresses']> {
    return this.stack.localAddresses();
  }

  /** Run an account; without an id it gets the next number ('1', '2'…). */
  addAccount(config: AccountConfig, id: string = String(this.#nextAccount++)): AccountSnapshot {
    return this.accounts.add(id, config);
  }

  removeAccount(id: string): Promise<void> {
    return this.accounts.remove(id);
  }

  listAccounts(): AccountSnapshot[] {
    return this.accounts.list();
  }

  /** Wake from sleep or a network change: every account registers again at once. */
  networkChanged(): Promise<void> {
    return this.accounts.networkChanged();
  }

  options(req: { accountId?: string; to: string; proxy?: string }): Promise<OptionsAnswer> {
    return this.messaging.options(req);
  }

  sendMessage(req: { accountId?: string; to: string; text: string; proxy?: string }): Promise<MessageSnapshot> {
    return this.messaging.send(req);
  }

  /** The STUN server and RTP port range of the next call (MediaNetwork.set). */
  setMediaNetwork(change: { stun?: string; portRange?: { min: number; max: number } }): void {
    this.network.set(change);
  }

  dial(req: DialRequest): Promise<CallSnapshot> {
    return this.calls.dial(req);
  }

  answer(req: AnswerRequest): Promise<CallSnapshot> {
    return this.calls.answer(req);
  }

  decline(req: { callId: string; status?: 486 | 603 }): void {
    this.calls.decline(req);
  }

  hangup(req: { callId: string }): Promise<void> {
    return this.calls.hangup(req);
  }

  hold(req: { callId: string }): Promise<CallSnapshot> {
    return this.calls.hold(req);
  }

  resume(req: { callId: string }): Promise<CallSnapshot> {
    return this.calls.resume(req);
  }

  sendDtmf(req: { callId: string; digits: string }): Promise<void> {
    return this.calls.sendDtmf(req);
  }

  setVideo(req: { callId: string; on: boolean }): Promise<CallSnapshot> {
    return this.calls.setVideo(req);
  }

  setCamera(req: { callId: string; on: boolean }): Promise<CallSnapshot> {
    return this.calls.setCamera(req);
  }

  changeCodecs(req: { callId: string; codecs: CallCodec[] }): Promise<CallSnapshot> {
    return this.calls.changeCodecs(req);
  }

  listCalls(): CallSnapshot[] {
    return this.calls.list();
  }

  transfer(req: { callId: string; to: string }): Promise<CallTransferOutcome> {
    return this.calls.transfer(req);
  }

  answerTransfer(req: { callId: string; accept: boolean }): void {
    this.calls.answerTransfer(req);
  }

  attendedTransfer(req: { callId: string; targetCallId: string }): Promise<CallTransferOutcome> {
    return this.calls.attendedTransfer(req);
  }

  merge(req: { callIds: string[] }): Promise<ConferenceSnapshot> {
    return this.calls.merge(req);
  }

  split(req: { conferenceId: string }): Promise<CallSnapshot[]> {
    return this.calls.split(req);
  }

  listConferences(): ConferenceSnapshot[] {
    return this.calls.listConferences();
  }

  /** Read or change how calls are handled (auto-answer, do-not-disturb, codecs, SRTP). */
  callSettings(change: Partial<CallSettings> = {}): CallSettings {
    return this.calls.settings(change);
  }

  connectAudio(port: DeviceLinkPort, sampleRate: number): () => void {
    return this.calls.connectAudio(port, sampleRate);
  }

  /** End every call (bounded), unregister every account (bounded), close every socket; once. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.calls.stop();
      await this.accounts.stop();
      await this.stack.close();
    })();
    return this.#stopped;
  }
}
