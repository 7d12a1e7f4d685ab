/**
 * What a person who does not see the screen should hear when a call changes: its key under
 * `announce.` in the i18n messages, and whether it cannot wait (a call ringing here). Pure; the
 * root's composables/useCallAnnouncements.ts says it through the live regions.
 */
import type { CallSnapshot } from '../../../main/contract/api.ts';

export type CallAnnouncementKey = 'incoming' | 'dialing' | 'ringing' | 'connected' | 'resumed' | 'held' | 'heldRemote' | 'heldBoth' | 'ended' | 'endedRemote' | 'endedReason';

export interface CallAnnouncement {
  key: CallAnnouncementKey;
  /** Said at once (the assertive region): only a call ringing here. */
  urgent: boolean;
}

const say = (key: CallAnnouncementKey, urgent = false): CallAnnouncement => ({ key, urgent });

const HELD: Record<NonNullable<CallSnapshot['heldBy']>, CallAnnouncementKey> = { local: 'held', remote: 'heldRemote', both: 'heldBoth' };

const ringingOut = (c: CallSnapshot) => c.direction === 'outgoing' && (c.state === 'ringing' || c.state === 'early');

/**
 * The announcement for a call going from `prev` (undefined: first seen) to `next` (its state
 * `ended` when it is gone), or undefined when nothing worth saying changed (early media after
 * ringing, a snapshot with new statistics).
 */
export function describeCallChange(prev: CallSnapshot | undefined, next: CallSnapshot): CallAnnouncement | undefined {
  if (!prev) {
    if (next.direction === 'incoming' && next.state === 'ringing') return say('incoming', true);
    if (next.state === 'dialing') return say('dialing');
    return ringingOut(next) ? say('ringing') : undefined;
  }
  if (prev.state === next.state) {
    return next.state === 'held' && prev.heldBy !== next.heldBy ? say(HELD[next.heldBy ?? 'local']) : undefined;
  }
  switch (next.state) {
    case 'dialing':
      return say('dialing');
    case 'ringing':
    case 'early':
      return ringingOut(next) && !ringingOut(prev) ? say('ringing') : undefined;
    case 'connected':
      return say(prev.state === 'held' ? 'resumed' : 'connected');
    case 'held':
      return say(HELD[next.heldBy ?? 'local']);
    case 'ended':
      // The reason is worth hearing when the call failed or was refused (a final status of 300 or more).
      if (next.endReason && (next.endStatus ?? 0) >= 300) return say('endedReason');
      return say(next.endedBy === 'remote' ? 'endedRemote' : 'ended');
  }
}
