/**
 * Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): a header block ended by an
 * empty line, then exactly Content-Length body bytes. Reads may split or coalesce messages in any
 * way. Between messages, CRLFs are keep-alives (RFC 5626 §3.5.1): a double CRLF is a "ping",
 * a single CRLF a "pong".
 *
 * Memory is bounded: a header block longer than `maxHeaderBytes` or a Content-Length above
 * `maxBodyBytes` is a fatal framing error (the caller answers it if it can, then closes the
 * connection); the framer then ignores everything that follows. Time is linear in the bytes
 * received however they are cut: a partial message grows in a buffer that doubles (no copy of
 * the whole on every read), and the search for the empty line never rescans.
 *
 * Pure: no sockets, no timers.
 */

export type FrameEvent =
  | { type: 'message'; data: Uint8Array }
  | { type: 'ping' }
  | { type: 'pong' }
  | {
      type: 'error';
      /** 513 header block too long, 413 body too large, 400 unreadable Content-Length. */
      status: 400 | 413 | 513;
      reason: string;
      /** What was received of the offending message's header block (to build an error response). */
      head: Uint8Array;
    };

export interface StreamFramerOptions {
  /** Largest header block accepted (start line + headers + empty line). Default 64 KiB. */
  maxHeaderBytes?: number;
  /** Largest Content-Length accepted. Default 1 MiB. */
  maxBodyBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);

export class StreamFramer {
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
  #buffer: Uint8Array = EMPTY;
  /** The storage `#buffer` is a view of once reads had to be joined (room at its end to grow). */
  #store: Uint8Array | undefined;
  /** Where the search for the end of the header block resumes (avoids rescanning). */
  #scanFrom = 0;
  /** Header block length (incl. the empty line) and body length once the head is complete. */
  #headLength = -1;
  #bodyLength = 0;
  /** LFs seen in the run of CR/LF between messages. */
  #crlfRun = 0;
  #pongSent = false;
  #failed = false;

  constructor(options: StreamFramerOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 64 * 1024;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  }

  /** Bytes buffered and not yet part of a complete message. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /**
   * The owner took the last lone CRLF as the pong it was waiting for: forget it, so that the
   * next pong is not mistaken for the second half of a ping. (While no pong is awaited, a lone
   * CRLF is kept, because a ping split across two reads looks exactly like that.)
   */
  consumePong(): void {
    if (this.#buffer.length === 0 && this.#headLength < 0) {
      this.#crlfRun = 0;
      this.#pongSent = false;
    }
  }

