/**
 * The boundary check for a contact's address: a `sip:`/`sips:` URI (RFC 3261 §19.1.1) or a
 * `tel:` URI (RFC 3966 §3). Returns the URI with its scheme in lower case; throws a TypeError
 * naming the argument otherwise. A password in the user part (`sip:bob:secret@host`, deprecated
 * by RFC 3261 §19.1.1) is refused: the database never holds a secret in clear.
 */

/** §25.1 user = 1*( unreserved / escaped / user-unreserved ). */
const USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
/** §25.1 hostname (labels of letters, digits, hyphens), IPv4address, or [IPv6reference]. */
const HOST = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])$/;
/** Parameters and headers: printable characters without spaces. */
const TAIL = /^[\x21-\x7e]*$/;
/**
 * RFC 3966 §3: global-number-digits ("+" then digits and visual separators), or local digits
 * (also `*`, `#`, A-F). A local number should carry `;phone-context=`; people type numbers without
 * one, so it is accepted here.
 */
const TEL_NUMBER = /^(?:\+[\d\-.()]*\d[\d\-.()]*|[\d*#A-Fa-f\-.()]*[\d*#A-Fa-f][\d*#A-Fa-f\-.()]*)$/;

export function checkAddress(uri: unknown, name = 'uri'): string {
  if (typeof uri !== 'string') throw new TypeError(`${name}: a sip:, sips: or tel: URI is needed, not ${uri === null ? 'null' : typeof uri}`);
  const text = uri.trim();
  const bad = () => new TypeError(`${name}: '${uri}' is not a sip:, sips: or tel: URI`);
  const m = /^(sips?|tel):(.+)$/i.exec(text);
  if (!m || /\s/.test(text)) throw bad();
  const scheme = m[1].toLowerCase();
  const rest = m[2];
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const number = semi < 0 ? rest : rest.slice(0, semi);
    if (!TEL_NUMBER.test(number) || !TAIL.test(rest)) throw bad();
    return `tel:${rest}`;
  }
  // Parameters and headers hold no bare '@' (§25.1), so the last one ends the user part.
  const at = rest.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const hostport = rest.slice(at + 1);
  const end = firstOf(hostport, ';?');
  const hp = hostport.slice(0, end);
  if (!TAIL.test(hostport.slice(end))) throw bad();
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    if (colon >= 0) throw new TypeError(`${name}: '${scheme}:…@${hp}' carries a password; addresses are kept without one`);
    if (!USER.test(userinfo)) throw bad();
  }
  const pm = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(hp);
  if (!pm || !HOST.test(pm[1]) || (pm[2] !== undefined && Number(pm[2]) > 65535)) throw bad();
  return `${scheme}:${rest}`;
}

/** Index of the first of `chars` in `s`, or its length. */
function firstOf(s: string, chars: string): number {
  let i = 0;
  while (i < s.length && !chars.includes(s[i])) i++;
  return i;
}
