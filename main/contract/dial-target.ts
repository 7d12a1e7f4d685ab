/**
 * What a typed address calls: the one completion rule for the dialpad, the contact editor, a new
 * conversation, the engine's dial and the CLI. Pure, no Node and no DOM.
 *
 * - a `sip:`/`sips:` URI as is (checked with contract/address.ts);
 * - `user@host`: `sip:` added;
 * - a `tel:` URI or a number: a telephone-subscriber at the account's domain with `user=phone`,
 *   visual separators removed (RFC 3261 §19.1.6, RFC 3966 §5.1.1): `tel:+1-555-1234` →
 *   `sip:+15551234@lab.test;user=phone`;
 * - a user name or an extension: at the account's domain (`1234` → `sip:1234@lab.test`).
 */
import { addressProblem, type AddressProblem } from './address.ts';

export type DialTarget = { uri: string } | { problem: 'empty' | 'no-domain' | 'invalid' };

/**
 * What a contact keeps of a typed address, or why it cannot. 'local-number': a local `tel:` number
 * and no account's domain to complete it with.
 */
export type KeptAddress = { uri: string } | { problem: AddressProblem | 'no-domain' | 'invalid' };

/** A phone number as people type it: digits, `+`, `*`, `#` and separators (`+33 1 23-45-67`). */
export function looksLikeNumber(input: string): boolean {
  return /^\+?[\d\s\-.()*#]+$/.test(input.trim()) && /\d/.test(input);
}

/** RFC 3966 §5.1.1 visual separators (and the space people type) removed. */
function digitsOf(number: string): string {
  return number.replace(/[\s\-.()]/g, '');
}

/** `input` completed into a `sip:`/`sips:` URI with the account's `domain` (host[:port]), or why not. */
export function completeTarget(input: string, domain?: string): DialTarget {
  const text = input.trim();
  if (text === '') return { problem: 'empty' };
  if (/^sips?:/i.test(text)) return addressProblem(text) ? { problem: 'invalid' } : { uri: text };
  let user: string;
  let phone = false;
  if (/^tel:/i.test(text)) {
    // A local number (no '+') is dialled as the user typed it: the server knows its context.
    const problem = addressProblem(text);
    if (problem && problem !== 'local-number') return { problem: 'invalid' };
    user = digitsOf(text.slice(4).split(';')[0]);
    phone = user.startsWith('+');
  } else if (text.includes('@')) {
    const uri = `sip:${text}`;
    return addressProblem(uri) ? { problem: 'invalid' } : { uri };
  } else if (looksLikeNumber(text)) {
    user = digitsOf(text);
    phone = user.startsWith('+');
  } else {
    if (/[\s;?@:]/.test(text) || addressProblem(`sip:${text}@x.invalid`)) return { problem: 'invalid' };
    user = text;
  }
  if (!domain) return { problem: 'no-domain' };
  const uri = `sip:${user}@${domain}${phone ? ';user=phone' : ''}`;
  return addressProblem(uri) ? { problem: 'invalid' } : { uri };
}

/** The host (and port) of a `sip:` AOR, for completing numbers. */
export function domainOf(aor: string): string | undefined {
  const m = /^sips?:(?:[^@]*@)?([^;?]+)/i.exec(aor.trim());
  return m ? m[1] : undefined;
}

/**
 * The address a contact keeps for what was typed, by the dialpad's rule: a `sip:`/`sips:` URI, a
 * global `tel:` number or a local one with its `phone-context` as typed (each calls what
 * completeTarget makes of it); a local `tel:` number without one (RFC 3966 §5.1.5 asks for a
 * context it does not give) completed as the dialpad completes it, on the account's domain
 * (`tel:5551234` → `sip:5551234@lab.test`); anything else completed by completeTarget. So a
 * contact's address calls exactly what the same input calls from the dialpad:
 * `completeTarget(kept.uri, domain)` is `completeTarget(input, domain)`.
 */
export function keptAddress(input: string, domain?: string): KeptAddress {
  const text = input.trim();
  if (text === '') return { problem: 'empty' };
  if (!/^(sips?|tel):/i.test(text)) return completeTarget(text, domain);
  const problem = addressProblem(text);
  if (problem === undefined) return { uri: text };
  if (problem !== 'local-number') return { problem };
  const target = completeTarget(text, domain);
  return 'uri' in target ? target : { problem: target.problem === 'no-domain' ? 'local-number' : 'invalid' };
}
