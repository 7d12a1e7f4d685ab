/**
 * Stream directions as RFC 3264 §6.1 reasons about them: each side writes what IT will do, so
 * the answerer's direction is the mirror of the offer's, narrowed by what the answerer wants.
 *
 *   offer      answer (we want sendrecv)      we may
 *   sendrecv   sendrecv                        send and receive
 *   sendonly   recvonly                        receive
 *   recvonly   sendonly                        send
 *   inactive   inactive                        nothing
 */
import type { Direction } from './session-description.ts';

export function canSend(direction: Direction): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

export function canReceive(direction: Direction): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

export function directionOf(send: boolean, receive: boolean): Direction {
  if (send) return receive ? 'sendrecv' : 'sendonly';
  return receive ? 'recvonly' : 'inactive';
}

/** The other side's view of `direction`: sendonly ↔ recvonly. */
export function reverseDirection(direction: Direction): Direction {
  return directionOf(canReceive(direction), canSend(direction));
}

/** What both allow. */
export function intersectDirections(a: Direction, b: Direction): Direction {
  return directionOf(canSend(a) && canSend(b), canReceive(a) && canReceive(b));
}

/**
 * What we may do given what we want (`local`) and what the other side wrote (`remote`):
 * we send only where they receive, and receive only where they send.
 */
export function localDirection(local: Direction, remote: Direction): Direction {
  return intersectDirections(local, reverseDirection(remote));
}

/**
 * RFC 3264 §8.4: the old RFC 2543 way to hold a call was c=0.0.0.0, "do not send to me". We
 * read it as the writer no longer receiving: sendrecv becomes sendonly, recvonly inactive.
 */
export function isHoldAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

export function withoutReceive(direction: Direction): Direction {
  return directionOf(canSend(direction), false);
}
