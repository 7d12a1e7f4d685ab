/**
 * The caller's side of an INVITE session (RFC 3261 §13.2, §8.1.3, §9.1): the INVITE client.
 *
 *   Initial ─start()─▶ Calling ─1xx with To tag─▶ Early ─2xx (ACK sent)─▶ Confirmed
 *                        │ 3xx: next Contact ("redirected"); 401/407, 422: retried once
 *                        │ cancel(): Terminating ─487─▶ Terminated (200 after CANCEL: ACK + BYE)
 *                        └──── 3xx-6xx, 408, 503 ───────────────────────────▶ Terminated
 *
 * The loop of one call: digest challenges answered once (§22.2), a 422 retried with its Min-SE
 * (RFC 4028 §7.4), redirects followed through RedirectTargets (its depth and target limits), a
 * failure from one target moving on to the next. Provisionals make early dialogs, one per fork
 * (§12.1.2); reliable ones are PRACKed (RFC 3262 §4). The first 2xx makes the dialog; a 2xx from
 * another fork is ACKed and BYEd (§13.2.2.4).
 */
import { createRequest, parseUri } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { Dialog } from '../dialog/dialog.ts';
import type { InviteClientTransaction } from '../transaction/invite-client-transaction.ts';
import type { ClientTransaction } from '../transaction/transaction-layer.ts';
import { Timer } from '../transaction/timers.ts';
import type { Target } from '../transport/types.ts';
import type { FlowInfo } from './out-of-dialog-sender.ts';
import { describeFailure } from './invite-failure.ts';
import { RedirectTargets } from './invite-redirect.ts';
import { RSeqTracker, readRSeq, requires100rel } from './prack.ts';
import { bodyOf, contactFor, targetOf } from './invite-core.ts';
import type { Body, InviteCore, InviteOptions } from './invite-core.ts';
import type { InviteRefresh } from './invite-refresh.ts';

interface EarlyDialog {
  dialog: Dialog;
  rseq: RSeqTracker;
}

export class InviteCaller {
  readonly #core: InviteCore;
  readonly #refresh: InviteRefresh;
  readonly #opts: InviteOptions;
  /** The INVITE last sent (a challenge, a 422 or a redirect sends a new one). */
  #request: SipRequest | undefined;
  #cseq = 0;
  #inviteTx: InviteClientTransaction | undefined;
  #cancelRequested = false;
  #cancelGuard: Timer | undefined;
  /** Early dialogs by the To tag of their 1xx (one per fork, §12.1.2). */
  readonly #early = new Map<string, EarlyDialog>();
  /** The answer to our offer came already (in a reliable 1xx), or we answered an offer in one. */
  #gotAnswer = false;

