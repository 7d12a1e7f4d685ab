// The SIP transport layer: sockets (UDP, TCP, TLS), framing, keep-alive, RFC 3263 server location, trace.
export type { Incoming, Target, TraceEvent, Transport, TransportProtocol } from './types.ts';
export { TransportError, isReliable } from './types.ts';
export { SipTransport } from './sip-transport.ts';
export type {
  ConnectionInfo,
  FlowFailure,
  KeepAliveHandle,
  ListenSpec,
  SipTransportOptions,
  SipTransportTlsOptions,
  TransportLogger,
} from './sip-transport.ts';
export { SipResolver, shouldTryNextTarget, orderSrv, DEFAULT_PORT } from './resolver.ts';
export type { AttemptOutcome, ResolveQuery, SipResolverOptions } from './resolver.ts';
export { maskSecrets, maskCredentials } from './mask-secrets.ts';
export { StreamFramer } from './stream-framer.ts';
export type { FrameEvent, StreamFramerOptions } from './stream-framer.ts';
export { describeConnectError } from './describe-connect-error.ts';
