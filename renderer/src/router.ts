import { createRouter, createWebHashHistory, type RouterHistory } from 'vue-router';
import DialpadView from './views/DialpadView.vue';
import ContactsView from './views/ContactsView.vue';
import CallView from './views/CallView.vue';
import HistoryView from './views/HistoryView.vue';
import MessagesView from './views/MessagesView.vue';
import SettingsView from './views/SettingsView.vue';
import IncomingView from './views/IncomingView.vue';

export const routes = [
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

/** Hash history: the same URLs work from `file://` in Electron and from the bridge. */
export function createAppRouter(history: RouterHistory = createWebHashHistory()) {
  return createRouter({ history, routes });
}
