/**
 * The Event and Subscription-State headers as the refer event package uses them
 * (RFC 3515 §2.4.6, RFC 6665 §8.2.1, §8.2.3):
 *
 *   Event: refer;id=93809824
 *   Subscription-State: active;expires=60   |   terminated;reason=noresource
 */

export interface EventValue {
  /** The event package, lower-cased ('refer'). */
  package: string;
  /** The `id` parameter: for refer, the CSeq number of the REFER (RFC 3515 §2.4.6). */
  id?: string;
}

export interface SubscriptionStateValue {
  /** 'active' | 'pending' | 'terminated' (lower-cased; an unknown state is kept as written). */
  state: string;
  /** Seconds left (active, pending). */
  expires?: number;
  /** Why it ended (terminated): noresource, timeout, rejected, deactivated, probation, giveup… */
  reason?: string;
  /** Seconds before trying again (terminated). */
  retryAfter?: number;
}

function params(parts: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name && !out.has(name)) out.set(name, eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/s, '$1'));
  }
  return out;
}

/** Parse an Event value; undefined when it has no package name. */
export function parseEvent(value: string | undefined): EventValue | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(';');
  const pkg = parts[0].trim().toLowerCase();
  if (!pkg) return undefined;
  const id = params(parts.slice(1)).get('id');
  return id !== undefined && id !== '' ? { package: pkg, id } : { package: pkg };
}

/** Parse a Subscription-State value; undefined when it has no state. */
export function parseSubscriptionState(value: string | undefined): SubscriptionStateValue | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(';');
  const state = parts[0].trim().toLowerCase();
  if (!state) return undefined;
  const p = params(parts.slice(1));
  const out: SubscriptionStateValue = { state };
  const expires = p.get('expires');
  if (expires !== undefined && /^\d+$/.test(expires)) out.expires = Number(expires);
  const reason = p.get('reason');
  if (reason) out.reason = reason.toLowerCase();
  const retry = p.get('retry-after');
  if (retry !== undefined && /^\d+$/.test(retry)) out.retryAfter = Number(retry);
  return out;
}
