// The typed loader of appel_memory.node (native/src/memory/memory-addon.cc): hands the C library's
// free memory back to the system. Loaded on first use; it links only libc.
import { loadAddon } from './load-addon.ts';

let binding: { trim(): boolean } | undefined;

/**
 * malloc_trim(3): returns the free pages of every malloc arena to the system. True when some
 * were; false when none were, or where the C library has no such call. It walks every arena, so
 * call it when a burst of freeing has ended (a worker stopped), not on a hot path.
 */
export function trimMemory(): boolean {
  binding ??= loadAddon<{ trim(): boolean }>('appel_memory');
  return binding.trim();
}
