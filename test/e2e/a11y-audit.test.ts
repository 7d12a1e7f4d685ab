/**
 * The accessibility audit: axe-core (WCAG 2.2 A/AA and best practices) on every screen of the UI,
 * in English and French, in the light and the dark theme, in Debian's Chromium against the real
 * engine (`startDevWeb`). A serious or critical finding fails the test and is listed; the lesser
 * ones are printed at the end.
 *
 * Two more phones on loopback: one answers by itself (the call screen), one rings us (the
 * incoming-call panel and window).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Phone } from '../../main/phone/phone.ts';
import { buildRenderer, startDevWeb, type DevWeb } from '../../main/bridge/dev-web.ts';
import { en } from '../../renderer/src/i18n/en.ts';
import { fr } from '../../renderer/src/i18n/fr.ts';
import { launchChromium } from './helpers/browser.ts';
import { audit, blocking, listFindings, type Finding } from './helpers/axe.ts';
import { audioSeconds, go, invoke, seedAddressBook } from './helpers/app-page.ts';

const LOOPBACK = { listen: [{ protocol: 'UDP' as const, address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } };
const WAIT = { timeout: 15_000 };

let web: DevWeb;
let answerer: Phone;
let caller: Phone;
let browser: Browser;
let aliceId: string;
const everything: Finding[] = [];

beforeAll(async () => {
  await buildRenderer();
  web = await startDevWeb({ mode: 'built', phoneOptions: LOOPBACK });
  ({ aliceId } = seedAddressBook(web.store));
  [answerer, caller] = await Promise.all([Phone.create({ ...LOOPBACK, calls: { autoAnswer: true, autoAnswerPlay: { tone: [440], levelDb: -20 } } }), Phone.create(LOOPBACK)]);
  browser = await launchChromium();
  // An account (not registering: no registrar here) so Settings shows one, as it does for most people.
  const page = await browser.newPage();
  await page.goto(web.url);
  await invoke(page, 'account:add', { aor: 'sip:alice@lab.test', register: false });
  await page.close();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await answerer?.stop();
  await caller?.stop();
  if (everything.length) console.log(`Lesser accessibility findings (not failing):\n${listFindings(everything.filter((f) => !blocking(f)))}`);
});

/** A screen to audit: how to reach it from wherever the page is, and how to leave it clean. */
interface Screen {
  name: string;
  open(page: Page, T: typeof en): Promise<void>;
  close?(page: Page): Promise<void>;
}

const at = (name: string, hash: string, testid?: string): Screen => ({
  name,
  async open(page) {
    await go(page, hash);
    if (testid) await page.getByTestId(testid).first().waitFor(WAIT);
  },
});

const escape = async (page: Page) => {
  await page.keyboard.press('Escape');
  await page.locator('[aria-modal=true]').waitFor({ state: 'detached', ...WAIT });
};

