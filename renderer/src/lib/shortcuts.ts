/**
 * Appel's keyboard shortcuts: what each one does, its keys, and how a key press is matched and
 * a combination written out. Pure: the root's listener (composables/useShortcuts.ts) acts on
 * them, and every place that shows a shortcut reads it here.
 *
 * Call actions take the primary modifier, Shift and a letter (Ctrl+Shift+A, ⌘⇧A on macOS), the
 * pattern call apps made familiar (Microsoft Teams answers with Ctrl+Shift+A, declines with
 * Ctrl+Shift+D, mutes with Ctrl+Shift+M); views take the primary modifier and a digit in the
 * navigation's order, Settings Ctrl+, and help F1 as most desktop apps do. None of them types
 * a character, so they work from any text field, and none is one of Electron's default menu
 * (Ctrl+R, Ctrl+Shift+R, Ctrl+Shift+I, Ctrl+W, Ctrl+Q, Ctrl+0, Ctrl+±, the editing keys) or of
 * text editing (Ctrl+Shift+arrows, Ctrl+Shift+Z, Ctrl+Shift+V, Linux input methods' Ctrl+Shift+U).
 */

export type ShortcutId =
  | 'answer'
  | 'decline'
  | 'hangup'
  | 'mute'
  | 'hold'
  | 'transfer'
  | 'dialpad'
  | 'call'
  | 'contacts'
  | 'history'
  | 'messages'
  | 'settings'
  | 'search'
  | 'help';

export type ShortcutGroup = 'calls' | 'views' | 'help';

export interface KeyCombo {
  /** The primary modifier: Ctrl, or ⌘ on macOS. */
  mod?: boolean;
  shift?: boolean;
  /**
   * A letter `a`–`z` (the character the layout types, so the letter printed on the key counts on
   * AZERTY too; the key's position on a non-Latin layout), a digit `0`–`9` (the key's position:
   * AZERTY types `&` for Ctrl+1), or a key by its name (`F1`, `,`, `/`; Shift not checked, some
   * layouts need it to type them).
   */
  key: string;
}

export interface Shortcut {
  id: ShortcutId;
  group: ShortcutGroup;
  /** The first is the one shown beside a control; all of them work. */
  keys: readonly KeyCombo[];
}

const callKey = (key: string): KeyCombo[] => [{ mod: true, shift: true, key }];
const viewKey = (key: string): KeyCombo[] => [{ mod: true, key }];

export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'answer', group: 'calls', keys: callKey('a') },
  { id: 'decline', group: 'calls', keys: callKey('d') },
  { id: 'hangup', group: 'calls', keys: callKey('h') },
  { id: 'mute', group: 'calls', keys: callKey('m') },
  // P for pause: the hold button shows the pause sign.
  { id: 'hold', group: 'calls', keys: callKey('p') },
  { id: 'transfer', group: 'calls', keys: callKey('t') },
  { id: 'dialpad', group: 'views', keys: viewKey('1') },
  { id: 'call', group: 'views', keys: viewKey('2') },
  { id: 'contacts', group: 'views', keys: viewKey('3') },
  { id: 'history', group: 'views', keys: viewKey('4') },
  { id: 'messages', group: 'views', keys: viewKey('5') },
  { id: 'settings', group: 'views', keys: viewKey(',') },
  { id: 'search', group: 'views', keys: viewKey('f') },
  { id: 'help', group: 'help', keys: [{ key: 'F1' }, { mod: true, key: '/' }] },
];

export const SHORTCUT_GROUPS: readonly ShortcutGroup[] = ['calls', 'views', 'help'];

export function shortcut(id: ShortcutId): Shortcut {
  return SHORTCUTS.find((s) => s.id === id)!;
}

/** macOS takes ⌘ where the others take Ctrl. */
export function isMac(platform: string = typeof navigator === 'undefined' ? '' : navigator.platform || navigator.userAgent): boolean {
  return /Mac|iPhone|iPad/i.test(platform);
}

/** The fields of a KeyboardEvent the matching reads (a plain object in tests). */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/** The letter a press names: the character typed when it is a Latin letter, else the key's position. */
function letterOf(e: KeyPress): string {
  if (/^[a-z]$/i.test(e.key)) return e.key.toLowerCase();
  return /^Key[A-Z]$/.test(e.code) ? e.code.slice(3).toLowerCase() : '';
}

export function matchesCombo(combo: KeyCombo, e: KeyPress, mac: boolean): boolean {
  const mod = mac ? e.metaKey : e.ctrlKey;
  const otherMod = mac ? e.ctrlKey : e.metaKey;
  // Alt is never ours: Ctrl+Alt is AltGr on Windows, which types characters.
  if (!!combo.mod !== mod || otherMod || e.altKey) return false;
  const { key } = combo;
  if (/^[a-z]$/.test(key)) return !!combo.shift === e.shiftKey && letterOf(e) === key;
  if (/^[0-9]$/.test(key)) return !!combo.shift === e.shiftKey && (e.code === `Digit${key}` || e.code === `Numpad${key}` || (e.code === '' && e.key === key));
  return e.key === key;
}

/** The shortcut a key press means, if any. */
export function matchShortcut(e: KeyPress, mac: boolean = isMac()): ShortcutId | undefined {
  return SHORTCUTS.find((s) => s.keys.some((k) => matchesCombo(k, e, mac)))?.id;
}

/** The words for the modifiers, in the UI's language (French keyboards print Maj for Shift). */
export interface ModifierNames {
  ctrl: string;
  shift: string;
}

/** A combination as printed on the keys: ['Ctrl', 'Shift', 'A'], or ['⌘', '⇧', 'A'] on macOS. */
export function comboKeys(combo: KeyCombo, mac: boolean, names: ModifierNames): string[] {
  const keys: string[] = [];
  if (combo.mod) keys.push(mac ? '⌘' : names.ctrl);
  if (combo.shift) keys.push(mac ? '⇧' : names.shift);
  keys.push(combo.key.length === 1 ? combo.key.toUpperCase() : combo.key);
  return keys;
}

/** A combination as one string: "Ctrl+Shift+A", or "⌘⇧A" on macOS. */
export function comboText(combo: KeyCombo, mac: boolean, names: ModifierNames): string {
  return comboKeys(combo, mac, names).join(mac ? '' : '+');
}

/** A shortcut's value for `aria-keyshortcuts` (WAI-ARIA 1.2: "Control+Shift+A", several separated by spaces). */
export function ariaKeyshortcuts(id: ShortcutId, mac: boolean = isMac()): string {
  return shortcut(id)
    .keys.map((c) => [...(c.mod ? [mac ? 'Meta' : 'Control'] : []), ...(c.shift ? ['Shift'] : []), c.key.length === 1 ? c.key.toUpperCase() : c.key].join('+'))
    .join(' ');
}
