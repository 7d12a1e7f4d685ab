import { useI18n } from 'vue-i18n';
import { ariaKeyshortcuts, comboKeys, comboText, isMac, shortcut, type ShortcutId } from '../lib/shortcuts.ts';

/**
 * Shortcuts as people read them, in the UI's language: "Ctrl+Shift+A" (Ctrl+Maj+A in French,
 * ⌘⇧A on macOS), a control's tooltip with its shortcut, and the `aria-keyshortcuts` value.
 */
export function useShortcutLabels(mac: boolean = isMac()) {
  const { t } = useI18n();
  const names = () => ({ ctrl: t('shortcuts.modifiers.ctrl'), shift: t('shortcuts.modifiers.shift') });

  /** The first combination of a shortcut, as one string. */
  function keysOf(id: ShortcutId): string {
    return comboText(shortcut(id).keys[0], mac, names());
  }

  /** Every combination of a shortcut, each as its keys (for <kbd> elements). */
  function combosOf(id: ShortcutId): string[][] {
    return shortcut(id).keys.map((k) => comboKeys(k, mac, names()));
  }

  /** A tooltip: "Answer (Ctrl+Shift+A)". */
  function titled(label: string, id: ShortcutId): string {
    return t('shortcuts.titled', { label, keys: keysOf(id) });
  }

  return { keysOf, combosOf, titled, aria: (id: ShortcutId) => ariaKeyshortcuts(id, mac) };
}
