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
app.use(createAppI18n());
app.mount('#app');
// The other views, once the first screen is painted and the page has nothing else to do.
const idle = (fn: () => void) => ('requestIdleCallback' in window ? window.requestIdleCallback(() => fn(), { timeout: 3000 }) : setTimeout(fn, 1000));
idle(() => void prefetchViews());

// For the end-to-end tests: the i18n keys that were asked for and missing.
(window as unknown as { appelMissingKeys: () => string[] }).appelMissingKeys = () => [...missingKeys];
