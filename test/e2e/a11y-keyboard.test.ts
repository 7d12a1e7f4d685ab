/**
 * The keyboard path end to end, in Debian's Chromium against the real engine (`startDevWeb`):
 * Tab shows a ring on every control, shortcuts move between views and put focus on the new
 * view's heading, the list of shortcuts traps and gives back focus, and a call from another
 * phone on loopback is answered, held, muted, transferred and hung up from the keyboard while
 * the live regions say each change, in English and in French.
 *
 * `APPEL_FOCUS_SHOTS=dir` also saves screenshots of the focus ring in both themes there.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Phone } from '../../main/phone/phone.ts';
import { buildRenderer, startDevWeb, type DevWeb } from '../../main/bridge/dev-web.ts';
import { launchChromium } from './helpers/browser.ts';
import { go, invoke, seedAddressBook } from './helpers/app-page.ts';

const LOOPBACK = { listen: [{ protocol: 'UDP' as const, address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } };
const WAIT = { timeout: 15_000 };
const SHOTS = process.env.APPEL_FOCUS_SHOTS;

let web: DevWeb;
let caller: Phone;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  await buildRenderer();
  web = await startDevWeb({ mode: 'built', phoneOptions: LOOPBACK });
  seedAddressBook(web.store);
  caller = await Phone.create(LOOPBACK);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(web.url);
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor(WAIT);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await caller?.stop();
});

/** What has focus, and whether a ring of 2 px or more is drawn for it (by itself, or by the field box around an input). */
const focused = () =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { what: 'nothing', ring: false, tag: '', text: '' };
    const drawn = (e: Element) => {
      const s = getComputedStyle(e);
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    };
    const box = el.closest('.dialpad-view__entry, .contacts-view__search');
    const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return { what: `${el.tagName.toLowerCase()} "${text}"`, ring: drawn(el) || (box !== null && drawn(box)), tag: el.tagName.toLowerCase(), text };
  });

/** Presses Tab through the main area (at most `n` times): every stop in it must show its ring. */
async function tabThrough(n: number): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    if (!(await page.evaluate(() => !!document.activeElement?.closest('#main')))) break;
    const f = await focused();
    expect(f.ring, `no focus ring on ${f.what}`).toBe(true);
    stops.push(f.what);
  }
  expect(stops.length).toBeGreaterThan(3);
  return stops;
}

/** A screenshot into APPEL_FOCUS_SHOTS, when set. */
async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

const polite = () => page.getByTestId('announce-polite').textContent();
const assertive = () => page.getByTestId('announce-assertive').textContent();
const ours = () => `sip:me@127.0.0.1:${web.phone.localAddresses()[0].port}`;

