/**
 * What the INVITE and non-INVITE server transactions share: the request and where it came
 * from, sending responses back the way §18.2.2 says (the transport decides), and termination.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import { isReliable } from '../transport/types.ts';
import type { Incoming, TransportError } from '../transport/types.ts';
import { asTransportError } from './client-transaction-base.ts';
import { Timer } from './timers.ts';
import { safely } from './types.ts';
import type { ServerTransactionEvents, TransactionContext, TransactionState } from './types.ts';

export interface ServerTransactionOptions {
  /** The request that created the transaction, as it arrived. */
  incoming: Incoming & { message: SipRequest };
  context: TransactionContext;
  /** Called once, when the transaction reaches Terminated (the layer forgets it then). */
  onTerminated?: () => void;
}

export abstract class ServerTransactionBase<S extends TransactionState> implements ServerTransactionEvents {
  readonly request: SipRequest;
  readonly incoming: Incoming & { message: SipRequest };
  protected readonly context: TransactionContext;
  onTransportError: ((error: TransportError) => void) | undefined;
  onTimeout: (() => void) | undefined;
  onTerminated: (() => void) | undefined;
  #state: S;
  #lastResponse: SipResponse | undefined;
  readonly #onTerminatedLayer: (() => void) | undefined;
  readonly #timers: Timer[] = [];

  protected constructor(opts: ServerTransactionOptions, initial: S) {
    this.incoming = opts.incoming;
    this.request = opts.incoming.message;
    this.context = opts.context;
    this.#state = initial;
    this.#onTerminatedLayer = opts.onTerminated;
  }

  get state(): S {
    return this.#state;
  }

  get method(): string {
    return this.request.method;
  }

  /** Whether the request came over a reliable transport (no response retransmissions, zero waits). */
  get reliable(): boolean {
    return isReliable(this.incoming.protocol);
  }

  /** The last response passed to the transport, which answers request retransmissions. */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** The TU's response to the request. What happens depends on the state (see the diagram). */
  abstract respond(response: SipResponse): void;

  /** A retransmission of the request, or an ACK, matched to this transaction (§17.2.3). */
  abstract receiveRequest(incoming: Incoming & { message: SipRequest }): void;

  protected get terminated(): boolean {
    return this.#state === 'Terminated';
  }

  protected setState(state: S): void {
    this.#state = state;
  }

  protected timer(fire: () => void): Timer {
    const t = new Timer(this.context.clock, () => {
      if (!this.terminated) fire();
    });
    this.#timers.push(t);
    return t;
  }

  /** Pass a response to the transport (§18.2.2 is the transport's business), remembering it. */
  protected send(response: SipResponse): void {
    this.#lastResponse = response;
    this.context.transport.sendResponse(response, this.incoming).catch((error: unknown) => {
      const failure = asTransportError(error);
      if (!this.terminated) return this.onTransportFailure(failure);
      // A final response on a stream ends the transaction at once (Timer J/I = 0): still say it failed.
      const hook = this.onTransportError;
      if (hook) safely(() => hook(failure));
    });
  }

  /** Resend the last response, if there is one. */
  protected resend(): void {
    if (this.#lastResponse) this.send(this.#lastResponse);
  }

  /** §17.2.4: a failure to send a response. The default ends the transaction and tells the TU. */
  protected onTransportFailure(error: TransportError): void {
    this.terminate();
    const hook = this.onTransportError;
    if (hook) safely(() => hook(error));
  }

  /** Enter Terminated: every timer stops, the layer forgets us, the TU hears it. Idempotent. */
  terminate(): void {
    if (this.terminated) return;
    this.#state = 'Terminated' as S;
    for (const t of this.#timers) t.clear();
    if (this.#onTerminatedLayer) safely(this.#onTerminatedLayer);
    const hook = this.onTerminated;
    if (hook) safely(hook);
  }
}
