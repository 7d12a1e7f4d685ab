/**
 * A UDP relay that impairs traffic like a bad network, repeatably: a seeded PRNG decides which
 * datagrams are dropped, delayed (a fixed delay plus uniform jitter), reordered (held back by
 * an extra delay) or duplicated. This kernel has no `tc netem`, so tests put this between two
 * RTP endpoints on loopback.
 *
 *   endpoint A ──▶ relay.portA ══(impair a→b)══▶ relay.portB ──▶ endpoint B
 *   endpoint A ◀── relay.portA ◀═(impair b→a)══ relay.portB ◀── endpoint B
 *
 * A sends to `portA`; B sees the relay's `portB` as the source and answers there (symmetric
 * RTP); replies go back to wherever A last sent from.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface Impairment {
  /** Probability of dropping a datagram (0..1). */
  loss?: number;
  /** Fixed one-way delay (ms). */
  delayMs?: number;
  /** Extra delay drawn uniformly in [0, jitterMs] (ms). Large values reorder too. */
  jitterMs?: number;
  /** Probability of holding a datagram back by `reorderMs` (0..1). */
  reorder?: number;
  reorderMs?: number;
  /** Probability of sending a datagram twice (0..1). */
  duplicate?: number;
}

export interface DirectionCounters {
  received: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/** mulberry32: a small, fast, seedable PRNG (deterministic across runs). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class UdpImpairmentRelay {
  readonly portA: number;
  readonly portB: number;
  readonly counters: { aToB: DirectionCounters; bToA: DirectionCounters };
  readonly #a: Socket;
  readonly #b: Socket;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #target: { address: string; port: number };
  #peerA: { address: string; port: number } | undefined;
  #impair: { aToB: Impairment; bToA: Impairment };
  readonly #rnd: () => number;
  #closed = false;

  private constructor(init: { a: Socket; b: Socket; target: { address: string; port: number }; seed: number; aToB: Impairment; bToA: Impairment }) {
    this.#a = init.a;
    this.#b = init.b;
    this.portA = init.a.address().port;
    this.portB = init.b.address().port;
    this.#target = init.target;
    this.#impair = { aToB: init.aToB, bToA: init.bToA };
    this.#rnd = seededRandom(init.seed);
    const zero = (): DirectionCounters => ({ received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 });
    this.counters = { aToB: zero(), bToA: zero() };
    this.#a.on('message', (msg, rinfo) => {
      this.#peerA = { address: rinfo.address, port: rinfo.port };
      this.#forward(msg, this.#b, this.#target, this.#impair.aToB, this.counters.aToB);
    });
    this.#b.on('message', (msg) => {
      if (this.#peerA) this.#forward(msg, this.#a, this.#peerA, this.#impair.bToA, this.counters.bToA);
    });
  }

  /** Binds two loopback sockets; `target` is endpoint B. */
  static async create(options: { target: { address: string; port: number }; seed: number; aToB?: Impairment; bToA?: Impairment; address?: string }): Promise<UdpImpairmentRelay> {
    const bind = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = createSocket('udp4');
        s.once('error', reject);
        s.bind(0, options.address ?? '127.0.0.1', () => resolve(s));
      });
    const [a, b] = await Promise.all([bind(), bind()]);
    return new UdpImpairmentRelay({ a, b, target: options.target, seed: options.seed, aToB: options.aToB ?? {}, bToA: options.bToA ?? {} });
  }

  /** Changes the impairment of one direction (e.g. a loss burst mid-call). */
  setImpairment(direction: 'aToB' | 'bToA', impairment: Impairment): void {
    this.#impair = { ...this.#impair, [direction]: impairment };
  }

  #forward(msg: Buffer, via: Socket, to: { address: string; port: number }, im: Impairment, c: DirectionCounters): void {
    c.received++;
    if (this.#rnd() < (im.loss ?? 0)) {
      c.dropped++;
      return;
    }
    let delay = (im.delayMs ?? 0) + this.#rnd() * (im.jitterMs ?? 0);
    if (this.#rnd() < (im.reorder ?? 0)) {
      delay += im.reorderMs ?? 50;
      c.reordered++;
    }
    const copies = this.#rnd() < (im.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) c.duplicated++;
    for (let i = 0; i < copies; i++) {
      const send = (): void => {
        if (this.#closed) return;
        via.send(msg, to.port, to.address);
        c.forwarded++;
      };
      if (delay <= 0 && i === 0) send();
      else {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          send();
        }, delay + i);
        this.#timers.add(t);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([this.#a, this.#b].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
