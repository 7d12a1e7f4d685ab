/**
 * The UI end to end against real peers: Appel's page in Debian's Chromium, its engine (dev-web,
 * the app's engine) and a real Kamailio and baresip, all inside this file's network namespace
 * (test/e2e/lab/appel-web.ts). Settings adds accounts (registered / wrong password), a contact
 * is called and put on hold, and baresip's calls are declined and answered from the
 * incoming-call panel. What baresip reports (ctrl_tcp events) is checked beside what the UI shows.
 *
 *   Chromium ── ws ── engine alice (udp 5070) ──┐
 *                                                ├── Kamailio 5060 ── baresip bob (5062, auto-answer, 1000 Hz)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildRenderer } from '../../main/bridge/dev-web.ts';
import { NetNs } from '../interop/lab/netns.ts';
import { Kamailio } from '../interop/lab/kamailio.ts';
import { Baresip } from '../interop/lab/baresip.ts';
import { makeToneWav } from '../interop/lab/peers-audio-fixtures.ts';
import { AppelWeb, launchChromiumIn } from './lab/appel-web.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const USERS = ['alice', 'bob', 'carol'].map((username) => ({ username, password: `${username}-secret` }));
const PROXY = 'sip:127.0.0.1:5060';
/** Bounded waits on the UI (a call set-up through Kamailio takes well under a second here). */
const UI_WAIT = { timeout: 15_000 };

let ns: NetNs;
let kamailio: Kamailio;
let bob: Baresip;
let web: AppelWeb;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  await buildRenderer();
  ns = await NetNs.create();
  const tone1000 = makeToneWav(join(ns.dir, 'audio'), { frequency: 1000 });
  kamailio = new Kamailio(ns, { users: USERS });
  await kamailio.start();
  bob = new Baresip(ns, { user: 'bob', password: 'bob-secret', registrar: '127.0.0.1:5060', sipPort: 5062, ctrlPort: 6062, autoAnswer: true, playWav: tone1000, record: true });
  await bob.start();
  web = await AppelWeb.start(ns, { sip: ['udp:127.0.0.1:5070'] });
  const browserDir = join(ns.dir, 'browser');
  mkdirSync(browserDir, { recursive: true });
  browser = await launchChromiumIn(ns, browserDir);
  page = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(web.url);
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor(UI_WAIT);
});

afterAll(async () => {
  await browser?.close();
  // The engine and baresip un-register on SIGTERM, which needs Kamailio (PEERS.md): stop them first.
  await Promise.all([web?.stop(), bob?.stop()]);
  await kamailio?.stop();
  await ns?.close();
});

/** Fills and submits Settings' new-account form. */
async function addAccount(aor: string, password: string): Promise<void> {
  await page.getByTestId('account-add').click();
  const form = page.getByTestId('account-form');
  await form.getByLabel('SIP address', { exact: true }).fill(aor);
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'More options' }).click();
  await form.getByLabel('Outbound proxy', { exact: true }).fill(PROXY);
  await form.getByRole('button', { name: 'Add account' }).click();
  await form.waitFor({ state: 'detached', ...UI_WAIT });
}

const accountItem = (aor: string) => page.getByTestId('account-item').filter({ hasText: aor });
const callState = () => page.getByTestId('call-state').textContent();
const incomingPanel = () => page.getByTestId('incoming-call');

