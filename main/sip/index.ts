export * from './message/index.ts';
export * from './auth/index.ts';
export { TransactionLayer } from './transaction/transaction-layer.ts';
export type { ClientTransaction, ServerTransaction, IncomingRequest, IncomingResponse } from './transaction/transaction-layer.ts';
export { realClock, FakeClock } from './clock.ts';
export type { Clock, TimerHandle } from './clock.ts';
export { DEFAULT_TIMER_SETTINGS } from './transaction/timers.ts';
export { SourceLimiter } from './transport/source-limiter.ts';
export type { TimerSettings } from './transaction/timers.ts';
export { SipTransport } from './transport/sip-transport.ts';
export type { SipTransportOptions, ListenSpec, FlowFailure } from './transport/sip-transport.ts';
export { SipResolver } from './transport/resolver.ts';
export { maskSecrets } from './transport/mask-secrets.ts';
export { canonicalIp } from './transport/stamp-via.ts';
export { TransportError, isReliable } from './transport/types.ts';
export type { Target, Incoming, TraceEvent, TransportProtocol, Transport } from './transport/types.ts';
export { UserAgent, ALLOWED_METHODS } from './usage/user-agent.ts';
export type { ReceivedMessage, OutOfDialogRequest } from './usage/user-agent.ts';
export { Registerer } from './usage/registerer.ts';
export type { RegistrationSnapshot, RegistrationState, RegistererOptions } from './usage/registerer.ts';
export type { UserAgentUsage } from './usage/user-agent.ts';
export { Dialog, dialogIdOf, dialogKey } from './dialog/index.ts';
export type { DialogId, DialogState } from './dialog/index.ts';
export { InviteUsage } from './usage/invite-usage.ts';
export type { InviteUsageOptions } from './usage/invite-usage.ts';
export { InviteSession, bodyOf, glareBackoff } from './usage/invite-session.ts';
export type {
  Body,
  Identity,
  InviteOptions,
  InviteSessionDelegate,
  InviteSessionEvents,
  InviteSessionState,
  ModifyResult,
  OfferContext,
  ReplyOptions,
  TerminationCause,
  TerminationInfo,
} from './usage/invite-session.ts';
export type { ReasonValue } from './usage/invite-reason.ts';
export { describeFailure } from './usage/invite-failure.ts';
export { DEFAULT_SESSION_TIMER } from './usage/session-timer.ts';
export type { SessionTimerConfig } from './usage/session-timer.ts';
export { ReferUsage } from './usage/refer-usage.ts';
export type { ReferUsageOptions, ReferOptions, IncomingRefer, ReferActions, ReferHandler } from './usage/refer-usage.ts';
export { ReferSubscription } from './usage/refer-subscription.ts';
export type { ReferOutcome, ReferOutcomeCause, ReferProgress, ReferSubscriptionEvents, ReferSubscriptionState } from './usage/refer-subscription.ts';
export { ReferNotifier } from './usage/refer-notifier.ts';
export type { ReferNotifierState } from './usage/refer-notifier.ts';
export type { TransferOptions, TransferOutcome } from './usage/refer-transfer.ts';
export { parseReferTo, formatReferTo, parseReferredBy, formatReferredBy } from './usage/refer-to.ts';
export type { ReferTarget } from './usage/refer-to.ts';
export { parseReplaces, formatReplaces, replacesFor, replacedDialogId } from './usage/replaces-header.ts';
export type { ReplacesValue } from './usage/replaces-header.ts';
export type { ReplacesCheck } from './usage/replaces-check.ts';
export { parseSipfrag, formatSipfrag, SIPFRAG_TYPE } from './usage/sipfrag.ts';
export type { SipfragStatus } from './usage/sipfrag.ts';
export type { DialogRequestHandler } from './usage/invite-usage.ts';
