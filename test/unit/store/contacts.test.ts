/** Contacts: create, read, update, delete; checked addresses; search by name, URI and number. */
import { describe, expect, it } from 'vitest';
import { StoreError, checkAddress } from '../../../main/store/index.ts';
import { fakeClock, openStore } from './helpers.ts';

describe('contacts', () => {
  it('are created, read, replaced and deleted, with times from the clock', () => {
    const clock = fakeClock();
    const store = openStore({ now: clock.now });
    const created = store.contacts.save({
      displayName: '  Alice Martin ',
      notes: 'line 1\nline 2',
      addresses: [
        { uri: 'sip:alice@example.com', label: 'work' },
        { uri: 'tel:+33-1-23-45-67-89', label: 'mobile' },
      ],
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: 'Alice Martin',
      favourite: false,
      notes: 'line 1\nline 2',
      addresses: [
        { uri: 'sip:alice@example.com', label: 'work' },
        { uri: 'tel:+33-1-23-45-67-89', label: 'mobile' },
      ],
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    expect(store.contacts.get(created.id)).toEqual(created);

    clock.advance(60_000);
    const updated = store.contacts.save({ id: created.id, displayName: 'Alice M.', favourite: true, addresses: [{ uri: 'SIPS:alice@example.com', label: 'home' }] });
    expect(updated).toMatchObject({ displayName: 'Alice M.', favourite: true, notes: '', addresses: [{ uri: 'sips:alice@example.com', label: 'home' }] });
    expect(updated.createdAt).toBe(created.createdAt);
    expect(updated.updatedAt).toBe(created.createdAt + 60_000);

    store.contacts.delete(created.id);
    expect(store.contacts.list()).toEqual([]);
    expect(() => store.contacts.get(created.id)).toThrow(StoreError);
    expect(() => store.contacts.delete(created.id)).toThrow(`id: no contact '${created.id}'`);
  });

  it('an unknown id is refused, not created', () => {
    const store = openStore();
    expect(() => store.contacts.save({ id: 'nope', displayName: 'X', addresses: [] })).toThrow("id: no contact 'nope'");
    expect(store.contacts.list()).toEqual([]);
  });

  it('favourite flag on and off; favourites only', () => {
    const store = openStore();
    const a = store.contacts.save({ displayName: 'A', addresses: [] });
    store.contacts.save({ displayName: 'B', addresses: [] });
    expect(store.contacts.setFavourite(a.id, true).favourite).toBe(true);
    expect(store.contacts.list({ favourites: true }).map((c) => c.displayName)).toEqual(['A']);
    store.contacts.setFavourite(a.id, false);
    expect(store.contacts.list({ favourites: true })).toEqual([]);
    expect(() => store.contacts.setFavourite('missing', true)).toThrow(StoreError);
  });

  it('the same address twice is kept once', () => {
    const store = openStore();
    const c = store.contacts.save({
      displayName: 'Dup',
      addresses: [
        { uri: 'sip:bob@Example.com', label: 'work' },
        { uri: 'sip:bob@example.com;transport=tcp', label: 'home' },
      ],
    });
    expect(c.addresses).toEqual([{ uri: 'sip:bob@Example.com', label: 'work' }]);
  });
});

describe('address checks (the store API boundary)', () => {
  it.each([
    ['bob@example', "uri: 'bob@example' is not a sip:, sips: or tel: URI"],
    ['http://example.com', "uri: 'http://example.com' is not a sip:, sips: or tel: URI"],
    ['sip:', "uri: 'sip:' is not a sip:, sips: or tel: URI"],
    ['sip:bob@exa mple.com', "uri: 'sip:bob@exa mple.com' is not a sip:, sips: or tel: URI"],
    ['sip:bob@example.com:99999', "uri: 'sip:bob@example.com:99999' is not a sip:, sips: or tel: URI"],
    ['tel:call-me', "uri: 'tel:call-me' is not a sip:, sips: or tel: URI"],
    ['tel:+', "uri: 'tel:+' is not a sip:, sips: or tel: URI"],
  ])('%s is refused', (uri, message) => {
    expect(() => checkAddress(uri)).toThrow(new TypeError(message));
  });

  it.each([
    ['sip:alice@example.com', 'sip:alice@example.com'],
    ['SIP:alice@example.com:5061;transport=tls', 'sip:alice@example.com:5061;transport=tls'],
    ['sips:bob@[2001:db8::1]:5061', 'sips:bob@[2001:db8::1]:5061'],
    ['sip:+33123456789@pbx.example.com;user=phone', 'sip:+33123456789@pbx.example.com;user=phone'],
    ['sip:192.0.2.4', 'sip:192.0.2.4'],
    ['sip:alice%20smith@example.com?subject=hi', 'sip:alice%20smith@example.com?subject=hi'],
    ['tel:+1-201-555-0123', 'tel:+1-201-555-0123'],
    ['tel:7042;phone-context=example.com', 'tel:7042;phone-context=example.com'],
    ['tel:0612345678', 'tel:0612345678'],
  ])('%s is accepted as %s', (uri, expected) => {
    expect(checkAddress(uri)).toBe(expected);
  });

  it('a password in the URI is refused without repeating it', () => {
    expect(() => checkAddress('sip:bob:hunter2@example.com')).toThrow(/carries a password/);
    try {
      checkAddress('sip:bob:hunter2@example.com');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('a bad contact names the field and changes nothing', () => {
    const store = openStore();
    expect(() => store.contacts.save({ displayName: 'Bob', addresses: [{ uri: 'bob@example', label: 'work' }] })).toThrow(
      new TypeError("addresses[0].uri: 'bob@example' is not a sip:, sips: or tel: URI"),
    );
    expect(() => store.contacts.save({ displayName: 'Bob', addresses: [{ uri: 'sip:bob@example.com', label: 'office' as 'work' }] })).toThrow(
      "addresses[0].label: expected work, home, mobile, other, not 'office'",
    );
    expect(() => store.contacts.save({ displayName: ' ', addresses: [] })).toThrow('displayName: a name is needed');
    expect(() => store.contacts.save({ displayName: 'Bob' } as never)).toThrow('addresses: is required');
    expect(store.contacts.list()).toEqual([]);
  });
});

describe('search', () => {
  function seeded() {
    const store = openStore();
    const ids = {
      elodie: store.contacts.save({ displayName: 'Élodie Ŝtraße-Müller', addresses: [{ uri: 'sip:elodie@example.fr', label: 'work' }] }).id,
      francois: store.contacts.save({ displayName: 'FRANÇOIS Lefèvre', addresses: [{ uri: 'tel:+33123456789', label: 'mobile' }] }).id,
      zoe: store.contacts.save({ displayName: 'Zoë', favourite: true, addresses: [{ uri: 'sip:0612345678@pbx.example.com', label: 'work' }] }).id,
      kim: store.contacts.save({ displayName: 'Kim 100% Real_Name', addresses: [{ uri: 'sips:kim@secure.example.org', label: 'home' }] }).id,
    };
    return { store, ids };
  }
  const names = (list: Array<{ displayName: string }>) => list.map((c) => c.displayName);

  it('finds names without case or accents, word by word, in any order', () => {
    const { store } = seeded();
    expect(names(store.contacts.list({ text: 'elodie' }))).toEqual(['Élodie Ŝtraße-Müller']);
    expect(names(store.contacts.list({ text: 'MULLER' }))).toEqual(['Élodie Ŝtraße-Müller']);
    expect(names(store.contacts.list({ text: 'francois' }))).toEqual(['FRANÇOIS Lefèvre']);
    expect(names(store.contacts.list({ text: 'lefevre franc' }))).toEqual(['FRANÇOIS Lefèvre']);
    expect(names(store.contacts.list({ text: 'zoe' }))).toEqual(['Zoë']);
  });

  it('finds a number by its digits, whatever the punctuation', () => {
    const { store } = seeded();
    expect(names(store.contacts.list({ text: '+33 1 23' }))).toEqual(['FRANÇOIS Lefèvre']);
    expect(names(store.contacts.list({ text: '45-67-89' }))).toEqual(['FRANÇOIS Lefèvre']);
    expect(names(store.contacts.list({ text: '06 12 34' }))).toEqual(['Zoë']);
    expect(names(store.contacts.list({ text: '1234' }))).toEqual(['FRANÇOIS Lefèvre', 'Zoë']);
  });

  it('finds URIs by any part, and takes % and _ literally', () => {
    const { store } = seeded();
    expect(names(store.contacts.list({ text: 'example.fr' }))).toEqual(['Élodie Ŝtraße-Müller']);
    expect(names(store.contacts.list({ text: 'SIPS:KIM' }))).toEqual(['Kim 100% Real_Name']);
    expect(names(store.contacts.list({ text: '100%' }))).toEqual(['Kim 100% Real_Name']);
    expect(names(store.contacts.list({ text: 'a_e' }))).toEqual([]); // as a wildcard, '_' would match 'ame'
    expect(names(store.contacts.list({ text: 'l_n' }))).toEqual(['Kim 100% Real_Name']);
    expect(names(store.contacts.list({ text: 'nobody' }))).toEqual([]);
  });

  it('lists by name, and limits', () => {
    const { store } = seeded();
    expect(names(store.contacts.list())).toEqual(['Élodie Ŝtraße-Müller', 'FRANÇOIS Lefèvre', 'Kim 100% Real_Name', 'Zoë']);
    expect(store.contacts.list({ limit: 2 })).toHaveLength(2);
  });

  it('looks a peer up by URI or by number', () => {
    const { store, ids } = seeded();
    expect(store.contacts.lookup('"E" <sip:elodie@EXAMPLE.FR;transport=tcp>')?.id).toBe(ids.elodie);
    expect(store.contacts.lookup('sip:+33123456789@pbx.example.com;user=phone')?.id).toBe(ids.francois);
    expect(store.contacts.lookup('sip:someone@else.example')).toBeUndefined();
  });
});
