import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { AppLink, AppNotice, AppStatus } from '../../../main/contract/api.ts';
import { appel, call } from '../api.ts';

/**
 * What the desktop shell tells the page about the app itself: notices in words (`app:status`: a
 * damaged database, no keychain…) shown as a dismissible banner, and the last `sip:`/`tel:` link
 * opened with Appel (`app:link`), which the root puts in the dialpad.
 */
export const useShellStore = defineStore('shell', () => {
  const notices = ref<AppNotice[]>([]);
  /** Notices the person closed, by id and time: the same notice raised again later shows again. */
  const dismissed = ref<Record<string, number>>({});
  /** The last link opened, with a serial so the same link opened twice is seen twice. */
  const link = ref<AppLink & { serial: number }>();
  let serial = 0;

  const visible = computed(() => notices.value.filter((n) => dismissed.value[n.id] !== n.time));

  function applyStatus(status: AppStatus): void {
    notices.value = status.notices;
  }

  function applyLink(l: AppLink): void {
    link.value = { ...l, serial: ++serial };
  }

  function dismiss(id: string): void {
    const n = notices.value.find((x) => x.id === id);
    if (n) dismissed.value = { ...dismissed.value, [id]: n.time };
  }

  async function load(): Promise<void> {
    applyStatus(await call('app:status', undefined));
  }

  function listen(): () => void {
    const offs = [appel().on('app:status', applyStatus), appel().on('app:link', applyLink)];
    return () => offs.forEach((off) => off());
  }

  return { notices, dismissed, visible, link, applyStatus, applyLink, dismiss, load, listen };
});
