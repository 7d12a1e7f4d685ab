/**
 * The phone's calls, for every client (the app through engine.ts, the CLI, the bridge, tests):
 * dial and answer, the calls going on and what is done in them, transfers (transfers.ts) and
 * local conferences (conference.ts), the call settings, and the local audio device. Composed
 * of the call registry, the outgoing and incoming sides, the device owner and the media engine's
 * host; each call says what happens through `publish`.
 *
 * Two things hold for every client: a dial or an incoming call without codecs or an SRTP mode
 * gets the saved preferences (CallSettings.codecs/srtp, the store's Settings in the app); and a
 * connected call is put on hold before another one is placed.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, InviteUsage, ReferUsage } from '../sip/index.ts';
import type { AnswerRequest, CallCodec, CallSettings, CallSnapshot, CallTransferOutcome, ConferenceSnapshot, DialRequest } from '../contract/api.ts';
import { DEFAULT_SETTINGS } from '../contract/defaults.ts';
import { DTMF_MODES } from '../contract/values.ts';
import { secureSignalling } from './account-trust.ts';
import type { Accounts } from './accounts.ts';
import type { Admissions } from './admissions.ts';
import { CallError } from './call-error.ts';
import { checkCallSettings, checkCodecs, checkPlay, checkSrtp } from './call-checks.ts';
import { CallRegistry } from './call-registry.ts';
import { Conferences } from './conference.ts';
import { DeviceOwner } from './device-owner.ts';
import { IncomingCalls } from './incoming-calls.ts';
import type { DeviceLinkPort } from './media-host.ts';
import { MediaPlacement } from './media-placement.ts';
import type { MediaNetwork } from './media-network.ts';
import { OutgoingCalls } from './outgoing-calls.ts';
import type { Publish } from './phone-events.ts';
import { Transfers } from './transfers.ts';

export interface CallsOptions {
  invite: InviteUsage;
  refers: ReferUsage;
  accounts: Pick<Accounts, 'get' | 'callCredentials'>;
  admissions: Admissions;
  network: Pick<MediaNetwork, 'forCall' | 'address'>;
  clock: Clock;
  publish: Publish;
  /**
   * Calls without `play`/`record` speak and hear through the local user's audio device (the
   * app's microphone and speaker, `connectAudio`); false: they send silence (headless).
   */
  localAudio: boolean;
  /** Incoming-call behaviour and the saved codecs and SRTP mode (changeable with `settings`). */
  settings?: Partial<CallSettings>;
  /** Where `record` writes (default: the system's temporary directory). */
  recordings?: string;
  /** Another media engine entry point (tests). */
  workerUrl?: URL;
  /** Stop a media engine after this long without a call or a stream (default MEDIA_IDLE_STOP_MS, media-host.ts). */
  mediaIdleStopMs?: number;
  /** Calls at once whose media runs in this thread, the next ones in a media worker (default NEAR_CALLS, media-placement.ts). */
  nearCalls?: number;
}

export class Calls {
  readonly #invite: InviteUsage;
  readonly #accounts: Pick<Accounts, 'get'>;
  readonly #media: MediaPlacement;
  readonly #device: DeviceOwner;
  readonly #conferences: Conferences;
  readonly #registry: CallRegistry;
  readonly #outgoing: OutgoingCalls;
  readonly #transfers: Transfers;
  #settings: CallSettings;
  readonly #recordings: string;

