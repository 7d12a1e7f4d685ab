import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { Settings, SettingsChange } from '../../../main/contract/api.ts';
import { DEFAULT_SETTINGS } from '../../../main/contract/defaults.ts';
import { appel, call } from '../api.ts';

/** What the UI assumes until the engine has answered: the store's own defaults (contract/defaults.ts). */
export { DEFAULT_SETTINGS };

/** The user's settings, kept by the engine's store (`settings:get`/`settings:set`/`settings:changed`). */
export const useSettingsStore = defineStore('settings', () => {
  const stored = ref<Settings>();
  const loaded = ref(false);
  const settings = computed<Settings>(() => stored.value ?? DEFAULT_SETTINGS);
  const language = computed(() => settings.value.language);
  const theme = computed(() => settings.value.theme);

  function apply(next: Settings): void {
    stored.value = next;
  }

  async function load(): Promise<void> {
    apply(await call('settings:get', undefined));
    loaded.value = true;
  }

  /** Saves a change; the engine applies it to the running phone itself (settings:set). */
  async function set(change: SettingsChange): Promise<Settings> {
    const next = await call('settings:set', change);
    apply(next);
    return next;
  }

  function listen(): () => void {
    return appel().on('settings:changed', apply);
  }

  return { stored, loaded, settings, language, theme, apply, load, set, listen };
});
