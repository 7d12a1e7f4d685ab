/**
 * The end-to-end lab the UI tests share: a network namespace with Kamailio (users alice and bob),
 * a baresip "bob" that answers by itself and plays a tone, Debian's Chromium inside the
 * namespace, and Appel's engine (dev-web) whose page that browser shows. The page's uncaught
 * errors are kept in `problems`.
 *
 *   Chromium ── ws ── engine alice (udp 5070) ── Kamailio 5060 ── baresip bob (5062, auto-answer)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { buildRenderer } from '../../../main/bridge/dev-web.ts';
import { NetNs } from '../../interop/lab/netns.ts';
import { Kamailio } from '../../interop/lab/kamailio.ts';
import { Baresip } from '../../interop/lab/baresip.ts';
import { makeToneWav } from '../../interop/lab/peers-audio-fixtures.ts';
import { makeTestPki, type TestPki } from '../../helpers/certs.ts';
import { AppelWeb, launchChromiumIn, type AppelWebOptions } from './appel-web.ts';

export const PROXY = 'sip:127.0.0.1:5060';
/** Kamailio's TLS port (the lab's `tls` option), as an outbound proxy. */
export const TLS_PROXY = 'sip:127.0.0.1:5061;transport=tls';
/** Bounded waits on the UI (a call set-up through Kamailio takes well under a second here). */
export const UI_WAIT = { timeout: 15_000 };

export interface UiLabOptions {
  /** Kamailio's users besides alice and bob (password `<name>-secret`). */
  moreUsers?: string[];
  /** The tone baresip plays, Hz (default 1000). */
  bobToneHz?: number;
  /** baresip records what it hears and sends. */
  bobRecords?: boolean;
  /** baresip takes video calls: VP8, its moving test pattern as camera (PEERS.md "Video peers"). */
  bobVideo?: boolean;
  /** A tone the browser's fake microphone plays (default: Chromium's own beeps). */
  microphoneToneHz?: number;
  /** Start an engine now (default), with these options. */
  engine?: AppelWebOptions | false;
  /** Kamailio also listens on TLS 127.0.0.1:5061 with a certificate from a private CA (`UiLab.pki`). */
  tls?: boolean;
}

interface Parts {
  ns: NetNs;
  kamailio: Kamailio;
  bob: Baresip;
  browser: Browser;
  page: Page;
  pki?: TestPki;
}

export class UiLab {
  readonly ns: NetNs;
  readonly kamailio: Kamailio;
  readonly bob: Baresip;
  readonly browser: Browser;
  readonly page: Page;
  readonly problems: string[] = [];
  /** The private CA and Kamailio's certificate, with the `tls` option. */
  pki?: TestPki;
  /** Every engine started (stopping one that has exited is a no-op). */
  readonly #engines: AppelWeb[] = [];

  private constructor(parts: Parts) {
    this.ns = parts.ns;
    this.kamailio = parts.kamailio;
    this.bob = parts.bob;
    this.browser = parts.browser;
    this.page = parts.page;
    this.pki = parts.pki;
    this.page.on('pageerror', (e) => this.problems.push(e.message));
  }

  /** The engine now serving the page. */
  get web(): AppelWeb {
    const web = this.#engines.at(-1);
    if (!web) throw new Error('no engine was started');
    return web;
  }

