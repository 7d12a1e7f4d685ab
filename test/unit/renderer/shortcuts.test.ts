import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import { ariaKeyshortcuts, comboText, matchShortcut, SHORTCUTS, type KeyPress } from '../../../renderer/src/lib/shortcuts.ts';
import { useShortcuts } from '../../../renderer/src/composables/useShortcuts.ts';
import { clearAnnouncements, useAnnouncer } from '../../../renderer/src/composables/useAnnouncer.ts';
import { useCallsStore } from '../../../renderer/src/stores/calls.ts';
import { useKeyboardStore } from '../../../renderer/src/stores/keyboard.ts';
import CallIncomingPanel from '../../../renderer/src/components/call/CallIncomingPanel.vue';
import CallView from '../../../renderer/src/views/CallView.vue';
import { flushPromises, mountWith } from './mount.ts';
import { installFakeAppel } from './fake-appel.ts';

/** Unmounted after each test: a mounted listener would hear the next test's keys first. */
const mounted: Array<{ unmount(): void }> = [];

afterEach(() => {
  for (const w of mounted.splice(0)) w.unmount();
  document.body.innerHTML = '';
  clearAnnouncements();
});

/** A key press as the browser reports it: `key` typed, `code` the key's position. */
const press = (key: string, mods: Partial<Omit<KeyPress, 'key'>> = {}): KeyPress => ({
  key,
  code: /^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : /^[0-9]$/.test(key) ? `Digit${key}` : '',
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});
const ctrl = { ctrlKey: true };
const ctrlShift = { ctrlKey: true, shiftKey: true };

describe('lib/shortcuts: which press means which shortcut', () => {
  it('takes Ctrl+Shift+letter for the calls, Ctrl+digit and Ctrl+, for the views, F1 and Ctrl+/ for help', () => {
    expect(matchShortcut(press('A', ctrlShift), false)).toBe('answer');
    expect(matchShortcut(press('D', ctrlShift), false)).toBe('decline');
    expect(matchShortcut(press('H', ctrlShift), false)).toBe('hangup');
    expect(matchShortcut(press('M', ctrlShift), false)).toBe('mute');
    expect(matchShortcut(press('P', ctrlShift), false)).toBe('hold');
    expect(matchShortcut(press('T', ctrlShift), false)).toBe('transfer');
    expect(['1', '2', '3', '4', '5'].map((d) => matchShortcut(press(d, ctrl), false))).toEqual(['dialpad', 'call', 'contacts', 'history', 'messages']);
    expect(matchShortcut(press(',', ctrl), false)).toBe('settings');
    expect(matchShortcut(press('f', ctrl), false)).toBe('search');
    expect(matchShortcut(press('F1'), false)).toBe('help');
    expect(matchShortcut(press('/', ctrl), false)).toBe('help');
  });

  it('leaves typing, editing and Electron\'s own keys alone', () => {
    for (const k of ['a', 'A', '1', '/', ',', 'Enter', ' ']) expect(matchShortcut(press(k), false), k).toBeUndefined();
    const reserved: KeyPress[] = [
      ...['a', 'c', 'v', 'x', 'z', 'y', 'r', 'w', 'q', 'm', '0', '=', '-'].map((k) => press(k, ctrl)),
      ...['Z', 'V', 'I', 'R', 'U', 'C'].map((k) => press(k, ctrlShift)),
      press('F11'),
      press('F12'),
    ];
    for (const p of reserved) expect(matchShortcut(p, false), `${p.ctrlKey ? 'Ctrl+' : ''}${p.shiftKey ? 'Shift+' : ''}${p.key}`).toBeUndefined();
    // AltGr is Ctrl+Alt on Windows: it types characters.
    expect(matchShortcut(press('A', { ...ctrlShift, altKey: true }), false)).toBeUndefined();
    expect(matchShortcut(press('1', { ...ctrl, shiftKey: true }), false)).toBeUndefined();
  });

  it('uses ⌘ on macOS, where Ctrl is not the modifier', () => {
    expect(matchShortcut(press('A', { metaKey: true, shiftKey: true }), true)).toBe('answer');
    expect(matchShortcut(press('A', ctrlShift), true)).toBeUndefined();
    expect(matchShortcut(press('A', { metaKey: true, shiftKey: true }), false)).toBeUndefined();
  });

  it('finds digits by key position (AZERTY types & for Ctrl+1) and letters by key position on a non-Latin layout', () => {
    expect(matchShortcut({ ...press('&', ctrl), code: 'Digit1' }, false)).toBe('dialpad');
    expect(matchShortcut({ ...press('Ф', ctrlShift), code: 'KeyA' }, false)).toBe('answer');
    // AZERTY: the letter printed on the key counts (A is where QWERTY has Q).
    expect(matchShortcut({ ...press('A', ctrlShift), code: 'KeyQ' }, false)).toBe('answer');
    // AZERTY types / with Shift.
    expect(matchShortcut(press('/', ctrlShift), false)).toBe('help');
  });

  it('gives each combination to one shortcut only', () => {
    const combos = SHORTCUTS.flatMap((s) => s.keys.map((k) => `${k.mod ? 'mod+' : ''}${k.shift ? 'shift+' : ''}${k.key}`));
    expect(new Set(combos).size).toBe(combos.length);
  });

  it('writes them for people (in their language and system) and for aria-keyshortcuts', () => {
    expect(comboText({ mod: true, shift: true, key: 'a' }, false, { ctrl: 'Ctrl', shift: 'Shift' })).toBe('Ctrl+Shift+A');
    expect(comboText({ mod: true, shift: true, key: 'a' }, false, { ctrl: 'Ctrl', shift: 'Maj' })).toBe('Ctrl+Maj+A');
    expect(comboText({ mod: true, shift: true, key: 'a' }, true, { ctrl: 'Ctrl', shift: 'Shift' })).toBe('⌘⇧A');
    expect(ariaKeyshortcuts('answer', false)).toBe('Control+Shift+A');
    expect(ariaKeyshortcuts('answer', true)).toBe('Meta+Shift+A');
    expect(ariaKeyshortcuts('settings', false)).toBe('Control+,');
    expect(ariaKeyshortcuts('help', false)).toBe('F1 Control+/');
  });
});

