import { watchEffect } from 'vue';
import { useI18n } from 'vue-i18n';
import { resolveLocale, whenLocaleLoaded, type Locale } from '../i18n/index.ts';
import { useSettingsStore } from '../stores/settings.ts';

/**
 * Applies the theme (`data-theme` on <html>: light, dark, or system = prefers-color-scheme) and
 * the language (the setting, or the OS's) as the settings change.
 */
export function useAppearance() {
  const settings = useSettingsStore();
  const global = useI18n({ useScope: 'global' });
  watchEffect(() => {
    document.documentElement.dataset.theme = settings.theme;
  });
  // A language's words may need fetching first (i18n/index.ts): the last one chosen is shown.
  let wanted: Locale | undefined;
  watchEffect(() => {
    const next = resolveLocale(settings.language);
    wanted = next;
    whenLocaleLoaded(global, next, () => {
      if (wanted !== next) return;
      global.locale.value = next;
      document.documentElement.lang = next;
    });
  });
  return {};
}
