/**
 * Why a call ended, as a code: the engine says the code (and its parameters on the CallSnapshot:
 * `endStatus`, `endTarget`), each UI words it in its own language. The engine's English words
 * (`endReason`) stay for the command line and the logs.
 */
export const END_CODES = [
  /** We hung up (BYE, or the call was placed and we stopped it). */
  'local-hangup',
  /** The other side hung up (BYE). */
  'remote-hangup',
  /** The caller gave up before we answered (CANCEL). */
  'caller-cancelled',
  /** Another of the callee's phones took the call (CANCEL with Reason cause=200, RFC 3326). */
  'answered-elsewhere',
  /** We cancelled our call before it was answered (487). */
  'cancelled',
  /** 486, 600. */
  'busy',
  /** 603, or we declined an incoming call. */
  'declined',
  /** Nobody answered in time (408 from the other side, 480/487 to a call we did not answer). */
  'no-answer',
  /** We refused an incoming call because do-not-disturb is on. */
  'do-not-disturb',
  /** 404, 410, 604. */
  'not-found',
  /** 484: the number is not complete. */
  'incomplete-number',
  /** 480, 503: the other side cannot take calls now. */
  'unavailable',
  /** 403, 405. */
  'forbidden',
  /** 401, 407 not met: the server wants credentials we do not have. */
  'auth-failed',
  /** The other side requires SRTP and we offered plain RTP (a 488 to RTP/AVP, or an RTP/SAVP-only offer). */
  'srtp-required',
  /** 488, 606, 415: no codec or media both sides accept. */
  'no-common-codec',
  /** We transferred the call (to `endTarget`). */
  'transferred',
  /** A call that took this one's place (RFC 3891 Replaces, an attended transfer) ended it. */
  'replaced',
  /** No answer in time from the network (a SIP transaction timeout, a missing ACK or session refresh). */
  'timeout',
  /** The server could not be reached (a transport error). */
  'network',
  /** The audio could not start or stopped (the media engine failed). */
  'media-failed',
  /** Anything else (with `endStatus` when SIP gave one). */
  'failed',
] as const;

export type EndCode = (typeof END_CODES)[number];

/** The stack's own words for a timeout or a transport failure name an address or a delay (sip/usage/invite-failure.ts). */
const STACK_WORDS = /\d+\.\d+|:\d+|after \d/;

/** The code for a final SIP failure status (RFC 3261 §21). */
export function endCodeOfStatus(status: number, reason = ''): EndCode {
  switch (status) {
    case 486:
    case 600:
      return 'busy';
    case 603:
      return 'declined';
    case 408:
      return STACK_WORDS.test(reason) ? 'timeout' : 'no-answer';
    case 503:
      return STACK_WORDS.test(reason) ? 'network' : 'unavailable';
    case 480:
      return 'unavailable';
    case 404:
    case 410:
    case 604:
      return 'not-found';
    case 484:
      return 'incomplete-number';
    case 403:
    case 405:
      return 'forbidden';
    case 401:
    case 407:
      return 'auth-failed';
    case 487:
      return 'cancelled';
    case 415:
    case 488:
    case 606:
      return 'no-common-codec';
    default:
      return 'failed';
  }
}
