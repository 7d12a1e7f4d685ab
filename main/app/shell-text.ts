/**
 * The few words the shell itself shows (tray menu and tooltip, notifications), in English and
 * French like the renderer; the language follows the settings, else the system's.
 */
import type { Settings } from '../contract/api.ts';

export type ShellLanguage = 'en' | 'fr';
export type TrayState = 'registered' | 'failing' | 'offline' | 'dnd';

export interface ShellText {
  open: string;
  doNotDisturb: string;
  quit: string;
  missedCalls(n: number): string;
  state: Record<TrayState, string>;
  incomingTitle: string;
  incomingBody(who: string): string;
  /** The same, for a call that offers video (answered with or without it in the incoming window). */
  incomingVideoTitle: string;
  incomingVideoBody(who: string): string;
  answer: string;
  decline: string;
  missedTitle: string;
  missedBody(who: string): string;
}

export const TEXT: Record<ShellLanguage, ShellText> = {
  en: {
    open: 'Open Appel',
    doNotDisturb: 'Do not disturb',
    quit: 'Quit Appel',
    missedCalls: (n) => (n === 1 ? '1 missed call' : `${n} missed calls`),
    state: { registered: 'Ready for calls', failing: 'Registration failing', offline: 'Offline', dnd: 'Do not disturb' },
    incomingTitle: 'Incoming call',
    incomingBody: (who) => `${who} is calling`,
    incomingVideoTitle: 'Incoming video call',
    incomingVideoBody: (who) => `${who} is calling with video`,
    answer: 'Answer',
    decline: 'Decline',
    missedTitle: 'Missed call',
    missedBody: (who) => `You missed a call from ${who}`,
  },
  fr: {
    open: 'Ouvrir Appel',
    doNotDisturb: 'Ne pas déranger',
    quit: 'Quitter Appel',
    missedCalls: (n) => (n === 1 ? '1 appel manqué' : `${n} appels manqués`),
    state: { registered: 'Prêt pour les appels', failing: 'Échec de l’enregistrement', offline: 'Hors ligne', dnd: 'Ne pas déranger' },
    incomingTitle: 'Appel entrant',
    incomingBody: (who) => `${who} vous appelle`,
    incomingVideoTitle: 'Appel vidéo entrant',
    incomingVideoBody: (who) => `${who} vous appelle en vidéo`,
    answer: 'Répondre',
    decline: 'Refuser',
    missedTitle: 'Appel manqué',
    missedBody: (who) => `Appel manqué de ${who}`,
  },
};

/** The settings' language, or the system locale's (`fr-CA` → fr), English otherwise. */
export function shellLanguage(setting: Settings['language'], systemLocale: string): ShellLanguage {
  if (setting === 'en' || setting === 'fr') return setting;
  return /^fr\b/i.test(systemLocale) ? 'fr' : 'en';
}
