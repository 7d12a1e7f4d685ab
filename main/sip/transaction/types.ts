/**
 * What the four transaction machines share: the context they run in, and what a client
 * transaction tells its transaction user (TU). The machines themselves live in one file each.
 */
import type { SipResponse } from '../message/types.ts';
import type { Transport, TransportError } from '../transport/types.ts';
import type { Clock, TimerSettings } from './timers.ts';

/** RFC 3261 §17 state names, verbatim. Each machine uses the subset drawn in its doc comment. */
export type TransactionState =
  | 'Calling'
  | 'Trying'
  | 'Proceeding'
  | 'Completed'
  | 'Accepted'
  | 'Confirmed'
  | 'Terminated';

/** Where a transaction runs: the transport below it, the clock, and T1/T2/T4. */
export interface TransactionContext {
  transport: Transport;
  clock: Clock;
  timers: TimerSettings;
}

/**
 * What a client transaction reports to its TU. Every response that reaches the TU goes to
 * `onResponse`, including the ones the transaction synthesizes (RFC 3261 §8.1.3.1, §17.1.4):
 * 408 when Timer B/F fires, 503 when the transport fails. `onTimeout`/`onTransportError`, when
 * given, are called just before that synthesized response, for TUs that want the cause.
 * Handlers must not throw; an exception is caught and dropped so a transaction never breaks.
 */
export interface ClientTransactionHandlers {
  onResponse(response: SipResponse): void;
  onTimeout?(): void;
  onTransportError?(error: TransportError): void;
}

/** Optional hooks of a server transaction, set by the TU on the transaction object. */
export interface ServerTransactionEvents {
  /** Sending a response failed (RFC 3261 §17.2.4): the transaction is over (Accepted stays, RFC 6026). */
  onTransportError?: (error: TransportError) => void;
  /** Timer H fired: no ACK came for the final non-2xx response (§17.2.1). */
  onTimeout?: () => void;
  /** The transaction reached Terminated. */
  onTerminated?: () => void;
}

/** Call a TU callback, keeping its exceptions out of the state machine (STYLE.md: callbacks never throw). */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The TU's own bug must not leave a transaction half-updated or kill a socket callback.
  }
}
