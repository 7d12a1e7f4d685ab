/**
 * A call's own re-INVITE (RFC 3261 §14.1): hold, resume, other codecs, video added or removed.
 * It waits for the ACK of an incoming call's 200 first (a re-INVITE may not cross it); on any
 * failure it throws in words and the session stays as it was.
 */
import type { Body, InviteSession } from '../sip/index.ts';

/** Sends `offer` in a re-INVITE and resolves with the other side's answer; `sending` brackets the transaction. */
export async function reinvite(session: InviteSession, offer: Body, sending: (on: boolean) => void): Promise<Body> {
  // An incoming call is 'connected' from our 200 on; a re-INVITE waits for the ACK (§14.1),
  // which the session's own timers bound (no ACK: the call ends).
  if (session.state === 'Accepted') {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        session.off('confirmed', done);
        session.off('terminated', done);
        resolve();
      };
      session.once('confirmed', done);
      session.once('terminated', done);
    });
  }
  sending(true);
  let result;
  try {
    result = await session.reinvite({ body: offer });
  } finally {
    sending(false);
  }
  if (!result.ok) throw new Error(`the other side refused the change: ${result.reason}${result.status ? ` (${result.status})` : ''}`);
  if (!result.answer) throw new Error('the other side answered the re-INVITE without a session description');
  return result.answer;
}