const call = (over: Partial<CallSnapshot> = {}): CallSnapshot => ({
  id: 'c1',
  direction: 'outgoing',
  peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' },
  state: 'connected',
  srtp: false,
  startedAt: Date.now() - 10_000,
  answeredAt: Date.now() - 8_000,
  ...over,
});
const ringing = (id: string, name: string) => call({ id, direction: 'incoming', state: 'ringing', peer: { uri: `sip:${name.toLowerCase()}@lab.test`, displayName: name }, answeredAt: undefined });

/** The root's listener alone, mounted as the app does (actions stubbed). */
async function listen(opts: { calls?: CallSnapshot[]; bare?: boolean; route?: string; stubActions?: boolean } = {}) {
  const Harness = defineComponent({
    setup() {
      useShortcuts({ bare: () => opts.bare ?? false, mac: false });
      return () => h('input', { id: 'field' });
    },
  });
  const m = await mountWith(Harness, { route: opts.route ?? '/dialpad', stubActions: opts.stubActions ?? true, initialState: { calls: { calls: opts.calls ?? [] } } });
  mounted.push(m.wrapper);
  return { ...m, calls: useCallsStore(), keyboard: useKeyboardStore() };
}

/** Presses keys on whatever has focus (the harness's text field by default), as a person would. */
async function key(k: string, mods: Partial<KeyboardEventInit> = {}, target: Element = document.getElementById('field') ?? document.body): Promise<KeyboardEvent> {
  const e = new KeyboardEvent('keydown', { key: k, code: /^[a-z]$/i.test(k) ? `Key${k.toUpperCase()}` : /^[0-9]$/.test(k) ? `Digit${k}` : '', bubbles: true, cancelable: true, ...mods });
  target.dispatchEvent(e);
  await flushPromises();
  return e;
}

