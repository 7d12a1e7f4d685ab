/**
 * Modifying an established session: re-INVITE (RFC 3261 §14) and UPDATE (RFC 3311), sent and
 * received, one at a time.
 *
 * - Ours are queued: each waits until no INVITE transaction and no offer is in progress either
 *   way (§14.1), then goes; a 491 (glare) waits `glareBackoff` and tries again (at most 5 times),
 *   a 422 once more with the Min-SE it asks for (RFC 4028 §7.4). A 481 or 408 ends the session
 *   (§12.2.1.2); any other failure leaves it as it was (§14.1).
 * - The peer's: 491 while our INVITE or offer is pending (glare), 500 with Retry-After while one
 *   of its own is still open (§14.2) — one we answered whose ACK it overtook counts as
 *   acknowledged (invite-callee.ts `acknowledgedBy`); else the delegate answers the offer (or makes one, for an
 *   offerless re-INVITE) and our 2xx is retransmitted until the ACK (invite-callee.ts).
 * - Session refresh (RFC 4028 §10): the refresher's re-INVITE or UPDATE goes through the same
 *   queue; the timer itself is invite-refresh.ts.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Dialog } from '../dialog/dialog.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { TimerHandle } from '../transaction/timers.ts';
import { describeFailure } from './invite-failure.ts';
import { bodyOf } from './invite-core.ts';
import type { Body, InviteCore, ModifyResult, Reply, ServerInvite } from './invite-core.ts';
import type { InviteRefresh } from './invite-refresh.ts';
import type { InviteCallee } from './invite-callee.ts';

/** §14.1: the wait after a 491, in 10 ms units: 2.1–4 s for the Call-ID owner, 0–2 s otherwise. */
export function glareBackoff(owner: boolean, random: () => number): number {
  const units = owner ? 210 + Math.floor(random() * 191) : Math.floor(random() * 201);
  return units * 10;
}

type ModifyOptions = { body?: Body; headers?: Array<[string, string]> };

export class InviteModify {
  readonly #core: InviteCore;
  readonly #refresh: InviteRefresh;
  readonly #callee: InviteCallee;
  #queue: Promise<unknown> = Promise.resolve();
  /** Glare back-offs waiting (§14.1). */
  readonly #pendingTimers = new Set<TimerHandle>();

