import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallSnapshot, ContactSnapshot } from '../../../main/contract/api.ts';
import ContactEditor from '../../../renderer/src/components/contacts/ContactEditor.vue';
import CallIncomingPanel from '../../../renderer/src/components/call/CallIncomingPanel.vue';
import SettingsAccounts from '../../../renderer/src/components/settings/SettingsAccounts.vue';
import SettingsAppearance from '../../../renderer/src/components/settings/SettingsAppearance.vue';
import SettingsAccountForm from '../../../renderer/src/components/settings/SettingsAccountForm.vue';
import DialpadView from '../../../renderer/src/views/DialpadView.vue';
import CallView from '../../../renderer/src/views/CallView.vue';
import HistoryView from '../../../renderer/src/views/HistoryView.vue';
import ContactsView from '../../../renderer/src/views/ContactsView.vue';
import MessagesView from '../../../renderer/src/views/MessagesView.vue';
import { useContactsStore } from '../../../renderer/src/stores/contacts.ts';
import { useCallsStore } from '../../../renderer/src/stores/calls.ts';
import { useHistoryStore } from '../../../renderer/src/stores/history.ts';
import { useAccountsStore } from '../../../renderer/src/stores/accounts.ts';
import { useSettingsStore } from '../../../renderer/src/stores/settings.ts';
import { flushPromises, mountWith } from './mount.ts';
import { installFakeAppel } from './fake-appel.ts';

afterEach(() => {
  document.body.innerHTML = '';
});

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

const alice: ContactSnapshot = { id: 'a1', displayName: 'Alice Martin', favourite: true, notes: 'Team lead', addresses: [{ uri: 'sip:alice@lab.test', label: 'work' }], createdAt: 1, updatedAt: 1 };

describe('ContactEditor', () => {
  it('shows an inline error under a bad address and does not save', async () => {
    const { wrapper } = await mountWith(ContactEditor);
    const contacts = useContactsStore();
    await wrapper.get('[data-testid=contact-name] input').setValue('Bob');
    const uri = wrapper.get('[data-testid=contact-uri] input');
    // A plain 'bob@example.com' is completed now (below): two words are no address.
    await uri.setValue('bob smith');
    await uri.trigger('blur');
    expect(wrapper.text()).toContain('Not an address: type an extension, a number, name@domain or a sip: address.');
    expect(uri.attributes('aria-invalid')).toBe('true');
    expect(uri.attributes('aria-describedby')).toBeTruthy();
    await wrapper.get('form').trigger('submit');
    expect(contacts.save).not.toHaveBeenCalled();
    expect(wrapper.text()).toContain('Some fields need a look');
  });

  it('says what is wrong with a tel: number or a missing name', async () => {
    const { wrapper } = await mountWith(ContactEditor);
    await wrapper.get('[data-testid=contact-uri] input').setValue('tel:+33abc');
    await wrapper.get('form').trigger('submit');
    expect(wrapper.text()).toContain('Enter a name.');
    expect(wrapper.text()).toContain('A tel: number starts with + and the country code');
  });

  it('saves a good contact, several addresses and favourite, and says so', async () => {
    const { wrapper } = await mountWith(ContactEditor);
    const contacts = useContactsStore();
    vi.mocked(contacts.save).mockResolvedValue({ ...alice, id: 'new' });
    await wrapper.get('[data-testid=contact-name] input').setValue('  Bob Dupont ');
    await wrapper.get('[data-testid=contact-uri] input').setValue('sip:bob@lab.test');
    await wrapper.findAll('button').find((b) => b.text() === 'Add an address')!.trigger('click');
    await wrapper.findAll('[data-testid=contact-uri] input')[1].setValue('tel:+33123456789');
    await wrapper.get('[role=switch]').trigger('click');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(contacts.save).toHaveBeenCalledWith({
      displayName: 'Bob Dupont',
      favourite: true,
      notes: '',
      addresses: [
        { uri: 'sip:bob@lab.test', label: 'work' },
        { uri: 'tel:+33123456789', label: 'mobile' },
      ],
    });
    expect(wrapper.emitted('saved')?.[0]).toEqual([{ ...alice, id: 'new' }]);
  });

  it("completes an extension and user@host with the account's domain, showing what is saved", async () => {
    const { wrapper } = await mountWith(ContactEditor, { initialState: { accounts: { accounts: [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }], loaded: true } } });
    const contacts = useContactsStore();
    vi.mocked(contacts.save).mockResolvedValue({ ...alice, id: 'new' });
    await wrapper.get('[data-testid=contact-name] input').setValue('Bob');
    await wrapper.get('[data-testid=contact-uri] input').setValue('1234');
    await wrapper.findAll('button').find((b) => b.text() === 'Add an address')!.trigger('click');
    await wrapper.findAll('[data-testid=contact-uri] input')[1].setValue('bob@example.org');
    // What the user typed stays in the field; the completed address shows under it.
    expect((wrapper.findAll('[data-testid=contact-uri] input')[0].element as HTMLInputElement).value).toBe('1234');
    expect(wrapper.text()).toContain('Saved as sip:1234@lab.test');
    expect(wrapper.text()).toContain('Saved as sip:bob@example.org');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(vi.mocked(contacts.save).mock.calls[0][0].addresses).toEqual([
      { uri: 'sip:1234@lab.test', label: 'work' },
      { uri: 'sip:bob@example.org', label: 'mobile' },
    ]);
  });

  it('asks for an account (or a whole address) to complete an extension', async () => {
    const { wrapper } = await mountWith(ContactEditor, { initialState: { accounts: { accounts: [], loaded: true } } });
    const uri = wrapper.get('[data-testid=contact-uri] input');
    await uri.setValue('1234');
    await uri.trigger('blur');
    expect(wrapper.text()).toContain('Add an account first, or type the whole address');
  });

  it("shows the engine's refusal in words", async () => {
    const { wrapper } = await mountWith(ContactEditor, { props: { contact: alice } });
    const contacts = useContactsStore();
    vi.mocked(contacts.save).mockRejectedValue(new Error("uri: 'sip:alice:pw@x' carries a password"));
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[role=alert]').text()).toBe("The contact could not be saved: uri: 'sip:alice:pw@x' carries a password");
    expect(vi.mocked(contacts.save).mock.calls[0][0]).toMatchObject({ id: 'a1', displayName: 'Alice Martin' });
  });
});

