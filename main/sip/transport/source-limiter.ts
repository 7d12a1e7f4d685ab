/**
 * A token bucket per source address for the requests it sends: what keeps one scanner or flooder
 * from taking the phone's time and memory. The transport asks it before it even parses a request
 * (a dropped one costs the packet's buffer and nothing more); responses are never limited. A
 * real peer sends a few requests a second, retransmissions included: far below the default.
 *
 *   const limiter = new SourceLimiter({ clock });
 *   switch (limiter.take(address)) {
 *     case 'ok':      handle it
 *     case 'refuse':  answer 503 with Retry-After (RFC 3261 §21.5.4), once a second per source
 *     case 'drop':    silence: the flood pays for its own packets only
 *   }
 *
 * Memory is bounded: at most `maxSources` buckets; a full table forgets the source seen least
 * recently (a Map keeps insertion order; a source is moved to the end when it is seen).
 */
import type { Clock } from '../clock.ts';
import { sourceOf } from './stamp-via.ts';

export type LimitVerdict = 'ok' | 'refuse' | 'drop';

export interface SourceLimiterOptions {
  /** Only `now()` is read. */
  clock: Clock;
  /** Requests per second one source may send, sustained (default 10). */
  rate?: number;
  /** How many it may start at once after a quiet spell (default 30). */
  burst?: number;
  /** Sources remembered at most (default 4096). */
  maxSources?: number;
  /** Sources never limited (the registrar of an account, say). */
  exempt?: (address: string) => boolean;
}

interface Bucket {
  tokens: number;
  at: number;
  /** When the last 503 went to this source. */
  refusedAt: number;
}

export class SourceLimiter {
  readonly #clock: Clock;
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #exempt: ((address: string) => boolean) | undefined;
  readonly #buckets = new Map<string, Bucket>();
  /** Counters, for tests and the attack benchmark. */
  readonly stats = { refused: 0, dropped: 0 };

  constructor(opts: SourceLimiterOptions) {
    this.#clock = opts.clock;
    this.#rate = opts.rate ?? 10;
    this.#burst = opts.burst ?? 30;
    this.#max = opts.maxSources ?? 4096;
    this.#exempt = opts.exempt;
  }

  /** Seconds a refused source is told to wait (Retry-After). */
  get retryAfter(): number {
    return Math.max(1, Math.ceil(this.#burst / this.#rate));
  }

  take(address: string): LimitVerdict {
    if (this.#exempt?.(address)) return 'ok';
    // One source is one IPv4 address or one IPv6 /64 (sourceOf).
    address = sourceOf(address);
    const now = this.#clock.now();
    let bucket = this.#buckets.get(address);
    if (bucket) {
      this.#buckets.delete(address);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    } else {
      if (this.#buckets.size >= this.#max) this.#buckets.delete(this.#buckets.keys().next().value!);
      bucket = { tokens: this.#burst, at: now, refusedAt: -Infinity };
    }
    this.#buckets.set(address, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'ok';
    }
    if (now - bucket.refusedAt >= 1000) {
      bucket.refusedAt = now;
      this.stats.refused++;
      return 'refuse';
    }
    this.stats.dropped++;
    return 'drop';
  }

  /** How many sources are remembered now. */
  get size(): number {
    return this.#buckets.size;
  }
}
