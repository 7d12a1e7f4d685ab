/* global window, location, WebSocket */
/**
 * The engine's socket, opened while the page's bundle is still loading (a plain browser only:
 * `npm run dev:web` and the end-to-end tests, where `window.appel` is the loopback bridge).
 *
 * A socket's `open` event waits for the page's main thread, and the bundle holds that thread for
 * a few hundred milliseconds while it evaluates and mounts: a socket made by the bundle opens only
 * after the first screen is built, and only then can the first requests leave. Made here, it
 * opens while the bundle's files are fetched, so the stores' first requests leave as they are
 * made and the engine answers while the page mounts. renderer/src/bridge-client.ts adopts it
 * (`installBridgeClient`; the path is the one it would use, else it opens its own).
 *
 * Plain JavaScript served as is (Vite copies public/; vite.config.ts puts its tag in the page): a
 * classic `async` script, so it neither waits for nor delays the bundle. In Electron the preload
 * has set `window.appel`: nothing to do.
 */
(() => {
  if (window.appel || (location.protocol !== 'http:' && location.protocol !== 'https:')) return;
  window.appelBootSocket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge`);
})();
