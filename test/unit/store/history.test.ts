/** Call history: written when a call starts, completed when it ends, closed as 'interrupted' after a crash. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTERRUPTED_REASON, StoreError } from '../../../main/store/index.ts';
import { fakeClock, openStore, tempDir } from './helpers.ts';

describe('history', () => {
  it('a call row is written at the start and completed at the end', () => {
    const clock = fakeClock();
    const t0 = clock.now();
    const store = openStore({ now: clock.now });
    const bob = store.contacts.save({ displayName: 'Bob', addresses: [{ uri: 'sip:bob@example.com', label: 'work' }] });
    const started = store.history.start({ direction: 'outgoing', peer: { uri: 'sip:bob@example.com', displayName: 'Bob B.' }, accountId: 'acc1' });
    expect(started).toEqual({
      id: 1,
      direction: 'outgoing',
      peer: { uri: 'sip:bob@example.com', displayName: 'Bob B.' },
      contactId: bob.id,
      contactName: 'Bob',
      accountId: 'acc1',
      startedAt: t0,
      duration: 0,
    });
    expect(store.history.list()).toEqual([started]);

    clock.advance(3_000);
    store.history.answered(started.id, clock.now(), 'opus');
    clock.advance(65_400);
    const ended = store.history.end(started.id, { outcome: 'answered', endReason: 'the other side hung up' });
    expect(ended).toEqual({
      ...started,
      answeredAt: t0 + 3_000,
      endedAt: t0 + 68_400,
      duration: 65,
      outcome: 'answered',
      endReason: 'the other side hung up',
      codec: 'opus',
    });
    expect(store.history.get(started.id)).toEqual(ended);
  });

  it('after a crash, a call left in progress is closed as interrupted at the last known time', () => {
    const path = join(tempDir(), 'appel.db');
    const clock = fakeClock();
    const t0 = clock.now();
    const first = openStore({ path, now: clock.now });
    const call = first.history.start({ direction: 'incoming', peer: { uri: 'sip:carol@example.com' } });
    clock.advance(2_000);
    first.history.answered(call.id, clock.now(), 'g722');
    clock.advance(30_000);
    first.history.touch(call.id, clock.now());
    // The process dies here: the database is closed without the call ever ending.
    first.close();

    clock.advance(3_600_000);
    const second = openStore({ path, now: clock.now });
    const expected = {
      id: call.id,
      direction: 'incoming',
      peer: { uri: 'sip:carol@example.com' },
      startedAt: t0,
      answeredAt: t0 + 2_000,
      endedAt: t0 + 32_000,
      duration: 30,
      outcome: 'interrupted',
      endReason: INTERRUPTED_REASON,
      codec: 'g722',
    };
    expect(second.opened.interrupted).toEqual([expected]);
    expect(second.history.list()).toEqual([expected]);
    second.close();
    // Only once.
    expect(openStore({ path, now: clock.now }).opened.interrupted).toEqual([]);
  });

  it('filters: all, incoming, outgoing, missed, by peer (any form of its URI), and pages', () => {
    const store = openStore();
    const add = (direction: 'incoming' | 'outgoing', uri: string, outcome: 'answered' | 'missed' | 'declined' | 'busy') => {
      const e = store.history.start({ direction, peer: { uri } });
      return store.history.end(e.id, { outcome }).id;
    };
    const a = add('incoming', 'sip:ann@example.com', 'missed');
    const b = add('outgoing', 'sip:bob@example.com', 'busy');
    const c = add('incoming', '"Ann" <sip:ann@EXAMPLE.COM;transport=tcp>', 'declined');
    const d = add('incoming', 'sip:bob@example.com', 'answered');
    const ids = (list: Array<{ id: number }>) => list.map((e) => e.id);
    expect(ids(store.history.list())).toEqual([d, c, b, a]);
    expect(ids(store.history.list({ kind: 'all' }))).toEqual([d, c, b, a]);
    expect(ids(store.history.list({ kind: 'incoming' }))).toEqual([d, c, a]);
    expect(ids(store.history.list({ kind: 'outgoing' }))).toEqual([b]);
    expect(ids(store.history.list({ kind: 'missed' }))).toEqual([a]);
    expect(ids(store.history.list({ peer: 'sip:ann@example.com' }))).toEqual([c, a]);
    expect(ids(store.history.list({ limit: 2 }))).toEqual([d, c]);
    expect(ids(store.history.list({ limit: 2, before: c }))).toEqual([b, a]);
  });

  it('delete one, clear all (calls still going on are kept to be completed)', () => {
    const store = openStore();
    const done = store.history.start({ direction: 'outgoing', peer: { uri: 'sip:x@example.com' } });
    store.history.end(done.id, { outcome: 'failed', endReason: 'the other side had a problem (Server Internal Error)' });
    const other = store.history.start({ direction: 'outgoing', peer: { uri: 'sip:y@example.com' } });
    store.history.end(other.id, { outcome: 'cancelled' });
    const live = store.history.start({ direction: 'incoming', peer: { uri: 'sip:z@example.com' } });

    store.history.delete(done.id);
    expect(() => store.history.delete(done.id)).toThrow(StoreError);
    expect(store.history.clear()).toEqual([other.id]);
    expect(store.history.list().map((e) => e.id)).toEqual([live.id]);
  });

  it('follows the contacts: linked when an address is added, unlinked when the contact goes', () => {
    const store = openStore();
    const call = store.history.start({ direction: 'incoming', peer: { uri: 'sip:dan@example.com' } });
    expect(store.history.get(call.id).contactId).toBeUndefined();
    const dan = store.contacts.save({ displayName: 'Dan', addresses: [{ uri: 'sip:dan@example.com', label: 'home' }] });
    expect(store.history.get(call.id).contactId).toBe(dan.id);
    store.contacts.save({ id: dan.id, displayName: 'Dan', addresses: [] });
    expect(store.history.get(call.id).contactId).toBeUndefined();
    store.contacts.save({ id: dan.id, displayName: 'Dan', addresses: [{ uri: 'sip:dan@example.com', label: 'home' }] });
    store.contacts.delete(dan.id);
    expect(store.history.get(call.id)).toMatchObject({ peer: { uri: 'sip:dan@example.com' } });
    expect(store.history.get(call.id).contactId).toBeUndefined();
  });

  it("carries the contact's name, found by the address rules of RFC 3261 §19.1.4 and by number", () => {
    const store = openStore();
    const bob = store.contacts.save({ displayName: 'Bob', addresses: [{ uri: 'sip:Bob@lab.test', label: 'work' }] });
    const cara = store.contacts.save({ displayName: 'Cara', addresses: [{ uri: 'tel:+1-555-1234', label: 'mobile' }] });
    const fromBob = store.history.start({ direction: 'incoming', peer: { uri: 'sip:Bob@LAB.TEST;transport=tcp', displayName: 'desk 12' } });
    const notBob = store.history.start({ direction: 'incoming', peer: { uri: 'sip:bob@lab.test' } });
    const toCara = store.history.start({ direction: 'outgoing', peer: { uri: 'sip:+15551234@lab.test;user=phone' } });
    expect(store.history.get(fromBob.id)).toMatchObject({ contactId: bob.id, contactName: 'Bob', peer: { displayName: 'desk 12' } });
    expect(store.history.get(notBob.id).contactName).toBeUndefined();
    expect(store.history.list().find((e) => e.id === toCara.id)).toMatchObject({ contactId: cara.id, contactName: 'Cara' });
  });

  it('an unknown outcome is refused', () => {
    const store = openStore();
    const e = store.history.start({ direction: 'incoming', peer: { uri: 'sip:q@example.com' } });
    expect(() => store.history.end(e.id, { outcome: 'lost' as 'missed' })).toThrow(/outcome: expected answered, missed/);
    expect(store.history.get(e.id).outcome).toBeUndefined();
  });
});
