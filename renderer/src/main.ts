import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter, prefetchViews } from './router.ts';
import { createAppI18n, missingKeys } from './i18n/index.ts';
import { installBridgeClient } from './bridge-client.ts';
import { prefetchShellParts } from './shell-parts.ts';
import './styles/base.css';

// In Electron the preload has set window.appel; in a browser the bridge provides it.
installBridgeClient();

const app = createApp(App);
app.use(createPinia());
app.use(createAppRouter());
// Not a top-level await: a French page fetches fr.ts, whose chunk imports this one, which would
// wait for this module to finish evaluating, which would wait for it.
void createAppI18n().then((i18n) => {
  app.use(i18n);
  app.mount('#app');
});
// The other views and the shell's on-demand parts, a while after the first screen is up (its
// engine answers come first), when the page has nothing else to do.
const PREFETCH_AFTER_MS = 1500;
const prefetch = () => void Promise.all([prefetchViews(), prefetchShellParts()]);
setTimeout(() => {
  if ('requestIdleCallback' in window) window.requestIdleCallback(prefetch, { timeout: 3000 });
  else prefetch();
}, PREFETCH_AFTER_MS);

// For the end-to-end tests: the i18n keys that were asked for and missing.
(window as unknown as { appelMissingKeys: () => string[] }).appelMissingKeys = () => [...missingKeys];
