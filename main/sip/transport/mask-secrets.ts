/**
 * Credentials never reach a trace or a log (DESIGN.md "Secrets"). Every trace sink (the UI's SIP
 * trace viewer, the CLI's --trace, a log file) passes message text through `maskSecrets`.
 *
 * SDES keys (RFC 4568 §9.1: `a=crypto:<tag> <suite> inline:<key||salt>[|lifetime][|MKI:len]`) are
 * the call's SRTP master keys: each `inline:` key becomes `inline:***`, lifetime and MKI kept.
 *
 * In `Authorization` and `Proxy-Authorization` (RFC 3261 §20.7, §20.28) only the scheme, the
 * `username` and the `realm` stay readable; everything else (response, nonce, cnonce, a Basic or
 * Bearer token, …) becomes `***`. Folded continuation lines of those headers are masked as well.
 */

const CREDENTIAL_HEADER = /^(authorization|proxy-authorization)[ \t]*:/i;
const KEPT_PARAMS = new Set(['username', 'realm']);

const CRYPTO_LINE = /^(a=crypto:[^\r\n]*)$/gim;

/** Mask every SDES key (`inline:…` of an `a=crypto` line) in a message text. */
function maskSdesKeys(text: string): string {
  if (!/a=crypto:/i.test(text)) return text;
  return text.replace(CRYPTO_LINE, (line) => line.replace(/inline:[^|;\s]*/gi, 'inline:***'));
}

/** Mask the credentials of every Authorization / Proxy-Authorization line, and every SDES key, in a message text. */
export function maskSecrets(text: string): string {
  return maskCredentialHeaders(maskSdesKeys(text));
}

function maskCredentialHeaders(text: string): string {
  if (!/authorization/i.test(text)) return text;
  const lines = text.split(/(\r?\n)/);
  // `lines` alternates content and separators: [line, sep, line, sep, …, line].
  const out: string[] = [];
  let inCredentials = false;
  for (let i = 0; i < lines.length; i += 2) {
    const line = lines[i];
    const sep = lines[i + 1] ?? '';
    if (inCredentials && /^[ \t]/.test(line) && line.trim() !== '') {
      // A folded continuation of a credential header (§7.3.1): its content was already masked.
      continue;
    }
    inCredentials = false;
    const m = CREDENTIAL_HEADER.exec(line);
    if (m) {
      inCredentials = true;
      // Continuation lines are dropped, so gather them to mask the value as a whole.
      let value = line.slice(m[0].length);
      for (let j = i + 2; j < lines.length && /^[ \t]/.test(lines[j]) && lines[j].trim() !== ''; j += 2) {
        value += ' ' + lines[j].trim();
      }
      out.push(`${m[0]} ${maskCredentials(value)}`, sep);
    } else {
      out.push(line, sep);
    }
  }
  return out.join('');
}

/** `Digest username="alice", realm="x", nonce="…", response="…"` → `Digest username="alice", realm="x", ***`. */
export function maskCredentials(value: string): string {
  const trimmed = value.trim();
  const schemeMatch = /^([!-~]+?)(?:[ \t]+|$)/.exec(trimmed);
  if (!schemeMatch) return '***';
  const scheme = schemeMatch[1];
  const rest = trimmed.slice(schemeMatch[0].length);
  const kept: string[] = [];
  for (const param of splitParams(rest)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    if (KEPT_PARAMS.has(name) && !kept.some((k) => k.startsWith(name + '='))) {
      kept.push(`${name}=${param.slice(eq + 1).trim()}`);
    }
  }
  return [scheme, [...kept, '***'].join(', ')].join(' ');
}

/** Split auth-params on commas outside quoted strings (RFC 3261 §25.1 quoted-pair honoured). */
function splitParams(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}
