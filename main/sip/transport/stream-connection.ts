/**
 * One TCP or TLS connection: framing (StreamFramer), RFC 5626 keep-alive on the flow, idle close.
 * Owned by SipTransport, which decides what the messages mean; this class only moves bytes and
 * keeps time. Socket callbacks never throw: they update state, then call the owner's hooks.
 *
 * Keep-alive (RFC 5626 §4.4.1): every 80–100 % of the interval, send a double CRLF "ping"; a
 * single CRLF "pong" must come back within `timeout`, else the flow has failed: the connection
 * is closed and `onFlowFailed` fires. A ping received is answered by one CRLF (§3.5.1), always.
 */
import type { Socket } from 'node:net';
import { guardClock } from '../clock.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { StreamFramer } from './stream-framer.ts';
import type { FrameEvent } from './stream-framer.ts';
import type { TransportProtocol } from './types.ts';

export interface StreamConnectionHooks {
  onMessage(connection: StreamConnection, data: Uint8Array): void;
  /** A fatal framing error: answer it if possible; the connection closes right after. */
  onFramingError(connection: StreamConnection, error: Extract<FrameEvent, { type: 'error' }>): void;
  onClose(connection: StreamConnection): void;
  /** Keep-alive pong missing: the connection is already being closed. */
  onFlowFailed(connection: StreamConnection, reason: string): void;
}

export interface StreamConnectionOptions {
  id: string;
  socket: Socket;
  protocol: Exclude<TransportProtocol, 'UDP'>;
  /** We opened it (a client flow) rather than accepted it. */
  outbound: boolean;
  clock: Clock;
  hooks: StreamConnectionHooks;
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  /** Close after this long without a SIP message either way (ms); 0 never. */
  idleTimeout: number;
  /**
   * A connection we accepted must deliver a complete message within this long (ms) of opening,
   * and each message it starts within this long of its first byte; else it is closed (a
   * slowloris holds a descriptor for nothing). 0 or absent: no deadline.
   */
  messageDeadline?: number;
  random?: () => number;
}

const PING = Buffer.from('\r\n\r\n');
const PONG = Buffer.from('\r\n');

export class StreamConnection {
  readonly id: string;
  readonly protocol: Exclude<TransportProtocol, 'UDP'>;
  readonly outbound: boolean;
  readonly socket: Socket;
  readonly remote: { address: string; port: number };
  readonly local: { address: string; port: number };
  /** A registration flow: kept alive, never closed for idleness. */
  persistent = false;
  /** Complete SIP messages received on it so far. */
  messagesReceived = 0;
  #closed = false;
  #lastActivity: number;
  readonly #framer: StreamFramer;
  readonly #clock: Clock;
  readonly #hooks: StreamConnectionHooks;
  readonly #idleTimeout: number;
  readonly #random: () => number;
  #idleTimer: TimerHandle;
  readonly #messageDeadline: number;
  #deadlineTimer: TimerHandle;
  #keepAlive?: { interval: number; timeout: number };
  #pingTimer: TimerHandle;
  #pongTimer: TimerHandle;

