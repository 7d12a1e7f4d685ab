/**
 * The dev:web link in Debian's Chromium against the real engine (`startDevWeb`): its token works
 * once. The first browser gets the page at the address without the token, an HttpOnly,
 * SameSite=Strict session cookie its scripts cannot read, and the engine through the bridge; a
 * second browser with the same link is refused, and so is the bare address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { buildRenderer, startDevWeb, type DevWeb } from '../../main/bridge/dev-web.ts';
import { launchChromium } from './helpers/browser.ts';
import { invoke } from './helpers/app-page.ts';

let web: DevWeb;
let browser: Browser;

beforeAll(async () => {
  await buildRenderer();
  web = await startDevWeb({ mode: 'built', phoneOptions: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe('the dev:web link works once', () => {
  it('first load: the address loses its token, the cookie is HttpOnly and SameSite=Strict, the engine answers', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(web.url);
      expect(response?.status()).toBe(200);
      expect(page.url()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${web.port}/(#.*)?$`));
      await page.getByRole('navigation').first().waitFor({ timeout: 15_000 });
      const cookies = await context.cookies();
      expect(cookies).toEqual([expect.objectContaining({ name: `appel-session-${web.port}`, httpOnly: true, sameSite: 'Strict', path: '/' })]);
      expect(await page.evaluate(() => document.cookie)).toBe('');
      expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(web.token);
      expect(await invoke(page, 'account:list', undefined)).toEqual([]);
      // A reload keeps working on the cookie alone.
      await page.reload();
      await page.getByRole('navigation').first().waitFor({ timeout: 15_000 });
      expect(await invoke(page, 'account:list', undefined)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('a second browser with the same link is refused in words, and the bare address too', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const again = await page.goto(web.url);
      expect(again?.status()).toBe(403);
      expect(await page.textContent('body')).toContain('Each link works once');
      expect(await context.cookies()).toEqual([]);
      const bare = await page.goto(`http://127.0.0.1:${web.port}/`);
      expect(bare?.status()).toBe(401);
      expect(await page.evaluate(() => typeof (window as unknown as { appel?: unknown }).appel)).toBe('undefined');
    } finally {
      await context.close();
    }
  }, 60_000);
});
