import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick } from 'vue';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import AppAnnouncer from '../../../renderer/src/components/app/AppAnnouncer.vue';
import { announce, clearAnnouncements, useAnnouncer } from '../../../renderer/src/composables/useAnnouncer.ts';
import { useCallAnnouncements } from '../../../renderer/src/composables/useCallAnnouncements.ts';
import { describeCallChange } from '../../../renderer/src/lib/call-announcements.ts';
import { useCallsStore } from '../../../renderer/src/stores/calls.ts';
import { flushPromises, mountWith } from './mount.ts';

const mounted: Array<{ unmount(): void }> = [];

afterEach(() => {
  for (const w of mounted.splice(0)) w.unmount();
  document.body.innerHTML = '';
  clearAnnouncements();
});

describe('the live regions (useAnnouncer, AppAnnouncer)', () => {
  it('are there from the start, one polite and one assertive, both read whole', async () => {
    const { wrapper } = await mountWith(AppAnnouncer);
    mounted.push(wrapper);
    const politeEl = wrapper.get('[data-testid=announce-polite]');
    const assertiveEl = wrapper.get('[data-testid=announce-assertive]');
    expect(politeEl.attributes()).toMatchObject({ role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    expect(assertiveEl.attributes()).toMatchObject({ 'aria-live': 'assertive', 'aria-atomic': 'true' });
    expect(politeEl.text()).toBe('');
    announce('Connected to Bob.');
    announce('Incoming call from Carol.', 'assertive');
    await flushPromises();
    expect(politeEl.text()).toBe('Connected to Bob.');
    expect(assertiveEl.text()).toBe('Incoming call from Carol.');
  });

  it('reads what was said in the same moment as one sentence, in order', async () => {
    const { polite } = useAnnouncer();
    announce('The call with Bob is on hold.');
    announce('Connected to Carol.');
    await flushPromises();
    expect(polite.value).toBe('The call with Bob is on hold. Connected to Carol.');
  });

  it('says the same words twice as two changes (a screen reader reads a region only when it changes)', async () => {
    const { polite } = useAnnouncer();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      announce('No call is ringing.');
      await flushPromises();
      seen.push(polite.value);
    }
    expect(seen.map((s) => s.trim())).toEqual(['No call is ringing.', 'No call is ringing.', 'No call is ringing.']);
    expect(seen[1]).not.toBe(seen[0]);
    expect(seen[2]).not.toBe(seen[1]);
  });
});

const bob = (over: Partial<CallSnapshot> = {}): CallSnapshot => ({
  id: 'c1',
  direction: 'outgoing',
  peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' },
  state: 'dialing',
  srtp: false,
  startedAt: 1000,
  ...over,
});
const incoming = (over: Partial<CallSnapshot> = {}) => bob({ direction: 'incoming', state: 'ringing', ...over });

describe('describeCallChange: what is worth saying', () => {
  it.each([
    ['a call ringing here, at once', undefined, incoming(), { key: 'incoming', urgent: true }],
    ['a call placed', undefined, bob(), { key: 'dialing', urgent: false }],
    ['the other phone ringing', bob(), bob({ state: 'early' }), { key: 'ringing', urgent: false }],
    ['ringing after early media: nothing new', bob({ state: 'early' }), bob({ state: 'ringing' }), undefined],
    ['answered (outgoing)', bob({ state: 'ringing' }), bob({ state: 'connected' }), { key: 'connected', urgent: false }],
    ['answered (incoming)', incoming(), incoming({ state: 'connected' }), { key: 'connected', urgent: false }],
    ['put on hold here', bob({ state: 'connected' }), bob({ state: 'held', heldBy: 'local' }), { key: 'held', urgent: false }],
    ['put on hold there', bob({ state: 'connected' }), bob({ state: 'held', heldBy: 'remote' }), { key: 'heldRemote', urgent: false }],
    ['held on both sides', bob({ state: 'held', heldBy: 'local' }), bob({ state: 'held', heldBy: 'both' }), { key: 'heldBoth', urgent: false }],
    ['back from hold', bob({ state: 'held', heldBy: 'local' }), bob({ state: 'connected' }), { key: 'resumed', urgent: false }],
    ['new statistics, same state: nothing', bob({ state: 'connected' }), bob({ state: 'connected', codec: 'opus' }), undefined],
    ['we hung up', bob({ state: 'connected' }), bob({ state: 'ended', endedBy: 'local', endReason: 'call ended' }), { key: 'ended', urgent: false }],
    ['they hung up', bob({ state: 'connected' }), bob({ state: 'ended', endedBy: 'remote', endReason: 'BYE' }), { key: 'endedRemote', urgent: false }],
    ['refused, with the reason', bob(), bob({ state: 'ended', endedBy: 'remote', endStatus: 486, endReason: 'busy (486 Busy Here)' }), { key: 'endedReason', urgent: false }],
  ] as const)('%s', (_what, prev, next, expected) => {
    expect(describeCallChange(prev, next)).toEqual(expected);
  });
});

/** The root's announcer alone, over the real calls store (its `apply` as the engine's events use it). */
async function hear(locale: 'en' | 'fr' = 'en') {
  const Harness = defineComponent({
    setup() {
      useCallAnnouncements();
      return () => h('div');
    },
  });
  const m = await mountWith(Harness, { locale, stubActions: false });
  mounted.push(m.wrapper);
  const calls = useCallsStore();
  const { polite, assertive } = useAnnouncer();
  const apply = async (s: CallSnapshot) => {
    calls.apply(s);
    await nextTick();
    await flushPromises();
  };
  return { calls, polite, assertive, apply };
}

describe('useCallAnnouncements: each change of a call is said, in the UI language', () => {
  it('rings assertively with the keys, then says answered, held, muted, back and ended politely', async () => {
    const { calls, polite, assertive, apply } = await hear();
    await apply(incoming());
    expect(assertive.value).toMatch(/^Incoming call from Bob\. (Ctrl\+Shift\+A|⌘⇧A) to answer, (Ctrl\+Shift\+D|⌘⇧D) to decline\.$/);
    expect(polite.value).toBe('');
    await apply(incoming({ state: 'connected', answeredAt: 2000 }));
    expect(polite.value).toBe('Connected to Bob.');
    await apply(incoming({ state: 'held', heldBy: 'remote', answeredAt: 2000 }));
    expect(polite.value).toBe('Bob put the call on hold.');
    await apply(incoming({ state: 'connected', answeredAt: 2000 }));
    expect(polite.value).toBe('The call with Bob is back on.');
    calls.toggleMute();
    await nextTick();
    await flushPromises();
    expect(polite.value).toBe('Microphone muted.');
    await apply(incoming({ state: 'ended', endedBy: 'remote', endReason: 'BYE', answeredAt: 2000, endedAt: 3000 }));
    expect(polite.value).toBe('Bob hung up.');
  });

  it('says a refused call with its reason, and nothing for a snapshot that only brings figures', async () => {
    const { polite, apply } = await hear();
    await apply(bob());
    expect(polite.value).toBe('Calling Bob…');
    await apply(bob({ state: 'dialing', codec: 'pcmu' }));
    expect(polite.value).toBe('Calling Bob…');
    await apply(bob({ state: 'ended', endedBy: 'remote', endStatus: 486, endReason: 'busy (486 Busy Here)' }));
    expect(polite.value).toBe('The call with Bob ended: busy (486 Busy Here)');
  });

  it('speaks French when the UI does', async () => {
    const { polite, assertive, apply } = await hear('fr');
    await apply(incoming());
    expect(assertive.value).toMatch(/^Appel entrant de Bob\. (Ctrl\+Maj\+A|⌘⇧A) pour répondre, (Ctrl\+Maj\+D|⌘⇧D) pour refuser\.$/);
    await apply(incoming({ state: 'connected', answeredAt: 2000 }));
    expect(polite.value).toBe('En ligne avec Bob.');
    await apply(incoming({ state: 'ended', endedBy: 'local', endReason: 'call ended', answeredAt: 2000 }));
    expect(polite.value).toBe('L’appel avec Bob est terminé.');
  });
});
