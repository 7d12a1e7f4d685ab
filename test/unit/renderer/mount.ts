/** Mounting a component as the app does: Pinia for tests (actions stubbed), i18n, a router in memory. */
import { vi } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { createTestingPinia } from '@pinia/testing';
import type { Component } from 'vue';
import { createAppRouter, prefetchViews } from '../../../renderer/src/router.ts';
import { createMemoryHistory } from '../../../renderer/src/lib/router.ts';
import { createAppI18n, type Locale } from '../../../renderer/src/i18n/index.ts';
import { prefetchShellParts } from '../../../renderer/src/shell-parts.ts';

export interface MountOptions {
  props?: Record<string, unknown>;
  initialState?: Record<string, Record<string, unknown>>;
  locale?: Locale;
  route?: string;
  stubActions?: boolean;
}

export async function mountWith(component: Component, opts: MountOptions = {}) {
  const pinia = createTestingPinia({ createSpy: vi.fn, initialState: opts.initialState ?? {}, stubActions: opts.stubActions ?? true });
  // The views other than the dialpad, and the shell's on-demand parts, are loaded on demand; here
  // they are in before the test acts, as the app prefetches them once its first screen is up.
  await Promise.all([prefetchViews(), prefetchShellParts()]);
  const router = createAppRouter(createMemoryHistory());
  await router.push(opts.route ?? '/dialpad');
  await router.isReady();
  const i18n = await createAppI18n(opts.locale ?? 'en');
  const wrapper = mount(component, { props: opts.props ?? {}, global: { plugins: [pinia, router, i18n] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, pinia, router, i18n };
}

export { flushPromises };
