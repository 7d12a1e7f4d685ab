/**
 * The transfer target's check of an incoming INVITE's Replaces (RFC 3891 §3), in the RFC's order:
 *
 *   more than one Replaces, or a malformed one .............................. 400
 *   no dialog with that Call-ID, our tag = to-tag, theirs = from-tag ......... 481
 *   the dialog matched has ended (or is ending) .............................. 603
 *   a confirmed dialog, and the Replaces says early-only ..................... 486
 *   a confirmed dialog ........................ replace: answer; the old one gets BYE
 *   an early dialog we initiated (we are its UAC) .. replace: answer; the old one gets CANCEL
 *   an early dialog we did not initiate (it rings here) ...................... 481, left alone
 *
 * Authorization (§3, §8): the dialog's three identifiers are random and known only to its two
 * ends and whoever they told; knowing them is taken as leave to replace the dialog.
 */
import type { InviteSession } from './invite-session.ts';
import type { InviteUsage } from './invite-usage.ts';
import { parseReplaces, replacedDialogId } from './replaces-header.ts';
import type { ReplacesValue } from './replaces-header.ts';

export type ReplacesCheck =
  /** No Replaces: an ordinary call. */
  | { kind: 'none' }
  /** Answer `session` (it takes over); `replaced` is ended once the new call is confirmed. */
  | { kind: 'replace'; replaced: InviteSession; early: boolean; replaces: ReplacesValue }
  /** The new INVITE was rejected with this status; the reason is the phrase that was sent. */
  | { kind: 'rejected'; status: number; reason: string };

export function checkReplaces(invite: InviteUsage, session: InviteSession, opts: { endReplaced?: boolean } = {}): ReplacesCheck {
  const request = session.request;
  if (session.role !== 'uas' || !request) return { kind: 'none' };
  const values = request.headers('Replaces');
  if (values.length === 0) return { kind: 'none' };
  const refuse = (status: number, reason: string): ReplacesCheck => {
    session.reject(status, { reason });
    return { kind: 'rejected', status, reason };
  };
  if (values.length > 1) return refuse(400, 'More than one Replaces');
  let replaces: ReplacesValue;
  try {
    replaces = parseReplaces(values[0]);
  } catch {
    return refuse(400, 'Bad Replaces');
  }
  const found = invite.findDialog(replacedDialogId(replaces));
  if (!found || found.session === session) return refuse(481, 'No call to replace');
  const { session: replaced, dialog } = found;
  if (replaced.state === 'Terminated' || replaced.state === 'Terminating' || dialog.state === 'terminated') {
    return refuse(603, 'Declined: the call to replace has ended');
  }
  let early: boolean;
  if (dialog.state === 'confirmed') {
    if (replaces.earlyOnly) return refuse(486, 'Busy Here: the call to replace is already answered');
    early = false;
  } else if (replaced.role === 'uac') {
    early = true;
  } else {
    return refuse(481, 'No call to replace (it is still ringing here)');
  }
  if (opts.endReplaced ?? true) {
    // §3: the replaced dialog is shut down (BYE; CANCEL when early) once the new one is confirmed.
    const confirmed = (): void => {
      session.off('terminated', gone);
      replaced.terminate();
    };
    const gone = (): void => {
      session.off('confirmed', confirmed);
    };
    session.once('confirmed', confirmed);
    session.once('terminated', gone);
  }
  return { kind: 'replace', replaced, early, replaces };
}
