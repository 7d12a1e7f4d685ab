/**
 * The page's router: hash URLs (`#/contacts/a1?edit=1`) to views, in the part of vue-router's API
 * the app uses (`useRoute`, `useRouter().push`, `<RouterLink>`, `<RouterView>`, `isReady`).
 *
 * Why not vue-router: the first screen is the dialpad, and vue-router cost it on every start its
 * code (a sixth of the first chunk's), a synchronous read of sessionStorage when its module loads
 * (scroll positions; the first read of a storage area waits on the browser process, 20–90 ms on a
 * busy machine), a `history.replaceState` to tag the entry, and an asynchronous first navigation,
 * so that the dialpad was drawn in a second pass after the shell. Here the first route is known
 * when the router is made, and the shell and the dialpad are drawn in one pass.
 *
 * What it does, as vue-router did for these routes:
 * - paths with named segments, `:name` and optional `:name?`, and a catch-all `:rest(.*)*`;
 *   a segment's value is decoded (`/messages/sip%3Aa%40b` → `params.peer === 'sip:a@b'`);
 * - `redirect` records; a query (`?to=…`) read into `route.query` (strings);
 * - a view given as `() => import(…)` is fetched before the navigation ends: the route changes
 *   with its view ready, and a newer navigation started meanwhile wins;
 * - `<RouterLink>`: an `<a href="#/…">`, `router-link-active` when the current route is its
 *   record with its params (`/settings` is active on `/settings/accounts`),
 *   `router-link-exact-active` and `aria-current="page"` when it is the same path.
 */
import { defineComponent, h, inject, shallowReactive, shallowRef, type App, type Component, type InjectionKey, type PropType, type ShallowRef } from 'vue';

/** A view, or the function that fetches it (a chunk of its own). */
export type RouteComponent = Component | (() => Promise<{ default: Component }>);

export interface RouteRecord {
  path: string;
  name?: string;
  component?: RouteComponent;
  redirect?: string;
  meta?: Record<string, unknown>;
}

export type LocationQuery = Record<string, string>;

export interface Route {
  /** The path without its query (`/contacts/a1`). */
  path: string;
  /** The path and its query, as pushed (`/contacts/a1?edit=1`). */
  fullPath: string;
  name: string | undefined;
  params: Record<string, string>;
  query: LocationQuery;
  meta: Record<string, unknown>;
}

export type RouteLocation = string | { path: string; query?: Record<string, string | undefined> };

/** Where the router reads and writes the current location. */
export interface RouterHistory {
  /** The current location (`/path?query`). */
  readonly location: string;
  push(to: string): void;
  replace(to: string): void;
  /** Calls `cb` with the new location when it changes outside the router (back, a typed hash). */
  listen(cb: (to: string) => void): () => void;
}

/** `location.hash` as the location: the same URLs work from `file://`, `app://` and the bridge. */
export function createWebHashHistory(): RouterHistory {
  const read = () => {
    const hash = location.hash.slice(1);
    return hash.startsWith('/') ? hash : `/${hash}`;
  };
  const url = (to: string) => `${location.pathname}${location.search}#${to}`;
  return {
    get location() {
      return read();
    },
    push: (to) => history.pushState(null, '', url(to)),
    replace: (to) => history.replaceState(null, '', url(to)),
    listen(cb) {
      const changed = () => cb(read());
      // A typed hash fires both; back and forward fire `popstate` (and `hashchange` across entries).
      window.addEventListener('popstate', changed);
      window.addEventListener('hashchange', changed);
      return () => {
        window.removeEventListener('popstate', changed);
        window.removeEventListener('hashchange', changed);
      };
    },
  };
}

/** A location held in memory (tests). */
export function createMemoryHistory(start = '/'): RouterHistory {
  let current = start;
  return {
    get location() {
      return current;
    },
    push: (to) => void (current = to),
    replace: (to) => void (current = to),
    listen: () => () => undefined,
  };
}

interface Matcher {
  record: RouteRecord;
  pattern: RegExp;
  keys: string[];
}