describe('the keyboard and the screen reader, end to end', () => {
  it('Tab: the skip link first, then a visible ring on every control of every view', async () => {
    // From the start of a freshly opened page (on a view that does not focus a field itself).
    await go(page, '#/history');
    await page.reload();
    await page.getByTestId('history-item').first().waitFor(WAIT);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ tag: 'a', text: 'Skip to the main content', ring: true });
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(await page.evaluate(() => location.hash)).toBe('#/history');
    // The navigation, after the skip link: every link and button rings.
    await page.locator('.app-shell__skip').focus();
    const nav: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      expect(f.ring, `no focus ring on ${f.what}`).toBe(true);
      nav.push(f.what);
    }
    expect(nav).toEqual(expect.arrayContaining(['a "Dialpad"', 'a "Contacts"', 'button "Show the keyboard shortcuts"', 'a "Settings"']));

    const stops: string[] = [];
    let before = '#/history';
    for (const hash of ['#/dialpad', '#/contacts', '#/history', '#/messages/sip%3Aalice%40lab.test', '#/settings/appearance', '#/settings/accounts']) {
      await go(page, hash);
      await page.locator('main h1').first().waitFor(WAIT);
      // A move to another view puts focus in it (its heading, or the dialpad's field) once the view
      // is up (useViewFocus): wait for that, so that it cannot land after the walk has begun.
      const view = (h: string) => h.split('/')[1];
      if (view(hash) !== view(before)) {
        await page.waitForFunction(() => !!document.activeElement?.closest('#main') && document.activeElement?.id !== 'main', undefined, WAIT);
      }
      before = hash;
      await page.evaluate(() => document.getElementById('main')?.focus());
      stops.push(...(await tabThrough(40)));
    }
    // The walk met the kinds of control the app has: links, buttons, fields, a switch, a select.
    expect(stops.join('\n')).toMatch(/^a "/m);
    expect(stops.join('\n')).toMatch(/^input /m);
    expect(stops.join('\n')).toMatch(/^select /m);
    expect(stops.join('\n')).toMatch(/^button "Key 1"/m);
    expect(problems).toEqual([]);
  });

  it('Ctrl+digit and Ctrl+, change view with focus on its heading; Ctrl+F searches the contacts', async () => {
    const heading = async () => page.evaluate(() => (document.activeElement?.tagName === 'H1' ? document.activeElement.textContent?.trim() : `not a heading: ${document.activeElement?.tagName}`));
    await go(page, '#/dialpad');
    await page.keyboard.press('Control+3');
    await expect.poll(heading, WAIT).toBe('Contacts');
    expect(await page.evaluate(() => location.hash)).toBe('#/contacts');
    await page.keyboard.press('Control+4');
    await expect.poll(heading, WAIT).toBe('History');
    await page.keyboard.press('Control+5');
    await expect.poll(heading, WAIT).toBe('Messages');
    await page.keyboard.press('Control+Comma');
    await expect.poll(heading, WAIT).toBe('Settings');
    // The dialpad puts focus in its number field itself: typing dials.
    await page.keyboard.press('Control+1');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), WAIT).toBe('dialpad-input');
    await page.keyboard.press('Control+f');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), WAIT).toBe('contacts-search');
    // The links say their shortcut to screen readers and in their tooltip.
    const contacts = page.getByRole('link', { name: 'Contacts', exact: true });
    expect(await contacts.getAttribute('aria-keyshortcuts')).toBe('Control+3');
    expect(await contacts.getAttribute('title')).toBe('Contacts (Ctrl+3)');
  });

  it('F1 shows the shortcuts: focus inside, Tab stays there, Escape closes and gives focus back', async () => {
    await page.getByTestId('contacts-search').focus();
    await page.keyboard.press('F1');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor(WAIT);
    await shot('shortcuts-dialog');
    expect(await dialog.getByText('Answer the incoming call').count()).toBe(1);
    const inDialog = () => page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'));
    expect(await inDialog()).toBe(true);
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press(i === 1 ? 'Shift+Tab' : 'Tab');
      expect(await inDialog()).toBe(true);
    }
    // A shortcut to another view waits while the dialog is open.
    await page.keyboard.press('Control+4');
    expect(await page.evaluate(() => location.hash)).toBe('#/contacts');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', ...WAIT });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('contacts-search');
    // Ctrl+/ too, and again to close.
    await page.keyboard.press('Control+/');
    await dialog.waitFor(WAIT);
    await page.keyboard.press('Control+/');
    await dialog.waitFor({ state: 'detached', ...WAIT });
  });

  it('a call rings: heard at once with its keys; Ctrl+Shift+A answers from a text field; hold, mute, transfer and hang-up by key, each change said', async () => {
    await page.keyboard.press('Control+1');
    await page.getByTestId('dialpad-input').pressSequentially('12');
    void caller.dial({ to: ours() });
    const panel = page.getByTestId('incoming-call');
    await panel.waitFor(WAIT);
    await expect.poll(assertive, WAIT).toMatch(/^Incoming call from .+\. Ctrl\+Shift\+A to answer, Ctrl\+Shift\+D to decline\.$/);
    const answer = panel.getByRole('button', { name: 'Answer' });
    expect(await answer.getAttribute('aria-keyshortcuts')).toBe('Control+Shift+A');
    expect(await answer.getAttribute('title')).toBe('Answer (Ctrl+Shift+A)');
    expect(await panel.getByTestId('incoming-keys').textContent()).toBe('Ctrl+Shift+A answers, Ctrl+Shift+D declines');
    await shot('incoming-panel');
    // Focus is in the number field: the shortcut still answers, and types nothing.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('dialpad-input');
    await page.keyboard.press('Control+Shift+A');
    await expect.poll(() => page.getByTestId('call-state').textContent(), WAIT).toMatch(/^Connected · \d:\d\d$/);
    expect(await page.evaluate(() => location.hash)).toBe('#/call');
    await expect.poll(polite, WAIT).toMatch(/^Connected to .+\.$/);

    await page.keyboard.press('Control+Shift+P');
    await expect.poll(() => page.getByTestId('call-state').textContent(), WAIT).toBe('On hold');
    await expect.poll(polite, WAIT).toMatch(/^The call with .+ is on hold\.$/);
    await page.keyboard.press('Control+Shift+P');
    await expect.poll(polite, WAIT).toMatch(/^The call with .+ is back on\.$/);

    await page.keyboard.press('Control+Shift+M');
    await expect.poll(polite, WAIT).toBe('Microphone muted.');
    expect(await page.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Unmute' }).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await shot('call-controls');
    await page.keyboard.press('Control+Shift+M');
    await expect.poll(polite, WAIT).toBe('Microphone on.');

    await page.keyboard.press('Control+Shift+T');
    const transfer = page.getByRole('dialog', { name: 'Transfer the call' });
    await transfer.waitFor(WAIT);
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.tagName)).toBe('INPUT');
    await shot('transfer-dialog');
    await page.keyboard.press('Escape');
    await transfer.waitFor({ state: 'detached', ...WAIT });

    await page.keyboard.press('Control+Shift+H');
    await page.getByTestId('call-ended').waitFor(WAIT);
    await expect.poll(polite, WAIT).toMatch(/^The call with .+ ended\.$/);
    // Focus did not fall to the page's start: it is on what the screen now says.
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid=call-ended]') !== null)).toBe(true);

    // Nothing to act on: said, not silent.
    await page.keyboard.press('Control+Shift+D');
    await expect.poll(polite, WAIT).toBe('No call is ringing.');
    expect(problems).toEqual([]);
  });

  it('in French: the call is announced with Ctrl+Maj+A, Ctrl+Maj+D declines it, the end is said in French', async () => {
    await invoke(page, 'settings:set', { language: 'fr' });
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    await go(page, '#/contacts');
    const placed = caller.dial({ to: ours() });
    const panel = page.getByTestId('incoming-call');
    await panel.waitFor(WAIT);
    await expect.poll(assertive, WAIT).toMatch(/^Appel entrant de .+\. Ctrl\+Maj\+A pour répondre, Ctrl\+Maj\+D pour refuser\.$/);
    expect(await panel.getByRole('button', { name: 'Refuser' }).getAttribute('title')).toBe('Refuser (Ctrl+Maj+D)');
    await page.keyboard.press('Control+Shift+D');
    await panel.waitFor({ state: 'detached', ...WAIT });
    await expect.poll(polite, WAIT).toMatch(/^L’appel avec .+ est terminé : .*(486|Busy)/i);
    const snap = await placed;
    await expect.poll(() => caller.listCalls().find((c) => c.id === snap.id)?.state ?? 'ended', WAIT).toBe('ended');
    await page.keyboard.press('F1');
    expect(await page.getByRole('dialog', { name: 'Raccourcis clavier' }).getByText('Ctrl').first().isVisible()).toBe(true);
    expect(await page.getByRole('dialog').locator('kbd', { hasText: 'Maj' }).count()).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await invoke(page, 'settings:set', { language: 'en' });
    expect(problems).toEqual([]);
  });

  it.skipIf(!SHOTS)('saves screenshots of the focus ring in both themes', async () => {
    mkdirSync(SHOTS!, { recursive: true });
    for (const theme of ['light', 'dark'] as const) {
      await invoke(page, 'settings:set', { theme });
      const shoot = async (name: string) => {
        await page.waitForTimeout(200);
        await page.screenshot({ path: join(SHOTS!, `focus-${name}-${theme}.png`) });
      };
      await go(page, '#/dialpad');
      await page.getByRole('button', { name: 'Key 5' }).focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      await shoot('dialpad-key');
      await page.getByTestId('dialpad-input').focus();
      await shoot('dialpad-field');
      await page.getByTestId('nav-contacts').focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      await shoot('nav-link');
      await go(page, '#/contacts');
      await page.getByTestId('contact-new').focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      await shoot('primary-button');
      await page.getByTestId('contact-item').first().locator('button').first().focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      await shoot('list-item');
      await go(page, '#/settings/appearance');
      await page.getByRole('switch').first().focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      await shoot('switch');
    }
    await invoke(page, 'settings:set', { theme: 'system' });
  });
});
