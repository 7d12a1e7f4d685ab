/**
 * The scanners read character codes from a Uint8Array and slice strings out of the text
 * at the same offsets. For a datagram that is all ASCII the bytes are the codes. For a
 * string (or a head with UTF-8 in it, decoded first) these helpers make an array of the
 * same length as the string whose codes are the string's, with every code at or above
 * 0x80 clamped to 0xff: the grammar only ever names ASCII characters, so the scanners
 * see exactly what they would see in the string.
 */

// Always Buffers, like the datagrams the scanners mostly read: one kind of array keeps
// their element loads monomorphic.
let scratch: Uint8Array = Buffer.alloc(4096);

function fill(s: string, out: Uint8Array): Uint8Array {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0xff;
  }
  return out;
}

/**
 * Codes of `s` in a buffer shared by every caller: valid until the next call. For the
 * string entry points whose results keep nothing of the codes (parseCSeq, parseAuthHeader,
 * splitHeaderList), which scan and return before anything else can ask for codes.
 */
export function codesOf(s: string): Uint8Array {
  if (s.length > scratch.length) {
    if (s.length > 1 << 20) return fill(s, Buffer.allocUnsafe(s.length));
    scratch = Buffer.alloc(s.length * 2);
  }
  return fill(s, scratch);
}

/** Codes of `s` in an array of its own, for what reads them later (a message's lazy reads, a ParamMap). */
export function ownCodes(s: string): Uint8Array {
  if (Buffer.byteLength(s, 'utf8') === s.length) return Buffer.from(s, 'latin1');
  return fill(s, Buffer.allocUnsafe(s.length));
}
