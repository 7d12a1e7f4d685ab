import { defineAsyncComponent } from 'vue';

/**
 * The shell's parts that show only on demand: the incoming-call panel (a call rings) and the list
 * of keyboard shortcuts (F1). Each is its own chunk, fetched the first time it shows or ahead,
 * with the views, once the first screen is up (main.ts): the first screen neither parses nor
 * mounts them.
 */
const loadIncomingPanel = () => import('./components/call/CallIncomingPanel.vue');
const loadShortcutsDialog = () => import('./components/app/AppShortcutsDialog.vue');

export const CallIncomingPanel = defineAsyncComponent(loadIncomingPanel);
export const AppShortcutsDialog = defineAsyncComponent(loadShortcutsDialog);

/** Fetches them ahead; resolves when they are in (one that failed is fetched again when it shows). */
export async function prefetchShellParts(): Promise<void> {
  await Promise.all([loadIncomingPanel, loadShortcutsDialog].map((load) => load().catch(() => undefined)));
}
