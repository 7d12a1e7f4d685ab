/**
 * The transaction layer (RFC 3261 §17, RFC 6026): it sits on one Transport, creates client
 * transactions for the TU, creates server transactions for arriving requests, and routes
 * every arriving message to the transaction it belongs to.
 *
 * API (everything the TU — dialogs, usages — calls):
 *
 *   const layer = new TransactionLayer({ transport, clock?, timers?: { T1?, T2?, T4? } });
 *
 *   // Client side
 *   layer.request(request, target, { onResponse, onTimeout?, onTransportError? }): ClientTransaction
 *       Sends any request but ACK and CANCEL in a new client transaction. The top Via gets a
 *       fresh branch (a Via `SIP/2.0/UDP 0.0.0.0;branch=…` is added when there is none; the
 *       transport fills in transport and sent-by). Every response reaches `onResponse`,
 *       including the synthesized 408 (Timer B/F) and 503 (transport error), §8.1.3.1.
 *   layer.cancel(inviteTx, handlers?): 'sent' | 'pending' | 'too-late'
 *       §9.1: builds the CANCEL (same branch, Request-URI, Call-ID, From, To, Route, CSeq number)
 *       and sends it in its own non-INVITE client transaction to the INVITE's target — at once
 *       if a provisional arrived ('sent'), at the first provisional otherwise ('pending'; dropped
 *       if a final response comes first), never once the INVITE has a final response ('too-late').
 *   layer.sendAck(ack, target): Promise<Target>
 *       The ACK for a 2xx is its own transaction with no state (§17.1.1.1, §13.2.2.4): a fresh
 *       branch, straight to the transport. (The ACK for 300-699 is sent by the transaction.)
 *
 *   // Server side
 *   layer.onRequest((tx: ServerTransaction, incoming) => …)
 *       A request that matched no transaction (§17.2.3); respond with `tx.respond(response)`.
 *       An INVITE transaction sends 100 Trying itself after 200 ms without a response. Set
 *       `tx.onTransportError`, `tx.onTimeout` (Timer H) or `tx.onTerminated` to hear of them.
 *       With no handler, requests get 500.
 *   layer.onAck((incoming, inviteTx?) => …)
 *       An ACK for a 2xx: in-transaction (RFC 6026 Accepted) or, the usual case, with a branch
 *       of its own that matches nothing (`inviteTx` undefined). ACKs for 300-699 are absorbed.
 *   layer.onCancel((inviteTx, incoming) => …)
 *       A CANCEL matched a pending INVITE server transaction: the layer has answered the CANCEL
 *       with 200; the TU should now answer the INVITE with 487 (§9.2). A CANCEL that matches
 *       nothing is answered 481 here; one for an INVITE already answered gets 200 and no event.
 *   layer.onStray2xx((response, incoming) => …)
 *       A 2xx to INVITE that matched no client transaction (forked answers after Timer M, §13.2.2.4).
 *       Other stray responses are dropped and counted in `layer.stats.strayResponses`.
 *
 *   layer.stats                 { strayResponses, strayAcks, malformed } counters
 *   layer.clientTransactions / layer.serverTransactions   live transactions (read-only views)
 *   layer.timers                the T1/T2/T4 in force
 *   layer.close()               terminate every transaction and ignore further messages
 */
