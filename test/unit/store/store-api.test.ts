/**
 * phone/store-api.ts: the `contacts:*`, `history:*`, `messages:*`, `settings:*` handlers (checks at
 * the boundary, events after changes) and the recorder that turns the phone's events into history
 * rows and saved messages.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ApiEvents, CallSnapshot } from '../../../main/contract/api.ts';
import { callOutcome, callSettingsOf, createStoreApi, recordPhone, toApiError, type PhoneEventMap } from '../../../main/phone/store-api.ts';
import { DEFAULT_SETTINGS, StoreError } from '../../../main/store/index.ts';
import { fakeClock, openStore } from './helpers.ts';

function setup() {
  const clock = fakeClock();
  const store = openStore({ now: clock.now });
  const events: Array<[keyof ApiEvents, unknown]> = [];
  const publish = <K extends keyof ApiEvents>(e: K, p: ApiEvents[K]) => void events.push([e, p]);
  const api = createStoreApi({ store, publish });
  return { clock, store, events, api, publish };
}

describe('store API handlers', () => {
  it('contacts: save, favourite, list, delete — each change pushed as contacts:changed', () => {
    const { api, events } = setup();
    const c = api['contacts:save']({ displayName: 'Ann', addresses: [{ uri: 'sip:ann@example.com', label: 'work' }] });
    const fav = api['contacts:favourite']({ id: c.id, favourite: true });
    expect(api['contacts:list']()).toEqual([fav]);
    expect(api['contacts:list']({ text: 'ANN', favourites: true })).toEqual([fav]);
    expect(api['contacts:get']({ id: c.id })).toEqual(fav);
    api['contacts:delete']({ id: c.id });
    expect(events).toEqual([
      ['contacts:changed', { saved: [c], removed: [] }],
      ['contacts:changed', { saved: [fav], removed: [] }],
      ['contacts:changed', { saved: [], removed: [c.id] }],
    ]);
  });

  it('bad requests are refused with the argument named, and map to bad-request', () => {
    const { api, events } = setup();
    const cases: Array<[() => unknown, string]> = [
      [() => api['contacts:get'](undefined as never), 'request: expected an object, not undefined'],
      [() => api['contacts:get']({ id: 7 } as never), 'id: expected a string, not number'],
      [() => api['contacts:list']({ limit: 0 }), 'limit: must be ≥ 1, not 0'],
      [() => api['contacts:save']({ displayName: 'Bob', addresses: [{ uri: 'bob@example', label: 'work' }] }), "addresses[0].uri: 'bob@example' is not a sip:, sips: or tel: URI"],
      [() => api['contacts:favourite']({ id: 'x', favourite: 'yes' } as never), "favourite: expected true or false, not 'yes'"],
      [() => api['contacts:import-vcard']({ text: 5 } as never), 'text: expected a string, not number'],
      [() => api['history:list']({ kind: 'lost' } as never), "kind: expected all, incoming, outgoing, missed, not 'lost'"],
      [() => api['history:delete']({ id: '1' } as never), "id: expected a number, not '1'"],
      [() => api['messages:list']({ peer: '' }), 'peer: must not be empty'],
      [() => api['settings:set']([] as never), 'request: expected an object, not a list'],
    ];
    for (const [call, message] of cases) {
      let error: unknown;
      try {
        call();
      } catch (err) {
        error = err;
      }
      expect(error, message).toBeInstanceOf(TypeError);
      expect(toApiError(error)).toEqual({ code: 'bad-request', message });
    }
    expect(events).toEqual([]);
  });

  it('store errors keep their code', () => {
    const { api } = setup();
    let error: unknown;
    try {
      api['contacts:get']({ id: 'missing' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(toApiError(error)).toEqual({ code: 'not-found', message: "id: no contact 'missing'" });
    expect(toApiError(new Error('disk I/O error'))).toEqual({ code: 'internal', message: 'disk I/O error' });
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'ERR_SQLITE_ERROR', errcode: 11 });
    expect(toApiError(corrupt)).toEqual({ code: 'corrupt', message: expect.stringMatching(/^the database of contacts, history and settings is damaged; restart Appel/) });
  });

  it('vCard import and export; settings get and set push settings:changed', () => {
    const { api, events } = setup();
    const r = api['contacts:import-vcard']({ text: 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Vic\r\nIMPP:sip:vic@example.com\r\nEND:VCARD\r\n' });
    expect(r).toMatchObject({ imported: 1, skipped: [], dropped: [] });
    expect(events[0][0]).toBe('contacts:changed');
    expect(api['contacts:export-vcard']()).toMatchObject({ count: 1, text: expect.stringContaining('FN:Vic\r\n') });
    expect(api['contacts:export-vcard']({ ids: [] })).toEqual({ text: '', count: 0 });

    expect(api['settings:get']()).toEqual(DEFAULT_SETTINGS);
    const s = api['settings:set']({ theme: 'dark' });
    expect(s.theme).toBe('dark');
    expect(events.at(-1)).toEqual(['settings:changed', s]);
    expect(callSettingsOf(s)).toEqual({ autoAnswer: false, autoAnswerDelay: 0, doNotDisturb: false, codecs: DEFAULT_SETTINGS.codecs, srtp: 'off', directCalls: 'auto', transferRequests: 'ask', videoResolution: '480p' });
  });

  it('history delete and clear push history:changed; a listener that throws does not break the call', () => {
    const { store } = setup();
    const api = createStoreApi({
      store,
      publish: () => {
        throw new Error('listener bug');
      },
    });
    const e = store.history.start({ direction: 'incoming', peer: { uri: 'sip:a@example.com' } });
    store.history.end(e.id, { outcome: 'missed' });
    expect(api['history:list']({ kind: 'missed' })).toHaveLength(1);
    expect(() => api['history:delete']({ id: e.id })).not.toThrow();
    expect(api['history:list']()).toEqual([]);
  });
});

describe('callOutcome', () => {
  const base: CallSnapshot = { id: 'c1', direction: 'outgoing', peer: { uri: 'sip:x@example.com' }, state: 'ended', srtp: false, startedAt: 1, endedAt: 2 };
  it.each<[Partial<CallSnapshot>, string]>([
    [{ answeredAt: 1 }, 'answered'],
    [{ direction: 'incoming', endedBy: 'remote', endReason: 'the caller hung up' }, 'missed'],
    [{ direction: 'incoming', endedBy: 'local', endStatus: 486 }, 'declined'],
    [{ direction: 'incoming', endedBy: 'local', endStatus: 603 }, 'declined'],
    [{ endedBy: 'remote', endStatus: 486 }, 'busy'],
    [{ endedBy: 'remote', endStatus: 600 }, 'busy'],
    [{ endedBy: 'remote', endStatus: 603 }, 'declined'],
    [{ endedBy: 'local', endStatus: 487 }, 'cancelled'],
    [{ endedBy: 'local' }, 'cancelled'],
    [{ endedBy: 'remote', endStatus: 404 }, 'failed'],
    [{ endedBy: 'local', endStatus: 408 }, 'failed'],
  ])('%j → %s', (change, outcome) => {
    expect(callOutcome({ ...base, ...change })).toBe(outcome);
  });
});

describe('recordPhone', () => {
  function phone() {
    const emitter = new EventEmitter<PhoneEventMap>();
    return { emitter, emit: <K extends keyof ApiEvents>(e: K, p: ApiEvents[K]) => (emitter.emit as (e: K, p: ApiEvents[K]) => boolean)(e, p) };
  }

  it('writes a row when a call appears, its answer, keep-alive marks now and then, and its end', () => {
    const { store, events, publish, clock } = setup();
    const p = phone();
    const stop = recordPhone({ store, phone: p.emitter, publish, now: clock.now, touchEvery: 10_000 });
    const t0 = clock.now();
    const snap: CallSnapshot = { id: 'c7', direction: 'outgoing', peer: { uri: 'sip:bob@example.com', displayName: 'Bob' }, state: 'dialing', srtp: false, startedAt: t0, accountId: '1' };
    p.emit('call:state', snap);
    const [row] = store.history.list();
    expect(row).toMatchObject({ direction: 'outgoing', peer: { uri: 'sip:bob@example.com', displayName: 'Bob' }, accountId: '1', startedAt: t0 });
    expect(row.outcome).toBeUndefined();

    p.emit('call:state', { ...snap, state: 'ringing' });
    p.emit('call:state', { ...snap, state: 'connected', answeredAt: t0 + 1000, codec: 'pcmu' });
    expect(store.history.get(row.id)).toMatchObject({ answeredAt: t0 + 1000, codec: 'pcmu' });

    p.emit('call:state', { ...snap, state: 'ended', answeredAt: t0 + 1000, codec: 'pcmu', endedAt: t0 + 61_000, endReason: 'call ended', endedBy: 'local' });
    expect(store.history.get(row.id)).toMatchObject({ outcome: 'answered', endedAt: t0 + 61_000, duration: 60, endReason: 'call ended' });
    expect(events.filter(([e]) => e === 'history:changed')).toHaveLength(3); // start, answer, end

    stop();
    p.emit('call:state', { ...snap, id: 'c8' });
    expect(store.history.list()).toHaveLength(1);
  });

  it('keeps the end code, its SIP status and the recording with the call', () => {
    const { store, publish, clock } = setup();
    const p = phone();
    recordPhone({ store, phone: p.emitter, publish, now: clock.now });
    const t0 = clock.now();
    const snap: CallSnapshot = { id: 'c9', direction: 'outgoing', peer: { uri: 'sip:bob@example.com' }, state: 'dialing', srtp: false, startedAt: t0, record: '/data/recordings/c9.wav' };
    p.emit('call:state', snap);
    p.emit('call:state', { ...snap, state: 'ended', endedAt: t0 + 2000, endReason: 'busy', endCode: 'busy', endStatus: 486, endedBy: 'remote' });
    const [row] = store.history.list();
    expect(row).toMatchObject({ outcome: 'busy', endReason: 'busy', endCode: 'busy', endStatus: 486, recording: '/data/recordings/c9.wav' });
    expect(store.history.get(row.id)).toEqual(row);
    p.emit('call:state', { ...snap, id: 'c10', state: 'connected', answeredAt: t0 + 10 });
    p.emit('call:state', { ...snap, id: 'c10', state: 'ended', answeredAt: t0 + 10, endedAt: t0 + 3000, endCode: 'transferred', endTarget: 'sip:dave@lab.test', endedBy: 'local' });
    expect(store.history.list()[0]).toMatchObject({ outcome: 'answered', endCode: 'transferred', endTarget: 'sip:dave@lab.test' });
  });

  it('the keep-alive mark (at most one per touchEvery) is where a crash ends the call', () => {
    const { store, publish, clock } = setup();
    const p = phone();
    recordPhone({ store, phone: p.emitter, publish, now: clock.now, touchEvery: 10_000 });
    const t0 = clock.now();
    p.emit('call:incoming', { id: 'c1', direction: 'incoming', peer: { uri: 'sip:eve@example.com' }, state: 'ringing', srtp: false, startedAt: t0 });
    p.emit('call:state', { id: 'c1', direction: 'incoming', peer: { uri: 'sip:eve@example.com' }, state: 'connected', srtp: false, startedAt: t0, answeredAt: t0 + 2000 });
    const stats = { callId: 'c1', codec: 'opus' as const, srtp: true, mos: 4.4, jitterMs: 1, lossPercent: 0, packetsSent: 1, packetsReceived: 1 };
    clock.advance(5_000);
    p.emit('call:stats', stats); // 5 s after the start: too soon, no write
    clock.advance(7_000);
    p.emit('call:stats', stats); // 12 s: marked
    clock.advance(4_000);
    p.emit('call:stats', stats); // 4 s after the mark: no write
    const [entry] = store.history.closeInterrupted();
    expect(entry).toMatchObject({ outcome: 'interrupted', endedAt: t0 + 12_000, duration: 10, codec: 'opus' });
  });

  it('an incoming call refused at once, and one the caller gave up on', () => {
    const { store, publish, clock } = setup();
    const p = phone();
    recordPhone({ store, phone: p.emitter, publish, now: clock.now });
    const t0 = clock.now();
    const ring: CallSnapshot = { id: 'c1', direction: 'incoming', peer: { uri: 'sip:ann@example.com' }, state: 'ringing', srtp: false, startedAt: t0 };
    p.emit('call:incoming', ring);
    p.emit('call:state', { ...ring, state: 'ended', endedAt: t0 + 10, endStatus: 486, endedBy: 'local', endReason: 'refused: do not disturb is on' });
    p.emit('call:state', { ...ring, id: 'c2', state: 'ended', endedAt: t0 + 20, endedBy: 'remote', endReason: 'the caller hung up' });
    expect(store.history.list().map((e) => [e.outcome, e.endReason])).toEqual([
      ['missed', 'the caller hung up'],
      ['declined', 'refused: do not disturb is on'],
    ]);
  });

  it('saves messages received and sent, with their status', () => {
    const { store, publish } = setup();
    const p = phone();
    recordPhone({ store, phone: p.emitter, publish });
    p.emit('message:received', { id: 'm1', direction: 'incoming', peer: 'sip:ann@example.com', text: 'hi', contentType: 'text/plain', time: 5, status: 'received' });
    p.emit('message:state', { id: 'm2', direction: 'outgoing', peer: 'sip:ann@example.com', text: 'hello', contentType: 'text/plain', time: 6, status: 'failed', error: 'no answer' });
    expect(store.messages.list('sip:ann@example.com').map((m) => [m.id, m.status])).toEqual([
      ['m1', 'received'],
      ['m2', 'failed'],
    ]);
    expect(store.messages.conversations()[0].unread).toBe(1);
  });

  it('a store failure never reaches the phone', () => {
    const { store, publish } = setup();
    const p = phone();
    recordPhone({ store, phone: p.emitter, publish });
    store.close();
    expect(() => p.emit('call:state', { id: 'c1', direction: 'incoming', peer: { uri: 'sip:a@example.com' }, state: 'ringing', srtp: false, startedAt: 1 })).not.toThrow();
  });
});
