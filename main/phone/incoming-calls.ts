/**
 * Incoming INVITEs, once the incoming policy let them in (admissions.ts): the transfer target's
 * Replaces (RFC 3891), an offer that is not SDP, how many may ring at once, do-not-disturb, an
 * offer we cannot meet (488), ringing with its time limit, and auto-answer. Whatever goes wrong
 * while one is looked at, the caller gets an answer and the phone goes on.
 */
import type { Clock, InviteSession, InviteUsage } from '../sip/index.ts';
import type { CallSettings } from '../contract/api.ts';
import { DEFAULT_SETTINGS } from '../contract/defaults.ts';
import { Call } from './call.ts';
import { reject488, unreadableOffer } from './call-sdp.ts';
import type { Accounts } from './accounts.ts';
import type { Admissions } from './admissions.ts';
import type { CallRegistry } from './call-registry.ts';
import type { Publish } from './phone-events.ts';
import type { Transfers } from './transfers.ts';

/** Incoming calls ringing at once; one more gets 486. */
export const MAX_RINGING = 5;
/**
 * While calls ring only because auto-answer is setting up their media (milliseconds, but a burst
 * of INVITEs read after the engine was held up finds every place taken), at most this many more
 * INVITEs wait for a place, each at most WAIT_LIMIT_MS; past either, 486 as before. A person's
 * phone, with nothing being auto-answered, says 486 at once.
 */
export const MAX_WAITING = 32;
export const WAIT_LIMIT_MS = 2_000;
/** The longest an incoming call rings before it is a missed call (480). */
export const RING_LIMIT_S = 120;

export interface IncomingCallsOptions {
  invite: InviteUsage;
  registry: CallRegistry;
  accounts: Pick<Accounts, 'get'>;
  admissions: Admissions;
  transfers: Pick<Transfers, 'incoming' | 'replacing'>;
  clock: Clock;
  publish: Publish;
  /** The call settings as they are now (do-not-disturb, auto-answer, codecs, SRTP). */
  settings: () => CallSettings;
}

export class IncomingCalls {
  readonly #o: IncomingCallsOptions;
  #autoAnswered = 0;
  /** Auto-answers whose media is being set up now (their calls still count as ringing). */
  #answering = 0;
  /** INVITEs waiting for a place to ring (MAX_WAITING at most): called when one may be free. */
  readonly #waiting: Array<() => void> = [];

  constructor(opts: IncomingCallsOptions) {
    this.#o = opts;
    opts.invite.onIncoming((session) => {
      this.#onIncoming(session).catch((err: unknown) => this.#failed(session, err));
    });
  }

