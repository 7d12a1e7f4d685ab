/**
 * The call screen and History end to end, in French: a call the other side hangs up, a blind
 * transfer, a conference, and a History row in detail. The page's text is scanned for the
 * engine's English reasons: none may reach a French screen. Two Phones in this process are the
 * peers (Bob answers and follows transfers; Dave answers). Screenshots go to .tmp/screens/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Phone } from '../../main/phone/phone.ts';
import { buildRenderer, startDevWeb, type DevWeb } from '../../main/bridge/dev-web.ts';
import { fr } from '../../renderer/src/i18n/fr.ts';
import { launchChromium } from './helpers/browser.ts';
import { audioSeconds, go, invoke } from './helpers/app-page.ts';

const SCREENS = join(import.meta.dirname, '..', '..', '.tmp', 'screens');

/** The engine's English words for an end (sip/usage/invite-failure.ts, phone/call.ts, transfers.ts). */
const ENGLISH = /hung up|call ended|transferred to|\bbusy\b|declined|no answer|not found|cancelled|no common codec|the other side|refused:/i;

describe('the call screen and History in French', () => {
  let web: DevWeb;
  let bob: Phone;
  let dave: Phone;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const uri = (p: Phone, user: string) => `sip:${user}@127.0.0.1:${p.localAddresses()[0].port}`;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    await buildRenderer();
    web = await startDevWeb({ mode: 'built', phoneOptions: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } } });
    const peer = { listen: [{ protocol: 'UDP' as const, address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } };
    bob = await Phone.create({ ...peer, calls: { autoAnswer: true, transferRequests: 'always' } });
    dave = await Phone.create({ ...peer, calls: { autoAnswer: true } });
    web.store.contacts.save({ displayName: 'Dave', addresses: [{ uri: uri(dave, 'dave'), label: 'work' }] });
    web.store.contacts.save({ displayName: 'Bob', addresses: [{ uri: uri(bob, 'bob'), label: 'work' }] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1000, height: 760 }, locale: 'fr-FR' });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(web.url);
    await page.getByRole('navigation').first().waitFor();
    await invoke(page, 'settings:set', { language: 'fr' });
    await page.getByRole('link', { name: fr.app.nav.settings }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await bob?.stop();
    await dave?.stop();
  });

  async function dial(to: string): Promise<void> {
    await go(page, '#/dialpad');
    await page.getByTestId('dialpad-input').fill(to);
    await page.getByTestId('dialpad-input').press('Enter');
    await expect.poll(() => page.getByTestId('call-state').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`^${fr.call.state.connected} · \\d:\\d\\d$`));
  }

  async function englishLeft(): Promise<string | undefined> {
    const text = await page.locator('body').innerText();
    return text.match(ENGLISH)?.[0];
  }

  it('a call the other side hangs up: the reason in French, no English left; with the keypad open Hang up stays in a 760 px window', async () => {
    await dial(uri(bob, 'bob'));
    await page.getByTestId('call-record').click();
    await expect.poll(() => page.getByTestId('call-recording').count()).toBe(1);
    await page.getByRole('button', { name: fr.call.keypad, exact: true }).click();
    const box = await page.getByTestId('call-hangup').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y + box!.height).toBeLessThanOrEqual(760);
    await page.screenshot({ path: join(SCREENS, 'call-keypad-760.png') });
    const [theirs] = bob.listCalls();
    await bob.hangup({ callId: theirs.id });
    const reason = page.getByTestId('call-end-reason');
    await expect.poll(() => reason.textContent(), { timeout: 10_000 }).toContain('Votre correspondant a raccroché');
    expect(await englishLeft()).toBeUndefined();
  });

  it('a blind transfer reads as a success: "Transféré à Dave", not as a failed call', async () => {
    await dial(uri(bob, 'bob'));
    await page.getByRole('button', { name: fr.call.transfer, exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(fr.call.transferDialog.target).fill(uri(dave, 'dave'));
    await dialog.getByRole('button', { name: fr.call.transferDialog.submit, exact: true }).click();
    const reason = page.getByTestId('call-end-reason');
    await expect.poll(() => reason.textContent(), { timeout: 20_000 }).toContain('Transféré à Dave');
    expect(await reason.getAttribute('class')).toContain('call-view__end--success');
    await page.screenshot({ path: join(SCREENS, 'call-transferred.png') });
    expect(await englishLeft()).toBeUndefined();
    // Bob's call to Dave goes on without us; end it.
    for (const c of bob.listCalls()) await bob.hangup({ callId: c.id });
  });

  it('a conference: the other call is not shown held, and hanging up asks what becomes of the others', async () => {
    await dial(uri(bob, 'bob'));
    await page.getByRole('button', { name: fr.call.addCall, exact: true }).click();
    await page.getByTestId('dialpad-input').fill(uri(dave, 'dave'));
    await page.getByTestId('dialpad-input').press('Enter');
    await expect.poll(() => page.getByTestId('call-state').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`^${fr.call.state.connected}`));
    await page.getByRole('button', { name: fr.call.merge, exact: true }).click();
    const other = page.getByTestId('call-other');
    await expect.poll(() => other.getAttribute('class'), { timeout: 10_000 }).toContain('call-view__other--conference');
    await expect.poll(() => other.textContent()).toContain(fr.call.state.connected);
    expect(await other.getAttribute('class')).not.toContain('call-view__other--held');
    await page.screenshot({ path: join(SCREENS, 'call-conference.png') });
    await page.getByTestId('call-hangup').click();
    await page.getByTestId('conference-end').waitFor();
    await page.screenshot({ path: join(SCREENS, 'call-conference-hangup.png') });
    await page.getByTestId('conference-end-all').click();
    await expect.poll(() => page.getByTestId('call-ended').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => web.phone.listCalls().length, { timeout: 10_000 }).toBe(0);
    expect(await englishLeft()).toBeUndefined();
  });

  it('History: a row in detail, in French, with the reason worded and no English', async () => {
    await go(page, '#/history');
    const rows = page.getByTestId('history-item');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(4);
    // The oldest of ours: the call Bob hung up.
    await rows.last().hover();
    await rows.last().getByTestId('history-details').click();
    const detail = page.getByTestId('history-detail');
    await expect.poll(() => detail.textContent()).toContain('Votre correspondant a raccroché');
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('Bob');
    expect(text).toContain('OPUS');
    // The recording asked for during the call, a stereo WAV under the app's data directory.
    expect(await page.getByTestId('history-detail-recording').textContent()).toMatch(/recordings\/.+\.wav/);
    // Listened to in the app: the player's source is the WAV the engine read from its recordings directory.
    await page.getByTestId('history-recording-listen').click();
    expect(await audioSeconds(page)).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENS, 'history-detail.png') });
    expect(await englishLeft()).toBeUndefined();
    await page.keyboard.press('Escape');
    await expect.poll(() => detail.count()).toBe(0);
    // Newest first: Dave and Bob of the conference, then the call transferred to Dave.
    await rows.nth(2).hover();
    await rows.nth(2).getByTestId('history-details').click();
    await expect.poll(() => page.getByTestId('history-detail-reason').textContent()).toBe('Transféré à Dave');
    expect(await englishLeft()).toBeUndefined();
    expect(problems).toEqual([]);
  });
});
