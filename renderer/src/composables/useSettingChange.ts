import { useI18n } from 'vue-i18n';
import type { SettingsChange } from '../../../main/contract/api.ts';
import { useSettingsStore } from '../stores/settings.ts';
import { useToastsStore } from '../stores/toasts.ts';

/** Saves one change of settings; a refusal is said in words (a toast), the old value stays. */
export function useSettingChange() {
  const settings = useSettingsStore();
  const toasts = useToastsStore();
  const { t } = useI18n();
  async function change(c: SettingsChange): Promise<boolean> {
    try {
      await settings.set(c);
      return true;
    } catch (err) {
      toasts.error(t('settings.error', { reason: (err as Error).message }));
      return false;
    }
  }
  return { settings, change };
}