describe('ContactsView', () => {
  it('lists favourites first and opens a contact with call and message buttons', async () => {
    const bob: ContactSnapshot = { ...alice, id: 'b1', displayName: 'Bob', favourite: false, addresses: [{ uri: 'tel:+331234', label: 'mobile' }] };
    const { wrapper, router } = await mountWith(ContactsView, { route: '/contacts/a1', initialState: { contacts: { contacts: [alice, bob], loaded: true } } });
    const groups = wrapper.findAll('h2.contacts-view__group').map((h) => h.text());
    expect(groups).toEqual(['Favourites', 'All contacts']);
    const detail = wrapper.get('[data-testid=contact-detail]');
    expect(detail.text()).toContain('Alice Martin');
    expect(detail.text()).toContain('Team lead');
    expect(detail.find('[aria-label="Call alice@lab.test"]').exists()).toBe(true);
    await detail.get('[aria-label="Send a message to alice@lab.test"]').trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.fullPath).toBe('/messages/sip%3Aalice%40lab.test');
  });
});

describe('CallIncomingPanel', () => {
  it('shows who calls and answers', async () => {
    const { wrapper, router } = await mountWith(CallIncomingPanel, {
      initialState: { calls: { calls: [snapshot({ id: 'in1', direction: 'incoming', state: 'ringing', answeredAt: undefined })] } },
    });
    const calls = useCallsStore();
    expect(wrapper.text()).toContain('Incoming call');
    expect(wrapper.text()).toContain('Bob');
    expect(wrapper.text()).toContain('bob@lab.test');
    await wrapper.get('[aria-label=Answer]').trigger('click');
    await flushPromises();
    expect(calls.answer).toHaveBeenCalledWith('in1');
    expect(router.currentRoute.value.path).toBe('/call');
  });

  it('declines, and shows nothing without a ringing call', async () => {
    const { wrapper } = await mountWith(CallIncomingPanel, {
      initialState: { calls: { calls: [snapshot({ id: 'in1', direction: 'incoming', state: 'ringing', answeredAt: undefined })] } },
    });
    await wrapper.get('[aria-label=Decline]').trigger('click');
    expect(useCallsStore().decline).toHaveBeenCalledWith('in1');
    const empty = await mountWith(CallIncomingPanel);
    expect(empty.wrapper.find('[data-testid=incoming-call]').exists()).toBe(false);
  });
});