  constructor(core: InviteCore, refresh: InviteRefresh, opts: InviteOptions) {
    this.#core = core;
    this.#refresh = refresh;
    this.#opts = opts;
    core.localBody = opts.offer;
    core.credentials = opts.credentials;
    refresh.askFor(core.host.sessionTimer?.expires);
    core.onEnd(() => {
      this.#cancelGuard?.clear();
      for (const e of this.#early.values()) core.host.unbindDialog(e.dialog);
      this.#early.clear();
    });
  }

  get options(): InviteOptions {
    return this.#opts;
  }

  /** The INVITE last sent. */
  get request(): SipRequest | undefined {
    return this.#request;
  }

  #buildInvite(uri: string): SipRequest {
    const core = this.#core;
    const opts = this.#opts;
    const to = opts.to;
    const display = opts.displayName !== undefined ? `"${opts.displayName.replace(/["\\]/g, '\\$&')}" ` : '';
    const headers: Array<[string, string]> = [...core.commonHeaders()];
    if (core.host.userAgent) headers.push(['User-Agent', core.host.userAgent]);
    headers.push(...this.#refresh.inviteHeaders());
    if (opts.headers) headers.push(...opts.headers);
    const fields: Array<[string, string]> = [
      ['Max-Forwards', '70'],
      ['To', `<${to}>`],
      ['From', `${display}<${opts.from}>;tag=${core.localTag}`],
      ['Call-ID', core.callId],
      ['CSeq', `${++this.#cseq} INVITE`],
      ...(opts.contact ? [['Contact', `<${opts.contact}>`] as [string, string]] : []),
      ...headers,
    ];
    if (opts.offer) fields.push(['Content-Type', opts.offer.contentType]);
    const req = createRequest({ method: 'INVITE', uri, fields, body: opts.offer?.body });
    opts.credentials?.preAuthorize(req);
    return req;
  }

  /** UAC: send the INVITE and follow it to its end (redirects, challenges, 422). */
  async start(): Promise<void> {
    const core = this.#core;
    if (core.role !== 'uac' || core.state !== 'Initial') return;
    const opts = this.#opts;
    if (opts.offer) core.offerPending = 'local';
    core.setState('Calling');
    try {
      await this.#run(opts);
    } catch (err) {
      core.end({ cause: 'error', by: 'local', reason: (err as Error).message || 'the call could not be placed' });
    }
  }

  async #run(opts: InviteOptions): Promise<void> {
    const core = this.#core;
    let uri = opts.to;
    let depth = 0;
    const redirects = new RedirectTargets({ maxDepth: opts.maxRedirects ?? 5, first: parseUri(uri) });
    let challenged = false;
    let refused: string | undefined;
    let timerRetries = 0;
    for (;;) {
      if (this.#cancelRequested) {
        core.end({ cause: 'cancel', by: 'local', status: 487, reason: describeFailure(487) });
        return;
      }
      const request = this.#buildInvite(uri);
      this.#request = request;
      let localContact = request.header('Contact') ?? '';
      let flow: FlowInfo | undefined;
      const secure = parseUri(uri).scheme === 'sips';
      const { response, flow: used } = await core.host.ua.send(request, {
        proxy: opts.proxy,
        transport: opts.transport,
        prepare: (f) => {
          flow = f;
          if (!opts.contact) {
            localContact = contactFor(f, parseUri(opts.from).user, secure);
            request.setHeader('Contact', localContact);
          }
        },
        onTransaction: (tx) => this.#onInviteTransaction(tx),
        onProvisional: (r) => this.#onProvisional(request, r, () => localContact, () => flow),
        onLateResponse: (r) => this.#onLateResponse(request, r, localContact, used),
      });
      if (core.over()) return;
      const status = response.status;
      if (status >= 200 && status < 300) {
        await this.#on2xx(request, response, localContact, targetOf(used));
        return;
      }
      this.#dropEarlyDialogs();
      if (this.#cancelRequested) {
        core.end({ cause: 'cancel', by: 'local', status, reason: describeFailure(487) });
        return;
      }
      if ((status === 401 || status === 407) && opts.credentials && !challenged) {
        challenged = true;
        const verdict = opts.credentials.authorize(request, response);
        if (verdict === 'retry') continue;
        // §22.1: credentials go only to the account's realm; say so rather than "wrong password".
        if (verdict.kind === 'refused') refused = verdict.reason;
      }
      // RFC 4028 §7.4: retry with the Min-SE the 422 asks for.
      if (status === 422 && core.host.sessionTimer && timerRetries++ < 2 && this.#refresh.learnMinSE(response)) continue;
      if (status >= 300 && status < 400) {
        try {
          redirects.add(response.contacts(), depth);
        } catch {
          // Unreadable Contacts: nothing to follow.
        }
      }
      // §8.1.3.4: a failure from one target moves on to the next Contact (6xx ends it all).
      const next = status < 600 ? redirects.next() : undefined;
      if (next) {
        uri = next.uri;
        depth = next.depth;
        challenged = false;
        refused = undefined;
        core.emit('redirected', { target: next.uri, status, reason: response.reason });
        continue;
      }
      core.offerPending = 'none';
      core.end({
        cause: status === 408 || status === 503 ? 'failed' : 'rejected',
        by: 'remote',
        status,
        reason: refused ?? describeFailure(status, response.reason),
      });
      return;
    }
  }

  #onInviteTransaction(tx: ClientTransaction): void {
    if (tx.kind !== 'invite-client') return;
    this.#inviteTx = tx;
    if (this.#cancelRequested) this.#core.host.ua.transactions.cancel(tx);
  }

  /** A 1xx to our INVITE: early dialogs (§12.1.2), PRACK (RFC 3262 §4), early answers. */
  #onProvisional(request: SipRequest, response: SipResponse, localContact: () => string, flow: () => FlowInfo | undefined): void {
    const core = this.#core;
    if (core.state === 'Terminated' || request !== this.#request) return;
    if (response.status === 100) {
      core.emit('trying', response);
      return;
    }
    const toTag = response.to().params.get('tag');
    let early: EarlyDialog | undefined;
    if (toTag) {
      early = this.#early.get(toTag);
      if (!early) {
        const f = flow();
        early = { dialog: Dialog.forUac(request, response, { localContact: localContact(), flow: f ? targetOf(f) : undefined }), rseq: new RSeqTracker() };
        this.#early.set(toTag, early);
        core.host.bindDialog(early.dialog, core.session);
      } else {
        early.dialog.refreshTarget(response);
      }
      if (core.state === 'Calling') core.setState('Early');
    }
    const rseq = readRSeq(response);
    const reliable = early !== undefined && rseq !== undefined && requires100rel(response);
    if (reliable && early!.rseq.accept(rseq) !== 'new') return;
    core.emit('progress', { status: response.status, reason: response.reason, response });
    if (response.status === 180) core.emit('ringing', response);
    const body = bodyOf(response);
    if (body && this.#opts.offer) {
      // A 1xx with a body is the early answer (early media); the 2xx repeats it.
      this.#gotAnswer = this.#gotAnswer || reliable;
      if (reliable) core.offerPending = 'none';
      core.emit('answer', body, { method: 'INVITE', early: true, refresh: false });
    }
    if (reliable) void this.#prack(early!.dialog, request, response, rseq!, body);
  }

  /** RFC 3262 §7.2: PRACK with RAck; an offer in the reliable 1xx is answered in the PRACK. */
  async #prack(dialog: Dialog, invite: SipRequest, response: SipResponse, rseq: number, body: Body | undefined): Promise<void> {
    const core = this.#core;
    let answer: Body | undefined;
    if (body && !this.#opts.offer && !this.#gotAnswer) {
      answer = await core.askOffer(body, { method: 'INVITE', early: true });
      if (answer) {
        core.localBody = answer;
        this.#gotAnswer = true;
      }
    }
    if (core.over() || dialog.state === 'terminated') return;
    const prack = dialog.createRequest('PRACK', { headers: [['RAck', `${rseq} ${invite.cseq().seq} INVITE`]], body: answer });
    try {
      await core.send(dialog, prack);
    } catch {
      // A lost PRACK: the UAS retransmits its 1xx, which is then a retransmission for us; it gives up with 5xx.
    }
  }

