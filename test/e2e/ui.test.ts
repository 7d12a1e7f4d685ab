/**
 * The UI end to end in Debian's Chromium: the renderer built by Vite, served with the real engine
 * (Phone + store) by `startDevWeb` on 127.0.0.1, reached through the token-protected bridge. A
 * second Phone in this process is the peer that answers our call. No registrar yet (Kamailio
 * lives in a network namespace the browser cannot join): direct calls by sip: URI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Phone } from '../../main/phone/phone.ts';
import { buildRenderer, startDevWeb, type DevWeb } from '../../main/bridge/dev-web.ts';
import { launchChromium } from './helpers/browser.ts';

describe('the desktop UI in Chromium', () => {
  let web: DevWeb;
  let peer: Phone;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await buildRenderer();
    web = await startDevWeb({
      mode: 'built',
      phoneOptions: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } },
    });
    peer = await Phone.create({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' }, calls: { autoAnswer: true } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
    // Any CSP violation, uncaught error or failed request is a failure of the page.
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(web.url);
    await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await peer?.stop();
  });

  it('removes the token from the address bar and reaches the engine', async () => {
    expect(page.url()).not.toContain('token=');
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => page.getByText('No account yet.').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('serves the ringtone under /sounds/ (audio/wav, allowed by the page policy), and nothing else there', async () => {
    const base = new URL(web.url);
    // This process is not the browser: it shows the page's session cookie (the link's token is spent).
    const fetch = (url: URL) => globalThis.fetch(url, { headers: { Cookie: web.cookie } });
    const ring = await fetch(new URL('/sounds/ringtone.wav', base));
    expect(ring.status).toBe(200);
    expect(ring.headers.get('content-type')).toBe('audio/wav');
    expect(ring.headers.get('content-security-policy')).toContain("media-src 'self'");
    expect(Buffer.from(await ring.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    expect((await fetch(new URL('/sounds/none.wav', base))).status).toBe(404);
    expect((await fetch(new URL('/sounds/ringtone.txt', base))).status).toBe(404);
    expect((await fetch(new URL('/sounds/%E0%A4%A', base))).status).toBe(400);
    // The page itself can play it (no CSP violation, a decodable file).
    const playable = await page.evaluate(async () => {
      const audio = new Audio('sounds/ringtone.wav');
      await new Promise((ok, fail) => {
        audio.oncanplaythrough = ok;
        audio.onerror = () => fail(new Error(`media error ${audio.error?.code}`));
      });
      return audio.duration;
    });
    expect(playable).toBeGreaterThan(0.5);
    expect(problems).toEqual([]);
  });

  it('adds a contact after showing the inline error for a bad URI', async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'New contact' }).click();
    const editor = page.getByTestId('contact-editor');
    await editor.getByLabel('Name', { exact: true }).fill('Élodie Roux');
    const address = editor.getByLabel('Address', { exact: true });
    // Without a scheme an address is completed (an extension, user@host); a sip: URI is kept as typed and checked.
    await address.fill('sip:elodie@');
    await address.blur();
    const error = editor.getByRole('alert');
    await expect.poll(() => error.textContent()).toBe('Add the domain after the user name — for example sip:alice@example.com.');
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    await editor.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByTestId('contact-item').count()).toBe(0);

    await address.fill('sip:elodie@example.com');
    expect(await address.getAttribute('aria-invalid')).toBeNull();
    await editor.getByRole('button', { name: 'Save' }).click();
    const detail = page.getByTestId('contact-detail');
    await detail.waitFor();
    expect(await detail.getByRole('heading', { level: 2 }).textContent()).toBe('Élodie Roux');
    expect(await page.getByTestId('contact-item').allTextContents()).toEqual([expect.stringContaining('Élodie Roux')]);
  });

  it('finds contacts by name without accents and by the digits of a number', async () => {
    await page.getByRole('button', { name: 'New contact' }).click();
    const editor = page.getByTestId('contact-editor');
    await editor.getByLabel('Name', { exact: true }).fill('Bob Martin');
    await editor.getByLabel('Address', { exact: true }).fill('tel:+33123456789');
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('contact-detail').getByText('Bob Martin').waitFor();
    expect(await page.getByTestId('contact-item').count()).toBe(2);

    const search = page.getByLabel('Search contacts');
    const names = () => page.getByTestId('contact-item').locator('.contact-list-item__name').allTextContents();
    await search.fill('elo');
    await expect.poll(async () => (await names()).map((n) => n.trim())).toEqual(['Élodie Roux']);
    await search.fill('+33 1 23');
    await expect.poll(async () => (await names()).map((n) => n.trim())).toEqual(['Bob Martin']);
    await search.fill('nobody');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'No contact matches' }).count()).toBe(1);
    await search.fill('');
    await expect.poll(async () => (await names()).length).toBe(2);
  });

  it('calls a real phone from the dialpad, shows the call, and hangs up', async () => {
    const uri = `sip:bob@127.0.0.1:${peer.localAddresses()[0].port}`;
    await page.getByRole('link', { name: 'Dialpad' }).click();
    await page.getByTestId('dialpad-input').fill(uri);
    await page.getByTestId('dialpad-input').press('Enter');
    const state = page.getByTestId('call-state');
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toMatch(/^Connected · \d:\d\d$/);
    expect(await page.getByTestId('call-screen').textContent()).toContain('OPUS');
    await page.getByTestId('call-hangup').click();
    await expect.poll(() => page.getByTestId('call-ended').count(), { timeout: 10_000 }).toBe(1);
    await page.getByRole('link', { name: 'History' }).click();
    await expect.poll(() => page.getByTestId('history-item').first().textContent()).toContain('Outgoing call · Answered');
  });

  it('switches to French: no missing key anywhere, and the inline error in French', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByTestId('settings-appearance').click();
    await page.getByTestId('language-select').locator('select').selectOption('fr');
    await page.getByRole('link', { name: 'Réglages' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr');
    const KEY = /\b(app|common|uri|dialpad|contacts|call|history|messages|settings|languages)\.[a-z][A-Za-z]*/;
    for (const path of ['dialpad', 'contacts', 'contacts/new', 'call', 'history', 'messages', 'settings/accounts', 'settings/audio', 'settings/codecs', 'settings/network', 'settings/calls', 'settings/appearance']) {
      await page.evaluate((p) => (location.hash = `#/${p}`), path);
      await page.waitForFunction((p) => location.hash === `#/${p}`, path);
      const text = await page.locator('body').innerText();
      expect(text, path).not.toMatch(KEY);
    }
    expect(await page.evaluate(() => (window as unknown as { appelMissingKeys: () => string[] }).appelMissingKeys())).toEqual([]);

    await page.evaluate(() => (location.hash = '#/contacts/new'));
    const address = page.getByTestId('contact-editor').getByLabel('Adresse', { exact: true });
    await address.fill('sip:bob@');
    await address.blur();
    await expect.poll(() => page.getByTestId('contact-editor').getByRole('alert').textContent()).toBe('Ajoutez le domaine après le nom d’utilisateur — par exemple sip:alice@example.com.');
    expect(problems).toEqual([]);
  });
});
