import type { ChildProcess } from 'node:child_process';

/** A process's stdout as JSON lines, collected as they come (other lines are skipped). */
export class JsonLines<T> {
  readonly items: T[] = [];
  constructor(child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      partial += d.toString();
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        try {
          this.items.push(JSON.parse(line) as T);
        } catch {
          // not a JSON line
        }
      }
    });
  }
}
