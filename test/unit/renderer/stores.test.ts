import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { AccountSnapshot, ContactSnapshot, HistoryEntry, MessageSnapshot, Settings } from '../../../main/contract/api.ts';
import { useAccountsStore } from '../../../renderer/src/stores/accounts.ts';
import { useCallsStore } from '../../../renderer/src/stores/calls.ts';
import { useContactsStore } from '../../../renderer/src/stores/contacts.ts';
import { useHistoryStore } from '../../../renderer/src/stores/history.ts';
import { useMessagesStore } from '../../../renderer/src/stores/messages.ts';
import { DEFAULT_SETTINGS, useSettingsStore } from '../../../renderer/src/stores/settings.ts';
import { ApiFailure } from '../../../renderer/src/api.ts';
import { callSnapshot, installFakeAppel } from './fake-appel.ts';

const call = callSnapshot;

const contact = (id: string, displayName: string, uri: string, over: Partial<ContactSnapshot> = {}): ContactSnapshot => ({
  id,
  displayName,
  favourite: false,
  notes: '',
  addresses: [{ uri, label: 'work' }],
  createdAt: 1,
  updatedAt: 1,
  ...over,
});

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('accounts store', () => {
  it('loads the accounts and follows account:state', async () => {
    const fake = installFakeAppel({ 'account:list': () => [{ id: '1', aor: 'sip:alice@lab.test', state: 'registering' }] });
    const accounts = useAccountsStore();
    accounts.listen();
    await accounts.load();
    expect(accounts.accounts.map((a) => a.state)).toEqual(['registering']);
    fake.emit('account:state', { id: '1', aor: 'sip:alice@lab.test', state: 'failed', error: { status: 403, reason: 'wrong password' } });
    expect(accounts.accounts[0].error?.reason).toBe('wrong password');
    expect(accounts.selected?.id).toBe('1');
    expect(accounts.domain).toBe('lab.test');
  });

  it('prefers a registered account for calls unless one is chosen', async () => {
    const list: AccountSnapshot[] = [
      { id: '1', aor: 'sip:a@one.test', state: 'failed' },
      { id: '2', aor: 'sip:b@two.test', state: 'registered' },
    ];
    installFakeAppel({ 'account:list': () => list });
    const accounts = useAccountsStore();
    await accounts.load();
    expect(accounts.selected?.id).toBe('2');
    accounts.select('1');
    expect(accounts.domain).toBe('one.test');
  });

  it("tests an account with OPTIONS to its domain and keeps the answer or the error's words", async () => {
    const fake = installFakeAppel({
      'account:list': () => [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }],
      'options:ping': () => ({ status: 200, reason: 'OK', rttMs: 3 }),
    });
    const accounts = useAccountsStore();
    await accounts.load();
    expect(await accounts.test('1')).toEqual({ running: false, status: 200, reason: 'OK' });
    expect(fake.sent('options:ping')).toEqual([{ accountId: '1', to: 'sip:lab.test' }]);
    fake.handlers['options:ping'] = () => {
      throw new Error('no answer (408 Request Timeout)');
    };
    expect((await accounts.test('1')).error).toBe('no answer (408 Request Timeout)');
  });

  it('adds and removes through the engine', async () => {
    const fake = installFakeAppel({ 'account:add': (c) => ({ id: '7', aor: c.aor, state: 'registering' }), 'account:remove': () => undefined });
    const accounts = useAccountsStore();
    await accounts.add({ aor: 'sip:carol@lab.test', password: 'secret' });
    expect(accounts.accounts).toHaveLength(1);
    await accounts.remove('7');
    expect(accounts.accounts).toHaveLength(0);
    expect(fake.sent('account:remove')).toEqual([{ id: '7' }]);
  });
});

