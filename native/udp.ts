// The media's UDP socket (native/src/udp-socket.cc), read when the stream's clock wakes rather than
// once a datagram: see that file. Arguments are checked here; a bad one throws a TypeError.
import { isIP } from 'node:net';
import { loadAddon } from './load-addon.ts';

/** A datagram read by `receive`: its bytes (a view for this tick: copy what must outlive it), sender and age. */
export interface Datagram {
  bytes: Uint8Array;
  address: string;
  port: number;
  /** How long before `receive` the kernel received it (ms). */
  ageMs: number;
}

interface NativeUdpSocket {
  bind(address: string, port: number): void;
  localPort(): number;
  send(bytes: Uint8Array, address: string, port: number): string | undefined;
  sendAt(bytes: Uint8Array, address: string, port: number, delayMs: number): string | undefined;
  cancelPaced(): number;
  retargetPaced(address: string, port: number): void;
  pacedPending(): number;
  pacedFailure(): string | undefined;
  receive(): Array<Uint8Array | string | number> | null;
  close(): void;
}

const binding = loadAddon<{ UdpSocket?: new (options: { family: 4 | 6 }) => NativeUdpSocket }>('appel_native');

/** Whether this build has the polled socket (Linux; elsewhere node:dgram's serve). */
export const polledUdpAvailable = binding.UdpSocket !== undefined;

export class UdpSocket {
  readonly family: 4 | 6;
  readonly #handle: NativeUdpSocket;
  #open = true;

  constructor(family: 4 | 6) {
    if (family !== 4 && family !== 6) throw new TypeError(`family: expected 4 or 6, got ${String(family)}`);
    if (!binding.UdpSocket) throw new Error('UdpSocket: this build of the addon has no polled socket (Linux only)');
    this.family = family;
    this.#handle = new binding.UdpSocket({ family });
  }

  /** Binds to `address`:`port` (0: a port the kernel picks). Throws an Error whose `code` is the errno name ('EADDRINUSE'…). */
  bind(address: string, port: number): void {
    if (isIP(address) !== this.family) throw new TypeError(`address: expected an IPv${this.family} literal, got ${JSON.stringify(address)}`);
    // A zone (fe80::1%eth0) is resolved by the addon; an unknown one is refused there, in words.
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`port: expected an integer in 0..65535, got ${String(port)}`);
    this.#handle.bind(address, port);
  }

  get localPort(): number {
    return this.#handle.localPort();
  }

  get open(): boolean {
    return this.#open;
  }

  /** Sends one datagram now: undefined once the kernel took it, else why not (in words). */
  send(bytes: Uint8Array, address: string, port: number): string | undefined {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes: expected a Uint8Array');
    if (!this.#open) return 'send: the socket is closed';
    return this.#handle.send(bytes, address, port);
  }

  /**
   * Sends one datagram `delayMs` from now (0–1000), from the addon's pacer thread: a stream that
   * encodes a few frames at once still puts each on the wire at its own time. Undefined once
   * queued, else why not (in words). At most 64 wait per socket.
   */
  sendAt(bytes: Uint8Array, address: string, port: number, delayMs: number): string | undefined {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes: expected a Uint8Array');
    if (!Number.isFinite(delayMs)) throw new TypeError(`delayMs: expected a number, got ${String(delayMs)}`);
    if (!this.#open) return 'send: the socket is closed';
    return this.#handle.sendAt(bytes, address, port, delayMs);
  }

  /** Drops the datagrams the pacer still holds for this socket; returns how many. */
  cancelPaced(): number {
    return this.#open ? this.#handle.cancelPaced() : 0;
  }

  /** The datagrams the pacer still holds for this socket go to `address`:`port` instead. */
  retargetPaced(address: string, port: number): void {
    if (isIP(address) !== this.family) throw new TypeError(`address: expected an IPv${this.family} literal, got ${JSON.stringify(address)}`);
    if (this.#open) this.#handle.retargetPaced(address, port);
  }

  /** Datagrams the pacer still holds for this socket. */
  get pacedPending(): number {
    return this.#open ? this.#handle.pacedPending() : 0;
  }

  /** Undefined, or the paced sends the kernel refused since the last call, in words. */
  pacedFailure(): string | undefined {
    return this.#open ? this.#handle.pacedFailure() : undefined;
  }

  /**
   * Calls `onDatagram` for each datagram waiting in the socket (at most 256 a call), in arrival
   * order. The bytes are fresh views, never reused. Throws on a socket error (not on an empty socket).
   */
  receive(onDatagram: (d: Datagram) => void): number {
    if (!this.#open) return 0;
    const flat = this.#handle.receive();
    if (flat === null) return 0;
    for (let i = 0; i < flat.length; i += 4) {
      onDatagram({ bytes: flat[i] as Uint8Array, address: flat[i + 1] as string, port: flat[i + 2] as number, ageMs: flat[i + 3] as number });
    }
    return flat.length / 4;
  }

  /** Closes the descriptor (idempotent). */
  close(): void {
    this.#open = false;
    this.#handle.close();
  }
}
