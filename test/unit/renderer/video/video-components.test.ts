/**
 * Video calls as a person sees them: the call screen's video (remote video, self-view, camera and
 * video buttons), an audio call looking as before, an incoming video call said and answered either
 * way, the video call buttons, and Settings → Video.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSnapshot, CallVideo, ContactSnapshot } from '../../../../main/contract/api.ts';
import CallView from '../../../../renderer/src/views/CallView.vue';
import DialpadView from '../../../../renderer/src/views/DialpadView.vue';
import ContactsView from '../../../../renderer/src/views/ContactsView.vue';
import CallIncomingPanel from '../../../../renderer/src/components/call/CallIncomingPanel.vue';
import CallSelfView from '../../../../renderer/src/components/call/CallSelfView.vue';
import SettingsVideo from '../../../../renderer/src/components/settings/SettingsVideo.vue';
import { useCallsStore } from '../../../../renderer/src/stores/calls.ts';
import { useAccountsStore } from '../../../../renderer/src/stores/accounts.ts';
import { DEFAULT_SETTINGS } from '../../../../renderer/src/stores/settings.ts';
import { CameraCapture } from '../../../../renderer/src/video/camera-capture.ts';
import { flushPromises, mountWith } from '../mount.ts';
import { installFakeAppel } from '../fake-appel.ts';
import { fakeCamera } from './fake-camera.ts';

afterEach(() => {
  document.body.innerHTML = '';
});

const video = (over: Partial<CallVideo> = {}): CallVideo => ({ offered: false, active: true, codec: 'vp8', sending: true, receiving: true, camera: true, ...over });
const snapshot = (over: Partial<CallSnapshot> = {}): CallSnapshot => ({
  id: 'c1',
  direction: 'outgoing',
  peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' },
  state: 'connected',
  srtp: true,
  codec: 'opus',
  startedAt: Date.now() - 70_000,
  answeredAt: Date.now() - 65_000,
  ...over,
});

describe('the call screen with video', () => {
  it("shows the remote video, the self-view and the camera button; the buttons ask the engine", async () => {
    const { wrapper } = await mountWith(CallView, { route: '/call', initialState: { calls: { calls: [snapshot({ video: video() })] } } });
    const calls = useCallsStore();
    expect(wrapper.find('[data-testid="call-video"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="call-remote-video"] canvas').attributes('aria-label')).toBe('Video of Bob');
    expect(wrapper.text()).toContain('Waiting for the video of Bob…');
    expect(wrapper.get('[data-testid="call-self-view"]').attributes('aria-label')).toBe('Your camera');
    await wrapper.get('[aria-label="Turn the camera off"]').trigger('click');
    await flushPromises();
    expect(calls.setCamera).toHaveBeenCalledWith('c1', false);
    const toggle = wrapper.get('[data-testid="call-video-toggle"]');
    expect(toggle.text()).toContain('Stop video');
    await toggle.trigger('click');
    await flushPromises();
    expect(calls.setVideo).toHaveBeenCalledWith('c1', false);
  });

  it('says when the camera is off, and when the other side sends no video', async () => {
    const { wrapper } = await mountWith(CallView, { route: '/call', initialState: { calls: { calls: [snapshot({ video: video({ camera: false, receiving: false }) })] } } });
    expect(wrapper.get('[data-testid="call-self-view"]').text()).toContain('Your camera is off.');
    expect(wrapper.text()).toContain('Bob sends no video.');
    expect(wrapper.find('[aria-label="Turn the camera on"]').exists()).toBe(true);
  });

  it('an audio call looks as before: the avatar and meters, a Video button to add video', async () => {
    const { wrapper } = await mountWith(CallView, { route: '/call', initialState: { calls: { calls: [snapshot()] } } });
    const calls = useCallsStore();
    expect(wrapper.find('[data-testid="call-video"]').exists()).toBe(false);
    expect(wrapper.find('.base-avatar').exists()).toBe(true);
    const toggle = wrapper.get('[data-testid="call-video-toggle"]');
    expect(toggle.text()).toContain('Video');
    await toggle.trigger('click');
    await flushPromises();
    expect(calls.setVideo).toHaveBeenCalledWith('c1', true);
  });

  it("shows each party's video side by side in a local conference", async () => {
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      initialState: {
        calls: {
          calls: [snapshot({ id: 'c1', conferenceId: 'k1', video: video() }), snapshot({ id: 'c2', peer: { uri: 'sip:carol@lab.test', displayName: 'Carol' }, conferenceId: 'k1', video: video() })],
          activeId: 'c1',
          conferences: { k1: { id: 'k1', members: ['c1', 'c2'], state: 'active' } },
        },
      },
    });
    const labels = wrapper.findAll('[data-testid="call-remote-video"] canvas').map((c) => c.attributes('aria-label'));
    expect(labels).toEqual(['Video of Bob', 'Video of Carol']);
  });
});

describe('the self-view', () => {
  it('moves with the arrow keys and stays inside', async () => {
    const { wrapper } = await mountWith(CallSelfView, { props: { cameraOn: true } });
    const el = wrapper.get('[data-testid="call-self-view"]');
    expect(el.attributes('style')).toContain('left: 100%');
    await el.trigger('keydown', { key: 'ArrowLeft' });
    await el.trigger('keydown', { key: 'ArrowUp' });
    expect(el.attributes('style')).toContain('left: 90%');
    expect(el.attributes('style')).toContain('top: 90%');
    for (let i = 0; i < 15; i++) await el.trigger('keydown', { key: 'ArrowLeft' });
    expect(el.attributes('style')).toContain('left: 0%');
    await el.trigger('keydown', { key: 'ArrowRight' });
    expect(el.attributes('style')).toContain('left: 10%');
  });
});

describe('an incoming video call', () => {
  it('says it is a video call and answers with video or audio only', async () => {
    const ringing = snapshot({ id: 'in1', direction: 'incoming', state: 'ringing', answeredAt: undefined, video: video({ offered: true, active: false }) });
    const { wrapper } = await mountWith(CallIncomingPanel, { initialState: { calls: { calls: [ringing] } } });
    const calls = useCallsStore();
    expect(wrapper.get('[data-testid="incoming-label"]').text()).toBe('Incoming video call');
    await wrapper.get('[aria-label="Answer with video"]').trigger('click');
    await flushPromises();
    expect(calls.answer).toHaveBeenCalledWith('in1', { video: true });
    await wrapper.get('[aria-label="Answer with audio only"]').trigger('click');
    await flushPromises();
    expect(calls.answer).toHaveBeenCalledWith('in1', { video: false });
  });

  it('in French too', async () => {
    const ringing = snapshot({ id: 'in1', direction: 'incoming', state: 'ringing', answeredAt: undefined, video: video({ offered: true, active: false }) });
    const { wrapper } = await mountWith(CallIncomingPanel, { locale: 'fr', initialState: { calls: { calls: [ringing] } } });
    expect(wrapper.get('[data-testid="incoming-label"]').text()).toBe('Appel vidéo entrant');
    expect(wrapper.find('[aria-label="Répondre en vidéo"]').exists()).toBe(true);
  });
});

describe('video call buttons', () => {
  it('the dialpad places a video call', async () => {
    const { wrapper } = await mountWith(DialpadView, { initialState: { accounts: { accounts: [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }], selectedId: '1' } } });
    await wrapper.get('input').setValue('1001');
    await wrapper.get('[data-testid="dialpad-video-call"]').trigger('click');
    await flushPromises();
    expect(useCallsStore().dial).toHaveBeenCalledWith('sip:1001@lab.test', '1', { video: true });
  });

  it("a contact's video button places a video call to its first address", async () => {
    const bob: ContactSnapshot = { id: 'b1', displayName: 'Bob', favourite: false, notes: '', addresses: [{ uri: 'sip:bob@lab.test', label: 'work' }], createdAt: 1, updatedAt: 1 };
    const { wrapper } = await mountWith(ContactsView, { route: '/contacts', initialState: { contacts: { contacts: [bob] } } });
    useAccountsStore();
    await wrapper.get('[data-testid="contact-video-call"]').trigger('click');
    await flushPromises();
    expect(useCallsStore().dial).toHaveBeenCalledWith('sip:bob@lab.test', undefined, { video: true });
  });
});

describe('Settings → Video', () => {
  it('saves the camera and the resolution, and shows a live preview of the chosen camera', async () => {
    const appel = installFakeAppel({ 'settings:set': (c) => ({ ...DEFAULT_SETTINGS, video: { ...DEFAULT_SETTINGS.video, ...c.video } }) });
    window.appel = appel.api;
    const cam = fakeCamera();
    const { wrapper } = await mountWith(SettingsVideo, { props: { createCamera: () => new CameraCapture(cam.deps) }, stubActions: false });
    const radios = wrapper.findAll('[role="radio"]');
    expect(radios.map((r) => r.text())).toEqual(['360p (640 × 360)', '480p (848 × 480)', '720p (1280 × 720)']);
    expect(radios[1].attributes('aria-checked')).toBe('true');
    await radios[2].trigger('click');
    await flushPromises();
    expect(appel.sent('settings:set')).toEqual([{ video: { resolution: '720p' } }]);

    expect(wrapper.text()).toContain('The preview is off.');
    await wrapper.get('[data-testid="video-preview-toggle"]').trigger('click');
    await flushPromises();
    expect(cam.asked.at(-1)).toMatchObject({ width: { ideal: 1280 } });
    expect((wrapper.get('[data-testid="video-preview"]').element as HTMLVideoElement).srcObject).toBe(cam.streams[0]);
    await wrapper.get('[data-testid="video-preview-toggle"]').trigger('click');
    expect(cam.streams[0].tracks[0].readyState).toBe('ended');
    wrapper.unmount();
  });
});
