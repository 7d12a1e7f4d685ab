import { randomFillSync } from 'node:crypto';

/**
 * Random identifiers: branch (RFC 3261 §8.1.1.7), tag (§19.3), Call-ID (§8.1.1.4).
 * Random bytes come from the CSPRNG in batches; the text is base64url, whose alphabet
 * is all token characters.
 */
const POOL = Buffer.alloc(4096);
let poolPos = POOL.length;

function randomText(bytes: number): string {
  if (poolPos + bytes > POOL.length) {
    randomFillSync(POOL);
    poolPos = 0;
  }
  const s = POOL.toString('base64url', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** The RFC 3261 magic cookie that starts every compliant branch. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** A new branch: the magic cookie and 96 random bits. */
export function generateBranch(): string {
  return MAGIC_COOKIE + randomText(12);
}

/** A new From/To tag: 72 random bits (§19.3 asks for at least 32). */
export function generateTag(): string {
  return randomText(9);
}

/** A new Call-ID: 144 random bits, globally unique without naming the host (§8.1.1.4). */
export function generateCallId(): string {
  return randomText(18);
}
