/**
 * The a=crypto attribute of SDP Security Descriptions (RFC 4568 §9.1):
 *
 *   a=crypto:<tag> 1*WSP <crypto-suite> 1*WSP <key-params> *(1*WSP <session-param>)
 *   key-params = key-param *(";" key-param)
 *   key-param  = "inline:" <key‖salt, base64> ["|" lifetime] ["|" MKI ":" MKI-length]
 *   lifetime   = ["2^"] 1*DIGIT
 *
 * A line that does not follow this grammar is not an error of the whole SDP: RFC 4568 §7.1.2
 * lets the answerer ignore a crypto attribute it cannot read, so `parseCryptoAttribute` returns
 * undefined and the parser keeps the line as an unknown attribute.
 */
import type { CryptoAttribute, CryptoKeyParam } from './session-description.ts';

const TAG = /^\d{1,9}$/;
const SUITE = /^[A-Za-z0-9_]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const LIFETIME = /^(?:2\^)?\d+$/;
const MKI = /^(\d+):(\d+)$/;

function parseKeyParam(text: string): CryptoKeyParam | undefined {
  const colon = text.indexOf(':');
  if (colon < 0 || text.slice(0, colon).toLowerCase() !== 'inline') return undefined;
  const [keySalt, ...rest] = text.slice(colon + 1).split('|');
  if (!BASE64.test(keySalt) || rest.length > 2) return undefined;
  const param: CryptoKeyParam = { method: 'inline', keySalt };
  for (const part of rest) {
    const mki = MKI.exec(part);
    if (mki !== null && param.mki === undefined) {
      param.mki = { value: mki[1], length: Number(mki[2]) };
    } else if (LIFETIME.test(part) && param.lifetime === undefined && param.mki === undefined) {
      param.lifetime = part;
    } else {
      return undefined;
    }
  }
  return param;
}

/** Reads the value of an a=crypto attribute (what follows `a=crypto:`); undefined if malformed. */
export function parseCryptoAttribute(value: string): CryptoAttribute | undefined {
  const fields = value.trim().split(/[ \t]+/);
  if (fields.length < 3 || !TAG.test(fields[0]) || !SUITE.test(fields[1])) return undefined;
  const keyParams: CryptoKeyParam[] = [];
  for (const text of fields[2].split(';')) {
    const param = parseKeyParam(text);
    if (param === undefined) return undefined;
    keyParams.push(param);
  }
  return { tag: Number(fields[0]), suite: fields[1], keyParams, sessionParams: fields.slice(3) };
}

function formatKeyParam(param: CryptoKeyParam): string {
  let text = `inline:${param.keySalt}`;
  if (param.lifetime !== undefined) text += `|${param.lifetime}`;
  if (param.mki !== undefined) text += `|${param.mki.value}:${param.mki.length}`;
  return text;
}

/** Writes the value of an a=crypto attribute (without the `a=crypto:` prefix). */
export function formatCryptoAttribute(crypto: CryptoAttribute): string {
  return [String(crypto.tag), crypto.suite, crypto.keyParams.map(formatKeyParam).join(';'), ...crypto.sessionParams].join(' ');
}
