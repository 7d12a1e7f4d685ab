/**
 * The transferor's two flows (RFC 5589), tying REFER, its reports and the BYEs together for
 * the phone layer. Each resolves (never rejects) with the outcome in words.
 *
 * Blind (§6): REFER the transferee to the target → 202 → NOTIFY 100 … → NOTIFY 200 → BYE to the
 * transferee. On a failure report (NOTIFY 486, 603…) or no report, the call is kept: the
 * layer above takes the transferee off hold (§6.2; putting it on hold first, §6.1, is the layer
 * above's too, since it owns the media).
 *
 * Attended (§7): we hold calls with the transferee and the target. REFER the transferee with
 * Refer-To: the target's Contact + Replaces naming our dialog with the target. The transferee
 * calls the target, which replaces our dialog with the new one and sends us BYE (RFC 3891 §3);
 * on the final NOTIFY 200 we BYE the transferee. Should the target not end our call within
 * `replacedGrace` ms, we end it ourselves.
 */
import type { InviteSession } from './invite-session.ts';
import type { ReferOutcomeCause, ReferProgress } from './refer-subscription.ts';
import { formatReferTo } from './refer-to.ts';
import type { ReferUsage } from './refer-usage.ts';
import { replacesFor } from './replaces-header.ts';

export interface TransferOptions {
  /** Referred-By (default our address in the call; false: none). */
  referredBy?: string | false;
  /** Milliseconds to wait for the final report (default: the usage's, 32 s). */
  timeout?: number;
  /** Each NOTIFY's status as it comes (100 Trying, 180 Ringing, …). */
  onProgress?: (progress: ReferProgress) => void;
  /** Attended: how long the target has to end our call with it after success. Default 5000 ms. */
  replacedGrace?: number;
  /**
   * Attended: the URI the transferee is to call. Default the target's Contact (its remote target,
   * a GRUU when it gave one, RFC 5589 §7); give its AOR when only a proxy can reach it.
   */
  targetUri?: string;
}

export interface TransferOutcome {
  ok: boolean;
  /** In words: "transferred", "the transfer target is busy (486)", "the other side declined the transfer (603)"… */
  reason: string;
  /** The status behind it (the target's final status, or the REFER's when refused). */
  status?: number;
  cause: ReferOutcomeCause | 'not-connected';
}

function connected(session: InviteSession): boolean {
  return session.state === 'Confirmed' && session.dialog !== undefined;
}

async function run(refers: ReferUsage, session: InviteSession, referTo: string, opts: TransferOptions): Promise<TransferOutcome> {
  const sub = refers.refer(session, {
    referTo,
    ...(opts.referredBy !== undefined ? { referredBy: opts.referredBy } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
  if (opts.onProgress) {
    const listener = opts.onProgress;
    sub.on('progress', (p) => {
      try {
        listener(p);
      } catch {
        // The listener's bug must not stop the transfer.
      }
    });
  }
  const outcome = await sub.finished();
  return { ok: outcome.ok, reason: outcome.reason, cause: outcome.cause, ...(outcome.status !== undefined ? { status: outcome.status } : {}) };
}

/** RFC 5589 §6: transfer the peer of `session` to `target` (a URI); our leg ends on success. */
export async function blindTransfer(refers: ReferUsage, session: InviteSession, target: string, opts: TransferOptions = {}): Promise<TransferOutcome> {
  if (!connected(session)) return { ok: false, cause: 'not-connected', reason: `the call is not connected (${session.state}), so it cannot be transferred` };
  const outcome = await run(refers, session, target, opts);
  if (outcome.ok) {
    // §6.1: the transferor ends its call with the transferee once the transfer succeeded.
    if (session.state === 'Confirmed') void session.bye();
    return { ...outcome, reason: 'transferred' };
  }
  return outcome;
}

/**
 * RFC 5589 §7: connect the peers of `transferee` and `target` (both our calls), then leave.
 * The REFER goes to the transferee with Refer-To: the target's remote target + Replaces.
 */
export async function attendedTransfer(refers: ReferUsage, transferee: InviteSession, target: InviteSession, opts: TransferOptions = {}): Promise<TransferOutcome> {
  for (const [session, who] of [[transferee, 'the call to transfer'], [target, 'the call with the transfer target']] as const) {
    if (!connected(session)) return { ok: false, cause: 'not-connected', reason: `${who} is not connected (${session.state})` };
  }
  const dialog = target.dialog!;
  const referTo = formatReferTo({ uri: opts.targetUri ?? dialog.remoteTarget, replaces: replacesFor(dialog) });
  const outcome = await run(refers, transferee, referTo, opts);
  if (!outcome.ok) return outcome;
  if (transferee.state === 'Confirmed') void transferee.bye();
  if (target.state !== 'Terminated') {
    // RFC 3891 §3: the target BYEs the dialog it replaced; if it does not, we end it ourselves.
    const clock = refers.clock;
    const timer = clock.setTimeout(() => target.terminate(), opts.replacedGrace ?? 5000);
    target.once('terminated', () => clock.clearTimeout(timer));
  }
  return { ...outcome, reason: 'transferred' };
}
