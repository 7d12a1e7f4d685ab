/**
 * SRTP master key material for SDP Security Descriptions: the `inline:` key-info is the master
 * key followed by the master salt, base64 encoded (RFC 4568 §6.1), 16 + 14 octets for the
 * AES_CM_128 suites (RFC 4568 §6.2) and 16 + 12 for AEAD_AES_128_GCM (RFC 7714 §12).
 */
import { randomBytes } from 'node:crypto';

/** The crypto suites we speak (names verbatim from RFC 4568 §6.2 and RFC 7714 §14.2). */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM';

export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'];

/** Master key ‖ master salt length in octets per suite. */
export const SRTP_KEY_LENGTH: Readonly<Record<SrtpSuite, number>> = {
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
  AEAD_AES_128_GCM: 28,
};

export function isSrtpSuite(name: string): name is SrtpSuite {
  return (SRTP_SUITES as readonly string[]).includes(name);
}

/** Fresh random key ‖ salt for `suite` (30 octets for AES_CM_128, 28 for AEAD_AES_128_GCM). */
export function generateSrtpKey(suite: SrtpSuite): Uint8Array {
  return new Uint8Array(randomBytes(SRTP_KEY_LENGTH[suite]));
}

/** The base64 key-info of an `inline:` key-param (RFC 4568 §6.1; padded base64, RFC 4648 §4). */
export function encodeSrtpKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
}

/** Decodes an `inline:` key-info for `suite`; undefined unless it is base64 of exactly the right length. */
export function decodeSrtpKey(keySalt: string, suite: SrtpSuite): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keySalt) || keySalt.length % 4 === 1) return undefined;
  const bytes = Buffer.from(keySalt, 'base64');
  if (bytes.length !== SRTP_KEY_LENGTH[suite]) return undefined;
  return new Uint8Array(bytes);
}
