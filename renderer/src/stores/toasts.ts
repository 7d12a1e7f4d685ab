import { ref } from 'vue';
import { defineStore } from 'pinia';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

/** Short notes at the bottom of the window (what failed, in words); they leave by themselves. */
export const useToastsStore = defineStore('toasts', () => {
  const items = ref<Toast[]>([]);
  let next = 1;

  function dismiss(id: number): void {
    items.value = items.value.filter((t) => t.id !== id);
  }

  function push(text: string, kind: Toast['kind'] = 'info', ms = 6000): number {
    const id = next++;
    items.value.push({ id, kind, text });
    if (items.value.length > 4) items.value.shift();
    if (ms > 0) setTimeout(() => dismiss(id), ms);
    return id;
  }

  const error = (text: string) => push(text, 'error', 9000);

  return { items, push, error, dismiss };
});
