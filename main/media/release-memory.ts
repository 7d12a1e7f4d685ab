/**
 * What a stopped media engine leaves behind, handed back to the system: first V8 collects the
 * garbage of this thread's heap (a phone with no call allocates next to nothing, so no collection
 * comes by itself, and the ended calls' buffers, frames and messages would stay for hours), then
 * malloc's free pages go back (trimMemory: the codecs' states, the ArrayBuffers' backing stores
 * that collection just freed). Called once an engine has been idle for a while, never per call.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimMemory } from '../../native/memory.ts';

type Collect = (options: { type: 'major'; execution: 'sync' }) => void;
let collect: Collect | null | undefined;

/** V8's gc(), made reachable once (the flag only exposes it to contexts made after it is set). */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  } catch {
    collect = null;
  }
  return collect;
}

/** V8's sweeper frees backing stores on a helper thread shortly after the collection. */
const SWEEP_MS = 200;

/** Collects, then trims once the sweeping is done; resolves when both are. Never throws. */
export async function releaseMemory(): Promise<void> {
  try {
    collector()?.({ type: 'major', execution: 'sync' });
  } catch {
    // An optimisation only.
  }
  await new Promise((resolve) => setTimeout(resolve, SWEEP_MS).unref());
  try {
    trimMemory();
  } catch {
    // As above.
  }
}
