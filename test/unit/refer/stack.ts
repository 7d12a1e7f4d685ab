/**
 * A whole stack (see ../invite/stack.ts: SipTransport → UserAgent → InviteUsage on its own
 * FakeClock, loopback only) with the transfer usage on top.
 */
import { ReferUsage } from '../../../main/sip/usage/refer-usage.ts';
import type { ReferUsageOptions } from '../../../main/sip/usage/refer-usage.ts';
import type { InviteSession } from '../../../main/sip/usage/invite-session.ts';
import { next, nextIncoming, sdp, startStack } from '../invite/stack.ts';
import type { Stack } from '../invite/stack.ts';

export interface TransferStack extends Stack {
  refers: ReferUsage;
}

export async function startTransferStack(name: string, opts: Partial<Omit<ReferUsageOptions, 'ua' | 'invite' | 'clock'>> = {}): Promise<TransferStack> {
  const s = await startStack(name);
  const refers = new ReferUsage({ ua: s.ua, invite: s.usage, clock: s.clock, ...opts });
  return Object.assign(s, { refers });
}

/** `caller` calls `callee`, which answers at once; both sides confirmed. */
export async function call(caller: Stack, callee: Stack): Promise<{ uac: InviteSession; uas: InviteSession }> {
  const incoming = nextIncoming(callee);
  const uac = caller.usage.invite({ to: callee.uri(), from: `sip:${caller.name}@127.0.0.1`, offer: sdp(`${caller.name} offer`) });
  const uas = await incoming;
  const confirmed = Promise.all([next(uac, 'confirmed'), next(uas, 'confirmed')]);
  uas.accept(sdp(`${callee.name} answer`));
  await confirmed;
  return { uac, uas };
}

/** Every message of this method a stack received, whole. */
export function receivedRequests(stack: Stack, method: string): string[] {
  return stack.received.filter((m) => m.startsWith(`${method} `));
}

/** A header's value in a message text (first line of that name). */
export function headerIn(message: string, name: string): string | undefined {
  const m = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(message);
  return m?.[1];
}

export { next, nextIncoming, sdp, until, count } from '../invite/stack.ts';
