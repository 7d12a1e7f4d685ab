/**
 * The tray icon: its picture says the registration state (registered, failing, offline, do not
 * disturb), its tooltip says it in words with the missed calls, its menu opens Appel, toggles do
 * not disturb, and quits. The pure parts (state, tooltip, menu template) are tested in Node; the
 * Electron objects are injected by main.ts.
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import { join } from 'node:path';
import type { AccountSnapshot } from '../contract/api.ts';
import type { ShellText, TrayState } from './shell-text.ts';

export type { TrayState } from './shell-text.ts';

/**
 * Do not disturb first; then no account or none registering at all: offline; any account whose
 * registration failed: failing; any registered: registered; still trying: offline.
 */
export function trayState(accounts: readonly AccountSnapshot[], doNotDisturb: boolean): TrayState {
  if (doNotDisturb) return 'dnd';
  if (accounts.some((a) => a.state === 'failed')) return 'failing';
  if (accounts.some((a) => a.state === 'registered')) return 'registered';
  return 'offline';
}

export function trayTooltip(text: ShellText, state: TrayState, missed: number): string {
  return ['Appel', text.state[state], ...(missed > 0 ? [text.missedCalls(missed)] : [])].join(' — ');
}

export interface TrayMenuActions {
  open(): void;
  setDoNotDisturb(on: boolean): void;
  quit(): void;
}

export function trayMenuTemplate(text: ShellText, opts: { doNotDisturb: boolean; missed: number }, actions: TrayMenuActions): MenuItemConstructorOptions[] {
  return [
    { label: opts.missed > 0 ? `${text.open} (${text.missedCalls(opts.missed)})` : text.open, click: () => actions.open() },
    { label: text.doNotDisturb, type: 'checkbox', checked: opts.doNotDisturb, click: (item) => actions.setDoNotDisturb(item.checked) },
    { type: 'separator' },
    { label: text.quit, click: () => actions.quit() },
  ];
}

/** The icon file of a state (PNG with an @2x beside it, found by nativeImage). */
export function trayIconPath(assets: string, state: TrayState): string {
  return join(assets, 'tray', `${state}.png`);
}

export interface AppTrayDeps {
  Tray: new (image: NativeImage) => Tray;
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  image: (path: string) => NativeImage;
  assets: string;
  /** Missed-call badge on the dock / launcher (app.setBadgeCount), where the system has one. */
  setBadge?: (n: number) => void;
}

export interface TrayView {
  accounts: readonly AccountSnapshot[];
  doNotDisturb: boolean;
  missed: number;
  text: ShellText;
}

/** The tray, redrawn from a view of the state whenever it changes. */
export class AppTray {
  readonly #deps: AppTrayDeps;
  readonly #actions: TrayMenuActions;
  readonly #tray: Tray;
  #shown: string | undefined;

  constructor(deps: AppTrayDeps, actions: TrayMenuActions, view: TrayView) {
    this.#deps = deps;
    this.#actions = actions;
    this.#tray = new deps.Tray(deps.image(trayIconPath(deps.assets, trayState(view.accounts, view.doNotDisturb))));
    this.#tray.on('click', () => actions.open());
    this.update(view);
  }

  update(view: TrayView): void {
    const state = trayState(view.accounts, view.doNotDisturb);
    const key = JSON.stringify([state, view.doNotDisturb, view.missed, view.text.open]);
    if (key === this.#shown) return;
    this.#shown = key;
    this.#tray.setImage(this.#deps.image(trayIconPath(this.#deps.assets, state)));
    this.#tray.setToolTip(trayTooltip(view.text, state, view.missed));
    this.#tray.setContextMenu(this.#deps.buildMenu(trayMenuTemplate(view.text, { doNotDisturb: view.doNotDisturb, missed: view.missed }, this.#actions)));
    this.#deps.setBadge?.(view.missed);
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