describe('DialpadView', () => {
  const account = { accounts: { accounts: [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }], loaded: true } };

  it("completes a number with the account's domain and calls it with Enter", async () => {
    const { wrapper } = await mountWith(DialpadView, { initialState: account });
    const input = wrapper.get('[data-testid=dialpad-input]');
    await input.setValue('10');
    await wrapper.get('[aria-label="Key 0"]').trigger('click');
    await wrapper.get('[aria-label="Key 1"]').trigger('click');
    expect((input.element as HTMLInputElement).value).toBe('1001');
    expect(wrapper.get('#dialpad-preview').text()).toBe('Calls 1001@lab.test');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(useCallsStore().dial).toHaveBeenCalledWith('sip:1001@lab.test', '1');
  });

  it('says when a number needs an account, and disables the call button', async () => {
    const { wrapper } = await mountWith(DialpadView, { initialState: { accounts: { accounts: [], loaded: true } } });
    expect(wrapper.text()).toContain('No account yet');
    await wrapper.get('[data-testid=dialpad-input]').setValue('1001');
    expect(wrapper.get('#dialpad-preview').text()).toBe('Choose an account to call a number, or type a full sip: address.');
    expect(wrapper.get('[data-testid=dialpad-call]').attributes('disabled')).toBeDefined();
    await wrapper.get('[data-testid=dialpad-input]').setValue('sip:bob@192.0.2.1');
    expect(wrapper.get('[data-testid=dialpad-call]').attributes('disabled')).toBeUndefined();
  });

  it('suggests contacts by name, accents aside', async () => {
    const elodie: ContactSnapshot = { ...alice, id: 'e', displayName: 'Élodie Roux', addresses: [{ uri: 'sip:elodie@lab.test', label: 'home' }] };
    const { wrapper } = await mountWith(DialpadView, { initialState: { ...account, contacts: { contacts: [elodie] } } });
    await wrapper.get('[data-testid=dialpad-input]').setValue('elo');
    const list = wrapper.get('[aria-label=Suggestions]');
    expect(list.text()).toContain('Élodie Roux');
    expect(list.text()).toContain('elodie@lab.test · Home');
    await list.get('button').trigger('click');
    expect(useCallsStore().dial).toHaveBeenCalledWith('sip:elodie@lab.test', '1');
  });
});

