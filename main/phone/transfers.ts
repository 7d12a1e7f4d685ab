/**
 * Call transfer in the engine: the RFC 5589 flows over the SIP layer's ReferUsage
 * (main/sip/usage/refer-usage.ts), told to the UI as CallSnapshot.transfer and `call:transferred`.
 *
 *   transferor, blind     transfer({ callId, to }): hold (§6.1) → REFER → NOTIFY 100, 180, 200 →
 *                         BYE: the call ends "transferred to …". A failure report (486, 603,
 *                         timeout…) keeps the call: it is taken off hold again (§6.2).
 *   transferor, attended  attendedTransfer({ callId, targetCallId }): both calls held (§7) → REFER
 *                         the peer of callId to the peer of targetCallId, with Replaces naming
 *                         our dialog with it → both calls end. A failure restores both.
 *   transferee            a REFER in one of our calls: 202, a new call to the Refer-To target
 *                         (with the Replaces it embeds, RFC 3891 §4), reported by NOTIFY (180,
 *                         its final status); once it is answered the old call ends.
 *   transfer target       an INVITE whose Replaces names a call of ours (RFC 3891 §3) is answered
 *                         at once and takes that call's place; the old call gets BYE once the
 *                         new one is confirmed.
 *
 * One transfer per call at a time; a call in a conference is not transferred (split it first).
 */
import type { Clock, IncomingRefer, InviteSession, ReferActions, ReferNotifier, ReferUsage, TerminationInfo } from '../sip/index.ts';
import type { CallTransferOutcome, CallTransferred, CallTransferState, TransferRequests } from '../contract/api.ts';
import type { Call } from './call.ts';
import { CallError } from './call-error.ts';
import type { CallRegistry } from './call-registry.ts';
import type { Publish } from './phone-events.ts';

/** What the calls give the transfers. */
export interface TransferHost {
  refers: ReferUsage;
  clock: Clock;
  /** The calls going on: by id (throws CallError 'not-found'), and by INVITE session. */
  calls: Pick<CallRegistry, 'get' | 'of'>;
  /** `to` as a sip: URI (a user part alone is dialled at the domain of the call's account); throws CallError. */
  resolveTarget(to: string, accountId: string | undefined): string;
  /**
   * Place a call that takes over from `from`: its account, codecs, SRTP policy and audio source,
   * its own record file; `headers` go into the INVITE, `onSession` hears the session at once.
   */
  followUp(from: Call, opts: { to: string; headers: Array<[string, string]>; onSession: (session: InviteSession) => void }): Promise<Call>;
  /** Where 'call:transferred' is said. */
  publish: Publish;
  /** What to do with a REFER from the other side (CallSettings.transferRequests). */
  transferRequests(): TransferRequests;
}

export interface TransfersOptions {
  /** Transferee: how long the transferor has, after our NOTIFY 200, to end the old call before we do (ms). Default 2000. */
  byeGrace?: number;
  /** Transferee: how long a transfer request waits for the person before it is declined (ms). Default 30000. */
  askTimeout?: number;
}

function heldByUs(call: Call): boolean {
  const by = call.snapshot.heldBy;
  return by === 'local' || by === 'both';
}

/** The session of a connected (or held) call, or CallError 'wrong-state' naming what was asked. */
function connectedSession(call: Call, what: string): InviteSession {
  const s = call.snapshot;
  if (!call.session || (s.state !== 'connected' && s.state !== 'held')) throw new CallError('wrong-state', `${what}: call ${call.id} is ${s.state}, not connected`);
  if (s.conferenceId) throw new CallError('wrong-state', `${what}: call ${call.id} is in conference ${s.conferenceId} (split it first)`);
  return call.session;
}

/** The status a failed new call is reported with in the NOTIFY (RFC 3515 §2.4.5). */
function failureStatus(info: TerminationInfo): number {
  if (info.status !== undefined && info.status >= 300) return info.status;
  return info.cause === 'cancel' ? 487 : 503;
}

export class Transfers {
  readonly #host: TransferHost;
  readonly #byeGrace: number;
  readonly #askTimeout: number;
  /** Calls with a transfer under way. */
  readonly #busy = new Set<string>();
  /** Transfer requests waiting for the person, by call id. */
  readonly #asking = new Map<string, (accept: boolean) => void>();

