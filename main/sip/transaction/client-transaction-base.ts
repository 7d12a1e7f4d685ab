/**
 * What the INVITE and non-INVITE client transactions share: sending through the transport
 * (learning the protocol actually used), synthesized 408/503 responses, and termination.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import { isReliable, TransportError } from '../transport/types.ts';
import type { Target } from '../transport/types.ts';
import { Timer } from './timers.ts';
import { safely } from './types.ts';
import type { ClientTransactionHandlers, TransactionContext, TransactionState } from './types.ts';
import { synthesizeResponse } from './synthesize-response.ts';

export interface ClientTransactionOptions {
  request: SipRequest;
  target: Target;
  context: TransactionContext;
  handlers: ClientTransactionHandlers;
  /** Called at every state change, Terminated included (the layer forgets the transaction then). */
  onStateChange?: (state: TransactionState) => void;
}

/** A transport failure as a TransportError, whatever was thrown. */
export function asTransportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(message, 'ESEND');
}

export abstract class ClientTransactionBase<S extends TransactionState> {
  readonly request: SipRequest;
  /** The top Via branch: with the CSeq method, this transaction's identity (§17.1.3). */
  readonly branch: string;
  protected readonly context: TransactionContext;
  protected readonly handlers: ClientTransactionHandlers;
  #target: Target;
  #state: S;
  readonly #onStateChange: ((state: TransactionState) => void) | undefined;
  readonly #timers: Timer[] = [];
  #probed = false;

  protected constructor(opts: ClientTransactionOptions, initial: S) {
    this.request = opts.request;
    this.branch = opts.request.topVia().branch ?? '';
    this.context = opts.context;
    this.handlers = opts.handlers;
    this.#target = opts.target;
    this.#state = initial;
    this.#onStateChange = opts.onStateChange;
  }

  get state(): S {
    return this.#state;
  }

  get method(): string {
    return this.request.method;
  }

  /** Where the request went: after the first send, the target the transport actually used. */
  get target(): Target {
    return this.#target;
  }

  /** Whether the transport in use is reliable (no retransmissions, zero wait timers). */
  get reliable(): boolean {
    return isReliable(this.#target.protocol);
  }

  /** Pass the request to the transport layer for the first time. */
  abstract start(): void;

  /** A response whose top Via branch and CSeq method matched this transaction (§17.1.3). */
  abstract receiveResponse(response: SipResponse): void;

  protected get terminated(): boolean {
    return this.#state === 'Terminated';
  }

  protected setState(state: S): void {
    this.#state = state;
    const hook = this.#onStateChange;
    if (hook) safely(() => hook(state));
  }

  protected timer(fire: () => void): Timer {
    const t = new Timer(this.context.clock, () => {
      if (!this.terminated) fire();
    });
    this.#timers.push(t);
    return t;
  }

  /**
   * Send (or resend) a request to the target. The first resolution tells which protocol the
   * transport really used (UDP may have become TCP, §18.1.1); later sends reuse that target.
   */
  protected send(request: SipRequest, onSent?: () => void): void {
    this.context.transport.sendRequest(request, this.#target).then(
      (used) => {
        if (this.terminated) return;
        this.#target = used;
        onSent?.();
      },
      (error: unknown) => {
        if (!this.terminated) this.onTransportFailure(asTransportError(error));
      },
    );
  }

  /**
   * The first retransmission over UDP: nothing came back within T1, so ask the transport whether
   * the target is dead (§18.4, ICMP unreachable) instead of waiting 32 s for Timer B/F. Asked once;
   * a failure counts only while `stillSilent()` says no response has arrived.
   */
  protected probeIfSilent(stillSilent: () => boolean): void {
    if (this.#probed || this.reliable) return;
    this.#probed = true;
    const probe = this.context.transport.probeUnreachable?.(this.#target);
    probe?.then(
      (failure) => {
        if (failure && !this.terminated && stillSilent()) this.onTransportFailure(failure);
      },
      () => undefined,
    );
  }

  /** §17.1.1.2, §17.1.2.2: a transport error reported while the request is outstanding. */
  protected abstract onTransportFailure(error: TransportError): void;

  protected toTU(response: SipResponse): void {
    safely(() => this.handlers.onResponse(response));
  }

  /** Timer B/F: tell the TU, with a 408 (Request Timeout) as §8.1.3.1 says. */
  protected timeout(): void {
    this.terminate();
    safely(() => this.handlers.onTimeout?.());
    this.toTU(synthesizeResponse(this.request, 408, 'Request Timeout'));
  }

  /** Transport failure: tell the TU, with a 503 (Service Unavailable) as §8.1.3.1 says. */
  protected transportFailed(error: TransportError): void {
    this.terminate();
    safely(() => this.handlers.onTransportError?.(error));
    this.toTU(synthesizeResponse(this.request, 503, 'Service Unavailable'));
  }

  /** Enter Terminated: every timer stops, the layer forgets us. Idempotent. */
  terminate(): void {
    if (this.terminated) return;
    for (const t of this.#timers) t.clear();
    this.setState('Terminated' as S);
  }
}
