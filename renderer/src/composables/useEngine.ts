import { onUnmounted, ref } from 'vue';
import { useAccountsStore } from '../stores/accounts.ts';
import { useCallsStore } from '../stores/calls.ts';
import { useContactsStore } from '../stores/contacts.ts';
import { useHistoryStore } from '../stores/history.ts';
import { useMessagesStore } from '../stores/messages.ts';
import { useSettingsStore } from '../stores/settings.ts';
import { useShellStore } from '../stores/shell.ts';

/**
 * Connects every store to the engine once, at the root: listeners first (no event is missed
 * between a load and its answer), then the first loads. `available` is false when there is no
 * `window.appel` at all.
 */
export function useEngine() {
  const available = ref(typeof window !== 'undefined' && !!window.appel);
  const problems = ref<string[]>([]);
  const offs: Array<() => void> = [];
  if (available.value) {
    const settings = useSettingsStore();
    const accounts = useAccountsStore();
    const calls = useCallsStore();
    const contacts = useContactsStore();
    const history = useHistoryStore();
    const messages = useMessagesStore();
    const shell = useShellStore();
    for (const s of [settings, accounts, calls, contacts, history, messages, shell]) offs.push(s.listen());
    const loads = [settings.load(), accounts.load(), calls.load(), contacts.load(), history.load(), messages.loadConversations(), shell.load()];
    void Promise.allSettled(loads).then((results) => {
      problems.value = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
    });
  }
  onUnmounted(() => offs.forEach((off) => off()));
  return { available, problems };
}
