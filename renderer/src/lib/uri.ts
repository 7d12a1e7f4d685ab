/**
 * Addresses as people type them, and as the engine wants them: pure functions, no DOM.
 * `sip:`/`sips:` URIs (RFC 3261 §19.1), `tel:` numbers (RFC 3966), bare user names and numbers
 * completed with the account's domain.
 */
import { addressProblem, type AddressProblem } from '../../../main/contract/address.ts';
import { peerKey } from '../../../main/contract/address-key.ts';

/** Why an address is not usable, for the i18n key `uri.error.<kind>`. */
export type UriProblem = Exclude<AddressProblem, 'local-number'>;

/**
 * Checks a contact's address with the contract's rule (contract/address.ts). Undefined when it is
 * fine. A local `tel:` number is asked for with its country code.
 */
export function checkContactUri(input: string): UriProblem | undefined {
  const problem = addressProblem(input);
  return problem === 'local-number' ? 'number' : problem;
}

export { completeTarget, domainOf, keptAddress, looksLikeNumber, type DialTarget, type KeptAddress } from '../../../main/contract/dial-target.ts';

/** An address as people read it: no scheme, no parameters (`sip:bob@x.org;transport=tcp` → `bob@x.org`). */
export function displayUri(uri: string): string {
  const m = /^(?:sips?|tel):([^;?]*)/i.exec(uri.trim());
  return m ? m[1] : uri;
}

/**
 * One key per address, for matching a caller to a contact: the contract's peerKey (host case and
 * parameters ignored, the user part kept as typed, RFC 3261 §19.1.4) with `sips:` taken as `sip:`.
 */
export function addressKey(uri: string): string {
  return peerKey(uri).replace(/^sips:/, 'sip:');
}

/** Up to two initials for an avatar (`Alice Martin` → `AM`, `bob@x.org` → `B`). */
export function initials(name: string): string {
  const words = displayUri(name)
    .split(/[\s@._-]+/)
    .filter((w) => /\p{L}|\d/u.test(w));
  if (words.length === 0) return '?';
  const first = [...words[0]][0] ?? '';
  const second = words.length > 1 && !name.includes('@') ? ([...words[words.length - 1]][0] ?? '') : '';
  return (first + second).toUpperCase();
}