describe('useShortcuts: the shortcuts act, from anywhere, even a text field', () => {
  it('Ctrl+Shift+A answers the ringing call shown and opens the call screen; Ctrl+Shift+D declines', async () => {
    const { calls, router } = await listen({ calls: [ringing('in1', 'Bob'), ringing('in2', 'Carol')] });
    const e = await key('A', ctrlShift);
    expect(e.defaultPrevented).toBe(true);
    expect(calls.answer).toHaveBeenCalledWith('in1');
    expect(router.currentRoute.value.path).toBe('/call');
    await key('D', ctrlShift);
    expect(calls.decline).toHaveBeenCalledWith('in1');
  });

  it('in the incoming-call window: answers the newest in place; view shortcuts do nothing there', async () => {
    const { calls, router } = await listen({ bare: true, route: '/incoming', calls: [ringing('in1', 'Bob'), ringing('in2', 'Carol')] });
    await key('A', ctrlShift);
    expect(calls.answer).toHaveBeenCalledWith('in2');
    expect(router.currentRoute.value.path).toBe('/incoming');
    const e = await key('3', ctrl);
    expect(e.defaultPrevented).toBe(false);
    expect(router.currentRoute.value.path).toBe('/incoming');
  });

  it('hang up, mute, hold and resume, transfer act on the call on screen', async () => {
    const { calls, keyboard, router } = await listen({ calls: [call()] });
    await key('M', ctrlShift);
    expect(calls.toggleMute).toHaveBeenCalledTimes(1);
    await key('P', ctrlShift);
    expect(calls.hold).toHaveBeenCalledWith('c1');
    calls.calls = [call({ state: 'held', heldBy: 'local' })];
    await key('P', ctrlShift);
    expect(calls.resume).toHaveBeenCalledWith('c1');
    await key('T', ctrlShift);
    expect(keyboard.transferWanted).toBe(true);
    expect(router.currentRoute.value.path).toBe('/call');
    await key('H', ctrlShift);
    expect(calls.hangupActive).toHaveBeenCalledTimes(1);
  });

  it('a call shortcut with nothing to act on says so in the polite region', async () => {
    const { calls } = await listen();
    const { polite } = useAnnouncer();
    await key('A', ctrlShift);
    expect(calls.answer).not.toHaveBeenCalled();
    expect(polite.value).toBe('No call is ringing.');
    await key('M', ctrlShift);
    expect(calls.toggleMute).not.toHaveBeenCalled();
    expect(polite.value).toBe('No call in progress.');
  });

  it('Ctrl+digit and Ctrl+, move between views, Ctrl+F goes to the contacts search, F1 toggles the list', async () => {
    const { router, keyboard } = await listen();
    await key('3', ctrl);
    expect(router.currentRoute.value.path).toBe('/contacts');
    await key('4', ctrl);
    expect(router.currentRoute.value.path).toBe('/history');
    await key(',', ctrl);
    expect(router.currentRoute.value.path).toBe('/settings');
    await key('1', ctrl);
    expect(router.currentRoute.value.path).toBe('/dialpad');
    await key('f', ctrl);
    expect(router.currentRoute.value.path).toBe('/contacts');
    await key('F1');
    expect(keyboard.helpOpen).toBe(true);
    await key('F1');
    expect(keyboard.helpOpen).toBe(false);
  });

  it('while a modal dialog is open, views wait but calls are answered', async () => {
    const { router, calls } = await listen({ calls: [ringing('in1', 'Bob')] });
    const dialog = document.body.appendChild(Object.assign(document.createElement('div'), { role: 'dialog' }));
    dialog.setAttribute('aria-modal', 'true');
    const e = await key('4', ctrl);
    expect(e.defaultPrevented).toBe(false);
    expect(router.currentRoute.value.path).toBe('/dialpad');
    await key('A', ctrlShift);
    expect(calls.answer).toHaveBeenCalledWith('in1');
  });

  it('ignores a held-down key repeating, and keys that are not shortcuts (Ctrl+A selects the text)', async () => {
    const { calls } = await listen({ calls: [call()] });
    await key('H', { ...ctrlShift, repeat: true });
    expect(calls.hangupActive).not.toHaveBeenCalled();
    const selectAll = await key('a', ctrl);
    expect(selectAll.defaultPrevented).toBe(false);
  });
});

