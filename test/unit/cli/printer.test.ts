/**
 * The command line's output batching (main/cli/output.ts Printer): the events of one turn of the
 * event loop go out in one write, in order; anything for stderr waits for them; a process that
 * ends with lines pending still prints them (a real child process, its stdout a pipe).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Printer } from '../../../main/cli/output.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const NODE = join(root, 'node_modules/.bin/node');

describe('Printer', () => {
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  const setTTY = (value: boolean): void => void Object.defineProperty(process.stdout, 'isTTY', { value, configurable: true, writable: true });
  afterEach(() => {
    vi.restoreAllMocks();
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  });

  function capture(): { writes: Array<[string, string]> } {
    const writes: Array<[string, string]> = [];
    setTTY(false);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(['out', String(chunk)]), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(['err', String(chunk)]), true));
    return { writes };
  }

  it('writes the JSON lines of one turn together, in order, after the turn', async () => {
    const { writes } = capture();
    const p = new Printer(true);
    p.event('incoming', { callId: 'c1' });
    p.event('answered', { callId: 'c1' });
    p.event('ended', { callId: 'c1' });
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    const lines = writes[0][1].trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; callId: string });
    expect(lines.map((l) => l.event)).toEqual(['incoming', 'answered', 'ended']);
    p.event('incoming', { callId: 'c2' });
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[1][1]).callId).toBe('c2');
  });

  it('prints pending events before what goes to stderr', () => {
    const { writes } = capture();
    const p = new Printer(false);
    p.event('message-sent', {}, 'message not delivered: 404');
    p.error('not found\n');
    expect(writes).toEqual([
      ['out', 'message not delivered: 404\n'],
      ['err', 'not found\n'],
    ]);
  });

  it('writes each line at once to a terminal', () => {
    const { writes } = capture();
    setTTY(true);
    const p = new Printer(false);
    p.event('incoming', {}, 'incoming call from sip:a@b');
    expect(writes).toEqual([['out', 'incoming call from sip:a@b\n']]);
  });

  it('still prints what is pending when the process exits in the same turn', () => {
    const script = `
      import { Printer } from ${JSON.stringify(join(root, 'main/cli/output.ts'))};
      const p = new Printer(true);
      p.event('ended', { callId: 'last' });
      process.exit(3);
    `;
    const r = spawnSync(NODE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ event: 'ended', callId: 'last' });
  });
});
