/**
 * The callee's side of an INVITE session (RFC 3261 §13.3, RFC 3262, §9.2): the early dialog and
 * its provisionals (reliable when the INVITE Requires 100rel), the 2xx retransmitted until the ACK
 * (§13.3.1.4), reject and redirect, and the caller's CANCEL.
 *
 *   Incoming ─ringing()/progress()─▶ Early ─accept()─▶ Accepted ─ACK─▶ Confirmed
 *      └─ reject(), CANCEL (487), no PRACK in 64·T1 (504) ─▶ Terminated
 *
 * Every session has this part: a caller answers re-INVITEs too, and their 2xx wait for an ACK
 * the same way (`startOk`, `receiveAck`; invite-modify.ts answers them).
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import { Dialog } from '../dialog/dialog.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { IncomingRequest } from '../transaction/transaction-layer.ts';
import { Timer } from '../transaction/timers.ts';
import type { Clock } from '../transaction/timers.ts';
import type { Target } from '../transport/types.ts';
import { describeFailure } from './invite-failure.ts';
import { reasonOf } from './invite-reason.ts';
import type { ReasonValue } from './invite-reason.ts';
import { ReliableProvisionalSender, requires100rel } from './prack.ts';
import { negotiateAsUas } from './session-timer.ts';
import { bodyOf } from './invite-core.ts';
import type { Body, InviteCore, Reply, ReplyOptions, ServerInvite } from './invite-core.ts';
import type { InviteRefresh } from './invite-refresh.ts';

/** The 2xx of an INVITE, retransmitted by the UAS core until the ACK (§13.3.1.4). */
class OkRetransmitter {
  readonly #clock: Clock;
  readonly #T1: number;
  readonly #T2: number;
  readonly #send: () => void;
  readonly #giveUp: () => void;
  readonly #timer: Timer;
  #interval = 0;
  #started = 0;

  constructor(opts: { clock: Clock; T1: number; T2: number; send: () => void; giveUp: () => void }) {
    this.#clock = opts.clock;
    this.#T1 = opts.T1;
    this.#T2 = opts.T2;
    this.#send = opts.send;
    this.#giveUp = opts.giveUp;
    this.#timer = new Timer(opts.clock, () => this.#fire());
  }

  start(): void {
    this.#started = this.#clock.now();
    this.#interval = this.#T1;
    this.#send();
    this.#timer.start(this.#interval);
  }

  stop(): void {
    this.#timer.clear();
  }

  #fire(): void {
    if (this.#clock.now() - this.#started >= 64 * this.#T1) {
      this.#giveUp();
      return;
    }
    this.#send();
    this.#interval = Math.min(2 * this.#interval, this.#T2);
    this.#timer.start(Math.min(this.#interval, this.#started + 64 * this.#T1 - this.#clock.now()));
  }
}

export class InviteCallee {
  readonly #core: InviteCore;
  readonly #refresh: InviteRefresh;
  #incoming: IncomingRequest | undefined;
  /** The offer the INVITE carried (undefined: none; ours then goes in the 2xx or a reliable 1xx). */
  #offer: Body | undefined;
  #reliable: ReliableProvisionalSender | undefined;
  #provisionalBody: Body | undefined;
  /** bye() while our 2xx waits for its ACK: the BYE goes once the ACK came (§15). */
  #byePending: { reason?: ReasonValue } | undefined;
  /** RFC 4028 §9 for the initial INVITE: the headers of our 2xx and the interval it starts. */
  #uasTimerHeaders: Array<[string, string]> = [];
  #uasTimer: { interval: number; refresher: 'uac' | 'uas' } | undefined;
  #afterPrack: Array<() => void> = [];
  /** The early dialog is in the host's table (from our first 1xx or 2xx). */
  #bound = false;