/** `/a/:id?` and `/:rest(.*)*` to a regular expression and its parameters' names. */
function compile(record: RouteRecord): Matcher {
  const keys: string[] = [];
  let source = '';
  for (const segment of record.path.split('/').slice(1)) {
    const m = /^:(\w+)(\(\.\*\)\*|\?)?$/.exec(segment);
    if (!m) source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    else {
      keys.push(m[1]);
      if (m[2] === '(.*)*') source += '(?:/(.*))?';
      else if (m[2] === '?') source += '(?:/([^/]+))?';
      else source += '/([^/]+)';
    }
  }
  return { record, pattern: new RegExp(`^${source || '/'}/?$`, 'i'), keys };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseQuery(search: string): LocationQuery {
  const query: LocationQuery = {};
  for (const pair of search.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    const key = decode((at < 0 ? pair : pair.slice(0, at)).replace(/\+/g, ' '));
    query[key] = at < 0 ? '' : decode(pair.slice(at + 1).replace(/\+/g, ' '));
  }
  return query;
}

/** A query value in a URL: what must be escaped is, `:`, `@` and `/` stay readable (as vue-router writes them). */
function encodeQuery(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/%3A/gi, ':')
    .replace(/%40/g, '@')
    .replace(/%2F/gi, '/');
}

function fullPathOf(to: RouteLocation): string {
  if (typeof to === 'string') return to.startsWith('/') ? to : `/${to}`;
  const pairs = Object.entries(to.query ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [`${encodeQuery(k)}=${encodeQuery(v)}`]));
  return pairs.length > 0 ? `${to.path}?${pairs.join('&')}` : to.path;
}

export interface Router {
  /** The route now shown. */
  readonly currentRoute: ShallowRef<Route>;
  /** Resolves a location against the routes (redirects followed); undefined when nothing matches. */
  resolve(to: RouteLocation): { route: Route; record: RouteRecord } | undefined;
  /** Moves to `to` (a new history entry); resolves when its view is shown. */
  push(to: RouteLocation): Promise<void>;
  /** As `push`, replacing the current entry. */
  replace(to: RouteLocation): Promise<void>;
  /** Resolves once the first route is shown. */
  isReady(): Promise<void>;
  install(app: App): void;
}

const ROUTER: InjectionKey<Router> = Symbol('router');
const ROUTE: InjectionKey<Route> = Symbol('route');

export interface RouterOptions {
  history: RouterHistory;
  routes: RouteRecord[];
}

