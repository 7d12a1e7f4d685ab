/**
 * Every error Appel raises on purpose is an AppelError, and its `code` is one of ERROR_CODES: the
 * code an `ApiResult` carries to a window, which words it (the message says it in English).
 */

export const ERROR_CODES = [
  /** The request does not fit its channel, or a value is out of range: the message names the field. */
  'bad-request',
  /** No call, account, contact, history row… with that id. */
  'not-found',
  /** Not in this state (hold a call that is not connected, answer one that no longer rings). */
  'wrong-state',
  /** This page may not use the engine. */
  'forbidden',
  /** Not available here: a channel this engine does not serve, a transport not enabled, a server not reached. */
  'unavailable',
  /** What was asked was tried and did not work (the message says why). */
  'failed',
  /** A bug: something that should not happen did. */
  'internal',
  /** The database file could not be read (it has been kept aside). */
  'corrupt',
  /** The database was written by a newer Appel; it is left untouched. */
  'newer-schema',
  /** The keychain cannot encrypt, so a password cannot be kept. */
  'no-secret-storage',
  /** Bytes that do not parse: a SIP message, SDP, RTP, RTCP, STUN, a WAV file. */
  'malformed',
  /** An offer or answer we cannot accept (RFC 3264): no common media, a limit crossed. */
  'not-acceptable',
  /** The other side refused what we offered. */
  'rejected',
  /** A window lost its link to the engine (the bridge's WebSocket closed). */
  'disconnected',
  /** No answer came in time. */
  'timeout',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one base of Appel's errors. */
export class AppelError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppelError';
    this.code = code;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}

/**
 * The `{ code, message }` an ApiResult carries for what a handler threw: an AppelError's code (or
 * any error's `code` that is one of ours), a TypeError as a bad request, anything else as failed.
 */
export function errorOf(err: unknown): { code: ErrorCode; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AppelError) return { code: err.code, message };
  const code = (err as { code?: unknown } | null)?.code;
  if (isErrorCode(code)) return { code, message };
  return { code: err instanceof TypeError ? 'bad-request' : 'failed', message };
}