  /** True after a fatal framing error: the connection must be closed. */
  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    if (this.#failed || chunk.length === 0) return [];
    this.#append(chunk);
    const events: FrameEvent[] = [];
    for (;;) {
      if (this.#headLength < 0) {
        if (this.#scanFrom === 0 && !this.#skipKeepAlives(events)) break;
        if (!this.#findHead(events)) break;
      }
      const total = this.#headLength + this.#bodyLength;
      if (this.#buffer.length < total) break;
      // A copy, so the message does not pin a large read buffer.
      events.push({ type: 'message', data: this.#buffer.slice(0, total) });
      this.#buffer = this.#buffer.length === total ? EMPTY : this.#buffer.subarray(total);
      if (this.#buffer.length === 0) this.#store = undefined;
      this.#headLength = -1;
      this.#bodyLength = 0;
      this.#scanFrom = 0;
    }
    return events;
  }

  /** Add a read to the buffer: in place when the storage has room, else into one twice the size. */
  #append(chunk: Uint8Array): void {
    const held = this.#buffer;
    if (held.length === 0) {
      this.#buffer = chunk;
      return;
    }
    const store = this.#store;
    if (store !== undefined && held.buffer === store.buffer) {
      const from = held.byteOffset - store.byteOffset;
      const to = from + held.length;
      if (to + chunk.length <= store.length) {
        store.set(chunk, to);
        this.#buffer = store.subarray(from, to + chunk.length);
        return;
      }
    }
    const need = held.length + chunk.length;
    // Twice what is held, but never more than one message may take (the limits refuse beyond).
    const next = new Uint8Array(Math.max(need, Math.min(Math.max(2 * need, 4096), this.maxHeaderBytes + this.maxBodyBytes)));
    next.set(held, 0);
    next.set(chunk, held.length);
    this.#store = next;
    this.#buffer = next.subarray(0, need);
  }

  /**
   * Consume CR/LF between messages (RFC 5626 §3.5.1, §4.4.1). Returns true when a message
   * starts in the buffer, false when the buffer was used up.
   */
  #skipKeepAlives(events: FrameEvent[]): boolean {
    const buf = this.#buffer;
    let i = 0;
    while (i < buf.length && (buf[i] === CR || buf[i] === LF)) {
      if (buf[i] === LF) {
        this.#crlfRun++;
        if (this.#crlfRun === 2) {
          events.push({ type: 'ping' });
          this.#crlfRun = 0;
          this.#pongSent = false;
        }
      }
      i++;
    }
    this.#buffer = i === buf.length ? EMPTY : buf.subarray(i);
    if (this.#buffer.length === 0) {
      // A lone CRLF that may still become a ping if the next read starts with CRLF: report it
      // as a pong now (a pong nobody waits for is ignored), once.
      if (this.#crlfRun === 1 && !this.#pongSent) {
        events.push({ type: 'pong' });
        this.#pongSent = true;
      }
      return false;
    }
    if (this.#crlfRun === 1 && !this.#pongSent) events.push({ type: 'pong' });
    this.#crlfRun = 0;
    this.#pongSent = false;
    return true;
  }

  /** Look for the empty line ending the header block; read Content-Length once found. */
  #findHead(events: FrameEvent[]): boolean {
    const buf = this.#buffer;
    const limit = Math.min(buf.length, this.maxHeaderBytes);
    let end = -1;
    for (let i = Math.max(this.#scanFrom, 1); i < limit; i++) {
      if (buf[i] !== LF) continue;
      // LF LF, or LF CR LF: the empty line (a bare LF is tolerated as a line end).
      if (buf[i - 1] === LF) { end = i + 1; break; }
      if (i >= 2 && buf[i - 1] === CR && buf[i - 2] === LF) { end = i + 1; break; }
    }
    if (end < 0) {
      if (buf.length >= this.maxHeaderBytes) {
        this.#fail(events, 513, 'Message Too Large', buf.subarray(0, this.maxHeaderBytes));
      } else {
        this.#scanFrom = Math.max(1, buf.length - 2);
      }
      return false;
    }
    const head = buf.subarray(0, end);
    const length = readContentLength(head);
    if (length === 'invalid') {
      this.#fail(events, 400, 'Bad Content-Length', head);
      return false;
    }
    if (length > this.maxBodyBytes) {
      this.#fail(events, 413, 'Request Entity Too Large', head);
      return false;
    }
    this.#headLength = end;
    this.#bodyLength = length;
    return true;
  }

  #fail(events: FrameEvent[], status: 400 | 413 | 513, reason: string, head: Uint8Array): void {
    events.push({ type: 'error', status, reason, head: head.slice() });
    this.#failed = true;
    this.#buffer = EMPTY;
    this.#store = undefined;
  }
}

/**
 * Content-Length (or its compact form `l`, §7.3.3) of a header block. Absent means 0: §20.14
 * makes it mandatory on streams, but a message without a body is still framed correctly.
 */
export function readContentLength(head: Uint8Array): number | 'invalid' {
  const text = latin1(head);
  const m = /^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/im.exec(text);
  if (!m) return 0;
  const value = m[1].trim();
  if (!/^\d{1,10}$/.test(value)) return 'invalid';
  return Number(value);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

