/**
 * Who may reach us outside a dialog (INVITE, MESSAGE, OPTIONS, REFER…): decided before anything
 * rings, notifies, is written to history or stored.
 *
 * - A request for a registered account must come through that account's flow (RFC 5626 §5.3):
 *   on the connection we registered over, or from an address of the registrar (or outbound
 *   proxy): the one we registered with and every address its name resolves to (a cluster);
 *   and its Request-URI must be the Contact we registered, whose user part carries a random token
 *   made for that registration. Only the registrar knows it: a scanner sending
 *   `INVITE sip:100@our-ip` gets 404 and nothing rings.
 * - A request that names no registered Contact is a direct call (`sip:user@our-ip`, no server).
 *   Whether those are taken is the person's choice (`directCalls`): 'auto' takes them only while
 *   no account registers (the serverless listener), 'always' and 'never' say what they mean.
 */
import { randomBytes } from 'node:crypto';
import type { DirectCalls } from '../contract/api.ts';
import { canonicalIp } from '../sip/index.ts';

export interface PolicyFlow {
  protocol: string;
  remote: { address: string; port: number };
  connectionId?: string;
}

export interface PolicyAccount {
  id: string;
  /** The AOR's user part. */
  aorUser: string;
  /** The user part of the Contact this account registers (the AOR's user and a token). */
  contactUser: string;
  /** It registers (false: direct calls only). */
  registers: boolean;
  /** While registered: the flow the binding lives on. */
  flow: PolicyFlow | undefined;
  /** Every address the account's registrar or outbound proxy resolves to (RFC 3263), when known. */
  serverAddresses?: readonly string[];
}

export interface Arrival {
  /** The Request-URI's user part. */
  uriUser: string | undefined;
  source: { address: string; port: number };
  connectionId?: string;
}

export type Admission =
  | { kind: 'account'; accountId: string }
  | { kind: 'direct'; accountId?: string }
  | { kind: 'refused'; status: 403 | 404; reason: string };

/** A Contact user part for one registration: the AOR's user, a dash, 48 random bits. */
export function registrationContactUser(aorUser: string): string {
  const token = randomBytes(6).toString('hex');
  return aorUser ? `${aorUser}-${token}` : token;
}

/** Two IP addresses compared in canonical form (an IPv4-mapped IPv6 address as IPv4). */
export function sameAddress(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

function throughFlow(arrival: Arrival, flow: PolicyFlow, servers: readonly string[] = []): boolean {
  if (arrival.connectionId !== undefined && arrival.connectionId === flow.connectionId) return true;
  return [flow.remote.address, ...servers].some((a) => sameAddress(arrival.source.address, a));
}

/** Whether a request that names no registered Contact is taken, given the accounts and the setting. */
export function directCallsAllowed(setting: DirectCalls | undefined, accounts: readonly PolicyAccount[]): boolean {
  if (setting === 'always') return true;
  if (setting === 'never') return false;
  return !accounts.some((a) => a.registers);
}

export function admit(arrival: Arrival, accounts: readonly PolicyAccount[], directCalls: DirectCalls | undefined): Admission {
  const user = arrival.uriUser;
  // The user part is case-sensitive (RFC 3261 §19.1.4).
  const account = user ? accounts.find((a) => a.registers && a.contactUser === user) : undefined;
  if (account) {
    if (account.flow && throughFlow(arrival, account.flow, account.serverAddresses)) return { kind: 'account', accountId: account.id };
    return { kind: 'refused', status: 403, reason: 'Forbidden (not from the registrar of this address)' };
  }
  if (!directCallsAllowed(directCalls, accounts)) return { kind: 'refused', status: 404, reason: 'Not Found' };
  const byUser = accounts.find((a) => !a.registers && a.aorUser === user) ?? accounts.find((a) => a.aorUser === user);
  const accountId = (byUser ?? accounts[0])?.id;
  return accountId !== undefined ? { kind: 'direct', accountId } : { kind: 'direct' };
}