  constructor(o: CallsOptions) {
    this.#invite = o.invite;
    this.#accounts = o.accounts;
    this.#recordings = o.recordings ?? join(tmpdir(), 'appel-recordings');
    this.#settings = { autoAnswer: DEFAULT_SETTINGS.autoAnswer.enabled, autoAnswerDelay: DEFAULT_SETTINGS.autoAnswer.delay, doNotDisturb: DEFAULT_SETTINGS.doNotDisturb, ...o.settings };
    this.#media = new MediaPlacement({
      ...(o.workerUrl ? { workerUrl: o.workerUrl } : {}),
      ...(o.mediaIdleStopMs !== undefined ? { idleStopMs: o.mediaIdleStopMs } : {}),
      ...(o.nearCalls !== undefined ? { nearCalls: o.nearCalls } : {}),
      clock: o.clock,
      exited: (host, reason) => {
        for (const c of this.#registry.all()) if (c.mediaHost === host) c.failMedia(reason);
      },
    });
    this.#device = new DeviceOwner({ media: this.#media, localAudio: o.localAudio, activeConference: () => this.#conferences.active() });
    this.#conferences = new Conferences({ publish: o.publish, after: () => this.#device.update() });
    this.#registry = new CallRegistry({ media: this.#media, network: o.network, localAudio: o.localAudio, publish: o.publish, device: this.#device, conferences: this.#conferences });
    this.#outgoing = new OutgoingCalls({ registry: this.#registry, accounts: o.accounts, network: o.network, invite: o.invite, publish: o.publish });
    this.#transfers = new Transfers({
      refers: o.refers,
      clock: o.clock,
      calls: this.#registry,
      resolveTarget: (to, accountId) => this.#outgoing.targetUri(to, accountId !== undefined ? o.accounts.get(accountId) : undefined),
      followUp: (from, f) => this.#outgoing.followUp(from, f),
      publish: o.publish,
      transferRequests: () => this.#settings.transferRequests ?? 'ask',
    });
    // It takes the INVITE usage's incoming calls from now on.
    new IncomingCalls({
      invite: o.invite,
      registry: this.#registry,
      accounts: o.accounts,
      admissions: o.admissions,
      transfers: this.#transfers,
      clock: o.clock,
      publish: o.publish,
      settings: () => this.#settings,
    });
  }

  /** Whether the media engine's worker runs now (it starts for a call and stops once idle). */
  get mediaRunning(): boolean {
    return this.#media.running;
  }

  /** How calls are handled now, to read (asked of every incoming request: no copy, no check). */
  get currentSettings(): Readonly<CallSettings> {
    return this.#settings;
  }

  /** Read or change how calls are handled (auto-answer, do-not-disturb, codecs, SRTP, transfers, direct calls). */
  settings(change: Partial<CallSettings> = {}): CallSettings {
    checkCallSettings(change);
    this.#settings = { ...this.#settings, ...change };
    return { ...this.#settings };
  }

  /** Place a call. Resolves once the INVITE is sent (state `dialing`); `call:state` tells the rest. */
  async dial(req: DialRequest): Promise<CallSnapshot> {
    if (typeof req?.to !== 'string' || req.to.trim() === '') throw new CallError('bad-request', 'to: a sip: URI or a user name is needed');
    const account = req.accountId !== undefined ? this.#accounts.get(req.accountId) : undefined;
    if (req.accountId !== undefined && !account) throw new CallError('not-found', `accountId: no account '${req.accountId}'`);
    checkCodecs(req.codecs);
    checkSrtp(req.srtp);
    checkPlay('play', req.play);
    if (req.dtmf !== undefined && !DTMF_MODES.includes(req.dtmf)) throw new CallError('bad-request', `dtmf: ${DTMF_MODES.join(', ')}, not '${String(req.dtmf)}'`);
    const to = this.#outgoing.targetUri(req.to, account);
    await this.#holdConnected();
    const s = this.#settings;
    // A dial's own choice, else the account's, else the saved preference.
    const srtp = req.srtp ?? account?.config.srtp ?? s.srtp;
    const dtmf = req.dtmf ?? account?.config.dtmf ?? 'auto';
    const call = await this.#outgoing.place({
      to,
      account,
      proxy: account?.config.proxy ?? req.proxy,
      media: {
        codecs: req.codecs ?? s.codecs ?? DEFAULT_SETTINGS.codecs,
        // Without a saved preference, signalling over TLS keeps the SDES keys secret, so its media
        // is encrypted too (RFC 4568 §8.3: SDES only over a secure signalling path).
        srtp: srtp ?? (secureSignalling(to, account?.config, req.proxy) ? 'mandatory' : 'off'),
        telephoneEvent: dtmf !== 'info',
        ...(dtmf === 'rfc4733' ? { dtmfInfo: false } : {}),
        ...(req.play ? { play: req.play } : {}),
        ...(req.record ? { record: this.#registry.freeRecordPath(req.record) } : {}),
        video: {
          offer: req.video === true,
          ...(req.videoSource ? { source: req.videoSource } : {}),
          ...(req.recordVideo ? { record: this.#registry.freeRecordPath(req.recordVideo) } : {}),
          ...(this.#settings.videoResolution ? { resolution: this.#settings.videoResolution } : {}),
        },
      },
    });
    return call.snapshot;
  }

  /**
   * The line goes to the new call: a connected call (outside a conference) is put on hold first
   * (RFC 3264 §8.4), so that its peer does not hear the room while we talk to someone else.
   */
  async #holdConnected(): Promise<void> {
    const up = this.#registry.all().filter((c) => c.state === 'connected' && !c.snapshot.conferenceId);
    await Promise.all(up.map((c) => c.hold()));
  }

  /** Answer a ringing incoming call. */
  async answer(req: AnswerRequest): Promise<CallSnapshot> {
    const call = this.#registry.get(req.callId);
    checkPlay('play', req.play);
    await call.answer({
      ...(req.play ? { play: req.play } : {}),
      ...(req.record ? { record: this.#registry.freeRecordPath(req.record) } : {}),
      ...(req.video ? { video: true } : {}),
      ...(req.videoSource ? { videoSource: req.videoSource } : {}),
      ...(req.recordVideo ? { recordVideo: this.#registry.freeRecordPath(req.recordVideo) } : {}),
    });
    return call.snapshot;
  }

  /** Add video to a call or remove it (a re-INVITE). */
  async setVideo(req: { callId: string; on: boolean }): Promise<CallSnapshot> {
    const call = this.#registry.get(req.callId);
    await call.setVideo(req.on);
    return call.snapshot;
  }

  /** Our camera on or off for a call. */
  async setCamera(req: { callId: string; on: boolean }): Promise<CallSnapshot> {
    const call = this.#registry.get(req.callId);
    await call.setCamera(req.on);
    return call.snapshot;
  }

  decline(req: { callId: string; status?: 486 | 603 }): void {
    if (req.status !== undefined && req.status !== 486 && req.status !== 603) throw new CallError('bad-request', `status: 486 or 603, not ${String(req.status)}`);
    this.#registry.get(req.callId).decline(req.status ?? 486);
  }

  /** End a call whatever its state; resolves once it has ended. */
  async hangup(req: { callId: string }): Promise<void> {
    await this.#registry.get(req.callId).hangup();
  }

  async hold(req: { callId: string }): Promise<CallSnapshot> {
    const call = this.#registry.get(req.callId);
    await call.hold();
    return call.snapshot;
  }

  /** Start (a new WAV file under the recordings directory, named by date and call) or stop recording a call. */
  async record(req: { callId: string; on: boolean }): Promise<CallSnapshot> {
    const call = this.#registry.get(req.callId);
    if (!req.on) {
      await call.record(undefined);
      return call.snapshot;
    }
    await mkdir(this.#recordings, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    await call.record(join(this.#recordings, `${stamp}-${call.id}.wav`));
    return call.snapshot;
  }

  async resume(req: { callId: string }): Promise<CallSnapshot> {
    const call = this.#registry.get(req.callId);
    await call.resume();
    return call.snapshot;
  }

  async sendDtmf(req: { callId: string; digits: string }): Promise<void> {
    await this.#registry.get(req.callId).sendDtmf(req.digits);
  }

  async changeCodecs(req: { callId: string; codecs: CallCodec[] }): Promise<CallSnapshot> {
    checkCodecs(req.codecs);
    const call = this.#registry.get(req.callId);
    await call.changeCodecs(req.codecs);
    return call.snapshot;
  }

  list(): CallSnapshot[] {
    return this.#registry.all().map((c) => c.snapshot);
  }

  // ───────────────────────────── transfer and conference ─────────────────────────────

  /** Blind transfer (RFC 5589 §6): see phone/transfers.ts. Resolves with the outcome; a failure keeps the call. */
  transfer(req: { callId: string; to: string }): Promise<CallTransferOutcome> {
    return this.#transfers.blind(req);
  }

  /** Accept or decline the transfer the other side of a call asked for (its transfer state is 'asking'). */
  answerTransfer(req: { callId: string; accept: boolean }): void {
    this.#transfers.answerTransfer(req);
  }

  /** Attended transfer (RFC 5589 §7): the peer of `callId` is connected to the peer of `targetCallId`; both calls end. */
  attendedTransfer(req: { callId: string; targetCallId: string }): Promise<CallTransferOutcome> {
    return this.#transfers.attended(req);
  }

  /** Mix two calls into a local three-way conference (phone/conference.ts); held calls are resumed. */
  async merge(req: { callIds: string[] }): Promise<ConferenceSnapshot> {
    if (!Array.isArray(req?.callIds)) throw new CallError('bad-request', 'callIds: expected a list of two call ids');
    return this.#conferences.merge(req.callIds.map((id) => this.#registry.get(id)));
  }

  /** Back to separate calls: the first member goes on, the other is put on hold. */
  async split(req: { conferenceId: string }): Promise<CallSnapshot[]> {
    const calls = await this.#conferences.split(req?.conferenceId);
    return calls.map((c) => c.snapshot);
  }

  listConferences(): ConferenceSnapshot[] {
    return this.#conferences.list();
  }

  /**
   * The app's audio device link (MediaHost.connectDevice): what calls without `play` send and
   * where they play what they hear. Returns the function that ends it.
   */
  connectAudio(port: DeviceLinkPort, sampleRate: number): () => void {
    return this.#device.connect(port, sampleRate);
  }

  /** End every call (BYE/CANCEL, bounded), then close the INVITE usage and the media engine. */
  async stop(): Promise<void> {
    const calls = this.#registry.all();
    if (calls.length > 0) {
      const ended = Promise.all(calls.map((c) => c.hangup().catch(() => undefined).then(() => c.ended)));
      await Promise.race([ended, new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    this.#invite.close();
    await this.#media.close();
    this.#registry.clear();
  }
}
