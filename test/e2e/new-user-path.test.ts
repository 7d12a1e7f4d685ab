/**
 * A new user's path, one walk in Chromium against the real engine and real peers (issue 11's
 * proof): a TLS account whose server has a certificate from a private CA (the CA file chosen in
 * the account's status), a contact added by extension (completed with the account's domain), a
 * recorded call to it that the other side ends, a blind transfer that reads as a success, a conference hung up (the
 * question answered: once by the keyboard shortcut, once by the button), History detail with the
 * recording in a player; then the same calls in French, with no English reason of the engine left
 * on those screens.
 *
 *   Chromium ── ws ── engine alice ══ TLS 5061 ══ Kamailio ── baresip bob  (5062, auto-answer, follows REFER)
 *                                                          └─ baresip 2002 (5064, auto-answer): contact "Dave"
 *
 * The `it`s share one lab and run in order: each takes the walk a step further. Every wait is on a
 * state, and bounded. Screenshots go to .tmp/screens/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Baresip } from '../interop/lab/baresip.ts';
import { makeToneWav } from '../interop/lab/peers-audio-fixtures.ts';
import { en } from '../../renderer/src/i18n/en.ts';
import { fr } from '../../renderer/src/i18n/fr.ts';
import { UiLab, UI_WAIT } from './lab/ui-lab.ts';
import { audioSeconds, go, invoke } from './helpers/app-page.ts';

const SCREENS = join(import.meta.dirname, '..', '..', '.tmp', 'screens');
const ALICE = 'sip:alice@lab.test';
/** Dave's extension on the lab's PBX (a Kamailio user and a baresip phone). */
const DAVE = '2002';
const CALL_WAIT = { timeout: 30_000 };

/** The engine's English words for an end (sip/usage/invite-failure.ts, phone/call.ts, transfers.ts) and the English UI's. */
const ENGINE_ENGLISH = /hung up|call ended|transferred to|\bbusy\b|declined|no answer|not found|cancelled|no common codec|the other side|refused:/i;
const UI_ENGLISH = Object.entries(en.reasons)
  .filter(([key]) => key !== 'withStatus')
  .map(([, words]) => words.split('{')[0].trim());

let lab: UiLab;
let dave: Baresip;
let page: Page;

beforeAll(async () => {
  mkdirSync(SCREENS, { recursive: true });
  lab = await UiLab.start({ tls: true, moreUsers: [DAVE] });
  page = lab.page;
  dave = new Baresip(lab.ns, {
    user: DAVE,
    password: `${DAVE}-secret`,
    registrar: '127.0.0.1:5060',
    sipPort: 5064,
    ctrlPort: 6064,
    autoAnswer: true,
    playWav: makeToneWav(join(lab.ns.dir, 'audio'), { frequency: 600 }),
  });
  await dave.start();
});

afterAll(async () => {
  // Dave un-registers through Kamailio, which the lab stops last.
  await dave?.stop();
  await lab?.stop();
});

type Words = typeof en;

/** English left on the page: the engine's words, or the English UI's reasons. */
async function englishLeft(): Promise<string | undefined> {
  const text = await page.locator('body').innerText();
  return text.match(ENGINE_ENGLISH)?.[0] ?? UI_ENGLISH.find((w) => text.includes(w));
}

async function connected(L: Words): Promise<void> {
  await expect.poll(() => page.getByTestId('call-state').textContent(), CALL_WAIT).toMatch(new RegExp(`^${L.call.state.connected} · \\d:\\d\\d$`));
}

async function dial(L: Words, to: string): Promise<void> {
  await go(page, '#/dialpad');
  await page.getByTestId('dialpad-input').fill(to);
  await page.getByTestId('dialpad-input').press('Enter');
  await connected(L);
}

/** Waits until `phone` says `type` after event number `since`. */
const heard = (phone: Baresip, type: string, since: number) => phone.waitFor(type, 15_000, since);

/**
 * The calls of the walk, in the UI's language `L`: Dave from his contact page, recorded; Bob
 * transferred blind to Dave; Bob and Dave in a conference, hung up by the shortcut or the button.
 */
