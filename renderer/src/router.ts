import { createRouter, createWebHashHistory, type RouteRecord, type RouterHistory } from './lib/router.ts';
import DialpadView from './views/DialpadView.vue';

/**
 * The dialpad is the first screen: it comes with the page. Every other view is its own chunk,
 * fetched the first time it is shown (or ahead, see `prefetchViews`), so the first paint parses
 * and runs only what it shows.
 */
const ContactsView = () => import('./views/ContactsView.vue');
const CallView = () => import('./views/CallView.vue');
const HistoryView = () => import('./views/HistoryView.vue');
const MessagesView = () => import('./views/MessagesView.vue');
const SettingsView = () => import('./views/SettingsView.vue');
const IncomingView = () => import('./views/IncomingView.vue');

export const routes: RouteRecord[] = [
  { path: '/', redirect: '/dialpad' },
  { path: '/dialpad', name: 'dialpad', component: DialpadView },
  { path: '/contacts/:id?', name: 'contacts', component: ContactsView },
  { path: '/call', name: 'call', component: CallView },
  { path: '/history', name: 'history', component: HistoryView },
  { path: '/messages/:peer?', name: 'messages', component: MessagesView },
  { path: '/settings/:section?', name: 'settings', component: SettingsView },
  // The incoming-call window's page: the panel alone (App.vue drops the navigation there).
  { path: '/incoming', name: 'incoming', component: IncomingView, meta: { bare: true } },
  { path: '/:rest(.*)*', redirect: '/dialpad' },
];

/**
 * Once the first screen is up and the page is idle, the other views are fetched ahead, so that
 * the first visit to one (a call coming in: the call view) does not wait for its file. Resolves
 * when they are all in (a view that failed to load is fetched again when it is shown).
 */
export async function prefetchViews(): Promise<void> {
  await Promise.all([CallView, ContactsView, HistoryView, MessagesView, SettingsView, IncomingView].map((load) => load().catch(() => undefined)));
}

/** Hash history: the same URLs work from `file://` in Electron and from the bridge. */
export function createAppRouter(history: RouterHistory = createWebHashHistory()) {
  return createRouter({ history, routes });
}
