/** Messages: one conversation per peer, statuses updated in place, unread counts, mark read. */
import { describe, expect, it } from 'vitest';
import type { MessageSnapshot } from '../../../main/contract/api.ts';
import { openStore } from './helpers.ts';

const msg = (m: Partial<MessageSnapshot> & Pick<MessageSnapshot, 'id' | 'peer' | 'time'>): MessageSnapshot => ({
  direction: 'incoming',
  text: `text ${m.id}`,
  contentType: 'text/plain;charset=UTF-8',
  status: 'received',
  ...m,
});

describe('messages', () => {
  it('keeps conversations per peer with the last message and unread counts; mark read', () => {
    const store = openStore();
    const ann = store.contacts.save({ displayName: 'Ann', addresses: [{ uri: 'sip:ann@example.com', label: 'work' }] });
    store.messages.save(msg({ id: 'm1', peer: '"Ann" <sip:ann@example.com>;tag=1', time: 100 }));
    store.messages.save(msg({ id: 'm2', peer: 'sip:ann@EXAMPLE.com', time: 200 }));
    store.messages.save(msg({ id: 'm3', peer: 'sip:bob@example.com', time: 150 }));
    store.messages.save(msg({ id: 'm4', peer: 'sip:bob@example.com', time: 300, direction: 'outgoing', status: 'sending' }), { accountId: 'a1' });

    const conv = store.messages.conversations();
    expect(conv.map((c) => [c.peer, c.last.id, c.unread])).toEqual([
      ['sip:bob@example.com', 'm4', 1],
      ['sip:ann@example.com', 'm2', 2],
    ]);
    expect(conv[1]).toMatchObject({ contactId: ann.id, displayName: 'Ann' });
    expect(conv[0].contactId).toBeUndefined();

    expect(store.messages.markRead('sip:ann@example.com')).toBe(2);
    expect(store.messages.conversations().find((c) => c.peer === 'sip:ann@example.com')?.unread).toBe(0);
  });

  it('names a conversation by its contact: user part by case, host without, a number by its digits (RFC 3261 §19.1.4, §19.1.6)', () => {
    const store = openStore();
    const bob = store.contacts.save({ displayName: 'Bob', addresses: [{ uri: 'sip:Bob@lab.test', label: 'work' }] });
    const cara = store.contacts.save({ displayName: 'Cara', addresses: [{ uri: 'tel:+1-555-1234', label: 'mobile' }] });
    store.messages.save(msg({ id: 'b1', peer: 'sip:Bob@LAB.test;transport=tcp', time: 100 }));
    store.messages.save(msg({ id: 'b2', peer: 'sip:bob@lab.test', time: 200 }));
    store.messages.save(msg({ id: 'c1', peer: 'sip:+15551234@lab.test;user=phone', time: 300 }));
    const byPeer = new Map(store.messages.conversations().map((c) => [c.peer, c]));
    expect(byPeer.get('sip:Bob@lab.test')).toMatchObject({ contactId: bob.id, displayName: 'Bob' });
    expect(byPeer.get('sip:bob@lab.test')?.contactId).toBeUndefined();
    expect(byPeer.get('sip:+15551234@lab.test')).toMatchObject({ contactId: cara.id, displayName: 'Cara' });
  });

  it('a second save of the same id updates its status and error only', () => {
    const store = openStore();
    store.messages.save(msg({ id: 'o1', peer: 'sip:bob@example.com', time: 10, direction: 'outgoing', status: 'sending', text: 'hello' }));
    store.messages.save(msg({ id: 'o1', peer: 'sip:bob@example.com', time: 99, direction: 'outgoing', status: 'failed', text: 'changed?', error: 'sip:bob@example.com answered 404 Not Found' }));
    expect(store.messages.list('sip:bob@example.com')).toEqual([
      { id: 'o1', direction: 'outgoing', peer: 'sip:bob@example.com', text: 'hello', contentType: 'text/plain;charset=UTF-8', time: 10, status: 'failed', error: 'sip:bob@example.com answered 404 Not Found' },
    ]);
  });

  it('lists a conversation oldest first, the newest page, and pages back with before', () => {
    const store = openStore();
    for (let i = 1; i <= 5; i++) store.messages.save(msg({ id: `m${i}`, peer: 'sip:c@example.com', time: i * 10 }));
    store.messages.save(msg({ id: 'other', peer: 'sip:d@example.com', time: 25 }));
    const ids = (list: MessageSnapshot[]) => list.map((m) => m.id);
    expect(ids(store.messages.list('sip:c@example.com'))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(ids(store.messages.list('sip:c@example.com', { limit: 2 }))).toEqual(['m4', 'm5']);
    expect(ids(store.messages.list('sip:c@example.com', { limit: 2, before: 40 }))).toEqual(['m2', 'm3']);
  });
});