  constructor(core: InviteCore, refresh: InviteRefresh) {
    this.#core = core;
    this.#refresh = refresh;
    core.onEnd(() => this.#reliable?.stop());
  }

  /**
   * UAS: take the INVITE that made this session (its dialog, offer, session timer, 100rel).
   * Returns the 422 to send instead when its Session-Expires is too small (RFC 4028 §9).
   */
  answering(tx: InviteServerTransaction, incoming: IncomingRequest, localContact: string): SipResponse | undefined {
    const core = this.#core;
    const host = core.host;
    const request = incoming.message;
    this.#incoming = incoming;
    core.serverInvite = { tx, request, cseq: request.cseq().seq, expectAnswer: false, answered: false };
    this.#offer = bodyOf(request);
    if (this.#offer) core.offerPending = 'remote';
    core.peerAllow = request.headers('Allow').map((m) => m.trim().toUpperCase());
    const flow: Target = {
      protocol: incoming.protocol,
      address: incoming.source.address,
      port: incoming.source.port,
      connectionId: incoming.connectionId,
    };
    core.dialog = Dialog.forUas(request, { localTag: core.localTag, localContact, flow });
    if (host.sessionTimer) {
      const n = negotiateAsUas(request, host.sessionTimer);
      if (n.kind === 'reject') {
        return core.response(request, 422, { headers: [['Min-SE', String(n.minSE)]] });
      }
      if (n.kind === 'timer') {
        this.#uasTimerHeaders = n.headers;
        this.#uasTimer = { interval: n.interval, refresher: n.refresher };
      }
    }
    if (requires100rel(request)) {
      const T1 = host.ua.transactions.timers.T1;
      this.#reliable = new ReliableProvisionalSender({
        clock: host.clock,
        T1,
        send: (r) => tx.respond(r),
        onTimeout: () => {
          // RFC 3262 §3: no PRACK in 64·T1 → reject the INVITE with a 5xx.
          if (core.state === 'Terminated') return;
          tx.respond(core.response(request, 504, { reason: 'No PRACK' }));
          core.end({ cause: 'no-prack', by: 'remote', status: 504, reason: 'the other side did not acknowledge our ringing' });
        },
      });
    }
    core.setState('Incoming');
    return undefined;
  }

  /** The INVITE this session answers. */
  get initialRequest(): SipRequest | undefined {
    return this.#incoming?.message;
  }

  get offer(): Body | undefined {
    return this.#offer;
  }

