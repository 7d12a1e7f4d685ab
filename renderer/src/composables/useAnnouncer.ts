import { ref, type Ref } from 'vue';

export type Politeness = 'polite' | 'assertive';

/**
 * What the window's two live regions say (components/app/AppAnnouncer.vue draws them, once, at
 * the root): the polite one for changes a person should hear when the screen reader is free (a
 * call connected, put on hold, ended), the assertive one for what cannot wait (a call ringing).
 *
 * Announcements made in the same tick are read as one sentence, in order. The same words twice
 * are still a change the screen reader hears: a no-break space tells them apart.
 */
const said: Record<Politeness, Ref<string>> = { polite: ref(''), assertive: ref('') };
const pending: Record<Politeness, string[]> = { polite: [], assertive: [] };
let scheduled = false;

function flush(): void {
  scheduled = false;
  for (const level of ['polite', 'assertive'] as const) {
    if (pending[level].length === 0) continue;
    const text = pending[level].join(' ');
    pending[level] = [];
    said[level].value = said[level].value === text ? `${text}\u00a0` : text;
  }
}

/** Says `text` through the live region of `level` (polite by default). */
export function announce(text: string, level: Politeness = 'polite'): void {
  pending[level].push(text);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flush);
  }
}

/** Both regions back to silence (a new window, a test). */
export function clearAnnouncements(): void {
  pending.polite = [];
  pending.assertive = [];
  said.polite.value = '';
  said.assertive.value = '';
}

export function useAnnouncer() {
  return { polite: said.polite, assertive: said.assertive, announce };
}
