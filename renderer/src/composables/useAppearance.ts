import { watchEffect } from 'vue';
import { useI18n } from 'vue-i18n';
import { resolveLocale } from '../i18n/index.ts';
import { useSettingsStore } from '../stores/settings.ts';

/**
 * Applies the theme (`data-theme` on <html>: light, dark, or system = prefers-color-scheme) and
 * the language (the setting, or the OS's) as the settings change.
 */
export function useAppearance() {
  const settings = useSettingsStore();
  const { locale } = useI18n({ useScope: 'global' });
  watchEffect(() => {
    document.documentElement.dataset.theme = settings.theme;
  });
  watchEffect(() => {
    const next = resolveLocale(settings.language);
    locale.value = next;
    document.documentElement.lang = next;
  });
  return {};
}