describe('shortcuts shown where a person finds them', () => {
  it('the incoming-call panel: tooltips, aria-keyshortcuts and a visible hint, in English and French', async () => {
    const { wrapper } = await mountWith(CallIncomingPanel, { initialState: { calls: { calls: [ringing('in1', 'Bob')] } } });
    mounted.push(wrapper);
    const answer = wrapper.get('[aria-label=Answer]');
    expect(answer.attributes('aria-keyshortcuts')).toMatch(/^(Control|Meta)\+Shift\+A$/);
    expect(answer.attributes('title')).toMatch(/^Answer \((Ctrl\+Shift\+A|⌘⇧A)\)$/);
    expect(wrapper.get('[data-testid=incoming-keys]').text()).toMatch(/answers, .+ declines$/);
    const fr = await mountWith(CallIncomingPanel, { locale: 'fr', initialState: { calls: { calls: [ringing('in1', 'Bob')] } } });
    mounted.push(fr.wrapper);
    expect(fr.wrapper.get('[aria-label=Refuser]').attributes('title')).toMatch(/^Refuser \((Ctrl\+Maj\+D|⌘⇧D)\)$/);
  });

  it('the call screen: mute, hold, transfer and hang-up name their keys; a transfer asked by key opens its dialog', async () => {
    const { wrapper } = await mountWith(CallView, { route: '/call', initialState: { calls: { calls: [call()] }, keyboard: { transferWanted: true } } });
    mounted.push(wrapper);
    const byLabel = (label: string) => wrapper.findAll('button').find((b) => b.text() === label || b.attributes('aria-label') === label)!;
    expect(byLabel('Mute').attributes('aria-keyshortcuts')).toMatch(/\+Shift\+M$/);
    expect(byLabel('Hold').attributes('aria-keyshortcuts')).toMatch(/\+Shift\+P$/);
    expect(byLabel('Transfer').attributes('aria-keyshortcuts')).toMatch(/\+Shift\+T$/);
    expect(byLabel('Hang up').attributes('title')).toMatch(/^Hang up \(/);
    expect(document.body.querySelector('[role=dialog]')?.textContent).toContain('Transfer the call');
    expect(useKeyboardStore().transferWanted).toBe(false);
  });
});

describe('hanging up a conference: the button and Ctrl+Shift+H ask the same question', () => {
  /** Bob (on screen) and Carol in one local conference; the engine faked at the contract. */
  async function conference(route: string) {
    const fake = installFakeAppel({ 'call:hangup': () => undefined });
    const carol = call({ id: 'c2', peer: { uri: 'sip:carol@lab.test', displayName: 'Carol' }, conferenceId: 'k1' });
    const Harness = defineComponent({
      setup() {
        useShortcuts({ bare: () => false, mac: false });
        return () => h(CallView);
      },
    });
    const m = await mountWith(Harness, {
      route,
      stubActions: false,
      initialState: { calls: { calls: [call({ conferenceId: 'k1' }), carol], activeId: 'c1', conferences: { k1: { id: 'k1', members: ['c1', 'c2'], state: 'active' } } } },
    });
    mounted.push(m.wrapper);
    return { ...m, fake };
  }
  const question = () => document.body.querySelector('[data-testid=conference-end]');

  it('Ctrl+Shift+H from another view opens the call screen with the question, and hangs up nobody', async () => {
    const { fake, router } = await conference('/contacts');
    await key('H', ctrlShift, document.body);
    expect(router.currentRoute.value.path).toBe('/call');
    expect(question()?.textContent).toContain('End the call for everyone');
    expect(fake.sent('call:hangup')).toEqual([]);
    // Its answer is the button's: ending for everyone hangs up both calls.
    (document.body.querySelector('[data-testid=conference-end-all]') as HTMLButtonElement).click();
    await flushPromises();
    expect(fake.sent('call:hangup')).toEqual([{ callId: 'c1' }, { callId: 'c2' }]);
  });

  it('the Hang up button asks the same, and Cancel leaves both calls on', async () => {
    const { fake, wrapper } = await conference('/call');
    await wrapper.get('[data-testid=call-hangup]').trigger('click');
    await flushPromises();
    expect(question()?.textContent).toContain('End the call for everyone');
    const cancel = [...document.body.querySelectorAll('[role=dialog] button')].find((b) => b.textContent?.trim() === 'Cancel') as HTMLButtonElement;
    cancel.click();
    await flushPromises();
    expect(question()).toBeNull();
    expect(fake.sent('call:hangup')).toEqual([]);
    // The shortcut asks again: nothing was decided.
    await key('H', ctrlShift, document.body);
    expect(question()).not.toBeNull();
    expect(fake.sent('call:hangup')).toEqual([]);
  });

  it('out of a conference, the shortcut hangs up at once (no question)', async () => {
    const fake = installFakeAppel({ 'call:hangup': () => undefined });
    await listen({ calls: [call()], stubActions: false });
    await key('H', ctrlShift);
    expect(fake.sent('call:hangup')).toEqual([{ callId: 'c1' }]);
    expect(question()).toBeNull();
  });
});