import { generateBranch, generateTag } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Incoming, Target, Transport } from '../transport/types.ts';
import { createCancel } from './create-cancel.ts';
import { InviteClientTransaction } from './invite-client-transaction.ts';
import { InviteServerTransaction } from './invite-server-transaction.ts';
import { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
import { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
import { synthesizeResponse } from './synthesize-response.ts';
import { DEFAULT_TIMER_SETTINGS, realClock } from './timers.ts';
import type { Clock, TimerSettings } from './timers.ts';
import {
  clientTransactionKey,
  hasMagicCookie,
  rfc2543ToTagMatches,
  serverTransactionKey,
} from './transaction-key.ts';
import { safely } from './types.ts';
import type { ClientTransactionHandlers, TransactionContext, TransactionState } from './types.ts';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type IncomingRequest = Incoming & { message: SipRequest };
export type IncomingResponse = Incoming & { message: SipResponse };

export interface TransactionLayerOptions {
  transport: Transport;
  /** Defaults to the process clock; tests pass a FakeClock. */
  clock?: Clock;
  /** T1/T2/T4 in milliseconds (RFC 3261 Table 4 defaults: 500, 4000, 5000). */
  timers?: Partial<TimerSettings>;
}

export interface TransactionLayerStats {
  /** Responses that matched no client transaction and were dropped (§17.1.3). */
  strayResponses: number;
  /** ACKs that matched no transaction and found no onAck handler. */
  strayAcks: number;
  /** Messages whose Via/CSeq/From/To/Call-ID could not be read; dropped. */
  malformed: number;
}

export type CancelOutcome = 'sent' | 'pending' | 'too-late';

/** Replace (or add) the top Via's branch parameter, keeping everything else as written. */
function setBranch(request: SipRequest, branch: string): void {
  const vias = request.headers('Via');
  if (vias.length === 0) {
    request.prependHeader('Via', `SIP/2.0/UDP 0.0.0.0;branch=${branch}`);
    return;
  }
  const top = vias[0];
  const next = /;\s*branch\s*=\s*[^;,\s]*/i.test(top)
    ? top.replace(/;\s*branch\s*=\s*[^;,\s]*/i, `;branch=${branch}`)
    : `${top};branch=${branch}`;
  request.setHeader('Via', [next, ...vias.slice(1)]);
}

export class TransactionLayer {
  readonly stats: TransactionLayerStats = { strayResponses: 0, strayAcks: 0, malformed: 0 };
  readonly #context: TransactionContext;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  /** INVITE client transactions waiting for a provisional before their CANCEL goes (§9.1). */
  readonly #pendingCancels = new Map<InviteClientTransaction, Partial<ClientTransactionHandlers>>();
  readonly #cancelled = new WeakSet<InviteClientTransaction>();
  #onRequest: ((tx: ServerTransaction, incoming: IncomingRequest) => void) | undefined;
  #onAck: ((incoming: IncomingRequest, tx?: InviteServerTransaction) => void) | undefined;
  #onCancel: ((tx: InviteServerTransaction, incoming: IncomingRequest) => void) | undefined;
  #onStray2xx: ((response: SipResponse, incoming: IncomingResponse) => void) | undefined;
  #screen: ((incoming: IncomingRequest) => { status: number; reason: string } | undefined) | undefined;
  #closed = false;

  constructor(opts: TransactionLayerOptions) {
    this.#context = {
      transport: opts.transport,
      clock: opts.clock ?? realClock,
      timers: { ...DEFAULT_TIMER_SETTINGS, ...opts.timers },
    };
    opts.transport.onMessage((incoming) => this.#receive(incoming));
  }

  get timers(): Readonly<TimerSettings> {
    return this.#context.timers;
  }

  get clientTransactions(): ReadonlyMap<string, ClientTransaction> {
    return this.#clients;
  }

  get serverTransactions(): ReadonlyMap<string, ServerTransaction> {
    return this.#servers;
  }

  onRequest(handler: (tx: ServerTransaction, incoming: IncomingRequest) => void): void {
    this.#onRequest = handler;
  }

  onAck(handler: (incoming: IncomingRequest, tx?: InviteServerTransaction) => void): void {
    this.#onAck = handler;
  }

  onCancel(handler: (tx: InviteServerTransaction, incoming: IncomingRequest) => void): void {
    this.#onCancel = handler;
  }

  onStray2xx(handler: (response: SipResponse, incoming: IncomingResponse) => void): void {
    this.#onStray2xx = handler;
  }

  /**
   * Asked of each new request (not ACK, not CANCEL) before a server transaction is made for it:
   * a refusal is answered statelessly and nothing is kept (no transaction, no timer), so that
   * requests nobody may send (a scanner's) cost no memory beyond their own packet.
   */
  setScreen(screen: (incoming: IncomingRequest) => { status: number; reason: string } | undefined): void {
    this.#screen = screen;
  }

  /** Start a client transaction for `request` (any method but ACK and CANCEL). */
  request(request: SipRequest, target: Target, handlers: ClientTransactionHandlers): ClientTransaction {
    if (request.method === 'ACK') throw new TypeError('request: an ACK is not a transaction; use sendAck()');
    if (request.method === 'CANCEL') throw new TypeError('request: a CANCEL shares its INVITE branch; use cancel()');
    // §8.1.1.7: every new transaction gets a branch of its own, with the magic cookie.
    setBranch(request, generateBranch());
    return this.#startClient(request, target, handlers);
  }

  /** §9.1: cancel a pending INVITE client transaction. */
  cancel(invite: InviteClientTransaction, handlers: Partial<ClientTransactionHandlers> = {}): CancelOutcome {
    if (invite.state !== 'Calling' && invite.state !== 'Proceeding') return 'too-late';
    // One CANCEL per INVITE: asking again changes nothing.
    if (this.#pendingCancels.has(invite)) return 'pending';
    if (this.#cancelled.has(invite)) return 'sent';
    if (invite.state === 'Proceeding') {
      this.#sendCancel(invite, handlers);
      return 'sent';
    }
    // §9.1: a CANCEL SHOULD NOT be sent before a provisional response arrived.
    this.#pendingCancels.set(invite, handlers);
    return 'pending';
  }

  /** Send an ACK for a 2xx (no transaction, §17.1.1.1): fresh branch, straight to the transport. */
  sendAck(ack: SipRequest, target: Target): Promise<Target> {
    setBranch(ack, generateBranch());
    return this.#context.transport.sendRequest(ack, target);
  }

  /** Terminate every transaction (timers stop) and ignore whatever arrives afterwards. */
  close(): void {
    this.#closed = true;
    this.#pendingCancels.clear();
    for (const tx of [...this.#clients.values()]) tx.terminate();
    for (const tx of [...this.#servers.values()]) tx.terminate();
  }

  #startClient(request: SipRequest, target: Target, handlers: ClientTransactionHandlers): ClientTransaction {
    const key = clientTransactionKey(request);
    // The hook runs only after construction (from start() on), when `tx` is set.
    const onStateChange = (state: TransactionState): void => this.#clientStateChanged(tx, key, state);
    const opts = { request, target, context: this.#context, handlers, onStateChange };
    const tx: ClientTransaction =
      request.method === 'INVITE' ? new InviteClientTransaction(opts) : new NonInviteClientTransaction(opts);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  #clientStateChanged(tx: ClientTransaction, key: string, state: TransactionState): void {
    if (state === 'Terminated' && this.#clients.get(key) === tx) this.#clients.delete(key);
    if (tx.kind !== 'invite-client') return;
    const pending = this.#pendingCancels.get(tx);
    if (pending === undefined || state === 'Calling') return;
    this.#pendingCancels.delete(tx);
    if (state === 'Proceeding') this.#sendCancel(tx, pending);
  }

  #sendCancel(invite: InviteClientTransaction, handlers: Partial<ClientTransactionHandlers>): void {
    this.#cancelled.add(invite);
    const cancel = createCancel(invite.request);
    this.#startClient(cancel, invite.target, {
      onResponse: (response) => handlers.onResponse?.(response),
      onTimeout: () => handlers.onTimeout?.(),
      onTransportError: (error) => handlers.onTransportError?.(error),
    });
  }

  #receive(incoming: Incoming): void {
    if (this.#closed) return;
    try {
      if (incoming.message.kind === 'response') this.#receiveResponse(incoming as IncomingResponse);
      else this.#receiveRequest(incoming as IncomingRequest);
    } catch {
      // An accessor met a malformed Via/CSeq/From/To/Call-ID (SipParseError): drop it (§17).
      this.stats.malformed++;
    }
  }

  /** §17.1.3: branch + CSeq method; a stray 2xx to INVITE still reaches the TU. */
  #receiveResponse(incoming: IncomingResponse): void {
    const response = incoming.message;
    const key = clientTransactionKey(response);
    const tx = this.#clients.get(key);
    if (tx) {
      tx.receiveResponse(response);
      return;
    }
    const is2xxToInvite = response.status >= 200 && response.status < 300 && response.cseq().method === 'INVITE';
    const handler = this.#onStray2xx;
    if (is2xxToInvite && handler) {
      safely(() => handler(response, incoming));
      return;
    }
    this.stats.strayResponses++;
  }

  /** §17.2.3: match retransmissions and ACKs; new requests make new server transactions. */
  #receiveRequest(incoming: IncomingRequest): void {
    const request = incoming.message;
    const key = serverTransactionKey(request);
    const existing = this.#servers.get(key);
    if (existing && (hasMagicCookie(request) || rfc2543ToTagMatches(request, existing.request, existing.lastResponse))) {
      existing.receiveRequest(incoming);
      return;
    }
    if (request.method === 'ACK') {
      // The ACK for a 2xx carries a branch of its own (§17.1.1.3 vs §13.2.2.4): the TU's.
      const handler = this.#onAck;
      if (handler) safely(() => handler(incoming, undefined));
      else this.stats.strayAcks++;
      return;
    }
    if (request.method === 'CANCEL') {
      this.#receiveCancel(incoming, key);
      return;
    }
    const refusal = this.#screen?.(incoming);
    if (refusal) {
      const response = synthesizeResponse(request, refusal.status, refusal.reason, { toTag: generateTag() });
      this.#context.transport.sendResponse(response, incoming).catch(() => undefined);
      return;
    }
    const tx = this.#newServer(incoming, key);
    const handler = this.#onRequest;
    if (handler) safely(() => handler(tx, incoming));
    else tx.respond(synthesizeResponse(request, 500, 'Server Internal Error', { toTag: generateTag() }));
  }

  /** §9.2: 200 for a CANCEL that matches a transaction, 481 otherwise; tell the TU if it is still pending. */
  #receiveCancel(incoming: IncomingRequest, key: string): void {
    const cancel = incoming.message;
    const tx = this.#newServer(incoming, key);
    const found = this.#servers.get(serverTransactionKey(cancel, { asMethod: 'INVITE' }));
    const invite =
      found?.kind === 'invite-server' &&
      (hasMagicCookie(cancel) || rfc2543ToTagMatches(cancel, found.request, undefined))
        ? found
        : undefined;
    if (invite === undefined) {
      tx.respond(synthesizeResponse(cancel, 481, 'Call/Transaction Does Not Exist', { toTag: generateTag() }));
      return;
    }
    // §9.2: the To tag of the 200 SHOULD equal the one of our responses to the INVITE.
    const toTag = invite.lastResponse?.to().params.get('tag') ?? generateTag();
    tx.respond(synthesizeResponse(cancel, 200, 'OK', { toTag }));
    const handler = this.#onCancel;
    if (!invite.answered && handler) safely(() => handler(invite, incoming));
  }

  #newServer(incoming: IncomingRequest, key: string): ServerTransaction {
    let tx: ServerTransaction;
    const onTerminated = (): void => {
      if (this.#servers.get(key) === tx) this.#servers.delete(key);
    };
    if (incoming.message.method === 'INVITE') {
      tx = new InviteServerTransaction({
        incoming,
        context: this.#context,
        onTerminated,
        onAck: (ack) => {
          const handler = this.#onAck;
          if (handler) safely(() => handler(ack, tx as InviteServerTransaction));
        },
      });
    } else {
      tx = new NonInviteServerTransaction({ incoming, context: this.#context, onTerminated });
    }
    this.#servers.set(key, tx);
    return tx;
  }
}
