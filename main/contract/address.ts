/**
 * The one rule for an address a person keeps (a contact's, an account's): a `sip:`/`sips:` URI
 * (RFC 3261 §19.1.1, grammar of §25.1) or a `tel:` URI (RFC 3966 §3). The store refuses what
 * fails it, in words; the contact editor says why as the user types, in the user's language.
 */

/**
 * Why an address cannot be kept. 'local-number': a `tel:` number without `+` and without
 * `;phone-context` (RFC 3966 §5.1.5): people type them and the store keeps them (a vCard's
 * `0612345678`), but the contact editor asks for a global one.
 */
export type AddressProblem = 'empty' | 'spaces' | 'scheme' | 'host' | 'user' | 'password' | 'number' | 'local-number';

/** §25.1 user = 1*( unreserved / escaped / user-unreserved ). */
const USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
/** §25.1 hostname (labels of letters, digits, hyphens), IPv4address, or [IPv6reference]. */
const HOST = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])$/;
/** Parameters and headers: printable characters without spaces. */
const TAIL = /^[\x21-\x7e]*$/;
/** RFC 3966 §3 global-number-digits: "+" then digits and visual separators. */
const GLOBAL_NUMBER = /^\+[\d\-.()]*\d[\d\-.()]*$/;
/** RFC 3966 §3 local-number-digits: digits, `*`, `#`, A-F and visual separators. */
const LOCAL_NUMBER = /^[\d*#A-Fa-f\-.()]*[\d*#A-Fa-f][\d*#A-Fa-f\-.()]*$/;

/** Undefined when `input` is a usable address, else why not. */
export function addressProblem(input: string): AddressProblem | undefined {
  const text = input.trim();
  if (text === '') return 'empty';
  if (/\s/.test(text)) return 'spaces';
  const m = /^(sips?|tel):(.*)$/i.exec(text);
  if (!m) return 'scheme';
  const rest = m[2];
  if (m[1].toLowerCase() === 'tel') {
    const semi = rest.indexOf(';');
    const number = semi < 0 ? rest : rest.slice(0, semi);
    if (!TAIL.test(rest)) return 'number';
    if (GLOBAL_NUMBER.test(number)) return undefined;
    if (LOCAL_NUMBER.test(number)) return /;phone-context=/i.test(rest) ? undefined : 'local-number';
    return 'number';
  }
  // Parameters and headers hold no bare '@' (§25.1), so the last one ends the user part.
  const at = rest.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const hostport = rest.slice(at + 1);
  let end = 0;
  while (end < hostport.length && hostport[end] !== ';' && hostport[end] !== '?') end++;
  if (!TAIL.test(hostport.slice(end))) return 'host';
  if (userinfo !== undefined) {
    if (userinfo === '') return 'host';
    // A password in the user part (deprecated, §19.1.1) is never kept: no secret in clear.
    if (userinfo.includes(':')) return 'password';
    if (!USER.test(userinfo)) return 'user';
  }
  const pm = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(hostport.slice(0, end));
  if (!pm || !HOST.test(pm[1]) || (pm[2] !== undefined && Number(pm[2]) > 65535)) return 'host';
  return undefined;
}
