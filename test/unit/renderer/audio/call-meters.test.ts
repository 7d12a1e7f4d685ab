import { afterEach, describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../../main/contract/api.ts';
import CallView from '../../../../renderer/src/views/CallView.vue';
import { useAudioStore } from '../../../../renderer/src/stores/audio.ts';
import { mountWith, flushPromises } from '../mount.ts';

const connected: CallSnapshot = { id: 'c1', direction: 'outgoing', peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' }, state: 'connected', srtp: false, startedAt: 1000, answeredAt: 2000 };

afterEach(() => {
  document.body.innerHTML = '';
});

async function callScreen(locale: 'en' | 'fr' = 'en') {
  const mounted = await mountWith(CallView, { route: '/call', locale, initialState: { calls: { calls: [connected] } } });
  return { ...mounted, audio: useAudioStore(mounted.pinia) };
}

describe('the call screen sound', () => {
  it('shows the microphone and speaker levels as labelled meters', async () => {
    const { wrapper, audio } = await callScreen();
    // Getters are writable under @pinia/testing: the levels the worklet reported.
    (audio as unknown as { micLevel: number }).micLevel = 0.42;
    (audio as unknown as { speakerLevel: number }).speakerLevel = 0.8;
    await flushPromises();
    const mic = wrapper.get('[data-testid=mic-level]');
    const speaker = wrapper.get('[data-testid=speaker-level]');
    expect(mic.attributes('role')).toBe('meter');
    expect(mic.attributes('aria-label')).toBe('Microphone level');
    expect(mic.attributes('aria-valuenow')).toBe('42');
    expect(speaker.attributes('aria-label')).toBe('Speaker level');
    expect(speaker.attributes('aria-valuenow')).toBe('80');
    expect(wrapper.find('[data-testid=audio-problem]').exists()).toBe(false);
  });

  it('says in words why the other side hears nothing', async () => {
    const { wrapper, audio } = await callScreen();
    (audio as unknown as { problem: unknown }).problem = { key: 'permission' };
    await flushPromises();
    expect(wrapper.get('[data-testid=audio-problem]').attributes('role')).toBe('alert');
    expect(wrapper.get('[data-testid=audio-problem]').text()).toBe('The microphone is not allowed: the other side hears nothing. Allow it in your system settings.');
  });

  it('says it in French too, with the reason when there is one', async () => {
    const { wrapper, audio } = await callScreen('fr');
    (audio as unknown as { problem: unknown }).problem = { key: 'failed', reason: 'Unable to load a worklet' };
    await flushPromises();
    expect(wrapper.get('[data-testid=audio-problem]').text()).toBe('Le son de l’appel n’a pas pu démarrer : Unable to load a worklet');
    expect(wrapper.get('[data-testid=mic-level]').attributes('aria-label')).toBe('Niveau du micro');
  });
});