  async #onIncoming(session: InviteSession): Promise<void> {
    const { registry, admissions, publish } = this.#o;
    const accountId = admissions.accountIdOf(session.request);
    const account = accountId !== undefined ? this.#o.accounts.get(accountId) : undefined;
    // RFC 3891 §3: an INVITE whose Replaces names a call of ours takes that call's place.
    const replacing = this.#o.transfers.incoming(session);
    if (replacing.kind === 'rejected') return; // answered 400/481/486/603 already
    if (replacing.kind === 'replace') {
      // RFC 3891 §3: only someone entitled to may take a call's place: a caller our account's
      // server vouches for, or one that arrives by the replaced dialog's own path. Knowing the
      // Call-ID and tags is not enough (that would be a takeover).
      const seen = admissions.of(session.request);
      const old = replacing.replaced.session;
      const entitled = seen?.admission.kind === 'account' || (seen !== undefined && old?.dialog !== undefined && old.fromPath(old.dialog, seen.arrival));
      if (!entitled) {
        session.reject(403, { reason: 'Forbidden (not entitled to replace that call)' });
        return;
      }
      await this.#answerReplacing(session, replacing.replaced, account?.id);
      return;
    }
    // An offer that is not SDP at all is refused first, whatever else is going on (a flood of
    // them costs no call each).
    const unreadable = session.offer ? unreadableOffer(session.offer) : undefined;
    if (unreadable) {
      reject488(session, unreadable);
      return;
    }
    // However many INVITEs arrive, only so many ring at once: the rest are busy, and not a
    // notification, a window or a history row each.
    if (registry.ringing() >= MAX_RINGING) {
      const placed = await this.#waitForPlace();
      if (session.state !== 'Incoming') return; // the caller gave up while it waited
      if (!placed) {
        session.reject(486, { reason: 'Busy Here (too many calls ringing)' });
        return;
      }
    }
    const s = this.#o.settings();
    const call = Call.incoming(registry.env(), session, {
      ...(account ? { accountId: account.id } : {}),
      media: {
        codecs: s.codecs ?? DEFAULT_SETTINGS.codecs,
        // The account's own SRTP and DTMF choices, else the saved preference.
        srtp: account?.config.srtp ?? s.srtp ?? 'optional',
        ...(account?.config.dtmf === 'info' ? { telephoneEvent: false } : {}),
        ...(account?.config.dtmf === 'rfc4733' ? { dtmfInfo: false } : {}),
        ...(s.autoAnswerPlay ? { play: s.autoAnswerPlay } : {}),
      },
    });
    registry.add(call);
    if (s.doNotDisturb) {
      publish('call:incoming', call.snapshot);
      call.decline(486, 'refused: do not disturb is on', 'do-not-disturb');
      return;
    }
    let problem: string | undefined;
    try {
      problem = await call.check();
    } catch (err) {
      problem = (err as Error).message;
    }
    if (call.state !== 'ringing') return; // the caller gave up meanwhile
    publish('call:incoming', call.snapshot);
    if (problem) {
      call.reject488(problem);
      return;
    }
    call.ring();
    this.#ringFor(call, session);
    if (s.autoAnswer) {
      const n = ++this.#autoAnswered;
      const answer = (): void => {
        // Named when answered: a file another live call records to (no {n} in the name) gets a -2, -3… of its own.
        const record = s.autoAnswerRecord && registry.freeRecordPath(s.autoAnswerRecord.replace('{n}', String(n)));
        const recordVideo = s.autoAnswerRecordVideo && registry.freeRecordPath(s.autoAnswerRecordVideo.replace('{n}', String(n)));
        const video = s.autoAnswerVideo ? { video: true, ...(s.autoAnswerVideoSource ? { videoSource: s.autoAnswerVideoSource } : {}), ...(recordVideo ? { recordVideo } : {}) } : {};
        this.#answering++;
        void call
          .answer({ ...(record ? { record } : {}), ...video })
          .catch((err: unknown) => call.failMedia(`auto-answer failed: ${(err as Error).message}`))
          .finally(() => {
            this.#answering--;
            this.#waiting.shift()?.();
          });
      };
      // Without a delay the call is answered now, not a timer later: it rings (and counts
      // against MAX_RINGING) only for as long as its media takes to set up.
      if (!(s.autoAnswerDelay > 0)) {
        answer();
      } else {
        const { clock } = this.#o;
        const handle = clock.setTimeout(answer, s.autoAnswerDelay * 1000);
        call.armAutoAnswer(() => clock.clearTimeout(handle));
      }
    }
  }

  /**
   * With MAX_RINGING calls ringing: whether a place frees up for one more, when calls are being
   * auto-answered and fewer than MAX_WAITING wait already, within WAIT_LIMIT_MS. False: 486.
   */
  async #waitForPlace(): Promise<boolean> {
    const { registry, clock } = this.#o;
    const deadline = clock.now() + WAIT_LIMIT_MS;
    while (registry.ringing() >= MAX_RINGING) {
      const left = deadline - clock.now();
      if (this.#answering === 0 || this.#waiting.length >= MAX_WAITING || left <= 0) return false;
      const woken = await new Promise<boolean>((resolve) => {
        const wake = (): void => {
          clock.clearTimeout(timer);
          resolve(true);
        };
        const timer = clock.setTimeout(() => {
          const at = this.#waiting.indexOf(wake);
          if (at >= 0) this.#waiting.splice(at, 1);
          resolve(false);
        }, left);
        this.#waiting.push(wake);
      });
      if (!woken) return false;
    }
    return true;
  }

  /**
   * A ringing call rings no longer than its INVITE's Expires (RFC 3261 §13.3.1: then 487) and at
   * most RING_LIMIT_S seconds (480): either way a missed call, never one that rings for ever.
   */
  #ringFor(call: Call, session: InviteSession): void {
    let expires: number | undefined;
    const raw = session.request?.header('Expires')?.trim();
    if (raw !== undefined && /^\d{1,10}$/.test(raw)) expires = Number(raw);
    const byExpires = expires !== undefined && expires < RING_LIMIT_S;
    const seconds = byExpires ? expires! : RING_LIMIT_S;
    const { clock } = this.#o;
    const handle = clock.setTimeout(() => {
      if (call.state !== 'ringing') return;
      try {
        if (byExpires) call.decline(487, `not answered: the caller's invitation expired after ${seconds} s`);
        else call.decline(480, `not answered within ${seconds} s`);
      } catch {
        // Answered or ended meanwhile.
      }
    }, seconds * 1000);
    void call.ended.then(() => clock.clearTimeout(handle));
  }

  /**
   * Whatever went wrong while an incoming call was being looked at, the caller gets an answer
   * (500, §21.5.1) and the phone goes on: nothing a caller sends may stop the engine.
   */
  #failed(session: InviteSession, err: unknown): void {
    const call = this.#o.registry.of(session);
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
  async #answerReplacing(session: InviteSession, replaced: Call, accountId: string | undefined): Promise<void> {
    const { registry, publish } = this.#o;
    const media = replaced.media;
    const call = Call.incoming(registry.env(), session, {
      ...(accountId !== undefined ? { accountId } : {}),
      media: registry.freeRecordPaths(media),
    });
    registry.add(call);
    let problem: string | undefined;
    try {
      problem = await call.check();
    } catch (err) {
      problem = (err as Error).message;
    }
    if (call.state !== 'ringing') return;
    publish('call:incoming', call.snapshot);
    if (problem) {
      call.reject488(problem);
      return;
    }
    this.#o.transfers.replacing(replaced, call);
    await call.answer().catch((err: unknown) => call.failMedia(`the replacing call could not be answered: ${(err as Error).message}`));
  }
}
