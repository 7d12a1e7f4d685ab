import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import App from '../../../renderer/src/App.vue';
import IncomingView from '../../../renderer/src/views/IncomingView.vue';
import { useCallsStore } from '../../../renderer/src/stores/calls.ts';
import { DEFAULT_SETTINGS, useSettingsStore } from '../../../renderer/src/stores/settings.ts';
import { useRingtone, type RingtoneAudio } from '../../../renderer/src/composables/useRingtone.ts';
import { installFakeAppel } from './fake-appel.ts';
import { flushPromises, mountWith } from './mount.ts';

afterEach(() => {
  document.body.innerHTML = '';
  delete window.appel;
});

const ringingCall = (over: Partial<CallSnapshot> = {}): CallSnapshot => ({
  id: 'in1',
  direction: 'incoming',
  peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' },
  state: 'ringing',
  srtp: false,
  startedAt: Date.now(),
  ...over,
});

describe('#/incoming (the one incoming-call window)', () => {
  it('shows the newest ringing call in full and every other one below it, each answered in place', async () => {
    const { wrapper, router } = await mountWith(IncomingView, {
      route: '/incoming',
      initialState: {
        calls: {
          calls: [
            ringingCall(),
            ringingCall({ id: 'in2', peer: { uri: 'sip:carol@lab.test', displayName: 'Carol' } }),
            ringingCall({ id: 'in3', peer: { uri: 'sip:dave@lab.test', displayName: 'Dave' } }),
          ],
        },
      },
    });
    const calls = useCallsStore();
    expect(router.currentRoute.value.name).toBe('incoming');
    expect(wrapper.get('[data-testid=incoming-call]').text()).toContain('Dave');
    const others = wrapper.get('[data-testid=incoming-others]');
    expect(others.attributes('aria-label')).toBe('2 other calls ringing');
    expect(others.findAll('li').map((li) => li.text())).toEqual([expect.stringContaining('Carol'), expect.stringContaining('Bob')]);
    await wrapper.get('[data-testid=incoming-call] [aria-label=Answer]').trigger('click');
    await flushPromises();
    expect(calls.answer).toHaveBeenCalledWith('in3');
    await wrapper.get('[aria-label="Answer Carol"]').trigger('click');
    await wrapper.get('[aria-label="Decline Bob"]').trigger('click');
    await flushPromises();
    expect(calls.answer).toHaveBeenCalledWith('in2');
    expect(calls.decline).toHaveBeenCalledWith('in1');
    // The small window stays where it is; the shell closes it and shows the main window.
    expect(router.currentRoute.value.path).toBe('/incoming');
  });

  it('declines the one ringing call', async () => {
    const { wrapper } = await mountWith(IncomingView, { route: '/incoming', initialState: { calls: { calls: [ringingCall()] } } });
    expect(wrapper.find('[data-testid=incoming-others]').exists()).toBe(false);
    await wrapper.get('[aria-label=Decline]').trigger('click');
    await flushPromises();
    expect(useCallsStore().decline).toHaveBeenCalledWith('in1');
  });

  it('says no call rings any more when none does', async () => {
    const { wrapper } = await mountWith(IncomingView, { route: '/incoming', initialState: { calls: { calls: [] } } });
    expect(wrapper.find('[data-testid=incoming-call]').exists()).toBe(false);
    expect(wrapper.text()).toContain('This call is no longer ringing.');
  });

  it('renders the panel alone in the app, without the navigation', async () => {
    const fake = installFakeAppel({ 'call:list': () => [ringingCall()], 'app:status': () => ({ notices: [] }) });
    const { wrapper } = await mountWith(App, { route: '/incoming', stubActions: false });
    expect(fake.sent('call:list')).toHaveLength(1);
    expect(wrapper.find('[data-testid=incoming-call]').exists()).toBe(true);
    expect(wrapper.find('nav').exists()).toBe(false);
  });
});

describe('app:link and app:status', () => {
  it('puts the target of an opened link in the dialpad and shows the dialpad', async () => {
    const fake = installFakeAppel({ 'app:status': () => ({ notices: [] }) });
    const { wrapper, router } = await mountWith(App, { route: '/history', stubActions: false });
    fake.emit('app:link', { target: 'sip:alice@lab.test', link: 'sip:alice@lab.test' });
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/dialpad');
    const input = wrapper.get<HTMLInputElement>('[data-testid=dialpad-input]');
    expect(input.element.value).toBe('sip:alice@lab.test');
    // The same kind of link again, after the person typed something else: the field follows the link.
    await input.setValue('');
    fake.emit('app:link', { target: '+33123456789', link: 'tel:+33123456789' });
    await flushPromises();
    expect(wrapper.get<HTMLInputElement>('[data-testid=dialpad-input]').element.value).toBe('+33123456789');
    fake.emit('app:link', { target: '+33123456789', link: 'tel:+33123456789' });
    await flushPromises();
    expect(wrapper.get<HTMLInputElement>('[data-testid=dialpad-input]').element.value).toBe('+33123456789');
  });

  it('shows the notices the engine has at start and those it pushes, and each one closes', async () => {
    const notice = { id: 'database-damaged', level: 'error' as const, message: 'The database was damaged; a copy was kept.', time: 1 };
    const fake = installFakeAppel({ 'app:status': () => ({ notices: [notice] }) });
    const { wrapper } = await mountWith(App, { stubActions: false });
    expect(fake.sent('app:status')).toHaveLength(1);
    expect(wrapper.get('[data-testid=app-status]').text()).toContain('The database was damaged; a copy was kept.');
    expect(wrapper.get('[data-notice=database-damaged]').attributes('role')).toBe('alert');

    fake.emit('app:status', { notices: [notice, { id: 'passwords-not-kept', level: 'warning', message: 'No keychain: passwords are not kept.', time: 2 }] });
    await flushPromises();
    expect(wrapper.text()).toContain('No keychain: passwords are not kept.');

    await wrapper.get('[data-notice=database-damaged] [aria-label=Dismiss]').trigger('click');
    expect(wrapper.text()).not.toContain('The database was damaged');
    expect(wrapper.text()).toContain('No keychain: passwords are not kept.');
    await wrapper.get('[data-notice=passwords-not-kept] [aria-label=Dismiss]').trigger('click');
    expect(wrapper.find('[data-testid=app-status]').exists()).toBe(false);

    // The same notice raised again later (a new time) shows again.
    fake.emit('app:status', { notices: [{ ...notice, time: 3 }] });
    await flushPromises();
    expect(wrapper.text()).toContain('The database was damaged; a copy was kept.');
  });
});