  constructor(core: InviteCore, refresh: InviteRefresh, callee: InviteCallee) {
    this.#core = core;
    this.#refresh = refresh;
    this.#callee = callee;
    core.onEnd(() => {
      for (const h of this.#pendingTimers) core.host.clock.clearTimeout(h);
      this.#pendingTimers.clear();
    });
  }

  /** §14: a re-INVITE (hold, resume, codec change). Queued behind any modification in progress. */
  reinvite(opts: ModifyOptions = {}): Promise<ModifyResult> {
    return this.#enqueue(() => this.#modify('INVITE', opts, false));
  }

  /** RFC 3311: UPDATE, with an offer or (session refresh) without. */
  update(opts: ModifyOptions = {}): Promise<ModifyResult> {
    return this.#enqueue(() => this.#modify('UPDATE', opts, false));
  }

  /** RFC 4028 §10: our turn to refresh the session. */
  refreshSession(): void {
    const core = this.#core;
    if (core.state !== 'Confirmed') return;
    // RFC 4028 §10: UPDATE when the peer allows it (no body needed), else re-INVITE with our last body.
    const useUpdate = core.peerAllow.includes('UPDATE');
    const p = this.#enqueue(() => (useUpdate ? this.#modify('UPDATE', {}, true) : this.#modify('INVITE', { body: core.localBody }, true)));
    void p.then((r) => {
      if (!r.ok && core.state === 'Confirmed' && (r.status === 408 || r.status === 481 || r.status >= 500)) {
        if (core.dialog && r.status !== 481) core.sendBye(core.dialog, { protocol: 'SIP', cause: r.status, text: 'Session refresh failed' });
        core.end({ cause: 'session-expired', by: 'remote', status: r.status, reason: 'the call could not be refreshed' });
      }
    });
  }

  #enqueue(fn: () => Promise<ModifyResult>): Promise<ModifyResult> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #modify(method: 'INVITE' | 'UPDATE', opts: ModifyOptions, refresh: boolean): Promise<ModifyResult> {
    const core = this.#core;
    let timerRetried = false;
    for (let attempt = 0; ; attempt++) {
      const dialog = core.dialog;
      const usable = core.state === 'Confirmed' || (method === 'UPDATE' && core.state === 'Early');
      if (!dialog || !usable) return { ok: false, status: 0, reason: `no call to modify (${core.state})` };
      if (!core.idle()) {
        // §14.1: never while another INVITE or offer is in progress: wait for it to end.
        await core.waitIdle();
        continue;
      }
      const headers: Array<[string, string]> = [...core.commonHeaders(), ...this.#refresh.modifyHeaders(refresh)];
      if (opts.headers) headers.push(...opts.headers);
      const request = dialog.createRequest(method, { headers, body: opts.body });
      if (opts.body) core.offerPending = 'local';
      if (method === 'INVITE') core.clientInvite = true;
      let response: SipResponse;
      try {
        response = await core.send(dialog, request, {
          onLateResponse: (r) => {
            // A retransmitted 2xx to our re-INVITE: the same ACK again (§13.2.2.4).
            const ack = core.acks.get(`${r.cseq().seq}\n${dialog.id.remoteTag}`);
            if (ack && r.status >= 200 && r.status < 300) void core.sendAck(dialog, ack);
          },
        });
      } finally {
        core.clientInvite = false;
        if (core.offerPending === 'local') core.offerPending = 'none';
        core.checkIdle();
      }
      if (core.over()) return { ok: false, status: response.status, reason: describeFailure(response.status, response.reason) };
      const status = response.status;
      if (status >= 200 && status < 300) {
        dialog.refreshTarget(response);
        const remote = bodyOf(response);
        let answer = remote;
        if (method === 'INVITE') {
          let ackBody: Body | undefined;
          if (!opts.body && remote) {
            // An offerless re-INVITE: the 2xx holds the offer, the ACK our answer.
            ackBody = await core.askOffer(remote, { method: 'INVITE', early: false });
            answer = ackBody;
            if (ackBody) core.localBody = ackBody;
          }
          const ack = core.buildAck(dialog, request, ackBody);
          core.acks.set(`${request.cseq().seq}\n${dialog.id.remoteTag}`, ack);
          void core.sendAck(dialog, ack);
        }
        if (opts.body) {
          core.localBody = opts.body;
          if (remote) core.emit('answer', remote, { method, early: core.state === 'Early', refresh });
        }
        this.#refresh.answered(response, true);
        return { ok: true, status, reason: response.reason, ...(answer ? { answer } : {}) };
      }
      if (status === 491 && attempt < 5) {
        await this.#sleep(glareBackoff(core.role === 'uac', core.host.random));
        continue;
      }
      // RFC 4028 §7.4: once more with the Min-SE the 422 asks for.
      if (status === 422 && !timerRetried && this.#refresh.learnMinSE(response)) {
        timerRetried = true;
        continue;
      }
      if (status === 481 || status === 408) {
        // §12.2.1.2: the dialog is gone (481) or the peer is (408).
        if (status === 408 && !refresh) core.sendBye(dialog, { protocol: 'SIP', cause: 408, text: 'Request Timeout' });
        if (!refresh) core.end({ cause: 'failed', by: 'remote', status, reason: describeFailure(status, response.reason) });
      }
      // §14.1: any other failure leaves the session as it was.
      return { ok: false, status, reason: describeFailure(status, response.reason) };
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const h = this.#core.host.clock.setTimeout(() => {
        this.#pendingTimers.delete(h);
        resolve();
      }, ms);
      this.#pendingTimers.add(h);
    });
  }

  // ───────────────────────────── the peer's ─────────────────────────────

  /** §14.2: a re-INVITE. Glare → 491; one still open → 500 with Retry-After. */
  async receiveReinvite(tx: InviteServerTransaction, request: SipRequest, dialog: Dialog, reply: Reply): Promise<void> {
    const core = this.#core;
    // Our 2xx to the peer's last INVITE may still wait for an ACK that this INVITE overtook.
    if (dialog === core.dialog && !core.over()) this.#callee.acknowledgedBy(request.cseq().seq);
    if (core.over()) {
      reply(481);
      return;
    }
    if (core.state !== 'Confirmed' || dialog !== core.dialog) {
      reply(core.serverInvite ? 500 : 491, core.serverInvite ? { headers: [['Retry-After', String(Math.floor(core.host.random() * 11))]] } : {});
      return;
    }
    if (core.serverInvite) {
      reply(500, { headers: [['Retry-After', String(Math.floor(core.host.random() * 11))]] });
      return;
    }
    if (core.clientInvite || core.offerPending === 'local') {
      reply(491);
      return;
    }
    const timerHeaders = this.#refresh.negotiate(request, reply);
    if (!timerHeaders) return;
    const inv: ServerInvite = { tx, request, cseq: request.cseq().seq, expectAnswer: false, answered: false };
    core.serverInvite = inv;
    core.peerAllow = request.hasHeader('Allow') ? request.headers('Allow').map((m) => m.trim().toUpperCase()) : core.peerAllow;
    const offer = bodyOf(request);
    let body: Body | undefined;
    if (offer) {
      core.offerPending = 'remote';
      body = await core.askOffer(offer, { method: 'INVITE', early: false });
      core.offerPending = 'none';
      if (!body) {
        core.serverInvite = undefined;
        reply(488);
        core.checkIdle();
        return;
      }
    } else {
      body = await core.askOfferRequest({ method: 'INVITE', early: false });
      if (body) {
        inv.expectAnswer = true;
        core.offerPending = 'local';
      }
    }
    if (core.over() || core.serverInvite !== inv) return;
    core.localBody = body ?? core.localBody;
    const headers = [...core.commonHeaders(), ...timerHeaders];
    const response = core.response(request, 200, { headers, body, contact: true });
    inv.answered = true;
    this.#callee.startOk(inv, response);
    this.#refresh.applyPending();
  }

  /** RFC 3311 §5.2: an UPDATE, with an offer or without (a session refresh). */
  async receiveUpdate(request: SipRequest, dialog: Dialog, reply: Reply): Promise<void> {
    const core = this.#core;
    const offer = bodyOf(request);
    if (offer && core.offerPending === 'local') {
      reply(491);
      return;
    }
    if (offer && core.offerPending === 'remote') {
      reply(500, { headers: [['Retry-After', String(Math.floor(core.host.random() * 11))]] });
      return;
    }
    const timerHeaders = this.#refresh.negotiate(request, reply);
    if (!timerHeaders) return;
    let body: Body | undefined;
    if (offer) {
      core.offerPending = 'remote';
      body = await core.askOffer(offer, { method: 'UPDATE', early: dialog.state === 'early' });
      core.offerPending = 'none';
      core.checkIdle();
      if (!body) {
        reply(488);
        return;
      }
      core.localBody = body;
    }
    if (core.over()) return;
    reply(200, { headers: [...core.commonHeaders(), ...timerHeaders, ['Contact', dialog.localContact]], body });
    this.#refresh.applyPending();
  }
}