  constructor(host: TransferHost, opts: TransfersOptions = {}) {
    this.#host = host;
    this.#byeGrace = opts.byeGrace ?? 2000;
    this.#askTimeout = opts.askTimeout ?? 30_000;
    host.refers.onRefer((session, refer, actions) => this.#onRefer(session, refer, actions));
  }

  #claim(calls: Call[], what: string): void {
    for (const c of calls) if (this.#busy.has(c.id)) throw new CallError('wrong-state', `${what}: call ${c.id} is already being transferred`);
    for (const c of calls) this.#busy.add(c.id);
  }

  #release(calls: Call[]): void {
    for (const c of calls) this.#busy.delete(c.id);
  }

  #report(call: Call, state: CallTransferState, outcome: CallTransferOutcome): void {
    const event: CallTransferred = {
      callId: call.id,
      role: state.role,
      kind: state.kind,
      to: state.to,
      outcome: outcome.ok ? 'transferred' : 'failed',
      ok: outcome.ok,
      reason: outcome.reason,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      ...(state.newCallId !== undefined ? { newCallId: state.newCallId } : {}),
    };
    this.#host.publish('call:transferred', event);
  }

  // ───────────────────────────── transferor ─────────────────────────────

  /** RFC 5589 §6: REFER the peer of `callId` to `to`. Resolves with the outcome (failures in words, not thrown). */
  async blind(req: { callId: string; to: string }): Promise<CallTransferOutcome> {
    const call = this.#host.calls.get(req.callId);
    if (typeof req.to !== 'string' || req.to.trim() === '') throw new CallError('bad-request', 'to: a sip: URI or a user name is needed');
    const to = this.#host.resolveTarget(req.to.trim(), call.snapshot.accountId);
    const session = connectedSession(call, 'transfer');
    this.#claim([call], 'transfer');
    try {
      const heldBefore = heldByUs(call);
      // §6.1: the transferee is held while the transfer is attempted. A refused hold does not stop it.
      if (!heldBefore) await call.hold().catch(() => undefined);
      const state: CallTransferState = { role: 'transferor', kind: 'blind', to, state: 'trying' };
      call.setTransfer(state);
      const outcome = await this.#host.refers.blindTransfer(session, to, {
        onProgress: (p) => {
          state.status = p.status;
          if (p.final && p.status < 300) {
            // Said before the BYE goes, so that the call ends with these words.
            state.state = 'transferred';
            call.endWith({ code: 'transferred', reason: `transferred to ${to}`, target: to });
          } else if (!p.final && p.status === 180) {
            state.state = 'ringing';
          }
          call.setTransfer(state);
        },
      });
      if (outcome.ok) {
        call.endWith({ code: 'transferred', reason: `transferred to ${to}`, target: to });
        state.state = 'transferred';
      } else {
        state.state = 'failed';
        state.reason = outcome.reason;
        // §6.2: the transfer failed, the call goes on: take it off hold again.
        if (!heldBefore) await call.resume().catch(() => undefined);
      }
      if (outcome.status !== undefined) state.status = outcome.status;
      call.setTransfer(state);
      const result: CallTransferOutcome = { ok: outcome.ok, reason: outcome.reason, ...(outcome.status !== undefined ? { status: outcome.status } : {}) };
      this.#report(call, state, result);
      return result;
    } finally {
      this.#release([call]);
    }
  }

  /**
   * RFC 5589 §7: connect the peer of `callId` (the transferee) with the peer of `targetCallId`
   * (the transfer target). Both calls are held first; on success both end, on failure both
   * are put back as they were.
   */
  async attended(req: { callId: string; targetCallId: string }): Promise<CallTransferOutcome> {
    const call = this.#host.calls.get(req.callId);
    const target = this.#host.calls.get(req.targetCallId);
    if (call === target) throw new CallError('bad-request', 'targetCallId: the call cannot be transferred to itself');
    const session = connectedSession(call, 'attended transfer');
    const targetSession = connectedSession(target, 'attended transfer');
    this.#claim([call, target], 'attended transfer');
    try {
      const held = [call, target].filter((c) => !heldByUs(c));
      await Promise.all(held.map((c) => c.hold().catch(() => undefined)));
      const to = target.snapshot.peer.uri;
      const from = call.snapshot.peer.uri;
      const state: CallTransferState = { role: 'transferor', kind: 'attended', to, state: 'trying' };
      const targetState: CallTransferState = { role: 'transferor', kind: 'attended', to: from, state: 'trying' };
      const show = (): void => {
        call.setTransfer(state);
        target.setTransfer(targetState);
      };
      show();
      const outcome = await this.#host.refers.attendedTransfer(session, targetSession, {
        onProgress: (p) => {
          state.status = targetState.status = p.status;
          if (p.final && p.status < 300) {
            state.state = targetState.state = 'transferred';
            call.endWith({ code: 'transferred', reason: `transferred to ${to}`, target: to });
            target.endWith({ code: 'replaced', reason: `${from} took this call over` });
          } else if (!p.final && p.status === 180) {
            state.state = targetState.state = 'ringing';
          }
          show();
        },
      });
      if (outcome.ok) {
        state.state = targetState.state = 'transferred';
        call.endWith({ code: 'transferred', reason: `transferred to ${to}`, target: to });
        target.endWith({ code: 'replaced', reason: `${from} took this call over` });
      } else {
        state.state = targetState.state = 'failed';
        state.reason = targetState.reason = outcome.reason;
        await Promise.all(held.map((c) => c.resume().catch(() => undefined)));
      }
      if (outcome.status !== undefined) state.status = targetState.status = outcome.status;
      show();
      const result: CallTransferOutcome = { ok: outcome.ok, reason: outcome.reason, ...(outcome.status !== undefined ? { status: outcome.status } : {}) };
      this.#report(call, state, result);
      this.#report(target, targetState, result);
      return result;
    } finally {
      this.#release([call, target]);
    }
  }

  // ───────────────────────────── transferee ─────────────────────────────

  #onRefer(session: InviteSession, refer: IncomingRefer, actions: ReferActions): void {
    const call = this.#host.calls.of(session);
    if (!call) {
      actions.reject(603, 'Decline: no such call');
      return;
    }
    if (this.#busy.has(call.id)) {
      actions.reject(491, 'Request Pending: a transfer of this call is under way');
      return;
    }
    if (call.snapshot.conferenceId) {
      actions.reject(603, 'Decline: the call is in a conference');
      return;
    }
    // A REFER makes us place a call somewhere the other side chose: toll fraud when nobody asks.
    const policy = this.#host.transferRequests();
    if (policy === 'never') {
      actions.reject(603, 'Decline: transfer requests are refused here');
      return;
    }
    // RFC 3515 §2.4.2: 202 says only that we will try; the NOTIFY says what came of it.
    const notifier = actions.accept();
    this.#busy.add(call.id);
    const state: CallTransferState = { role: 'transferee', kind: refer.target.replaces ? 'attended' : 'blind', to: refer.target.uri, state: policy === 'ask' ? 'asking' : 'trying' };
    call.setTransfer(state);
    void (async () => {
      if (policy === 'ask' && !(await this.#ask(call))) {
        await notifier.notify(603, 'Declined');
        this.#failed(call, state, call.state === 'ended' ? 'the call ended before the transfer was accepted' : 'you declined the transfer', 603);
        return;
      }
      state.state = 'trying';
      call.setTransfer(state);
      await this.#follow(call, refer, notifier, state);
    })().finally(() => this.#busy.delete(call.id));
  }

  /** Wait for the person's answer to a transfer request (`answerTransfer`), at most `askTimeout`; the call ending is a no. */
  #ask(call: Call): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (accept: boolean): void => {
        if (done) return;
        done = true;
        this.#asking.delete(call.id);
        this.#host.clock.clearTimeout(timer);
        resolve(accept);
      };
      const timer = this.#host.clock.setTimeout(() => finish(false), this.#askTimeout);
      this.#asking.set(call.id, finish);
      void call.ended.then(() => finish(false));
    });
  }

  /** The person's answer to the transfer the other side of `callId` asked for. */
  answerTransfer(req: { callId: string; accept: boolean }): void {
    const answer = this.#asking.get(req.callId);
    if (!answer) throw new CallError('wrong-state', `call ${String(req.callId)} has no transfer request waiting for an answer`);
    if (typeof req.accept !== 'boolean') throw new CallError('bad-request', 'accept: true or false');
    answer(req.accept);
  }

  /** Place the call the REFER asks for, report it by NOTIFY, and end the old call once it is answered. */
  async #follow(call: Call, refer: IncomingRefer, notifier: ReferNotifier, state: CallTransferState): Promise<void> {
    let settle!: (r: { answered: true; status: number; reason: string } | { answered: false; info: TerminationInfo }) => void;
    const result = new Promise<{ answered: true; status: number; reason: string } | { answered: false; info: TerminationInfo }>((resolve) => (settle = resolve));
    let next: Call;
    try {
      next = await this.#host.followUp(call, {
        to: refer.target.uri,
        headers: refer.inviteHeaders,
        onSession: (s) => {
          s.on('ringing', () => {
            void notifier.notify(180);
            if (state.state === 'trying') {
              state.state = 'ringing';
              state.status = 180;
              call.setTransfer(state);
            }
          });
          s.once('accepted', (response) => settle({ answered: true, status: response.status, reason: response.reason }));
          s.once('terminated', (info) => settle({ answered: false, info }));
        },
      });
    } catch (err) {
      // The call could not even be placed (bad target, no media): 503 says so (RFC 3515 §2.4.5).
      await notifier.notify(503, 'Service Unavailable');
      this.#failed(call, state, `the call to ${refer.target.uri} could not be placed: ${(err as Error).message}`, 503);
      return;
    }
    state.newCallId = next.id;
    next.setReplaces(call.id);
    call.setTransfer(state);
    const r = await result;
    if (!r.answered) {
      const status = failureStatus(r.info);
      await notifier.notify(status);
      await next.ended;
      this.#failed(call, state, `the call to ${refer.target.uri} failed: ${next.snapshot.endReason ?? r.info.reason}`, status);
      return;
    }
    // The old call ends with these words, whoever sends the BYE.
    call.endWith({ code: 'transferred', reason: `transferred to ${refer.target.uri}`, target: refer.target.uri });
    state.state = 'transferred';
    state.status = r.status;
    call.setTransfer(state);
    // The final NOTIFY goes before any BYE of ours: a BYE first would leave the transferor without its report.
    await notifier.notify(r.status, r.reason || undefined);
    this.#report(call, state, { ok: true, reason: 'transferred', status: r.status });
    // RFC 5589 §6.1: the transferor ends the old call; if it does not, we do.
    const over = (): boolean => call.state === 'ended';
    if (over()) return;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const grace = new Promise<void>((resolve) => (timer = this.#host.clock.setTimeout(resolve, this.#byeGrace)));
    await Promise.race([call.ended, grace]);
    if (timer !== undefined) this.#host.clock.clearTimeout(timer);
    if (!over()) await call.hangup().catch(() => undefined);
  }

  #failed(call: Call, state: CallTransferState, reason: string, status: number): void {
    state.state = 'failed';
    state.reason = reason;
    state.status = status;
    call.setTransfer(state);
    this.#report(call, state, { ok: false, reason, status });
  }

  // ───────────────────────────── transfer target ─────────────────────────────

  /**
   * An incoming INVITE's Replaces (RFC 3891 §3), checked before anything else: 'none' (an
   * ordinary call), 'rejected' (already answered 400/481/486/603), or the call of ours it replaces.
   */
  incoming(session: InviteSession): { kind: 'none' } | { kind: 'rejected' } | { kind: 'replace'; replaced: Call } {
    const r = this.#host.refers.checkReplaces(session);
    if (r.kind === 'none') return { kind: 'none' };
    if (r.kind === 'rejected') return { kind: 'rejected' };
    const replaced = this.#host.calls.of(r.replaced);
    return replaced ? { kind: 'replace', replaced } : { kind: 'none' };
  }

  /** `next` (being answered) takes the place of `replaced`: shown on both, reported once `next` is confirmed or has failed. */
  replacing(replaced: Call, next: Call): void {
    const session = next.session;
    const to = next.snapshot.peer.uri;
    const state: CallTransferState = { role: 'target', kind: 'attended', to, state: 'trying', newCallId: next.id };
    next.setReplaces(replaced.id);
    replaced.setTransfer(state);
    if (!session) return;
    // Said now: the replaced call gets its BYE as soon as the new one is confirmed (replaces-check.ts).
    replaced.endWith({ code: 'replaced', reason: `replaced by the call with ${to}` });
    const confirmed = (): void => {
      session.off('terminated', failed);
      state.state = 'transferred';
      replaced.setTransfer(state);
      this.#report(replaced, state, { ok: true, reason: 'transferred' });
    };
    const failed = (info: TerminationInfo): void => {
      session.off('confirmed', confirmed);
      replaced.endWith(undefined);
      state.state = 'failed';
      state.reason = `the call with ${to} that was to replace this one failed: ${info.reason}`;
      replaced.setTransfer(state);
      this.#report(replaced, state, { ok: false, reason: state.reason, ...(info.status !== undefined ? { status: info.status } : {}) });
    };
    // Before replaces-check.ts's own listener ends the replaced call, so that its last snapshot says so.
    session.prependOnceListener('confirmed', confirmed);
    session.once('terminated', failed);
  }
}