  static async start(opts: UiLabOptions = {}): Promise<UiLab> {
    await buildRenderer();
    const ns = await NetNs.create();
    const parts: Partial<Parts> = { ns };
    try {
      const audio = join(ns.dir, 'audio');
      const users = ['alice', 'bob', ...(opts.moreUsers ?? [])].map((username) => ({ username, password: `${username}-secret` }));
      const pki = opts.tls ? makeTestPki(join(ns.dir, 'pki'), { names: ['127.0.0.1', 'lab.test'] }) : undefined;
      parts.pki = pki;
      parts.kamailio = new Kamailio(ns, { users, ...(pki ? { tls: pki } : {}) });
      await parts.kamailio.start();
      const tone = makeToneWav(audio, { frequency: opts.bobToneHz ?? 1000 });
      parts.bob = new Baresip(ns, { user: 'bob', password: 'bob-secret', registrar: '127.0.0.1:5060', sipPort: 5062, ctrlPort: 6062, autoAnswer: true, playWav: tone, record: opts.bobRecords ?? false, video: opts.bobVideo ?? false });
      await parts.bob.start();
      const browserDir = join(ns.dir, 'browser');
      mkdirSync(browserDir, { recursive: true });
      const microphoneWav = opts.microphoneToneHz ? makeToneWav(audio, { frequency: opts.microphoneToneHz, seconds: 120 }) : undefined;
      parts.browser = await launchChromiumIn(ns, browserDir, microphoneWav ? { microphoneWav } : {});
      parts.page = await parts.browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
    } catch (err) {
      await parts.browser?.close();
      await parts.bob?.stop();
      await parts.kamailio?.stop();
      await ns.close();
      throw err;
    }
    const lab = new UiLab(parts as Parts);
    if (opts.engine !== false) await lab.startEngine(opts.engine ?? {});
    return lab;
  }

  /** A new engine (an earlier one stopped first: they share SIP port 5070), and the page opened at its address. */
  async startEngine(opts: AppelWebOptions = {}): Promise<AppelWeb> {
    await Promise.all(this.#engines.map((e) => e.stop()));
    const web = await AppelWeb.start(this.ns, { sip: ['udp:127.0.0.1:5070'], ...opts });
    this.#engines.push(web);
    await this.page.goto(web.url);
    await this.page.getByRole('navigation', { name: 'Main navigation' }).waitFor(UI_WAIT);
    return web;
  }

  /** Settings' row of the account `aor`. */
  accountItem(aor: string): Locator {
    return this.page.getByTestId('account-item').filter({ hasText: aor });
  }

  /**
   * Fills and submits Settings' new-account form (through Kamailio as outbound proxy). `tls`:
   * through Kamailio's TLS port (the lab's `tls` option), the account's transport TLS.
   */
  async addAccount(aor: string, password: string, opts: { tls?: boolean } = {}): Promise<void> {
    const page = this.page;
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByTestId('account-add').click();
    const form = page.getByTestId('account-form');
    await form.getByLabel('SIP address', { exact: true }).fill(aor);
    await form.getByLabel('Password', { exact: true }).fill(password);
    await form.getByRole('button', { name: 'More options' }).click();
    await form.getByLabel('Outbound proxy', { exact: true }).fill(opts.tls ? TLS_PROXY : PROXY);
    if (opts.tls) await form.getByLabel('Transport', { exact: true }).selectOption('tls');
    await form.getByRole('button', { name: 'Add account' }).click();
    await form.waitFor({ state: 'detached', ...UI_WAIT });
  }

  /** Contacts → New contact → saved, its page open. */
  async addContact(name: string, uri: string): Promise<Locator> {
    const page = this.page;
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'New contact' }).click();
    const editor = page.getByTestId('contact-editor');
    await editor.getByLabel('Name', { exact: true }).fill(name);
    await editor.getByLabel('Address', { exact: true }).fill(uri);
    await editor.getByRole('button', { name: 'Save' }).click();
    const detail = page.getByTestId('contact-detail');
    await detail.getByRole('heading', { level: 2, name }).waitFor(UI_WAIT);
    return detail;
  }

  /** The call screen's state line ("Connected · 0:03", "On hold"…). */
  callState(): Promise<string | null> {
    return this.page.getByTestId('call-state').textContent();
  }

  /** Stops everything, in the order the peers need (engines and baresip un-register through Kamailio). */
  async stop(): Promise<void> {
    await this.browser.close();
    await Promise.all([...this.#engines.map((e) => e.stop()), this.bob.stop()]);
    await this.kamailio.stop();
    await this.ns.close();
  }
}