describe('CallView', () => {
  it('shows who, state with timer, codec, SRTP and live quality', async () => {
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      initialState: {
        calls: { calls: [snapshot()], stats: { c1: { callId: 'c1', codec: 'opus', srtp: true, mos: 4.32, jitterMs: 2.6, lossPercent: 0.4, rttMs: 18, packetsSent: 1, packetsReceived: 1 } } },
      },
    });
    expect(wrapper.get('h1').text()).toBe('Bob');
    expect(wrapper.get('[data-testid=call-state]').text()).toMatch(/^Connected · 1:0[5-6]$/);
    expect(wrapper.text()).toContain('OPUS');
    expect(wrapper.text()).toContain('Encrypted');
    const quality = wrapper.get('[data-testid=call-quality]').text();
    expect(quality).toContain('Good');
    expect(quality).toContain('4.3');
    expect(quality).toContain('3 ms');
    expect(quality).toContain('0.4 %');
    await wrapper.findAll('button').find((b) => b.text() === 'Hold')!.trigger('click');
    expect(useCallsStore().hold).toHaveBeenCalledWith('c1');
    await wrapper.get('[data-testid=call-hangup]').trigger('click');
    expect(useCallsStore().hangupActive).toHaveBeenCalledTimes(1);
  });

  it('sends DTMF from the keypad and offers swap with a second call', async () => {
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      initialState: { calls: { calls: [snapshot({ id: 'h', state: 'held', heldBy: 'local', peer: { uri: 'sip:carol@lab.test' } }), snapshot()], activeId: 'c1' } },
    });
    await wrapper.findAll('button').find((b) => b.text() === 'Keypad')!.trigger('click');
    await wrapper.get('[aria-label="Key 5"]').trigger('click');
    expect(useCallsStore().dtmf).toHaveBeenCalledWith('c1', '5');
    expect(wrapper.text()).toContain('Other call — carol@lab.test');
    await wrapper.findAll('button').find((b) => b.text() === 'Swap')!.trigger('click');
    expect(useCallsStore().swap).toHaveBeenCalled();
  });

  it('transfers to an address completed with the account domain, or to the other call', async () => {
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      initialState: {
        calls: { calls: [snapshot({ id: 'h', state: 'held', heldBy: 'local', peer: { uri: 'sip:carol@lab.test' } }), snapshot()], activeId: 'c1' },
        accounts: { accounts: [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }] },
      },
    });
    await wrapper.findAll('button').find((b) => b.text() === 'Transfer')!.trigger('click');
    const dialog = document.querySelector('[role=dialog]') as HTMLElement;
    expect(dialog.textContent).toContain('Transfer the call');
    const input = dialog.querySelector('input') as HTMLInputElement;
    input.value = '1002';
    input.dispatchEvent(new Event('input'));
    [...dialog.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Transfer')!.click();
    await flushPromises();
    expect(useCallsStore().transfer).toHaveBeenCalledWith('c1', 'sip:1002@lab.test');
    await wrapper.findAll('button').find((b) => b.text() === 'Transfer')!.trigger('click');
    const again = document.querySelector('[role=dialog]') as HTMLElement;
    [...again.querySelectorAll('button')].find((b) => b.textContent?.includes('Connect with carol@lab.test'))!.click();
    await flushPromises();
    expect(useCallsStore().attendedTransfer).toHaveBeenCalledWith('c1', 'h');
    await wrapper.findAll('button').find((b) => b.text() === 'Merge')!.trigger('click');
    expect(useCallsStore().merge).toHaveBeenCalled();
  });

  it('says how the last call ended', async () => {
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      initialState: { calls: { lastEnded: snapshot({ state: 'ended', endReason: 'sip:bob@lab.test is busy (486 Busy Here)', answeredAt: undefined }) } },
    });
    expect(wrapper.get('[data-testid=call-ended]').text()).toContain('Call ended: sip:bob@lab.test is busy (486 Busy Here)');
  });
});

describe('HistoryView', () => {
  it('lists calls with their outcome and filters through the store', async () => {
    const { wrapper } = await mountWith(HistoryView, {
      route: '/history',
      initialState: {
        history: {
          loaded: true,
          entries: [
            { id: 2, direction: 'incoming', peer: { uri: 'sip:carol@lab.test' }, startedAt: Date.now(), duration: 0, outcome: 'missed' },
            { id: 1, direction: 'outgoing', peer: { uri: 'sip:alice@lab.test' }, startedAt: Date.now() - 1000, duration: 95, outcome: 'answered' },
          ],
        },
        contacts: { contacts: [alice] },
      },
    });
    const items = wrapper.findAll('[data-testid=history-item]');
    expect(items[0].text()).toContain('carol@lab.test');
    expect(items[0].text()).toContain('Incoming call · Missed');
    expect(items[1].text()).toContain('Alice Martin');
    expect(items[1].text()).toContain('Outgoing call · Answered · 1:35');
    expect(items[0].find('[aria-label="Add carol@lab.test to contacts"]').exists()).toBe(true);
    expect(items[1].find('[aria-label="Add Alice Martin to contacts"]').exists()).toBe(false);
    await wrapper.get('[role=radio][aria-checked=false]').trigger('click');
    expect(useHistoryStore().load).toHaveBeenCalledWith('incoming');
  });
});