  constructor(options: StreamConnectionOptions) {
    this.id = options.id;
    this.protocol = options.protocol;
    this.outbound = options.outbound;
    this.socket = options.socket;
    this.#clock = guardClock(options.clock);
    this.#hooks = options.hooks;
    this.#idleTimeout = options.idleTimeout;
    this.#messageDeadline = options.outbound ? 0 : (options.messageDeadline ?? 0);
    this.#random = options.random ?? Math.random;
    this.#framer = new StreamFramer({ maxHeaderBytes: options.maxHeaderBytes, maxBodyBytes: options.maxBodyBytes });
    this.remote = { address: unmapIpv4(this.socket.remoteAddress ?? ''), port: this.socket.remotePort ?? 0 };
    this.local = { address: unmapIpv4(this.socket.localAddress ?? ''), port: this.socket.localPort ?? 0 };
    this.#lastActivity = this.#clock.now();
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.socket.on('error', (err: Error) => this.#lost(`connection failed: ${err.message}`));
    this.socket.on('close', () => this.#lost('connection closed by the peer'));
    this.socket.on('end', () => this.socket.end());
    this.#armIdle();
    this.#armDeadline();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Write bytes; resolves once handed to the kernel. */
  write(bytes: Uint8Array, activity = true): Promise<void> {
    if (this.#closed) return Promise.reject(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
    if (activity) this.#lastActivity = this.#clock.now();
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Start (or re-time) RFC 5626 keep-alive pings; interval and timeout in ms. */
  startKeepAlive(interval: number, timeout: number): void {
    this.#keepAlive = { interval, timeout };
    this.#clock.clearTimeout(this.#pingTimer);
    if (this.#pongTimer === undefined) this.#schedulePing();
  }

  stopKeepAlive(): void {
    this.#keepAlive = undefined;
    this.#clock.clearTimeout(this.#pingTimer);
    this.#clock.clearTimeout(this.#pongTimer);
    this.#pingTimer = undefined;
    this.#pongTimer = undefined;
  }

  get awaitingPong(): boolean {
    return this.#pongTimer !== undefined;
  }

  get keepingAlive(): boolean {
    return this.#keepAlive !== undefined;
  }

  /** Close gracefully (pending writes are flushed), then for sure. */
  close(): void {
    if (this.#closed) return;
    this.socket.end();
    const t = this.#clock.setTimeout(() => this.socket.destroy(), 2000);
    this.socket.once('close', () => this.#clock.clearTimeout(t));
    this.#teardown();
  }

  destroy(): void {
    this.socket.destroy();
    this.#teardown();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let events: FrameEvent[];
    try {
      events = this.#framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch {
      this.destroy();
      return;
    }
    if (this.#messageDeadline > 0) {
      // A complete message ends the wait; a message begun starts one (never extended by dribbling).
      if (events.some((e) => e.type === 'message')) this.#disarmDeadline();
      if (this.#framer.buffered > 0) this.#armDeadline();
    }
    for (const event of events) {
      if (this.#closed) return;
      switch (event.type) {
        case 'message':
          this.messagesReceived++;
          this.#lastActivity = this.#clock.now();
          this.#hooks.onMessage(this, event.data);
          break;
        case 'ping':
          // RFC 5626 §3.5.1: answer a double-CRLF ping with a single CRLF pong. On a flow we
          // opened, a peer that pings wants it kept: that counts as activity. On one we accepted
          // it does not (pings alone would hold a connection slot for ever).
          if (this.outbound || this.persistent) this.#lastActivity = this.#clock.now();
          this.socket.write(PONG);
          break;
        case 'pong':
          if (this.#pongTimer !== undefined) {
            this.#framer.consumePong();
            this.#clock.clearTimeout(this.#pongTimer);
            this.#pongTimer = undefined;
            this.#schedulePing();
          }
          break;
        case 'error':
          this.#hooks.onFramingError(this, event);
          this.close();
          return;
      }
    }
  }

  #schedulePing(): void {
    const ka = this.#keepAlive;
    if (!ka || this.#closed) return;
    // RFC 5626 §4.4.1: a random time between 80 % and 100 % of the interval.
    const delay = ka.interval * (0.8 + 0.2 * this.#random());
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.#pingTimer = undefined;
      if (this.#closed || !this.#keepAlive) return;
      this.socket.write(PING);
      this.#pongTimer = this.#clock.setTimeout(() => {
        this.#pongTimer = undefined;
        if (this.#closed) return;
        const reason = `no keep-alive pong within ${ka.timeout / 1000} s`;
        this.destroy();
        this.#hooks.onFlowFailed(this, reason);
      }, ka.timeout);
    }, delay);
  }

  #armDeadline(): void {
    if (this.#messageDeadline <= 0 || this.#deadlineTimer !== undefined || this.#closed) return;
    this.#deadlineTimer = this.#clock.setTimeout(() => {
      this.#deadlineTimer = undefined;
      if (!this.#closed) this.destroy();
    }, this.#messageDeadline);
  }

  #disarmDeadline(): void {
    this.#clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
  }

  #armIdle(): void {
    if (this.#idleTimeout <= 0) return;
    const remaining = this.#lastActivity + this.#idleTimeout - this.#clock.now();
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#closed) return;
      if (!this.persistent && this.#clock.now() - this.#lastActivity >= this.#idleTimeout) {
        this.close();
        return;
      }
      this.#armIdle();
    }, remaining > 0 ? remaining : this.#idleTimeout);
  }

  /**
   * The peer closed the connection or it broke (not our own close()/destroy(), which tear
   * down first). For a registration flow that is a flow failure too (RFC 5626 §4.4.1).
   */
  #lost(reason: string): void {
    if (this.#closed) return;
    const flow = this.persistent || this.#keepAlive !== undefined;
    this.#teardown();
    if (flow) this.#hooks.onFlowFailed(this, reason);
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stopKeepAlive();
    this.#clock.clearTimeout(this.#idleTimer);
    this.#disarmDeadline();
    this.#hooks.onClose(this);
  }
}

/** `::ffff:127.0.0.1` (a v4 peer on a dual-stack socket) → `127.0.0.1`. */
export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
