import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter, prefetchViews } from './router.ts';
import { createAppI18n, missingKeys } from './i18n/index.ts';
import { installBridgeClient } from './bridge-client.ts';
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
// The other views, a while after the first screen is up (its engine answers come first), when
// the page has nothing else to do.
const PREFETCH_AFTER_MS = 1500;
setTimeout(() => {
  if ('requestIdleCallback' in window) window.requestIdleCallback(() => void prefetchViews(), { timeout: 3000 });
  else void prefetchViews();
}, PREFETCH_AFTER_MS);

// For the end-to-end tests: the i18n keys that were asked for and missing.
(window as unknown as { appelMissingKeys: () => string[] }).appelMissingKeys = () => [...missingKeys];