describe('Settings', () => {
  it('shows registration states and the last error in words', async () => {
    const { wrapper } = await mountWith(SettingsAccounts, {
      initialState: {
        accounts: {
          accounts: [
            { id: '1', aor: 'sip:alice@lab.test', state: 'failed', error: { status: 403, reason: 'wrong password or user name' } },
            { id: '2', aor: 'sip:bob@lab.test', state: 'registered', expires: 600 },
          ],
        },
      },
    });
    const items = wrapper.findAll('[data-testid=account-item]');
    expect(items[0].text()).toContain('Registration failed');
    expect(items[0].text()).toContain('Last error: wrong password or user name (403)');
    expect(items[1].text()).toContain('Registered');
    expect(items[1].text()).toContain('Renewed every 600 s');
    await items[0].findAll('button').find((b) => b.text() === 'Test account')!.trigger('click');
    expect(useAccountsStore().test).toHaveBeenCalledWith('1');
  });

  it('checks the account address before adding it, and never keeps the password', async () => {
    const { wrapper } = await mountWith(SettingsAccountForm);
    const [aor, , password] = wrapper.findAll('input');
    await aor.setValue('alice@lab.test');
    await aor.trigger('blur');
    expect(wrapper.text()).toContain('Enter a sip: address with a user and a domain');
    await wrapper.get('form').trigger('submit');
    expect(useAccountsStore().add).not.toHaveBeenCalled();
    await aor.setValue('sip:alice@lab.test');
    await password.setValue('s3cret');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(useAccountsStore().add).toHaveBeenCalledWith({ aor: 'sip:alice@lab.test', password: 's3cret', register: true });
    expect((password.element as HTMLInputElement).value).toBe('');
  });

  it('speaks French and switches language and theme through the settings', async () => {
    const { wrapper } = await mountWith(SettingsAppearance, { locale: 'fr' });
    expect(wrapper.text()).toContain('Langue');
    expect(wrapper.text()).toContain('Thème');
    expect(wrapper.text()).toContain('Démarrer réduit');
    await wrapper.get('select').setValue('en');
    expect(useSettingsStore().set).toHaveBeenCalledWith({ language: 'en' });
    await wrapper.findAll('[role=radio]').find((b) => b.text() === 'Sombre')!.trigger('click');
    expect(useSettingsStore().set).toHaveBeenCalledWith({ theme: 'dark' });
  });
});

describe('HistoryView names', () => {
  it("shows the contact's name the engine resolved, and a number's contact by its digits", async () => {
    const cara: ContactSnapshot = { ...alice, id: 'c1', displayName: 'Cara', addresses: [{ uri: 'tel:+1-555-1234', label: 'mobile' }] };
    const { wrapper } = await mountWith(HistoryView, {
      route: '/history',
      initialState: {
        history: {
          loaded: true,
          entries: [
            { id: 2, direction: 'incoming', peer: { uri: 'sip:bob@lab.test', displayName: 'desk 12' }, contactId: 'b1', contactName: 'Bob', startedAt: Date.now(), duration: 0, outcome: 'missed' },
            { id: 1, direction: 'outgoing', peer: { uri: 'sip:+15551234@lab.test;user=phone' }, startedAt: Date.now() - 1000, duration: 5, outcome: 'answered' },
          ],
        },
        contacts: { contacts: [cara] },
      },
    });
    const items = wrapper.findAll('[data-testid=history-item]');
    expect(items[0].text()).toContain('Bob');
    expect(items[0].text()).not.toContain('desk 12');
    expect(items[1].text()).toContain('Cara');
  });
});