  #ensureUasEarly(): void {
    const core = this.#core;
    if (core.dialog && !this.#bound) {
      this.#bound = true;
      core.host.bindDialog(core.dialog, core.session);
    }
  }

  #provisional(status: number, opts: ReplyOptions = {}): void {
    const core = this.#core;
    if (core.role !== 'uas' || (core.state !== 'Incoming' && core.state !== 'Early')) return;
    const inv = core.serverInvite!;
    this.#ensureUasEarly();
    const response = core.response(inv.request, status, { ...opts, contact: true });
    if (opts.body) this.#provisionalBody = opts.body;
    if (this.#reliable) {
      const offered = opts.body !== undefined && this.#offer === undefined;
      if (opts.body && this.#offer) core.offerPending = 'none';
      this.#reliable.send(response, (prack) => {
        const answer = bodyOf(prack);
        if (offered && answer) {
          core.offerPending = 'none';
          core.emit('answer', answer, { method: 'PRACK', early: true, refresh: false });
        }
        const after = this.#afterPrack.splice(0);
        for (const fn of after) fn();
      });
      if (offered) core.offerPending = 'local';
    } else {
      inv.tx.respond(response);
    }
    core.setState('Early');
  }

  /** 180 Ringing (an early dialog with our To tag, §12.1.1). */
  ringing(opts: ReplyOptions = {}): void {
    this.#provisional(180, opts);
  }

  /** 183 Session Progress, usually with an early answer (early media). */
  progress(body?: Body, opts: ReplyOptions & { status?: number } = {}): void {
    this.#provisional(opts.status ?? 183, { ...opts, body: body ?? opts.body });
  }

  /** RFC 3262 §3: 200 to a PRACK that matches the reliable 1xx in flight (then what waited for it), else 481. */
  receivePrack(request: SipRequest, reply: Reply): void {
    const inv = this.#core.serverInvite;
    if (this.#reliable && inv && this.#reliable.matches(request, inv.cseq)) {
      reply(200);
      this.#reliable.receivePrack(request, inv.cseq);
    } else {
      reply(481, { reason: 'No matching reliable provisional response' });
    }
  }

  /**
   * 200 OK with Contact (§13.3.1.4): `body` is the answer to the INVITE's offer, or our offer
   * when the INVITE had none (the answer then comes in the ACK). Retransmitted until the ACK;
   * after 64·T1 without one the session ends with BYE.
   */
  accept(body?: Body, opts: ReplyOptions = {}): void {
    const core = this.#core;
    if (core.role !== 'uas' || (core.state !== 'Incoming' && core.state !== 'Early')) return;
    // RFC 3262 §3: no 2xx while a reliable 1xx holding a session description waits for its PRACK.
    if (this.#reliable?.pending) {
      this.#afterPrack.push(() => this.accept(body, opts));
      return;
    }
    const inv = core.serverInvite!;
    this.#reliable?.stop();
    this.#ensureUasEarly();
    const dialog = core.dialog!;
    dialog.confirm();
    let answer = body;
    if (this.#offer) {
      // The answer; after an unreliable 1xx that carried it, the 2xx must carry it again (§13.3.1).
      if (!answer && !this.#reliable) answer = this.#provisionalBody;
      core.offerPending = 'none';
    } else if (this.#reliable && this.#provisionalBody && core.offerPending === 'none') {
      // Our offer went in a reliable 1xx and the PRACK answered it: nothing more to say.
      answer = undefined;
    } else if (answer) {
      // No offer in the INVITE: this is ours, and the ACK must answer it (§13.2.1).
      inv.expectAnswer = true;
      core.offerPending = 'local';
    }
    const headers = [...core.commonHeaders(), ...this.#uasTimerHeaders, ...(opts.headers ?? [])];
    const response = core.response(inv.request, 200, { ...opts, headers, body: answer, contact: true });
    if (answer) core.localBody = answer;
    inv.answered = true;
    this.startOk(inv, response);
    core.setState('Accepted');
    if (this.#uasTimer) this.#refresh.start(this.#uasTimer.interval, this.#uasTimer.refresher === 'uas' ? 'local' : 'remote');
    core.emit('accepted', response);
  }

  /** Send our 2xx to `inv` and retransmit it until its ACK (§13.3.1.4). */
  startOk(inv: ServerInvite, response: SipResponse): void {
    const core = this.#core;
    const T = core.host.ua.transactions.timers;
    const retransmitter = new OkRetransmitter({
      clock: core.host.clock,
      T1: T.T1,
      T2: T.T2,
      send: () => inv.tx.respond(response),
      giveUp: () => this.#noAck(inv),
    });
    inv.retransmitter = retransmitter;
    retransmitter.start();
  }

  /** §13.3.1.4: no ACK for our 2xx within 64·T1: confirm and end the session with BYE. */
  #noAck(inv: ServerInvite): void {
    const core = this.#core;
    if (core.serverInvite !== inv || core.state === 'Terminated') return;
    core.serverInvite = undefined;
    const dialog = core.dialog;
    if (dialog) core.sendBye(dialog, { protocol: 'SIP', cause: 408, text: 'ACK not received' });
    core.end({ cause: 'no-ack', by: 'remote', status: 408, reason: 'the other side never confirmed the call' });
  }

  /** A final failure to the INVITE (486 Busy Here by default). */
  reject(status = 486, opts: ReplyOptions = {}): void {
    const core = this.#core;
    if (core.role !== 'uas' || (core.state !== 'Incoming' && core.state !== 'Early')) return;
    if (status < 300 || status > 699) throw new RangeError(`reject: status must be 300-699, not ${status}`);
    const inv = core.serverInvite!;
    this.#reliable?.stop();
    const headers = [...(opts.headers ?? [])];
    if (status === 405) headers.push(...core.host.ua.capabilityHeaders());
    inv.tx.respond(core.response(inv.request, status, { ...opts, headers }));
    core.end({ cause: 'rejected', by: 'local', status, reason: describeFailure(status, opts.reason) });
  }

  /** 3xx with these Contacts (§21.3): the caller tries them (e.g. `302` to a colleague). */
  redirect(contacts: string[], status = 302, opts: ReplyOptions = {}): void {
    const headers: Array<[string, string]> = contacts.map((c) => ['Contact', c.includes('<') ? c : `<${c}>`]);
    this.reject(status, { ...opts, headers: [...headers, ...(opts.headers ?? [])] });
  }

  /** §9.2: the caller cancelled. The layer answered the CANCEL; we answer the INVITE with 487. */
  receiveCancel(cancel: SipRequest): void {
    const core = this.#core;
    if (core.state !== 'Incoming' && core.state !== 'Early') return;
    const inv = core.serverInvite!;
    this.#reliable?.stop();
    inv.tx.respond(core.response(inv.request, 487));
    const reasonHeader = reasonOf(cancel);
    const completedElsewhere = reasonHeader?.cause === 200;
    core.end({
      cause: 'cancel',
      by: 'remote',
      status: 487,
      reason: completedElsewhere ? 'answered elsewhere' : 'the caller hung up',
      ...(reasonHeader ? { reasonHeader } : {}),
    });
  }

  /** §15.1.2: a BYE in an early dialog of ours: the INVITE gets 487 (the BYE ends the session). */
  receiveEarlyBye(): void {
    const core = this.#core;
    if (core.role !== 'uas' || (core.state !== 'Incoming' && core.state !== 'Early')) return;
    const inv = core.serverInvite!;
    this.#reliable?.stop();
    inv.tx.respond(core.response(inv.request, 487));
  }

  /** §15: bye() while our 2xx waits for its ACK: Terminating now, the BYE once the ACK came. */
  byeAfterAck(reason: ReasonValue | undefined): void {
    this.#byePending = { reason };
    this.#core.setState('Terminating');
  }

  /** An ACK for a 2xx of ours (the initial INVITE or a re-INVITE). */
  receiveAck(ack: SipRequest): void {
    const inv = this.#core.serverInvite;
    if (!inv || !inv.answered || ack.cseq().seq !== inv.cseq) return;
    this.#acknowledged(inv, bodyOf(ack));
  }

  /**
   * A new INVITE (CSeq `cseq`) came in the dialog while our 2xx to an earlier one still waits
   * for its ACK: the ACK and the new INVITE crossed on the way (a proxy with several workers
   * reorders them; RFC 5407 §3.1.4 shows the race). The peer sends no new INVITE before the last
   * one is done (§14.1), so it had our 2xx and acknowledged it: the exchange counts as
   * acknowledged and the new INVITE is served, unless that 2xx held our offer, whose answer only
   * the ACK brings. True when nothing waits for an ACK any more.
   */
  acknowledgedBy(cseq: number): boolean {
    const inv = this.#core.serverInvite;
    if (!inv) return true;
    if (!inv.answered || inv.expectAnswer || cseq <= inv.cseq) return false;
    this.#acknowledged(inv, undefined);
    return !this.#core.serverInvite;
  }

  #acknowledged(inv: ServerInvite, body: Body | undefined): void {
    const core = this.#core;
    inv.retransmitter?.stop();
    core.serverInvite = undefined;
    queueMicrotask(() => core.checkIdle());
    const initial = core.state === 'Accepted' || (core.state === 'Terminating' && this.#byePending !== undefined);
    if (inv.expectAnswer) {
      core.offerPending = 'none';
      if (body) core.emit('answer', body, { method: 'ACK', early: false, refresh: false });
      else if (core.dialog) {
        // §13.3.1.4 (and RFC 3264): our offer went unanswered: the session cannot work.
        core.sendBye(core.dialog, { protocol: 'SIP', cause: 488, text: 'no answer in the ACK' });
        core.end({ cause: 'failed', by: 'remote', status: 488, reason: 'the other side did not answer our session description' });
        return;
      }
    }
    if (initial) {
      if (this.#byePending) {
        const reason = this.#byePending.reason;
        this.#byePending = undefined;
        if (core.dialog) core.sendBye(core.dialog, reason);
        core.end({ cause: 'bye', by: 'local', reason: 'call ended' });
        return;
      }
      core.setState('Confirmed');
      core.emit('confirmed');
    }
  }
}
