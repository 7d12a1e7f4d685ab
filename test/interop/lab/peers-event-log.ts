/**
 * The events a real phone reported, kept in order, with bounded waits on them. Waits look at
 * events already seen (from index `since`) and then at new ones; they reject at their deadline
 * with a summary of what was seen, or at once when the phone has died (`fail`).
 */
export class PeerEventLog<E> {
  readonly events: E[] = [];
  private readonly name: string;
  private readonly describe: (e: E) => string;
  private waiters: Array<{ test: (e: E) => boolean; resolve: (e: E) => void; reject: (err: Error) => void }> = [];
  private failure?: Error;

  constructor(options: { name: string; describe: (e: E) => string }) {
    this.name = options.name;
    this.describe = options.describe;
  }

  get count(): number {
    return this.events.length;
  }

  push(e: E): void {
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The phone is gone: every wait, now and later, rejects with `err` (unless already satisfied). */
  fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
  }

  /** Forget a failure (the phone was started again). */
  reset(): void {
    this.failure = undefined;
  }

  wait(test: (e: E) => boolean, timeoutMs: number, options: { since?: number; what?: string } = {}): Promise<E> {
    const seen = this.events.slice(options.since ?? 0).find(test);
    if (seen) return Promise.resolve(seen);
    const what = options.what ?? 'matching event';
    if (this.failure) return Promise.reject(new Error(`${this.name}: no ${what}: ${this.failure.message}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (e: E) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(new Error(`${this.name}: no ${what}: ${err.message}`));
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; events: ${this.events.map(this.describe).join(' | ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