const SCREENS: Screen[] = [
  at('dialpad', '#/dialpad', 'dialpad-input'),
  {
    name: 'dialpad, suggestions',
    async open(page) {
      await page.getByTestId('dialpad-input').fill('al');
      await page.locator('.dialpad-view__suggestion').first().waitFor(WAIT);
    },
    close: (page) => page.getByTestId('dialpad-input').fill(''),
  },
  at('contacts', '#/contacts', 'contact-item'),
  { name: 'contact', open: (page) => at('', `#/contacts/${aliceId}`, 'contact-detail').open(page, en) },
  {
    name: 'new contact, with an error',
    async open(page) {
      await at('', '#/contacts/new', 'contact-editor').open(page, en);
      const address = page.locator('[data-testid=contact-uri] input').first();
      await address.fill('sip:bob@');
      await address.blur();
      await page.getByTestId('contact-editor').getByRole('alert').waitFor(WAIT);
    },
  },
  at('history', '#/history', 'history-item'),
  {
    name: 'history, clear dialog',
    async open(page, T) {
      await page.getByRole('button', { name: T.history.clear }).click();
      await page.getByRole('alertdialog').waitFor(WAIT);
    },
    close: escape,
  },
  at('messages', '#/messages'),
  { name: 'conversation', open: (page) => at('', `#/messages/${encodeURIComponent('sip:alice@lab.test')}`).open(page, en).then(() => page.locator('.message-bubble').first().waitFor(WAIT)) },
  {
    name: 'new conversation',
    async open(page, T) {
      await page.getByRole('button', { name: T.messages.newConversation }).click();
      await page.locator('.messages-view__new').waitFor(WAIT);
    },
  },
  at('settings: accounts', '#/settings/accounts', 'account-item'),
  {
    name: 'settings: new account',
    async open(page) {
      await page.getByTestId('account-add').click();
      await page.getByTestId('account-form').waitFor(WAIT);
    },
  },
  at('settings: audio', '#/settings/audio'),
  at('settings: codecs', '#/settings/codecs'),
  at('settings: network', '#/settings/network'),
  at('settings: calls', '#/settings/calls'),
  at('settings: appearance', '#/settings/appearance'),
  at('settings: keyboard', '#/settings/keyboard', 'shortcut-list'),
  {
    name: 'keyboard shortcuts dialog',
    async open(page) {
      await page.getByTestId('nav-shortcuts').click();
      await page.getByRole('dialog').getByTestId('shortcut-list').waitFor(WAIT);
    },
    close: escape,
  },
  {
    name: 'call, connected',
    async open(page) {
      await invoke(page, 'call:dial', { to: `sip:bob@127.0.0.1:${answerer.localAddresses()[0].port}` });
      await go(page, '#/call');
      await expect.poll(() => page.getByTestId('call-state').textContent(), WAIT).toMatch(/\d:\d\d/);
      await page.getByTestId('call-quality').waitFor(WAIT);
    },
  },
  {
    name: 'call, transfer dialog',
    async open(page, T) {
      await page.getByRole('button', { name: T.call.transfer, exact: true }).click();
      await page.getByRole('dialog').waitFor(WAIT);
    },
    close: escape,
  },
  {
    name: 'call, recording, keypad open',
    async open(page, T) {
      await page.getByTestId('call-record').click();
      await page.getByTestId('call-recording').waitFor(WAIT);
      await page.getByRole('button', { name: T.call.keypad, exact: true }).click();
      await page.locator('.call-view__keypad').waitFor(WAIT);
    },
  },
  {
    name: 'call, ended',
    async open(page) {
      await page.getByTestId('call-hangup').click();
      await page.getByTestId('call-ended').waitFor(WAIT);
    },
  },
  {
    name: 'history, a call in detail, its recording played',
    async open(page) {
      await go(page, '#/history');
      const row = page.getByTestId('history-item').first();
      await row.hover();
      await row.getByTestId('history-details').click();
      await page.getByTestId('history-recording-listen').click();
      expect(await audioSeconds(page)).toBeGreaterThan(0);
    },
    close: escape,
  },
  {
    name: 'incoming call over the dialpad',
    async open(page) {
      await go(page, '#/dialpad');
      void caller.dial({ to: `sip:me@127.0.0.1:${web.phone.localAddresses()[0].port}` });
      await page.getByTestId('incoming-call').waitFor(WAIT);
    },
  },
  {
    name: 'incoming-call window',
    async open(page) {
      await go(page, '#/incoming');
      await page.getByTestId('incoming-call').waitFor(WAIT);
    },
    async close(page) {
      await Promise.all(caller.listCalls().map((c) => caller.hangup({ callId: c.id })));
      await page.getByTestId('incoming-call').waitFor({ state: 'detached', ...WAIT });
      await go(page, '#/dialpad');
    },
  },
];

describe('accessibility audit (axe-core): every screen, in English and French, light and dark', () => {
  it('finds what it is there to find (a button without a name, grey on grey)', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(web.link()); // each new browser context needs its own one-time link
      await page.getByRole('navigation').first().waitFor(WAIT);
      await page.evaluate(() => {
        const b = document.createElement('button');
        b.innerHTML = '<svg width="10" height="10"></svg>';
        const p = document.createElement('p');
        p.textContent = 'faint';
        p.style.cssText = 'color:#aaa;background:#bbb';
        document.getElementById('main')!.append(b, p);
      });
      const found = (await audit(page, 'canary')).filter(blocking).map((f) => f.rule);
      expect(found).toEqual(expect.arrayContaining(['button-name', 'color-contrast']));
    } finally {
      await page.close();
    }
  });

  for (const language of ['en', 'fr'] as const) {
    for (const theme of ['light', 'dark'] as const) {
      it(`${language}, ${theme}: no serious or critical finding`, async () => {
        const T = { en, fr }[language];
        const page = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: language === 'fr' ? 'fr-FR' : 'en-GB' });
        try {
          await page.goto(web.link()); // each new browser context needs its own one-time link
          await page.getByRole('navigation').first().waitFor(WAIT);
          await invoke(page, 'settings:set', { language, theme });
          await page.waitForFunction(([l, th]) => document.documentElement.lang === l && document.documentElement.dataset.theme === th, [language, theme]);
          const findings: Finding[] = [];
          for (const screen of SCREENS) {
            await screen.open(page, T);
            // Colours settle (transitions are 120 ms) before contrast is measured.
            await page.waitForTimeout(250);
            findings.push(...(await audit(page, `${language}/${theme} ${screen.name}`)));
            await screen.close?.(page);
          }
          everything.push(...findings);
          const serious = findings.filter(blocking);
          expect(serious, listFindings(serious)).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
  }
});
