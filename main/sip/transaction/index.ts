/** The transaction layer (RFC 3261 §17, RFC 6026): the public surface of this folder. */
export { TransactionLayer } from './transaction-layer.ts';
export type {
  CancelOutcome,
  ClientTransaction,
  IncomingRequest,
  IncomingResponse,
  ServerTransaction,
  TransactionLayerOptions,
  TransactionLayerStats,
} from './transaction-layer.ts';
export { InviteClientTransaction } from './invite-client-transaction.ts';
export type { InviteClientTransactionState } from './invite-client-transaction.ts';
export { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
export type { NonInviteClientTransactionState } from './non-invite-client-transaction.ts';
export { InviteServerTransaction } from './invite-server-transaction.ts';
export type { InviteServerTransactionState } from './invite-server-transaction.ts';
export { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
export type { NonInviteServerTransactionState } from './non-invite-server-transaction.ts';
export { createAck } from './create-ack.ts';
export { createCancel } from './create-cancel.ts';
export { clientTransactionKey, serverTransactionKey } from './transaction-key.ts';
export { DEFAULT_TIMER_SETTINGS, FakeClock, realClock, Timer, timerValues } from './timers.ts';
export type { Clock, TimerHandle, TimerSettings, TimerValues } from './timers.ts';
export type { ClientTransactionHandlers, ServerTransactionEvents, TransactionState } from './types.ts';