describe('Appel in Chromium with Kamailio and baresip', () => {
  it('Settings: an account registers with Kamailio; a wrong password says so in words', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await addAccount('sip:alice@lab.test', 'alice-secret');
    await expect.poll(() => accountItem('sip:alice@lab.test').textContent(), UI_WAIT).toContain('Registered');
    expect(await accountItem('sip:alice@lab.test').textContent()).not.toContain('Not registered');

    await addAccount('sip:carol@lab.test', 'not-carols-password');
    await expect.poll(() => accountItem('sip:carol@lab.test').textContent(), UI_WAIT).toContain('wrong password');
    expect(await accountItem('sip:carol@lab.test').textContent()).toContain('Registration failed');
    // The password itself is shown nowhere.
    expect(await page.locator('body').innerText()).not.toContain('not-carols-password');
    // alice, registered, is the one used for calls.
    expect(await accountItem('sip:alice@lab.test').textContent()).toContain('Used for calls');
  });

  it('calls baresip from a contact: Connected, hold and resume, hang up; baresip saw it; history row', async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'New contact' }).click();
    const editor = page.getByTestId('contact-editor');
    await editor.getByLabel('Name', { exact: true }).fill('Bob Baresip');
    await editor.getByLabel('Address', { exact: true }).fill(bob.aor);
    await editor.getByRole('button', { name: 'Save' }).click();
    const detail = page.getByTestId('contact-detail');
    await detail.getByRole('heading', { level: 2, name: 'Bob Baresip' }).waitFor(UI_WAIT);

    const since = bob.eventCount;
    await detail.getByRole('button', { name: 'Call bob@lab.test' }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    const established = await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    expect(established.direction).toBe('incoming');
    expect(established.peeruri).toMatch(/^sip:alice@lab\.test/);

    const controls = page.getByRole('group', { name: 'Call controls' });
    await controls.getByRole('button', { name: 'Hold', exact: true }).click();
    await expect.poll(callState, UI_WAIT).toBe('On hold');
    expect(await controls.getByRole('button', { name: 'Resume', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await controls.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    // baresip is still in the call after the two re-INVITEs.
    expect((await bob.calls()).map((c) => c.state)).toEqual(['ESTABLISHED']);

    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    const closed = await bob.waitFor('CALL_CLOSED', 10_000, since);
    expect(closed.id).toBe(established.id);
    // baresip heard a BYE (no error status).
    expect(closed.param).not.toMatch(/\b[4-6]\d\d\b/);

    await page.getByRole('link', { name: 'History' }).click();
    const row = page.getByTestId('history-item').first();
    await expect.poll(() => row.textContent(), UI_WAIT).toContain('Outgoing call · Answered');
    expect(await row.textContent()).toContain('Bob Baresip');
  });

  it('an incoming call from baresip: Decline gives baresip 486; the next one, answered from the panel, connects', async () => {
    let since = bob.eventCount;
    await bob.dial('sip:alice@lab.test');
    await incomingPanel().waitFor(UI_WAIT);
    expect(await incomingPanel().textContent()).toContain('bob@lab.test');
    await incomingPanel().getByRole('button', { name: 'Decline' }).click();
    const declined = await bob.waitFor('CALL_CLOSED', 10_000, since);
    expect(declined.param).toMatch(/\b(486|603)\b/);
    await incomingPanel().waitFor({ state: 'detached', ...UI_WAIT });

    since = bob.eventCount;
    await bob.dial('sip:alice@lab.test');
    await incomingPanel().waitFor(UI_WAIT);
    await incomingPanel().getByRole('button', { name: 'Answer' }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    const established = await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    expect(established.direction).toBe('outgoing');
    expect(await incomingPanel().count()).toBe(0);

    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    await bob.waitFor('CALL_CLOSED', 10_000, since);
    expect(problems).toEqual([]);
  });

  it('a call placed through the page\'s API with a 440 Hz tone: shown on the call screen, and baresip hears the tone', async () => {
    // The API's `play` option (automation through the bridge) instead of the microphone
    // (the microphone's path: call-audio.test.ts).
    bob.clearRecordings();
    const since = bob.eventCount;
    const placed = await page.evaluate(async (to) => {
      type Result = { ok: boolean; value?: unknown; error?: unknown };
      const appel = (globalThis as unknown as { appel: { invoke: (channel: string, req: unknown) => Promise<Result> } }).appel;
      const list = await appel.invoke('account:list', {});
      const accounts = (list.value ?? []) as Array<{ id: string; aor: string }>;
      const alice = accounts.find((a) => a.aor === 'sip:alice@lab.test');
      if (!alice) return { ok: false, error: `no alice among ${JSON.stringify(list)}` };
      return appel.invoke('call:dial', { to, accountId: alice.id, codecs: ['pcmu'], play: { tone: [440] } });
    }, bob.aor);
    expect(placed, JSON.stringify(placed)).toMatchObject({ ok: true });
    await page.getByRole('link', { name: 'Call' }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    await bob.waitHeard(2, 10_000);
    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    await bob.waitFor('CALL_CLOSED', 10_000, since);

    const wav = readWav((await bob.recordings(5_000)).dec);
    const samples = wav.channels[0].subarray(Math.round(wav.sampleRate * 0.4));
    expect(samples.length).toBeGreaterThan(wav.sampleRate);
    expect(goertzelPower(samples, wav.sampleRate, 440), '440 Hz vs 1000 Hz in what baresip heard').toBeGreaterThan(20 * goertzelPower(samples, wav.sampleRate, 1000));
    expect(rmsDb(samples)).toBeGreaterThan(-30);
    expect(problems).toEqual([]);
  });
});
