import { nextTick, onMounted, onUnmounted } from 'vue';
import { useRouter } from '../lib/router.ts';
import { useI18n } from 'vue-i18n';
import { useCallsStore } from '../stores/calls.ts';
import { useKeyboardStore } from '../stores/keyboard.ts';
import { useToastsStore } from '../stores/toasts.ts';
import { isMac, matchShortcut, type ShortcutId } from '../lib/shortcuts.ts';
import { announce } from './useAnnouncer.ts';

const VIEWS: Partial<Record<ShortcutId, string>> = { dialpad: '/dialpad', call: '/call', contacts: '/contacts', history: '/history', messages: '/messages', settings: '/settings' };
const CALL_ACTIONS = new Set<ShortcutId>(['answer', 'decline', 'hangup', 'mute', 'hold', 'transfer']);

const modalOpen = () => document.querySelector('[aria-modal="true"]') !== null;

/**
 * The keyboard shortcuts (lib/shortcuts.ts), heard on the whole window from the root. Call
 * actions work wherever focus is, a dialog included; moving between views and the list of
 * shortcuts wait until no modal dialog is open. A call shortcut with no call to act on says so
 * through the live region: someone who does not see the screen hears why nothing happened.
 *
 * `bare`: the incoming-call window, where only the call actions apply and answering stays put
 * (the shell brings the main window forward with the call).
 */
export function useShortcuts(opts: { bare: () => boolean; mac?: boolean }) {
  const calls = useCallsStore();
  const keyboard = useKeyboardStore();
  const toasts = useToastsStore();
  const router = useRouter();
  const { t } = useI18n();
  const mac = opts.mac ?? isMac();

  /** The ringing call a shortcut answers: the one the window shows (the newest in the incoming-call window). */
  const ringing = () => (opts.bare() ? calls.ringing.at(-1) : calls.ringing[0]);
  /** The call mute, hold and transfer act on: the one on the call screen, once answered. */
  const inCall = () => {
    const c = calls.active;
    return c && (c.state === 'connected' || c.state === 'held') ? c : undefined;
  };
  const none = (key: 'noIncoming' | 'noCall') => announce(t(`announce.${key}`));

  async function act(id: ShortcutId): Promise<void> {
    switch (id) {
      case 'answer': {
        const c = ringing();
        if (!c) return none('noIncoming');
        await calls.answer(c.id);
        if (!opts.bare()) await router.push('/call');
        return;
      }
      case 'decline': {
        const c = ringing();
        return c ? calls.decline(c.id) : none('noIncoming');
      }
      case 'hangup': {
        // The Hang up button's own path: in a conference it asks first, on the call screen.
        const done = await calls.hangupActive();
        if (done === 'none') return none('noCall');
        if (done === 'asked' && !opts.bare()) await router.push('/call');
        return;
      }
      case 'mute':
        return inCall() ? calls.toggleMute() : none('noCall');
      case 'hold': {
        const c = inCall();
        if (!c) return none('noCall');
        return c.state === 'held' ? calls.resume(c.id) : calls.hold(c.id);
      }
      case 'transfer':
        if (!inCall()) return none('noCall');
        keyboard.transferWanted = true;
        await router.push('/call');
        return;
      case 'help':
        keyboard.helpOpen = !keyboard.helpOpen;
        return;
      case 'search':
        await router.push('/contacts');
        await nextTick();
        document.getElementById('contacts-search')?.focus();
        return;
      default:
        await router.push(VIEWS[id]!);
    }
  }

  function onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.isComposing) return;
    const id = matchShortcut(e, mac);
    if (!id) return;
    const callAction = CALL_ACTIONS.has(id);
    if (!callAction && (opts.bare() || (modalOpen() && !(id === 'help' && keyboard.helpOpen)))) return;
    e.preventDefault();
    if (e.repeat) return;
    act(id).catch((err: Error) => toasts.error(t('call.failed', { reason: err.message })));
  }

  onMounted(() => window.addEventListener('keydown', onKey));
  onUnmounted(() => window.removeEventListener('keydown', onKey));
  return {};
}