describe('MessagesView: a new conversation finds the contact', () => {
  const bob: ContactSnapshot = { ...alice, id: 'b1', displayName: 'Bob', favourite: false, addresses: [{ uri: 'sip:bob@lab.test', label: 'work' }] };
  const last = { id: 'm1', direction: 'incoming' as const, peer: 'sip:bob@lab.test', text: 'hi', contentType: 'text/plain', time: 1, status: 'received' as const };
  const state = (conversations: unknown[]) => ({
    accounts: { accounts: [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }], loaded: true },
    contacts: { contacts: [alice, bob], loaded: true },
    messages: { conversations },
  });
  async function startWith(text: string, conversations: unknown[]) {
    const mounted = await mountWith(MessagesView, { route: '/messages', initialState: state(conversations) });
    await mounted.wrapper.findAll('button').find((b) => b.text() === 'New conversation')!.trigger('click');
    await flushPromises();
    const field = mounted.wrapper.findAll('input').find((i) => i.attributes('placeholder')?.includes('1234'))!;
    await field.setValue(text);
    await field.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    return mounted;
  }

  it('"Bob" opens contact Bob\'s thread, not a second one at sip:Bob@lab.test', async () => {
    const { router } = await startWith('Bob', [{ peer: 'sip:bob@lab.test', contactId: 'b1', displayName: 'Bob', last, unread: 0 }]);
    expect(router.currentRoute.value.fullPath).toBe(`/messages/${encodeURIComponent('sip:bob@lab.test')}`);
  });

  it("a contact's name with no thread yet starts one at the contact's address", async () => {
    const { router } = await startWith('bob', []);
    expect(router.currentRoute.value.fullPath).toBe(`/messages/${encodeURIComponent('sip:bob@lab.test')}`);
  });

  it('a number reopens the thread held with it (by digits), an address with another host case too', async () => {
    const phone = { ...last, peer: 'sip:+15551234@lab.test' };
    let { router } = await startWith('tel:+1-555-1234', [{ peer: 'sip:+15551234@lab.test', last: phone, unread: 0 }]);
    expect(router.currentRoute.value.fullPath).toBe(`/messages/${encodeURIComponent('sip:+15551234@lab.test')}`);
    ({ router } = await startWith('sip:carol@LAB.TEST', [{ peer: 'sip:carol@lab.test', last, unread: 0 }]));
    expect(router.currentRoute.value.fullPath).toBe(`/messages/${encodeURIComponent('sip:carol@lab.test')}`);
  });
});

describe('CallView: how a call ended, in both languages', () => {
  const ended = (over: Partial<CallSnapshot>) => ({ calls: { lastEnded: snapshot({ state: 'ended', endReason: 'the other side hung up', ...over }) } });

  it.each([
    ['en', { endCode: 'remote-hangup', endedBy: 'remote' }, 'Call ended: The other side hung up'],
    ['fr', { endCode: 'remote-hangup', endedBy: 'remote' }, 'Appel terminé : Votre correspondant a raccroché'],
    ['en', { endCode: 'busy', endStatus: 486, endReason: 'busy' }, 'Call ended: Busy (486)'],
    ['fr', { endCode: 'busy', endStatus: 486, endReason: 'busy' }, 'Appel terminé : Occupé (486)'],
    ['en', { endCode: 'srtp-required', endStatus: 488 }, 'Call ended: The other side requires encryption (SRTP): turn it on in Settings (488)'],
    ['fr', { endCode: 'srtp-required', endStatus: 488 }, 'Appel terminé : Votre correspondant exige le chiffrement (SRTP) : activez-le dans les Réglages (488)'],
    ['fr', { endCode: 'no-answer', endStatus: 408, endReason: 'no answer' }, 'Appel terminé : Pas de réponse (408)'],
    ['fr', { endCode: 'local-hangup', endReason: 'call ended' }, 'Appel terminé : Vous avez raccroché'],
  ] as const)('%s: %j reads "%s", never the engine words', async (locale, over, words) => {
    const { wrapper } = await mountWith(CallView, { route: '/call', locale, initialState: ended(over) });
    const reason = wrapper.get('[data-testid=call-end-reason]');
    expect(reason.text()).toBe(words);
    if (locale === 'fr') expect(wrapper.text()).not.toMatch(/hung up|busy|no answer|call ended/i);
  });

  it('every end code has words in English and French', async () => {
    const { END_CODES } = await import('../../../main/contract/end-codes.ts');
    const { en } = await import('../../../renderer/src/i18n/en.ts');
    const { fr } = await import('../../../renderer/src/i18n/fr.ts');
    for (const code of END_CODES) {
      expect((en.reasons as Record<string, string>)[code], code).toBeTruthy();
      expect((fr.reasons as Record<string, string>)[code], code).toBeTruthy();
    }
  });

  it('a blind transfer reads as a success, with the contact name, not as a failure', async () => {
    const dave: ContactSnapshot = { ...alice, id: 'd1', displayName: 'Dave', addresses: [{ uri: 'sip:dave@lab.test', label: 'work' }] };
    for (const [locale, words] of [['en', 'Transferred to Dave'], ['fr', 'Transféré à Dave']] as const) {
      const { wrapper } = await mountWith(CallView, {
        route: '/call',
        locale,
        initialState: { ...ended({ endCode: 'transferred', endTarget: 'sip:dave@lab.test', endReason: 'transferred to sip:dave@lab.test' }), contacts: { contacts: [dave] } },
      });
      const reason = wrapper.get('[data-testid=call-end-reason]');
      expect(reason.text()).toBe(words);
      expect(reason.classes()).toContain('call-view__end--success');
      wrapper.unmount();
    }
  });

  it('a failure is marked as one; a hang-up is not', async () => {
    const busy = await mountWith(CallView, { route: '/call', initialState: ended({ endCode: 'busy', endStatus: 486 }) });
    expect(busy.wrapper.get('[data-testid=call-end-reason]').classes()).toContain('call-view__end--failure');
    busy.wrapper.unmount();
    const hangup = await mountWith(CallView, { route: '/call', initialState: ended({ endCode: 'local-hangup' }) });
    expect(hangup.wrapper.get('[data-testid=call-end-reason]').classes()).toContain('call-view__end--plain');
  });
});

