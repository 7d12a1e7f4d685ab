/**
 * The targets a 3xx gives (RFC 3261 §8.1.3.4): tried in q-value order (highest first; no q
 * counts as 1.0; ties keep their order), each URI once (a redirect loop ends), no deeper
 * than `maxDepth` redirections, and no more than `maxTargets` targets in all: a 3xx listing
 * thousands of Contacts (or a chain of them) sends at most that many INVITEs. Only sip: and
 * sips: targets are followed (a tel: or http: Contact is not a place a phone calls by itself).
 */
import { formatUri } from '../message/index.ts';
import type { NameAddr, Uri } from '../message/types.ts';

export interface RedirectTarget {
  uri: string;
  /** How many redirections led here (1 for a Contact of the first 3xx). */
  depth: number;
}

function keyOf(uri: Uri): string {
  return `${uri.scheme}:${uri.user}@${uri.host.toLowerCase()}:${uri.port ?? ''}`;
}

function qOf(c: NameAddr): number {
  const q = Number(c.params.get('q') ?? '1');
  return Number.isFinite(q) ? q : 0;
}

export class RedirectTargets {
  readonly maxDepth: number;
  readonly maxTargets: number;
  #given = 0;
  readonly #tried = new Set<string>();
  #queue: Array<RedirectTarget & { key: string }> = [];

  constructor(opts: { maxDepth?: number; maxTargets?: number; first?: Uri } = {}) {
    this.maxDepth = opts.maxDepth ?? 5;
    this.maxTargets = opts.maxTargets ?? 5;
    if (opts.first) this.#tried.add(keyOf(opts.first));
  }

  /**
   * The Contacts of a 3xx received at `depth` (0 for the original request). Returns how many new
   * targets were queued (0: every one was tried already, not SIP, or too deep).
   */
  add(contacts: NameAddr[], depth: number): number {
    if (depth + 1 > this.maxDepth) return 0;
    const fresh = contacts
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !c.wildcard && (c.uri.scheme === 'sip' || c.uri.scheme === 'sips'))
      .filter(({ c }) => !this.#tried.has(keyOf(c.uri)) && !this.#queue.some((t) => t.key === keyOf(c.uri)))
      .sort((a, b) => qOf(b.c) - qOf(a.c) || a.i - b.i)
      .map(({ c }) => ({ uri: formatUri(c.uri), depth: depth + 1, key: keyOf(c.uri) }));
    // Higher-q targets of a deeper redirect go before what is left of the shallower ones; no more
    // are kept than could still be tried.
    this.#queue = [...fresh, ...this.#queue].slice(0, this.maxTargets - this.#given);
    return fresh.length;
  }

  /** The next target to try (marked tried), or undefined. */
  next(): RedirectTarget | undefined {
    for (;;) {
      if (this.#given >= this.maxTargets) return undefined;
      const t = this.#queue.shift();
      if (!t) return undefined;
      if (this.#tried.has(t.key)) continue;
      this.#tried.add(t.key);
      this.#given++;
      return { uri: t.uri, depth: t.depth };
    }
  }

  get remaining(): number {
    return this.#queue.length;
  }
}