  /** A 2xx from a second fork (ACK it, then BYE it) or a retransmission (ACK again), §13.2.2.4. */
  #onLateResponse(request: SipRequest, response: SipResponse, localContact: string, used: FlowInfo | undefined): void {
    if (response.status < 200 || response.status >= 300) return;
    this.receiveStray2xx(response, request, localContact, used ? targetOf(used) : undefined);
  }

  /** A 2xx to one of our INVITEs outside its transaction (usage.onStray2xx) or after the first. */
  receiveStray2xx(response: SipResponse, request = this.#request, localContact = this.#core.dialog?.localContact ?? '', flow?: Target): void {
    const core = this.#core;
    const tag = response.to().params.get('tag') ?? '';
    const key = `${response.cseq().seq}\n${tag}`;
    const ack = core.acks.get(key);
    const dialog = core.dialog;
    if (ack && dialog) {
      const d = dialog.id.remoteTag === tag ? dialog : undefined;
      if (d) void core.sendAck(d, ack);
      else void this.#resendForkAck(response, ack, flow);
      return;
    }
    if (!request || (dialog && dialog.id.remoteTag === tag)) return; // ACK not ready yet.
    // Another fork answered: confirm its dialog just long enough to ACK and BYE it.
    const fork = Dialog.forUac(request, response, { localContact, flow: flow ?? dialog?.flow });
    const forkAck = core.buildAck(fork, request);
    core.acks.set(key, forkAck);
    void core.sendAck(fork, forkAck);
    const bye = fork.createRequest('BYE', { headers: [['Reason', 'SIP;cause=200;text="Call completed elsewhere"']] });
    void core.send(fork, bye).catch(() => {});
  }

  async #resendForkAck(response: SipResponse, ack: SipRequest, flow?: Target): Promise<void> {
    if (!this.#request) return;
    const fork = Dialog.forUac(this.#request, response, { localContact: '', flow });
    await this.#core.sendAck(fork, ack);
  }

  async #on2xx(request: SipRequest, response: SipResponse, localContact: string, flow: Target): Promise<void> {
    const core = this.#core;
    const toTag = response.to().params.get('tag') ?? '';
    const early = this.#early.get(toTag);
    const dialog = early?.dialog ?? Dialog.forUac(request, response, { localContact, flow });
    if (early) this.#early.delete(toTag);
    dialog.flow = flow;
    dialog.confirm(response);
    core.dialog = dialog;
    core.host.bindDialog(dialog, core.session);
    this.#dropEarlyDialogs();
    core.peerAllow = response.headers('Allow').map((m) => m.trim().toUpperCase());
    const key = `${request.cseq().seq}\n${toTag}`;
    if (this.#cancelRequested) {
      // §9.1: the 200 crossed our CANCEL: the call exists; ACK it and end it with BYE.
      const ack = core.buildAck(dialog, request);
      core.acks.set(key, ack);
      void core.sendAck(dialog, ack);
      core.sendBye(dialog, { protocol: 'SIP', cause: 487, text: 'Request Terminated' });
      core.end({ cause: 'cancel', by: 'local', status: 487, reason: describeFailure(487) });
      return;
    }
    const body = bodyOf(response);
    let ackBody: Body | undefined;
    let problem: string | undefined;
    if (this.#opts.offer) {
      if (body && !this.#gotAnswer) core.emit('answer', body, { method: 'INVITE', early: false, refresh: false });
      else if (!body && !this.#gotAnswer) problem = 'the answer carried no session description';
      core.offerPending = 'none';
    } else if (!this.#gotAnswer) {
      // §13.2.1: no offer in the INVITE — the 2xx holds the offer, our answer goes in the ACK.
      if (!body) problem = 'the answer carried no session description';
      else {
        core.setState('Accepted');
        ackBody = await core.askOffer(body, { method: 'INVITE', early: false });
        if (!ackBody) problem = 'no common codec/media';
        else core.localBody = ackBody;
      }
    }
    if (core.over()) return;
    const ack = core.buildAck(dialog, request, ackBody);
    core.acks.set(key, ack);
    void core.sendAck(dialog, ack);
    if (problem) {
      // §13.2.2.4: ACK, then BYE a session we cannot use.
      core.sendBye(dialog, { protocol: 'SIP', cause: 488, text: problem });
      core.end({ cause: 'failed', by: 'local', status: 488, reason: problem });
      return;
    }
    this.#refresh.answered(response, false);
    core.setState('Confirmed');
    core.emit('accepted', response);
    core.emit('confirmed');
  }

  #dropEarlyDialogs(): void {
    for (const e of this.#early.values()) {
      e.dialog.terminate();
      this.#core.host.unbindDialog(e.dialog);
    }
    this.#early.clear();
  }

  /** §9.1: cancel our pending INVITE. A 200 that crosses the CANCEL is ACKed and BYEd. */
  cancel(): void {
    const core = this.#core;
    if (core.role !== 'uac' || (core.state !== 'Calling' && core.state !== 'Early' && core.state !== 'Initial')) return;
    this.#cancelRequested = true;
    if (core.state === 'Initial') {
      core.end({ cause: 'cancel', by: 'local', reason: describeFailure(487) });
      return;
    }
    core.setState('Terminating');
    if (this.#inviteTx) core.host.ua.transactions.cancel(this.#inviteTx);
    // §9.1: no final response 64·T1 after the CANCEL: consider the INVITE cancelled.
    this.#cancelGuard = new Timer(core.host.clock, () => core.end({ cause: 'cancel', by: 'local', status: 487, reason: describeFailure(487) }));
    this.#cancelGuard.start(64 * core.host.ua.transactions.timers.T1);
  }
}
