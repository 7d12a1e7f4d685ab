import { nextTick, watch } from 'vue';
import { useRoute } from '../lib/router.ts';

/**
 * After a move to another view, focus goes to the new view's main heading (the usual practice
 * for single-page apps): a screen reader says where the person now is, and Tab goes on from
 * there rather than from the top of the window. A view that puts focus somewhere itself (the
 * dialpad's number field) keeps it; the first view shown leaves focus alone.
 */
export function useViewFocus(view: () => HTMLElement | undefined): void {
  const route = useRoute();
  watch(
    () => route.name,
    async (name, prev) => {
      if (prev === undefined || name === prev) return;
      await nextTick();
      const el = view();
      if (!el || el.contains(document.activeElement)) return;
      const target = el.querySelector<HTMLElement>('h1') ?? el;
      if (!target.hasAttribute('tabindex')) target.tabIndex = -1;
      target.focus({ preventScroll: true });
    },
    { flush: 'post' },
  );
}
