import { createI18n, type Composer } from 'vue-i18n';
import { en, type Messages } from './en.ts';
import { plainTextCompiler } from './plain-text.ts';

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * The catalogues but English, each its own chunk, fetched the first time its language is shown:
 * the first screen evaluates one catalogue, not all. English, the fallback, is always in.
 */
const CATALOGUES: Record<Exclude<Locale, 'en'>, () => Promise<Messages>> = {
  fr: async () => (await import('./fr.ts')).fr,
};

/** The OS language (navigator.languages follows it in Electron and in browsers), else English. */
export function systemLocale(languages: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages): Locale {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(base)) return base as Locale;
  }
  return 'en';
}

/** The tag dates and numbers use: the system's own (`en-GB`, `fr-CA`) when it is in the UI's language. */
export function formatLocale(ui: string, languages: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages): string {
  return languages.find((tag) => tag.toLowerCase().split('-')[0] === ui) ?? ui;
}

export function resolveLocale(setting: 'system' | Locale): Locale {
  return setting === 'system' ? systemLocale() : setting;
}

/** Keys asked for but missing (the end-to-end test reads these from the page). */
export const missingKeys = new Set<string>();

/** Makes `locale`'s catalogue available (fetched once); resolves when its words can be shown. */
export async function loadLocale(global: Pick<Composer, 'availableLocales' | 'setLocaleMessage'>, locale: Locale): Promise<void> {
  if (locale === 'en' || global.availableLocales.includes(locale)) return;
  global.setLocaleMessage(locale, await CATALOGUES[locale]());
}

/**
 * Calls `show` once `locale`'s catalogue is in: at once when it is already (no flash of the
 * previous language), else when it has been fetched.
 */
export function whenLocaleLoaded(global: Pick<Composer, 'availableLocales' | 'setLocaleMessage'>, locale: Locale, show: () => void): void {
  if (locale === 'en' || global.availableLocales.includes(locale)) show();
  else void loadLocale(global, locale).then(show);
}

/** The app's i18n, showing `locale` (its catalogue fetched first when it is not English). */
export async function createAppI18n(locale: Locale = systemLocale()) {
  const i18n = createI18n({
    legacy: false,
    locale: 'en',
    fallbackLocale: 'en',
    messages: { en } as Record<Locale, Messages>,
    // The built page has no message compiler of vue-i18n's (vite.config.ts): its own stands in.
    // Elsewhere (the renderer's tests), vue-i18n compiles the catalogues' strings as it runs.
    ...(typeof __INTLIFY_DROP_MESSAGE_COMPILER__ !== 'undefined' && __INTLIFY_DROP_MESSAGE_COMPILER__ ? { messageCompiler: plainTextCompiler } : {}),
    missingWarn: false,
    fallbackWarn: false,
    missing: (loc, key) => {
      missingKeys.add(`${loc}:${key}`);
      return key;
    },
  });
  await loadLocale(i18n.global, locale);
  i18n.global.locale.value = locale;
  return i18n;
}