class FakeAudio implements RingtoneAudio {
  loop = false;
  src = '';
  currentTime = 0;
  sinkId = 'default';
  playing = false;
  plays = 0;
  async setSinkId(id: string): Promise<void> {
    this.sinkId = id;
  }
  async play(): Promise<void> {
    this.plays++;
    this.playing = true;
  }
  pause(): void {
    this.playing = false;
  }
}

async function mountRingtone(opts: { ringingDeviceId?: string; audio?: RingtoneAudio; present?: boolean } = {}) {
  installFakeAppel();
  const audio = opts.audio ?? new FakeAudio();
  const created = vi.fn(() => audio);
  const Probe = defineComponent({
    setup() {
      useRingtone({ createAudio: created, probe: async () => opts.present ?? true });
      return () => h('div');
    },
  });
  const settings = { ...DEFAULT_SETTINGS, audio: { ...DEFAULT_SETTINGS.audio, ringingDeviceId: opts.ringingDeviceId ?? 'default' } };
  const mounted = await mountWith(Probe, { stubActions: false, initialState: { settings: { stored: settings } } });
  return { ...mounted, audio, created, calls: useCallsStore(), settings: useSettingsStore() };
}

describe('the ringtone', () => {
  it('loops on the ringing device while an incoming call rings, and stops on answer', async () => {
    const { audio, calls } = await mountRingtone({ ringingDeviceId: 'usb-headset' });
    const fake = audio as FakeAudio;
    expect(fake.playing).toBe(false);
    calls.apply(ringingCall());
    await flushPromises();
    expect(fake.playing).toBe(true);
    expect(fake.loop).toBe(true);
    expect(fake.sinkId).toBe('usb-headset');
    expect(new URL(fake.src).pathname).toMatch(/\/sounds\/ringtone\.wav$/);

    calls.apply(ringingCall({ state: 'connected', answeredAt: Date.now() }));
    await flushPromises();
    expect(fake.playing).toBe(false);
    expect(fake.currentTime).toBe(0);
  });

  it('keeps ringing while a second call rings, stops when the last one ends, and rings again for the next', async () => {
    const { audio, calls } = await mountRingtone();
    const fake = audio as FakeAudio;
    calls.apply(ringingCall());
    calls.apply(ringingCall({ id: 'in2' }));
    await flushPromises();
    expect(fake.plays).toBe(1);
    calls.apply(ringingCall({ state: 'ended' }));
    await flushPromises();
    expect(fake.playing).toBe(true);
    calls.apply(ringingCall({ id: 'in2', state: 'ended' }));
    await flushPromises();
    expect(fake.playing).toBe(false);
    calls.apply(ringingCall({ id: 'in3' }));
    await flushPromises();
    expect(fake.playing).toBe(true);
    expect(fake.plays).toBe(2);
  });

  it('does not ring for an outgoing call that rings at the other end', async () => {
    const { audio, calls } = await mountRingtone();
    calls.apply(ringingCall({ direction: 'outgoing' }));
    await flushPromises();
    expect((audio as FakeAudio).playing).toBe(false);
  });

  it('stays silent without an error when the sound cannot play, and without setSinkId', async () => {
    const refusing: RingtoneAudio = {
      loop: false,
      src: '',
      currentTime: 0,
      play: vi.fn(async () => {
        throw new DOMException('blocked by the Content-Security-Policy', 'NotSupportedError');
      }),
      pause: vi.fn(),
    };
    const { calls } = await mountRingtone({ ringingDeviceId: 'usb-headset', audio: refusing });
    calls.apply(ringingCall());
    await flushPromises();
    expect(refusing.play).toHaveBeenCalled();
    calls.apply(ringingCall({ state: 'ended' }));
    await flushPromises();
    expect(refusing.pause).toHaveBeenCalled();
  });

  it('skips the ringtone when the page has no sound to play (the browser bridge)', async () => {
    const { created, calls } = await mountRingtone({ present: false });
    calls.apply(ringingCall());
    await flushPromises();
    expect(created).not.toHaveBeenCalled();
    calls.apply(ringingCall({ state: 'ended' }));
    await flushPromises();
  });

  it('stops when the page goes away', async () => {
    const { audio, calls, wrapper } = await mountRingtone();
    calls.apply(ringingCall());
    await flushPromises();
    wrapper.unmount();
    expect((audio as FakeAudio).playing).toBe(false);
  });
});
