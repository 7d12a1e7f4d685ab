import { createI18n } from 'vue-i18n';
import { en } from './en.ts';
import { fr } from './fr.ts';

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];
export const messages = { en, fr };

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

export function createAppI18n(locale: Locale = systemLocale()) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages,
    missingWarn: false,
    fallbackWarn: false,
    missing: (loc, key) => {
      missingKeys.add(`${loc}:${key}`);
      return key;
    },
  });
}