async function walk(L: Words, hangupBy: 'shortcut' | 'button'): Promise<void> {
  // Dave, called from his contact page, and recorded for two seconds at least.
  const [contact] = await invoke(page, 'contacts:list', undefined);
  await go(page, `#/contacts/${contact.id}`);
  await page.getByTestId('contact-detail').getByRole('button', { name: L.contacts.callAddress.replace('{uri}', `${DAVE}@lab.test`), exact: true }).first().click();
  await connected(L);
  await page.getByTestId('call-record').click();
  await page.getByTestId('call-recording').waitFor(UI_WAIT);
  await expect.poll(() => page.getByTestId('call-state').textContent(), CALL_WAIT).toMatch(/ · 0:0[2-9]$/);
  // Dave hangs up: his BYE comes back over our TLS connection, and the end is worded.
  await dave.hangup();
  await expect.poll(() => page.getByTestId('call-end-reason').textContent(), CALL_WAIT).toContain(L.reasons['remote-hangup']);

  // Bob, transferred blind to Dave's extension: a success, in green, named by the contact.
  await dial(L, 'bob');
  const [bobMark, daveMark] = [lab.bob.eventCount, dave.eventCount];
  await page.getByRole('button', { name: L.call.transfer, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(L.call.transferDialog.target).fill(DAVE);
  await dialog.getByRole('button', { name: L.call.transferDialog.submit, exact: true }).click();
  const reason = page.getByTestId('call-end-reason');
  await expect.poll(() => reason.textContent(), CALL_WAIT).toContain(L.reasons.transferred.replace('{target}', 'Dave'));
  expect(await reason.getAttribute('class')).toContain('call-view__end--success');
  await page.screenshot({ path: join(SCREENS, `new-user-transferred-${L === fr ? 'fr' : 'en'}.png`) });
  // Bob and Dave talk without us; Bob ends it.
  await heard(lab.bob, 'CALL_ESTABLISHED', bobMark);
  await heard(dave, 'CALL_ESTABLISHED', daveMark);
  await lab.bob.hangup();
  await heard(dave, 'CALL_CLOSED', daveMark);

  // Bob, then Dave added and merged: one conference, hung up with the question answered.
  await dial(L, 'bob');
  await page.getByRole('button', { name: L.call.addCall, exact: true }).click();
  await page.getByTestId('dialpad-input').fill(DAVE);
  await page.getByTestId('dialpad-input').press('Enter');
  await connected(L);
  await page.getByRole('button', { name: L.call.merge, exact: true }).click();
  await expect.poll(() => page.getByTestId('call-other').getAttribute('class'), UI_WAIT).toContain('call-view__other--conference');
  const [bobIn, daveIn] = [lab.bob.eventCount, dave.eventCount];
  if (hangupBy === 'shortcut') await page.keyboard.press('Control+Shift+H');
  else await page.getByTestId('call-hangup').click();
  const question = page.getByTestId('conference-end');
  await question.waitFor(UI_WAIT);
  expect(await question.textContent()).toContain(L.call.conferenceEnd.everyone);
  await page.getByTestId('conference-end-all').click();
  await page.getByTestId('call-ended').waitFor(UI_WAIT);
  await Promise.all([heard(lab.bob, 'CALL_CLOSED', bobIn), heard(dave, 'CALL_CLOSED', daveIn)]);
  await expect.poll(async () => (await invoke(page, 'call:list', undefined)).length, UI_WAIT).toBe(0);
}

/** History, newest first: Dave and Bob of the conference, Bob transferred, Dave recorded. Opens row `n`'s detail. */
async function detail(n: number): Promise<void> {
  await go(page, '#/history');
  const rows = page.getByTestId('history-item');
  await expect.poll(() => rows.count(), UI_WAIT).toBeGreaterThanOrEqual(4);
  await rows.nth(n).hover();
  await rows.nth(n).getByTestId('history-details').click();
  await page.getByTestId('history-detail').waitFor(UI_WAIT);
}

async function closeDetail(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.getByTestId('history-detail').waitFor({ state: 'detached', ...UI_WAIT });
}

/** History detail of the transferred call, and of the recorded one with its recording played. */
async function history(L: Words): Promise<void> {
  await detail(2);
  expect(await page.getByTestId('history-detail-reason').textContent()).toBe(L.reasons.transferred.replace('{target}', 'Dave'));
  if (L === fr) expect(await englishLeft()).toBeUndefined();
  await closeDetail();
  await detail(3);
  expect(await page.getByTestId('history-detail').textContent()).toContain('Dave');
  expect(await page.getByTestId('history-detail-reason').textContent()).toBe(L.reasons['remote-hangup']);
  await page.getByTestId('history-recording-listen').click();
  expect(await audioSeconds(page)).toBeGreaterThan(1.5);
  expect(await page.getByTestId('history-recording-audio').getAttribute('aria-label')).toBe(L.history.detail.player.replace('{name}', 'Dave'));
  await page.screenshot({ path: join(SCREENS, `new-user-history-${L === fr ? 'fr' : 'en'}.png`) });
  if (L === fr) expect(await englishLeft()).toBeUndefined();
  await closeDetail();
}

describe('a new user, from the first account to a conference, in English and French', () => {
  it('adds a TLS account, chooses the CA file the provider gave, and it registers', async () => {
    await lab.addAccount(ALICE, 'alice-secret', { tls: true });
    const item = lab.accountItem(ALICE);
    await item.getByTestId('certificate-facts').waitFor(UI_WAIT);
    await item.getByTestId('account-trust-ca').setInputFiles(lab.pki!.caFile);
    await item.getByText(en.settings.accounts.state.registered, { exact: true }).waitFor(UI_WAIT);
  });

  it("adds Dave by his extension: completed with the account's domain, what was typed kept in view", async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'New contact' }).click();
    const editor = page.getByTestId('contact-editor');
    await editor.getByLabel('Name', { exact: true }).fill('Dave');
    const address = editor.getByLabel('Address', { exact: true });
    await address.fill(DAVE);
    await editor.getByText(`Saved as sip:${DAVE}@lab.test`, { exact: true }).waitFor(UI_WAIT);
    expect(await address.inputValue()).toBe(DAVE);
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('contact-detail').getByRole('heading', { level: 2, name: 'Dave' }).waitFor(UI_WAIT);
    const [saved] = await invoke(page, 'contacts:list', undefined);
    expect(saved.addresses).toEqual([{ uri: `sip:${DAVE}@lab.test`, label: 'work' }]);
  });

  it('calls Dave (recorded), transfers Bob to Dave, hangs up a conference by Ctrl+Shift+H; History plays the recording', async () => {
    await walk(en, 'shortcut');
    await history(en);
  });

  it('the same in French: every end worded in French, no English reason left', async () => {
    await invoke(page, 'settings:set', { language: 'fr' });
    await page.getByRole('link', { name: fr.app.nav.settings }).waitFor(UI_WAIT);
    await walk(fr, 'button');
    await go(page, '#/call');
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    expect(await englishLeft()).toBeUndefined();
    await history(fr);
    await go(page, '#/history');
    expect(await englishLeft()).toBeUndefined();
    expect(lab.problems).toEqual([]);
  });
});
