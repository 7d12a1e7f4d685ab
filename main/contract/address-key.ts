/**
 * Keys for matching one peer's addresses, shared by the store (grouping history and conversations,
 * finding a caller's contact) and the renderer. Pure functions, no I/O.
 *
 * - `peerKey`: one address for one peer (`<sip:Bob@Example.COM;transport=tcp>` and
 *   `sip:Bob@example.com` are the same peer).
 * - `numberDigits`: the digits of a telephone number, whatever the punctuation
 *   ("+33 1 23" and "tel:+33-1-23…" share "33123…").
 */

/** RFC 3966 §5.1.1 visual separators, plus the space people type. */
const PHONE_LIKE = /^\+?[\d\-.()\s/]*\d[\d\-.()\s/]*$/;

/** The digits of text that looks like a phone number (digits and separators only), else undefined. */
export function queryDigits(text: string): string | undefined {
  const t = text.trim();
  return PHONE_LIKE.test(t) ? t.replace(/\D/g, '') : undefined;
}

/**
 * The digits of an address that is a telephone number: a `tel:` URI (RFC 3966), or a `sip:` URI
 * whose user part is a number (`sip:+33123456789@pbx;user=phone`, `sip:0612345678@pbx`).
 */
export function numberDigits(uri: string): string | undefined {
  const m = /^(sips?|tel):([^;?]*)/i.exec(bareUri(uri));
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  let user = m[2];
  if (scheme !== 'tel') {
    const at = user.lastIndexOf('@');
    if (at < 0) return undefined;
    user = user.slice(0, at).split(':')[0];
  }
  const digits = queryDigits(decodeSafe(user));
  return digits ? digits : undefined;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The URI of a name-addr (`"Bob" <sip:bob@x>;tag=1` → `sip:bob@x`), or the text itself. */
function bareUri(address: string): string {
  let s = address.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    s = s.slice(lt + 1, gt < 0 ? undefined : gt);
  }
  return s;
}

/**
 * One key per peer: the URI without display name, angle brackets, parameters or headers, the
 * scheme and host in lower case (RFC 3261 §19.1.4: the user part is case-sensitive, the host is
 * not); a `tel:` number without its visual separators (RFC 3966 §5.1.1).
 */
export function peerKey(address: string): string {
  const s = bareUri(address);
  const m = /^(sips?|tel):([^;?]*)/i.exec(s);
  if (!m) return s.toLowerCase();
  const scheme = m[1].toLowerCase();
  if (scheme === 'tel') return `tel:${m[2].replace(/[-.()\s]/g, '')}`;
  const rest = m[2];
  const at = rest.lastIndexOf('@');
  if (at < 0) return `${scheme}:${rest.toLowerCase()}`;
  const user = rest.slice(0, at).split(':')[0];
  return `${scheme}:${user}@${rest.slice(at + 1).toLowerCase()}`;
}

/**
 * Whether two addresses reach the same peer, as a person means it: the same `peerKey` with `sips:`
 * taken as `sip:` (the same user, reached securely), or the same telephone number by its digits
 * (`tel:+1555` and `sip:+1555@pbx;user=phone`, RFC 3261 §19.1.6).
 */
export function samePeer(a: string, b: string): boolean {
  const key = (u: string) => peerKey(u).replace(/^sips:/, 'sip:');
  if (key(a) === key(b)) return true;
  const da = numberDigits(a);
  return da !== undefined && da.length >= 3 && da === numberDigits(b);
}
