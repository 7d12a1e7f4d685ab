/**
 * The contact editor keeps a local `tel:` number as the dialpad calls it (contract keptAddress):
 * completed on the account's domain, what was typed left in the field, or refused in words.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ContactSnapshot } from '../../../main/contract/api.ts';
import ContactEditor from '../../../renderer/src/components/contacts/ContactEditor.vue';
import { useContactsStore } from '../../../renderer/src/stores/contacts.ts';
import { flushPromises, mountWith } from './mount.ts';

afterEach(() => {
  document.body.innerHTML = '';
});

const alice: ContactSnapshot = { id: 'a1', displayName: 'Alice Martin', favourite: true, notes: '', addresses: [{ uri: 'sip:alice@lab.test', label: 'work' }], createdAt: 1, updatedAt: 1 };

describe('ContactEditor: a local tel: number', () => {
  it('is saved as the dialpad calls it, or why not is said in words (en, fr)', async () => {
    const withAccount = { accounts: { accounts: [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }], loaded: true } };
    const { wrapper } = await mountWith(ContactEditor, { initialState: withAccount });
    const contacts = useContactsStore();
    vi.mocked(contacts.save).mockResolvedValue({ ...alice, id: 'new' });
    await wrapper.get('[data-testid=contact-name] input').setValue('Pharmacie');
    await wrapper.get('[data-testid=contact-uri] input').setValue('tel:555-1234');
    expect((wrapper.get('[data-testid=contact-uri] input').element as HTMLInputElement).value).toBe('tel:555-1234');
    expect(wrapper.text()).toContain('Saved as sip:5551234@lab.test');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(vi.mocked(contacts.save).mock.calls[0][0].addresses).toEqual([{ uri: 'sip:5551234@lab.test', label: 'work' }]);

    for (const [locale, words] of [
      ['en', 'A number without + and its country code is called on your account’s domain'],
      ['fr', 'Un numéro sans + ni indicatif de pays s’appelle sur le domaine de votre compte'],
    ] as const) {
      const bare = await mountWith(ContactEditor, { locale, initialState: { accounts: { accounts: [], loaded: true } } });
      const uri = bare.wrapper.get('[data-testid=contact-uri] input');
      await uri.setValue('tel:5551234');
      await uri.trigger('blur');
      expect(bare.wrapper.text()).toContain(words);
      bare.wrapper.unmount();
    }
  });

});
