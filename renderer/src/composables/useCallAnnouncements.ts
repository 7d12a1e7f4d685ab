import { watch } from 'vue';
import { useI18n } from 'vue-i18n';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { useCallsStore } from '../stores/calls.ts';
import { describeCallChange, type CallAnnouncement } from '../lib/call-announcements.ts';
import { endReasonText } from '../components/call/call-end-reason.ts';
import { announce } from './useAnnouncer.ts';
import { usePeerName } from './usePeerName.ts';
import { useShortcutLabels } from './useShortcutLabels.ts';

/**
 * Says each change of a call through the live regions, in the UI's language: a call ringing
 * here at once, with the keys that answer and decline it; connected, on hold, back, ended
 * politely; and the microphone muted or back on during a call. Used once, at the root.
 */
export function useCallAnnouncements(): void {
  const calls = useCallsStore();
  const { t } = useI18n();
  const { peerName } = usePeerName();
  const { keysOf } = useShortcutLabels();
  /** Each call as last announced, by id. */
  const seen = new Map<string, CallSnapshot>();

  function say(c: CallSnapshot, a: CallAnnouncement): void {
    const name = peerName(c.peer.uri, c.peer.displayName);
    announce(t(`announce.${a.key}`, { name, reason: endReasonText(t, c, (uri) => peerName(uri)) ?? c.endReason ?? '', answer: keysOf('answer'), decline: keysOf('decline') }), a.urgent ? 'assertive' : 'polite');
  }

  watch(
    () => calls.calls.slice(),
    (list) => {
      const here = new Set<string>();
      for (const c of list) {
        here.add(c.id);
        const a = describeCallChange(seen.get(c.id), c);
        if (a) say(c, a);
        seen.set(c.id, c);
      }
      // A call gone from the list has ended; the store keeps the last one's snapshot (its reason).
      for (const [id, prev] of seen) {
        if (here.has(id)) continue;
        seen.delete(id);
        const last: CallSnapshot = calls.lastEnded?.id === id ? calls.lastEnded : { ...prev, state: 'ended' };
        const a = describeCallChange(prev, last);
        if (a) say(last, a);
      }
    },
    { immediate: true },
  );

  watch(
    () => calls.muted,
    (muted) => {
      if (calls.ongoing.length > 0) announce(t(muted ? 'announce.muted' : 'announce.unmuted'));
    },
  );
}
