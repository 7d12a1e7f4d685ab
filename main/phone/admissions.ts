/**
 * The incoming policy at work (incoming-policy.ts says the rules): the user agent asks it of every
 * request from outside a dialog before anything else happens, and it remembers what it said of
 * each request it let in, and where that came from, for the call set up from it (which account
 * it is for; whether its sender may take over a call with Replaces).
 */
import type { IncomingRequest } from '../sip/index.ts';
import type { DirectCalls } from '../contract/api.ts';
import { admit, type Admission, type PolicyAccount } from './incoming-policy.ts';

export interface Admitted {
  admission: Admission;
  arrival: { source: { address: string; port: number }; connectionId?: string };
}

export class Admissions {
  readonly #accounts: { policyAccounts(): PolicyAccount[] };
  readonly #directCalls: () => DirectCalls | undefined;
  /** What the policy said of each request it admitted, and where it came from (read when its call is set up). */
  readonly #admitted = new WeakMap<object, Admitted>();

  constructor(opts: { accounts: { policyAccounts(): PolicyAccount[] }; directCalls: () => DirectCalls | undefined }) {
    this.#accounts = opts.accounts;
    this.#directCalls = opts.directCalls;
  }

  /** The policy's verdict on a request from outside a dialog; the user agent refuses it when it says so. */
  admit(incoming: IncomingRequest): Admission {
    let uriUser: string | undefined;
    try {
      uriUser = incoming.message.parsedUri().user;
    } catch {
      uriUser = undefined;
    }
    const admission = admit({ uriUser, source: incoming.source, connectionId: incoming.connectionId }, this.#accounts.policyAccounts(), this.#directCalls());
    this.#admitted.set(incoming.message, { admission, arrival: { source: incoming.source, ...(incoming.connectionId !== undefined ? { connectionId: incoming.connectionId } : {}) } });
    return admission;
  }

  /** What was said of `request` when it came in (undefined: it was not asked). */
  of(request: object | undefined): Admitted | undefined {
    return request ? this.#admitted.get(request) : undefined;
  }

  /** The account a request was admitted for (undefined: none, or a direct call without one). */
  accountIdOf(request: object | undefined): string | undefined {
    const admission = this.of(request)?.admission;
    return admission && admission.kind !== 'refused' ? admission.accountId : undefined;
  }
}