export function createRouter(opts: RouterOptions): Router {
  const matchers = opts.routes.map(compile);
  const { history } = opts;
  /** Views fetched so far, by their loader. */
  const loaded = new Map<RouteComponent, Component>();

  function resolve(to: RouteLocation, hops = 0): { route: Route; record: RouteRecord } | undefined {
    const fullPath = fullPathOf(to);
    const q = fullPath.indexOf('?');
    const path = q < 0 ? fullPath : fullPath.slice(0, q);
    for (const { record, pattern, keys } of matchers) {
      const m = pattern.exec(path);
      if (!m) continue;
      if (record.redirect !== undefined) return hops < 8 ? resolve(record.redirect, hops + 1) : undefined;
      const params: Record<string, string> = {};
      keys.forEach((key, i) => {
        if (m[i + 1] !== undefined) params[key] = decode(m[i + 1]);
      });
      const route: Route = { path, fullPath, name: record.name, params, query: q < 0 ? {} : parseQuery(fullPath.slice(q + 1)), meta: record.meta ?? {} };
      return { route, record };
    }
    return undefined;
  }

  const isLoader = (c: RouteComponent | undefined): c is () => Promise<{ default: Component }> => typeof c === 'function';

  /** The record's view when it is in, else undefined. */
  const viewOf = (record: RouteRecord | undefined): Component | undefined => (record?.component && isLoader(record.component) ? loaded.get(record.component) : record?.component);

  const first = resolve(history.location) ?? resolve('/');
  if (!first) throw new Error('router: no route for / (add a redirect or a record)');
  const currentRoute = shallowRef<Route>(first.route);
  /** The view now shown (undefined until a fetched one is in). */
  const currentView = shallowRef<Component | undefined>(viewOf(first.record));
  /** The route as components see it: one reactive object whose fields follow the current route. */
  const reactiveRoute = shallowReactive<Route>({ ...first.route });
  let serial = 0;

  function show(route: Route, view: Component | undefined): void {
    currentRoute.value = route;
    currentView.value = view;
    Object.assign(reactiveRoute, route);
  }

  async function navigate(to: RouteLocation, write: 'push' | 'replace' | 'none'): Promise<void> {
    const mine = ++serial;
    const target = resolve(to);
    if (!target) return;
    let view = viewOf(target.record);
    const loader = target.record.component;
    if (!view && isLoader(loader)) {
      view = (await loader()).default;
      loaded.set(loader, view);
      if (mine !== serial) return; // a newer navigation started while this view loaded
    }
    const asked = fullPathOf(to);
    if (write !== 'none' && target.route.fullPath !== history.location) {
      // A redirect replaces the entry it came from, as the address asked for was never shown.
      if (write === 'push' && asked === target.route.fullPath) history.push(target.route.fullPath);
      else history.replace(target.route.fullPath);
    } else if (write === 'none' && asked !== target.route.fullPath) history.replace(target.route.fullPath);
    if (target.route.fullPath !== currentRoute.value.fullPath || view !== currentView.value) show(target.route, view);
  }

  // The first route: shown at once when its view is in the page; else fetched.
  const ready = currentView.value ? Promise.resolve() : navigate(history.location, 'none');
  if (currentView.value && first.route.fullPath !== history.location) history.replace(first.route.fullPath);
  history.listen((to) => void navigate(to, 'none'));

  const router: Router = {
    currentRoute,
    resolve,
    push: (to) => navigate(to, 'push'),
    replace: (to) => navigate(to, 'replace'),
    isReady: () => ready,
    install(app) {
      app.provide(ROUTER, router);
      app.provide(ROUTE, reactiveRoute);
      app.provide(VIEW, currentView);
      app.component('RouterLink', RouterLink);
      app.component('RouterView', RouterView);
    },
  };
  return router;
}

const VIEW: InjectionKey<ShallowRef<Component | undefined>> = Symbol('view');

export function useRouter(): Router {
  const router = inject(ROUTER);
  if (!router) throw new Error('useRouter: no router installed');
  return router;
}

/** The current route, reactive field by field (`route.query.to` in a watcher or a template). */
export function useRoute(): Route {
  const route = inject(ROUTE);
  if (!route) throw new Error('useRoute: no router installed');
  return route;
}

/** The current route's view. */
export const RouterView = defineComponent({
  name: 'RouterView',
  setup() {
    const view = inject(VIEW);
    return () => (view?.value ? h(view.value) : null);
  },
});

/** A link to a route: `<a href="#/path">`, following it in the page; marked when it is the current route. */
export const RouterLink = defineComponent({
  name: 'RouterLink',
  props: { to: { type: [String, Object] as PropType<RouteLocation>, required: true } },
  setup(props, { slots }) {
    const router = useRouter();
    const route = useRoute();
    const follow = (e: MouseEvent) => {
      // A new tab or window, or another button: the browser's.
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.altKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      void router.push(props.to);
    };
    return () => {
      const target = router.resolve(props.to);
      const fullPath = target?.route.fullPath ?? fullPathOf(props.to);
      const active = !!target && target.route.name === route.name && Object.entries(target.route.params).every(([k, v]) => route.params[k] === v);
      const exact = active && target.route.path === route.path;
      return h(
        'a',
        {
          href: `#${fullPath}`,
          class: { 'router-link-active': active, 'router-link-exact-active': exact },
          'aria-current': exact ? 'page' : undefined,
          onClick: follow,
        },
        slots.default?.(),
      );
    };
  },
});

declare module 'vue' {
  interface GlobalComponents {
    RouterLink: typeof RouterLink;
    RouterView: typeof RouterView;
  }
}