describe('calls store', () => {
  it('applies the snapshots the engine pushes and forgets ended calls', () => {
    const fake = installFakeAppel();
    const calls = useCallsStore();
    calls.listen();
    fake.emit('call:state', call());
    expect(calls.active?.state).toBe('dialing');
    fake.emit('call:state', call({ state: 'connected', answeredAt: 2000, codec: 'opus' }));
    expect(calls.active?.codec).toBe('opus');
    fake.emit('call:stats', { callId: 'c1', codec: 'opus', srtp: false, mos: 4.3, jitterMs: 3, lossPercent: 0, packetsSent: 50, packetsReceived: 50 });
    expect(calls.stats.c1.mos).toBe(4.3);
    fake.emit('call:state', call({ state: 'ended', endReason: 'the other side hung up', endedAt: 5000 }));
    expect(calls.live).toHaveLength(0);
    expect(calls.lastEnded?.endReason).toBe('the other side hung up');
    expect(calls.stats.c1).toBeUndefined();
  });

  it("a new call clears the last one's ended screen (it must not stay under the next incoming call)", () => {
    const fake = installFakeAppel();
    const calls = useCallsStore();
    calls.listen();
    fake.emit('call:state', call({ state: 'connected', answeredAt: 2 }));
    fake.emit('call:state', call({ state: 'ended', endCode: 'remote-hangup', endedAt: 5 }));
    expect(calls.lastEnded?.id).toBe('c1');
    fake.emit('call:incoming', call({ id: 'in', direction: 'incoming', state: 'ringing' }));
    expect(calls.lastEnded).toBeUndefined();
  });

  it('keeps incoming ringing calls apart from the ongoing ones', () => {
    const fake = installFakeAppel();
    const calls = useCallsStore();
    calls.listen();
    fake.emit('call:incoming', call({ id: 'in', direction: 'incoming', state: 'ringing' }));
    expect(calls.ringing.map((c) => c.id)).toEqual(['in']);
    expect(calls.active).toBeUndefined();
  });

  it('dials with the target and the account only: the engine applies the saved codecs and SRTP, and holds the connected call', async () => {
    const fake = installFakeAppel({
      'call:dial': (req) => call({ id: 'c2', peer: { uri: req.to } }),
    });
    const settings = useSettingsStore();
    settings.apply({ ...DEFAULT_SETTINGS, codecs: ['pcma'], srtp: 'optional' });
    const calls = useCallsStore();
    calls.listen();
    calls.apply(call({ state: 'connected', answeredAt: 2 }));
    await calls.dial('sip:carol@lab.test', '1');
    expect(fake.sent('call:hold')).toEqual([]);
    expect(fake.sent('call:dial')).toEqual([{ to: 'sip:carol@lab.test', accountId: '1' }]);
    expect(calls.active?.id).toBe('c2');
    fake.emit('call:state', call({ state: 'held', heldBy: 'local', answeredAt: 2 }));
    expect(calls.other?.state).toBe('held');
  });

  it('swaps two calls: the active one is held, the other resumed', async () => {
    const fake = installFakeAppel({
      'call:hold': (req) => call({ id: req.callId, state: 'held', answeredAt: 2 }),
      'call:resume': (req) => call({ id: req.callId, state: 'connected', answeredAt: 2 }),
    });
    const calls = useCallsStore();
    calls.apply(call({ id: 'a', state: 'held', answeredAt: 2 }));
    calls.apply(call({ id: 'b', state: 'connected', answeredAt: 2 }));
    calls.show('b');
    await calls.swap();
    expect(fake.requests.map((r) => r.channel)).toEqual(['call:hold', 'call:resume']);
    expect(calls.active?.id).toBe('a');
    expect(calls.active?.state).toBe('connected');
  });

  it('turns a refusal into an ApiFailure with the engine words', async () => {
    installFakeAppel({
      'call:dial': () => {
        throw Object.assign(new Error("to: 'x' is not a valid sip: URI"), { code: 'bad-request' });
      },
    });
    const calls = useCallsStore();
    const err = await calls.dial('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiFailure);
    expect((err as ApiFailure).code).toBe('bad-request');
    expect((err as ApiFailure).message).toMatch(/not a valid sip: URI/);
  });

  it('says why a transfer failed, and merges two calls into a conference', async () => {
    const fake = installFakeAppel({
      'call:transfer': () => ({ ok: false, reason: 'the transfer target is busy (486)', status: 486 }),
      'conference:merge': (req) => ({ id: 'k1', members: req.callIds, state: 'active' }),
      'conference:split': () => [call({ id: 'a', state: 'connected', answeredAt: 2 }), call({ id: 'b', state: 'held', answeredAt: 2 })],
    });
    const calls = useCallsStore();
    calls.listen();
    calls.apply(call({ id: 'a', state: 'held', answeredAt: 2 }));
    calls.apply(call({ id: 'b', state: 'connected', answeredAt: 2 }));
    calls.show('b');
    const err = await calls.transfer('b', 'sip:carol@lab.test').catch((e: unknown) => e);
    expect((err as Error).message).toBe('the transfer target is busy (486)');
    await calls.merge();
    expect(fake.sent('conference:merge')).toEqual([{ callIds: ['b', 'a'] }]);
    expect(calls.conferences.k1.members).toEqual(['b', 'a']);
    await calls.split('k1');
    expect(calls.conferences.k1).toBeUndefined();
    fake.emit('conference:state', { id: 'k2', members: ['a', 'b'], state: 'active' });
    fake.emit('conference:state', { id: 'k2', members: ['a', 'b'], state: 'ended', endReason: 'split' });
    expect(Object.keys(calls.conferences)).toEqual([]);
  });

  it('records the DTMF digits it sent and mutes locally', async () => {
    installFakeAppel({ 'call:dtmf': () => undefined });
    const calls = useCallsStore();
    calls.apply(call({ state: 'connected', answeredAt: 1 }));
    await calls.dtmf('c1', '1');
    await calls.dtmf('c1', '#');
    expect(calls.sentDigits.c1).toBe('1#');
    calls.toggleMute();
    expect(calls.muted).toBe(true);
  });
});

describe('contacts store', () => {
  it('loads sorted by name and finds a caller by any form of the address', async () => {
    installFakeAppel({ 'contacts:list': () => [contact('2', 'Zoé', 'sip:zoe@lab.test'), contact('1', 'alice', 'sips:Alice@LAB.test')] });
    const contacts = useContactsStore();
    await contacts.load();
    expect(contacts.contacts.map((c) => c.displayName)).toEqual(['alice', 'Zoé']);
    expect(contacts.findByUri('sip:Alice@lab.test;transport=tcp')?.id).toBe('1');
    expect(contacts.findByUri('sip:nobody@lab.test')).toBeUndefined();
  });

  it("searches through the engine and keeps only the newest query's answer", async () => {
    const answers: Record<string, ContactSnapshot[]> = { a: [contact('1', 'Alice', 'sip:a@x')], al: [] };
    let release: () => void = () => undefined;
    const fake = installFakeAppel({
      'contacts:list': async (q) => {
        const text = q && 'text' in q ? q.text : undefined;
        if (text === 'a') await new Promise<void>((r) => (release = r));
        return text ? answers[text] : [];
      },
    });
    const contacts = useContactsStore();
    const first = contacts.search('a');
    await contacts.search('al');
    release();
    await first;
    expect(contacts.results).toEqual([]);
    expect(fake.sent('contacts:list')).toEqual([{ text: 'a' }, { text: 'al' }]);
  });

  it('follows contacts:changed', () => {
    const fake = installFakeAppel();
    const contacts = useContactsStore();
    contacts.listen();
    fake.emit('contacts:changed', { saved: [contact('1', 'Bob', 'sip:bob@x'), contact('2', 'Ann', 'sip:ann@x', { favourite: true })], removed: [] });
    expect(contacts.contacts.map((c) => c.displayName)).toEqual(['Ann', 'Bob']);
    expect(contacts.favourites.map((c) => c.id)).toEqual(['2']);
    fake.emit('contacts:changed', { saved: [], removed: ['2'] });
    expect(contacts.contacts.map((c) => c.id)).toEqual(['1']);
  });
});

describe('history store', () => {
  const entry = (id: number, over: Partial<HistoryEntry> = {}): HistoryEntry => ({
    id,
    direction: 'incoming',
    peer: { uri: 'sip:bob@x' },
    startedAt: id * 1000,
    duration: 0,
    outcome: 'missed',
    ...over,
  });

  it('asks for one filter and keeps new rows that fit it, newest first', async () => {
    const fake = installFakeAppel({ 'history:list': () => [entry(2)] });
    const history = useHistoryStore();
    history.listen();
    await history.load('missed');
    expect(fake.sent('history:list')).toEqual([{ kind: 'missed', limit: 500 }]);
    fake.emit('history:changed', { saved: [entry(3), entry(4, { direction: 'outgoing', outcome: 'answered' })], removed: [], cleared: false });
    expect(history.entries.map((e) => e.id)).toEqual([3, 2]);
    expect(history.missed).toBe(2);
    history.markSeen(2500);
    expect(history.missed).toBe(1);
    expect(localStorage.getItem('appel.history.seenAt')).toBe('2500');
    fake.emit('history:changed', { saved: [], removed: [], cleared: true });
    expect(history.entries).toEqual([]);
  });
});

describe('messages store', () => {
  const msg = (over: Partial<MessageSnapshot>): MessageSnapshot => ({
    id: 'm1',
    direction: 'incoming',
    peer: 'sip:bob@lab.test',
    text: 'hi',
    contentType: 'text/plain',
    time: 1,
    status: 'received',
    ...over,
  });

  it('opens a conversation, marks it read and adds what arrives for it', async () => {
    const fake = installFakeAppel({
      'messages:list': () => [msg({})],
      'messages:conversations': () => [{ peer: 'sip:bob@lab.test', last: msg({}), unread: 1 }],
      'messages:mark-read': () => undefined,
    });
    const messages = useMessagesStore();
    messages.listen();
    await messages.loadConversations();
    await messages.open('sip:bob@lab.test');
    expect(fake.sent('messages:mark-read')).toEqual([{ peer: 'sip:bob@lab.test' }]);
    expect(messages.unread).toBe(0);
    fake.emit('message:received', msg({ id: 'm2', peer: 'sip:bob@LAB.test;transport=tcp', text: 'again' }));
    fake.emit('message:received', msg({ id: 'm3', peer: 'sip:carol@lab.test' }));
    expect(messages.thread.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('sends from the selected account and shows the delivery state', async () => {
    const fake = installFakeAppel({
      'account:list': () => [{ id: '1', aor: 'sip:alice@lab.test', state: 'registered' }],
      'messages:list': () => [],
      'messages:conversations': () => [],
      'messages:mark-read': () => undefined,
      'message:send': (req) => msg({ id: 'out', direction: 'outgoing', peer: req.to, text: req.text, status: 'sending' }),
    });
    await useAccountsStore().load();
    const messages = useMessagesStore();
    messages.listen();
    await messages.open('sip:bob@lab.test');
    await messages.send('hello');
    expect(fake.sent('message:send')).toEqual([{ to: 'sip:bob@lab.test', text: 'hello', accountId: '1' }]);
    fake.emit('message:state', msg({ id: 'out', direction: 'outgoing', status: 'failed', error: 'sip:bob@lab.test answered 404 Not Found' }));
    expect(messages.thread[0].status).toBe('failed');
  });
});

describe('settings store', () => {
  it('uses the defaults until the engine answers, then its settings', async () => {
    const stored: Settings = { ...DEFAULT_SETTINGS, language: 'fr', theme: 'dark' };
    installFakeAppel({ 'settings:get': () => stored });
    const settings = useSettingsStore();
    expect(settings.language).toBe('system');
    await settings.load();
    expect(settings.language).toBe('fr');
    expect(settings.theme).toBe('dark');
  });

  it('leaves the running engine to the engine: settings:set only, no call:settings after it', async () => {
    let current: Settings = { ...DEFAULT_SETTINGS };
    const fake = installFakeAppel({
      'settings:set': (c) => (current = { ...current, ...c, autoAnswer: { ...current.autoAnswer, ...c.autoAnswer } } as Settings),
    });
    const settings = useSettingsStore();
    await settings.set({ theme: 'light' });
    await settings.set({ doNotDisturb: true, autoAnswer: { delay: 5 } });
    expect(fake.sent('call:settings')).toEqual([]);
    expect(fake.requests.map((r) => r.channel)).toEqual(['settings:set', 'settings:set']);
    expect(settings.settings).toMatchObject({ doNotDisturb: true, autoAnswer: { enabled: false, delay: 5 } });
  });

  it('follows settings:changed (another window, the tray)', () => {
    const fake = installFakeAppel();
    const settings = useSettingsStore();
    settings.listen();
    fake.emit('settings:changed', { ...DEFAULT_SETTINGS, doNotDisturb: true });
    expect(settings.settings.doNotDisturb).toBe(true);
  });
});
