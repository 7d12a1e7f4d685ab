/**
 * Netstrings (`<length>:<bytes>,`, D. J. Bernstein's format), as baresip's ctrl_tcp module frames
 * its JSON commands, responses and events (PEERS.md). Pure: no sockets.
 */

/** One netstring around `payload` (the length counts bytes, not characters). */
export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'latin1'), body, Buffer.from(',', 'latin1')]);
}

/**
 * Splits a byte stream into netstring payloads, however the stream was chunked.
 * A malformed frame throws: the peer speaks another protocol and nothing after it can be trusted.
 */
export class NetstringDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the payloads completed by them, in order. */
  push(chunk: Buffer): string[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: string[] = [];
    for (;;) {
      const colon = this.pending.indexOf(0x3a);
      if (colon < 0) {
        if (this.pending.length > 10) throw new Error(`netstring: no length prefix in ${this.preview()}`);
        return out;
      }
      const digits = this.pending.toString('latin1', 0, colon);
      if (!/^(0|[1-9][0-9]{0,8})$/.test(digits)) throw new Error(`netstring: bad length in ${this.preview()}`);
      const length = Number(digits);
      const end = colon + 1 + length;
      if (this.pending.length < end + 1) return out;
      if (this.pending[end] !== 0x2c) throw new Error(`netstring: missing ',' after ${length} bytes in ${this.preview()}`);
      out.push(this.pending.toString('utf8', colon + 1, end));
      this.pending = this.pending.subarray(end + 1);
    }
  }

  private preview(): string {
    return JSON.stringify(this.pending.toString('latin1', 0, 40));
  }
}