describe('CallView: the call screen states', () => {
  it('with the keypad open, hang up stays and the meters and quality make room', async () => {
    const { wrapper } = await mountWith(CallView, { route: '/call', initialState: { calls: { calls: [snapshot()] } } });
    await wrapper.findAll('button').find((b) => b.text() === 'Keypad')!.trigger('click');
    expect(wrapper.find('[aria-label="Key 5"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid=call-hangup]').exists()).toBe(true);
    expect(wrapper.find('[data-testid=call-quality]').exists()).toBe(false);
    expect(wrapper.get('[data-testid=call-screen]').classes()).toContain('call-view__stage--keypad');
  });

  it('in a conference the other call does not look held; hanging up asks what becomes of the others', async () => {
    const fake = installFakeAppel({
      'call:hangup': () => undefined,
      'call:resume': (r) => snapshot({ id: r.callId, peer: { uri: 'sip:carol@lab.test', displayName: 'Carol' } }),
      'conference:split': () => [snapshot(), snapshot({ id: 'c2', state: 'held', peer: { uri: 'sip:carol@lab.test', displayName: 'Carol' } })],
    });
    const a = snapshot({ conferenceId: 'k1' });
    const b = snapshot({ id: 'c2', peer: { uri: 'sip:carol@lab.test', displayName: 'Carol' }, conferenceId: 'k1' });
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      stubActions: false,
      initialState: { calls: { calls: [b, a], activeId: 'c1', conferences: { k1: { id: 'k1', members: ['c1', 'c2'], state: 'active' } } } },
    });
    const bar = wrapper.get('[data-testid=call-other]');
    expect(bar.classes()).not.toContain('call-view__other--held');
    expect(bar.classes()).toContain('call-view__other--conference');
    expect(bar.text()).toContain('Connected');
    await wrapper.get('[data-testid=call-hangup]').trigger('click');
    await flushPromises();
    expect(fake.sent('call:hangup')).toEqual([]);
    const dialog = document.querySelector('[data-testid=conference-end]') as HTMLElement;
    expect(dialog.textContent).toContain('End the call for everyone');
    expect(dialog.textContent).toContain('Leave Bob and Carol talking together');
    expect(dialog.textContent).toContain('Hang up Bob only');
    (dialog.querySelector('[data-testid=conference-end-only]') as HTMLElement).click();
    await flushPromises();
    expect(fake.sent('conference:split')).toEqual([{ conferenceId: 'k1' }]);
    expect(fake.sent('call:hangup')).toEqual([{ callId: 'c1' }]);
    expect(fake.sent('call:resume')).toEqual([{ callId: 'c2' }]);
  });

  it('a refused transfer is worded from its SIP status, in French', async () => {
    const { TransferFailure } = await import('../../../renderer/src/stores/calls.ts');
    const { useToastsStore } = await import('../../../renderer/src/stores/toasts.ts');
    const { wrapper } = await mountWith(CallView, { route: '/call', locale: 'fr', initialState: { calls: { calls: [snapshot()] } } });
    vi.mocked(useCallsStore().transfer).mockRejectedValue(new TransferFailure('the transfer target is busy (486)', 486));
    await wrapper.findAll('button').find((b) => b.text() === 'Transférer')!.trigger('click');
    const dialog = document.querySelector('[role=dialog]') as HTMLElement;
    const input = dialog.querySelector('input') as HTMLInputElement;
    input.value = 'sip:dave@lab.test';
    input.dispatchEvent(new Event('input'));
    [...dialog.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Transférer')!.click();
    await flushPromises();
    expect(useToastsStore().error).toHaveBeenCalledWith('Le transfert n’a pas abouti : Occupé (486)');
  });

  it('records on demand: the button asks the engine, the screen says it records', async () => {
    const { wrapper } = await mountWith(CallView, { route: '/call', initialState: { calls: { calls: [snapshot()] } } });
    await wrapper.get('[data-testid=call-record]').trigger('click');
    expect(useCallsStore().record).toHaveBeenCalledWith('c1', true);
    expect(wrapper.find('[data-testid=call-recording]').exists()).toBe(false);
    const recording = await mountWith(CallView, { route: '/call', locale: 'fr', initialState: { calls: { calls: [snapshot({ recording: true, record: '/x/r.wav' })] } } });
    expect(recording.wrapper.get('[data-testid=call-recording]').text()).toBe('Enregistrement');
    expect(recording.wrapper.get('[data-testid=call-record]').text()).toBe('Arrêter l’enregistrement');
    await recording.wrapper.get('[data-testid=call-record]').trigger('click');
    expect(useCallsStore().record).toHaveBeenCalledWith('c1', false);
  });

  it('a held other call keeps the held look', async () => {
    const { wrapper } = await mountWith(CallView, {
      route: '/call',
      initialState: { calls: { calls: [snapshot({ id: 'h', state: 'held', heldBy: 'local', peer: { uri: 'sip:carol@lab.test' } }), snapshot()], activeId: 'c1' } },
    });
    expect(wrapper.get('[data-testid=call-other]').classes()).toContain('call-view__other--held');
  });
});

