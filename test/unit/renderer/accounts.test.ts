/**
 * Settings' accounts as a person sees them (happy-dom): an account edited in the same form as a
 * new one, filled in, the password left empty to keep it; a refused change shown in the form
 * with the account unchanged; the keyboard path (Edit, Escape, focus back); the last error with
 * its status once; a missing password said as such, in English and French. And the store's
 * `update()` against the fake `window.appel`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { AccountSnapshot, AccountUpdate } from '../../../main/contract/api.ts';
import SettingsAccounts from '../../../renderer/src/components/settings/SettingsAccounts.vue';
import { ApiFailure } from '../../../renderer/src/api.ts';
import { useAccountsStore } from '../../../renderer/src/stores/accounts.ts';
import { installFakeAppel } from './fake-appel.ts';
import { flushPromises, mountWith } from './mount.ts';

afterEach(() => {
  document.body.innerHTML = '';
});

const alice: AccountSnapshot = {
  id: 'a1',
  aor: 'sip:alice@lab.test',
  state: 'registered',
  expires: 600,
  config: { aor: 'sip:alice@lab.test', username: 'al', displayName: 'Alice', proxy: 'sip:127.0.0.1:5060', transport: 'udp', outbound: false },
};

async function mountAccounts(accounts: AccountSnapshot[], locale: 'en' | 'fr' = 'en') {
  const mounted = await mountWith(SettingsAccounts, { initialState: { accounts: { accounts } }, locale, route: '/settings' });
  return { ...mounted, store: useAccountsStore() };
}

const inputByLabel = (root: HTMLElement, label: string): HTMLInputElement => {
  const l = [...root.querySelectorAll('label')].find((x) => x.textContent?.trim() === label);
  if (!l) throw new Error(`no field labelled ${label}`);
  return root.querySelector<HTMLInputElement>(`#${CSS.escape(l.htmlFor)}`)!;
};

describe('Settings: editing an account', () => {
  it('opens the add-account form filled in, with the password empty and a hint, focused on the address', async () => {
    const { wrapper } = await mountAccounts([alice]);
    const item = wrapper.get('[data-testid=account-item]');
    const edit = item.findAll('button').find((b) => b.text() === 'Edit')!;
    expect(edit.attributes('aria-label')).toBe('Edit sip:alice@lab.test');
    await edit.trigger('click');
    const form = wrapper.get('[data-testid=account-form]');
    expect(form.attributes('aria-label')).toBe('Edit the account sip:alice@lab.test');
    const el = form.element as HTMLElement;
    expect(inputByLabel(el, 'SIP address').value).toBe('sip:alice@lab.test');
    expect(inputByLabel(el, 'User name').value).toBe('al');
    expect(inputByLabel(el, 'Display name').value).toBe('Alice');
    expect(inputByLabel(el, 'Password').value).toBe('');
    expect(form.text()).toContain('Leave empty to keep the saved password');
    // The proxy is set, so the advanced part is open and shows it.
    expect(inputByLabel(el, 'Outbound proxy').value).toBe('sip:127.0.0.1:5060');
    expect((el.querySelector('select') as HTMLSelectElement).value).toBe('udp');
    expect(document.activeElement).toBe(inputByLabel(el, 'SIP address'));
    expect(form.findAll('button').map((b) => b.text())).toContain('Save');
    // The list's actions make way for the form.
    expect(item.findAll('button').some((b) => b.text() === 'Remove')).toBe(false);
  });

  it('saves the fields shown, an emptied one cleared, and no password when none was typed; then closes', async () => {
    const { wrapper, store } = await mountAccounts([alice]);
    await wrapper.findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    const form = wrapper.get('[data-testid=account-form]');
    const el = form.element as HTMLElement;
    inputByLabel(el, 'Display name').value = '';
    inputByLabel(el, 'Display name').dispatchEvent(new Event('input'));
    await form.trigger('submit');
    await flushPromises();
    expect(store.update).toHaveBeenCalledWith({
      id: 'a1',
      aor: 'sip:alice@lab.test',
      username: 'al',
      realm: null,
      displayName: null,
      proxy: 'sip:127.0.0.1:5060',
      transport: 'udp',
      ca: null,
      expires: null,
      keepAlive: null,
      srtp: null,
      dtmf: null,
      voicemail: null,
      register: true,
    } satisfies AccountUpdate);
    expect(wrapper.find('[data-testid=account-form]').exists()).toBe(false);
    expect(document.activeElement?.getAttribute('data-account-edit')).toBe('a1');
  });

  it('sends a typed password, and does not keep it in the page', async () => {
    const { wrapper, store } = await mountAccounts([{ ...alice, state: 'failed', error: { status: 401, reason: 'no password…', code: 'no-password' } }]);
    await wrapper.findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    const el = wrapper.get('[data-testid=account-form]').element as HTMLElement;
    const password = inputByLabel(el, 'Password');
    password.value = 'alice-secret';
    password.dispatchEvent(new Event('input'));
    await wrapper.get('[data-testid=account-form]').trigger('submit');
    await flushPromises();
    expect(store.update).toHaveBeenCalledWith(expect.objectContaining({ id: 'a1', password: 'alice-secret' }));
    expect(wrapper.find('[data-testid=account-form]').exists()).toBe(false);
    await wrapper.findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    expect(inputByLabel(wrapper.get('[data-testid=account-form]').element as HTMLElement, 'Password').value).toBe('');
  });

  it('a refused change shows its error in the form, which stays open; the account stays as it was', async () => {
    const { wrapper, store } = await mountAccounts([alice]);
    (store.update as unknown as { mockRejectedValue(e: Error): void }).mockRejectedValue(new ApiFailure('bad-request', "proxy: 'sip:proxy example' is not a sip:, sips: or tel: URI"));
    await wrapper.findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    const form = wrapper.get('[data-testid=account-form]');
    await form.trigger('submit');
    await flushPromises();
    const alert = form.get('[role=alert]');
    expect(alert.text()).toBe("The account could not be saved: proxy: 'sip:proxy example' is not a sip:, sips: or tel: URI. It stays as it was.");
    expect(wrapper.find('[data-testid=account-form]').exists()).toBe(true);
    expect(store.accounts).toEqual([alice]);
    expect(wrapper.get('[data-testid=account-item]').text()).toContain('Registered');
  });

  it('Escape closes the form without saving and gives the focus back to Edit', async () => {
    const { wrapper, store } = await mountAccounts([alice]);
    await wrapper.findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    await wrapper.get('[data-testid=account-form] input').trigger('keydown', { key: 'Escape' });
    await flushPromises();
    expect(wrapper.find('[data-testid=account-form]').exists()).toBe(false);
    expect(store.update).not.toHaveBeenCalled();
    expect(document.activeElement?.getAttribute('data-account-edit')).toBe('a1');
  });

  it('speaks French', async () => {
    const { wrapper } = await mountAccounts([alice], 'fr');
    await wrapper.findAll('button').find((b) => b.text() === 'Modifier')!.trigger('click');
    const form = wrapper.get('[data-testid=account-form]');
    expect(form.text()).toContain('Laissez vide pour garder le mot de passe enregistré');
    expect(form.findAll('button').map((b) => b.text())).toContain('Enregistrer');
  });
});

describe('Settings: an account’s last error', () => {
  it('shows the status once when the reason already carries it, and adds it when not', async () => {
    const { wrapper } = await mountAccounts([
      { id: '1', aor: 'sip:alice@lab.test', state: 'failed', error: { status: 401, reason: 'wrong password for alice@lab.test (401 Unauthorized)' } },
      { id: '2', aor: 'sip:bob@lab.test', state: 'failed', error: { status: 403, reason: 'wrong password or user name' } },
      { id: '3', aor: 'sip:carol@lab.test', state: 'failed', error: { reason: 'the connection to the registrar was lost' } },
    ]);
    const items = wrapper.findAll('[data-testid=account-item]').map((i) => i.get('.settings-accounts__error').text());
    expect(items).toEqual([
      'Last error: wrong password for alice@lab.test (401 Unauthorized)',
      'Last error: wrong password or user name (403)',
      'Last error: the connection to the registrar was lost',
    ]);
  });

  it('says a missing password is missing, in English and in French', async () => {
    const missing: AccountSnapshot = {
      id: '1',
      aor: 'sip:alice@lab.test',
      state: 'failed',
      error: { status: 401, code: 'no-password', reason: 'no password is saved for alice@lab.test, and the registrar asks for one (401 Unauthorized)' },
    };
    const en = await mountAccounts([missing]);
    const text = en.wrapper.get('.settings-accounts__error').text();
    expect(text).toBe('No password is saved for alice@lab.test: enter it in Settings.');
    expect(text).not.toMatch(/wrong|401/);
    en.wrapper.unmount();
    const fr = await mountAccounts([missing], 'fr');
    expect(fr.wrapper.get('.settings-accounts__error').text()).toBe('Aucun mot de passe n’est enregistré pour alice@lab.test : saisissez-le dans les Réglages.');
  });
});

describe('accounts store: update', () => {
  it('sends account:update and shows the answer', async () => {
    setActivePinia(createPinia());
    const fake = installFakeAppel({
      'account:list': () => [alice],
      'account:update': (req) => ({ ...alice, state: 'unregistered', expires: undefined, config: { ...alice.config!, displayName: req.displayName ?? undefined } }),
    });
    const accounts = useAccountsStore();
    await accounts.load();
    await accounts.update({ id: 'a1', displayName: 'Alice B' });
    expect(fake.sent('account:update')).toEqual([{ id: 'a1', displayName: 'Alice B' }]);
    expect(accounts.accounts[0]).toMatchObject({ state: 'unregistered', config: { displayName: 'Alice B' } });
  });

  it('keeps a newer state heard while the update was under way, with the answer’s address and settings', async () => {
    setActivePinia(createPinia());
    let release!: () => void;
    const fake = installFakeAppel({
      'account:list': () => [alice],
      'account:update': () =>
        new Promise<AccountSnapshot>((resolve) => {
          release = () => resolve({ id: 'a1', aor: 'sip:carol@lab.test', state: 'unregistered', config: { aor: 'sip:carol@lab.test' } });
        }),
    });
    const accounts = useAccountsStore();
    accounts.listen();
    await accounts.load();
    const updating = accounts.update({ id: 'a1', aor: 'sip:carol@lab.test' });
    await flushPromises();
    fake.emit('account:state', { id: 'a1', aor: 'sip:carol@lab.test', state: 'registering', config: { aor: 'sip:carol@lab.test' } });
    release();
    await updating;
    expect(accounts.accounts).toEqual([{ id: 'a1', aor: 'sip:carol@lab.test', state: 'registering', config: { aor: 'sip:carol@lab.test' } }]);
  });

  it('a refused update leaves the account as it was and rejects with the engine’s words', async () => {
    setActivePinia(createPinia());
    installFakeAppel({
      'account:list': () => [alice],
      'account:update': () => {
        throw Object.assign(new Error('proxy: expected a sip: or sips: URI'), { code: 'bad-request' });
      },
    });
    const accounts = useAccountsStore();
    await accounts.load();
    await expect(accounts.update({ id: 'a1', proxy: 'http://x' })).rejects.toMatchObject({ code: 'bad-request', message: 'proxy: expected a sip: or sips: URI' });
    expect(accounts.accounts).toEqual([alice]);
  });
});
