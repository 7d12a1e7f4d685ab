/**
 * Requests within the dialog of an INVITE session (RFC 3261 §12.2): the peer's, checked and handed
 * to the part that answers them, and ours that are not the session's own verbs; with BYE (§15),
 * both ways.
 *
 * The peer's request comes only by the dialog's path (dialog-path.ts; else 403) and in CSeq order
 * (the dialog's check), then: BYE ends the session (in an early dialog its INVITE gets 487);
 * re-INVITE and UPDATE go to invite-modify.ts; PRACK to invite-callee.ts; INFO is an event;
 * OPTIONS gets our capabilities; anything else goes to an extension (REFER, NOTIFY) or to
 * `delegate.onRequest`, else 501.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Dialog } from '../dialog/dialog.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { IncomingRequest, ServerTransaction } from '../transaction/transaction-layer.ts';
import { describeFailure } from './invite-failure.ts';
import { reasonOf } from './invite-reason.ts';
import type { ReasonValue } from './invite-reason.ts';
import { bodyOf } from './invite-core.ts';
import type { Body, InviteCore, Reply, ReplyOptions } from './invite-core.ts';
import type { InviteCallee } from './invite-callee.ts';
import type { InviteModify } from './invite-modify.ts';

export class InviteDialogRouting {
  readonly #core: InviteCore;
  readonly #callee: InviteCallee;
  readonly #modify: InviteModify;

  constructor(core: InviteCore, callee: InviteCallee, modify: InviteModify) {
    this.#core = core;
    this.#callee = callee;
    this.#modify = modify;
  }

  /** A request inside one of our dialogs (InviteUsage routes it here). Never throws. */
  receiveRequest(tx: ServerTransaction, incoming: IncomingRequest, dialog: Dialog): void {
    const core = this.#core;
    const request = incoming.message;
    const reply = (status: number, opts: ReplyOptions = {}): void => {
      try {
        tx.respond(core.response(request, status, opts));
      } catch {
        // Nothing more can be said to this request.
      }
    };
    // Only from the dialog's path (dialog-path.ts): from elsewhere, 403 and nothing changes.
    if (!core.fromPath(dialog, incoming)) {
      reply(403, { reason: 'Forbidden (not from this call\'s path)' });
      return;
    }
    const check = dialog.receiveRequest(request);
    if (!check.ok) {
      reply(check.status, { reason: check.reason });
      return;
    }
    switch (request.method) {
      case 'BYE':
        this.#receiveBye(request, reply);
        return;
      case 'INVITE':
        void this.#modify.receiveReinvite(tx as InviteServerTransaction, request, dialog, reply);
        return;
      case 'UPDATE':
        void this.#modify.receiveUpdate(request, dialog, reply);
        return;
      case 'PRACK':
        this.#callee.receivePrack(request, reply);
        return;
      case 'INFO':
        reply(200);
        core.emit('info', bodyOf(request), request);
        return;
      case 'OPTIONS':
        reply(200, { headers: [...core.commonHeaders(), ['Accept', 'application/sdp, application/dtmf-relay, text/plain']] });
        return;
      default: {
        if (core.host.dialogRequest?.(core.session, request, reply)) return;
        const delegate = core.session.delegate;
        const hook = delegate.onRequest;
        if (!hook) {
          reply(501);
          return;
        }
        try {
          hook.call(delegate, request, reply);
        } catch {
          reply(500);
        }
      }
    }
  }

  #receiveBye(request: SipRequest, reply: Reply): void {
    reply(200);
    // §15.1.2: a BYE in an early dialog: the INVITE gets 487.
    this.#callee.receiveEarlyBye();
    const reasonHeader = reasonOf(request);
    this.#core.end({
      cause: 'bye',
      by: 'remote',
      reason: reasonHeader?.text ? `the other side hung up (${reasonHeader.text})` : 'the other side hung up',
      ...(reasonHeader ? { reasonHeader } : {}),
    });
  }

  /**
   * §15: BYE. The session is Terminated at once (media can stop); the Promise gives the BYE's
   * response. A UAS waiting for the ACK of its 2xx sends the BYE once the ACK came (§15).
   */
  bye(opts: { reason?: ReasonValue; headers?: Array<[string, string]> } = {}): Promise<SipResponse | undefined> {
    const core = this.#core;
    const dialog = core.dialog;
    if (core.state === 'Accepted' && core.role === 'uas') {
      this.#callee.byeAfterAck(opts.reason);
      return Promise.resolve(undefined);
    }
    if (!dialog || (core.state !== 'Confirmed' && core.state !== 'Accepted')) return Promise.resolve(undefined);
    const sent = core.sendBye(dialog, opts.reason, opts.headers);
    core.end({ cause: 'bye', by: 'local', reason: 'call ended' });
    return sent;
  }

  /** INFO (RFC 6086), e.g. `application/dtmf-relay`. */
  info(body: Body, headers: Array<[string, string]> = []): Promise<SipResponse> {
    return this.sendRequest('INFO', { headers, body });
  }

  /**
   * Any request inside the dialog (REFER, NOTIFY, INFO, MESSAGE…), routed by §12.2.1.1 and
   * answered once when challenged. A 481 or 408 ends the session (§12.2.1.2).
   */
  async sendRequest(method: string, opts: { headers?: Array<[string, string]>; body?: Body } = {}): Promise<SipResponse> {
    const core = this.#core;
    const dialog = core.dialog;
    if (!dialog || core.state === 'Terminated') throw new Error(`${method}: the call has no dialog (${core.state})`);
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL' || method === 'BYE' || method === 'PRACK') {
      throw new TypeError(`sendRequest: use the session's own method for ${method}`);
    }
    const response = await core.send(dialog, dialog.createRequest(method, opts));
    if ((response.status === 481 || response.status === 408) && !core.over()) {
      if (response.status === 408) core.sendBye(dialog, { protocol: 'SIP', cause: 408, text: 'Request Timeout' });
      core.end({ cause: 'failed', by: 'remote', status: response.status, reason: describeFailure(response.status, response.reason) });
    }
    return response;
  }
}
