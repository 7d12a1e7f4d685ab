/**
 * The boundary check for a contact's address: a `sip:`/`sips:` URI (RFC 3261 §19.1.1) or a
 * `tel:` URI (RFC 3966 §3). Returns the URI with its scheme in lower case; throws a TypeError
 * naming the argument otherwise. A password in the user part (`sip:bob:secret@host`, deprecated
 * by RFC 3261 §19.1.1) is refused: the database never holds a secret in clear. The rule itself
 * is the contract's (contract/address.ts); here it is said in words.
 */
import { addressProblem } from '../contract/address.ts';

export function checkAddress(uri: unknown, name = 'uri'): string {
  if (typeof uri !== 'string') throw new TypeError(`${name}: a sip:, sips: or tel: URI is needed, not ${uri === null ? 'null' : typeof uri}`);
  const problem = addressProblem(uri);
  const text = uri.trim();
  const m = /^(sips?|tel):(.+)$/i.exec(text);
  if (problem === 'password') throw new TypeError(`${name}: '${m![1].toLowerCase()}:…@${text.slice(text.lastIndexOf('@') + 1).split(/[;?]/)[0]}' carries a password; addresses are kept without one`);
  // A local number without ;phone-context is kept: people type them, and vCards hold them.
  if ((problem !== undefined && problem !== 'local-number') || !m) throw new TypeError(`${name}: '${uri}' is not a sip:, sips: or tel: URI`);
  return `${m[1].toLowerCase()}:${m[2]}`;
}
