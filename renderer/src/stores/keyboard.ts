import { ref } from 'vue';
import { defineStore } from 'pinia';

/**
 * What the keyboard shortcuts ask of the views (composables/useShortcuts.ts): the list of
 * shortcuts open, and a transfer to start on the call screen (which may not be shown yet when
 * the shortcut is pressed: it opens its dialog when it comes, and clears the request).
 */
export const useKeyboardStore = defineStore('keyboard', () => {
  const helpOpen = ref(false);
  const transferWanted = ref(false);
  return { helpOpen, transferWanted };
});