describe('HistoryView: a row in detail', () => {
  const entry = {
    id: 3,
    direction: 'outgoing' as const,
    peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' },
    startedAt: Date.UTC(2026, 11, 7, 9, 30, 0),
    answeredAt: Date.UTC(2026, 11, 7, 9, 30, 5),
    endedAt: Date.UTC(2026, 11, 7, 9, 31, 40),
    duration: 95,
    outcome: 'answered' as const,
    endReason: 'the other side hung up',
    endCode: 'remote-hangup' as const,
    codec: 'opus' as const,
    recording: '/home/me/.config/Appel/recordings/c3.wav',
  };

  it.each([
    ['en', ['Bob', 'bob@lab.test', 'Outgoing call · Answered', '1:35', 'OPUS', 'The other side hung up', '/home/me/.config/Appel/recordings/c3.wav', '2026']],
    ['fr', ['Bob', 'Appel émis · Répondu', '1:35', 'OPUS', 'Votre correspondant a raccroché', '/home/me/.config/Appel/recordings/c3.wav', '2026']],
  ] as const)('%s: who, when, duration, codec, reason and recording', async (locale, words) => {
    const { wrapper } = await mountWith(HistoryView, { route: '/history', locale, initialState: { history: { loaded: true, entries: [entry] } } });
    expect(wrapper.get('[data-testid=history-item]').text()).toContain(locale === 'en' ? 'Recorded' : 'Enregistré');
    await wrapper.get('[data-testid=history-details]').trigger('click');
    const detail = document.querySelector('[data-testid=history-detail]') as HTMLElement;
    for (const w of words) expect(detail.textContent).toContain(w);
    if (locale === 'fr') expect(detail.textContent).not.toContain('hung up');
  });

  it('a failure shows its SIP status', async () => {
    const busy = { ...entry, id: 4, outcome: 'busy' as const, duration: 0, answeredAt: undefined, endCode: 'busy' as const, endStatus: 486, endReason: 'busy', recording: undefined };
    const { wrapper } = await mountWith(HistoryView, { route: '/history', locale: 'fr', initialState: { history: { loaded: true, entries: [busy] } } });
    await wrapper.get('[data-testid=history-details]').trigger('click');
    expect(document.querySelector('[data-testid=history-detail-reason]')!.textContent).toBe('Occupé (486)');
    expect(document.querySelector('[data-testid=history-detail-recording]')!.textContent?.trim()).toBe('Non enregistré');
  });
});
