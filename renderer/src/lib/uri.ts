/**
 * Addresses as people type them, and as the engine wants them: pure functions, no DOM.
 * `sip:`/`sips:` URIs (RFC 3261 §19.1), `tel:` numbers (RFC 3966), bare user names and numbers
 * completed with the account's domain.
 */
import { addressProblem, type AddressProblem } from '../../../main/contract/address.ts';

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

/** A phone number as people type it: digits, `+`, `*`, `#` and separators (`+33 1 23-45-67`). */
export function looksLikeNumber(input: string): boolean {
  return /^\+?[\d\s\-.()*#]+$/.test(input.trim()) && /\d/.test(input);
}

function digitsOf(number: string): string {
  return number.replace(/[\s\-.()]/g, '');
}

export type DialTarget = { uri: string } | { problem: 'empty' | 'no-domain' | 'invalid' };

/**
 * What the dialpad calls for `input`: a URI as is; `user@host` with `sip:` added; a `tel:` URI or a
 * number at the account's domain with `user=phone` (RFC 3261 §19.1.6); a user name at the domain.
 */
export function completeTarget(input: string, domain?: string): DialTarget {
  const text = input.trim();
  if (text === '') return { problem: 'empty' };
  if (/^sips?:/i.test(text)) return checkContactUri(text) ? { problem: 'invalid' } : { uri: text };
  let user: string;
  let phone = false;
  if (/^tel:/i.test(text)) {
    if (checkContactUri(text)) return { problem: 'invalid' };
    user = digitsOf(text.slice(4).split(';')[0]);
    phone = user.startsWith('+');
  } else if (text.includes('@')) {
    const uri = `sip:${text}`;
    return checkContactUri(uri) ? { problem: 'invalid' } : { uri };
  } else if (looksLikeNumber(text)) {
    user = digitsOf(text);
    phone = user.startsWith('+');
  } else {
    if (/[\s;?@:]/.test(text)) return { problem: 'invalid' };
    user = text;
  }
  if (!domain) return { problem: 'no-domain' };
  return { uri: `sip:${user}@${domain}${phone ? ';user=phone' : ''}` };
}

/** The host (and port) of a `sip:` AOR, for completing numbers. */
export function domainOf(aor: string): string | undefined {
  const m = /^sips?:(?:[^@]*@)?([^;?]+)/i.exec(aor.trim());
  return m ? m[1] : undefined;
}

/** An address as people read it: no scheme, no parameters (`sip:bob@x.org;transport=tcp` → `bob@x.org`). */
export function displayUri(uri: string): string {
  const m = /^(?:sips?|tel):([^;?]*)/i.exec(uri.trim());
  return m ? m[1] : uri;
}

/** One key per address, for matching a caller to a contact: lower-case, no parameters, sips = sip. */
export function addressKey(uri: string): string {
  const text = uri.trim().replace(/^<|>$/g, '');
  const tel = /^tel:([^;]*)/i.exec(text);
  if (tel) return `tel:${digitsOf(tel[1])}`;
  const sip = /^sips?:([^;?>]*)/i.exec(text);
  if (!sip) return text.toLowerCase();
  const [user, host] = sip[1].includes('@') ? [sip[1].slice(0, sip[1].lastIndexOf('@')), sip[1].slice(sip[1].lastIndexOf('@') + 1)] : ['', sip[1]];
  return `sip:${user}@${host.toLowerCase()}`;
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
