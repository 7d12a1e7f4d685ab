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
import type { Page } from 'playwright-core';
import type { Baresip } from '../interop/lab/baresip.ts';
import { UiLab, UI_WAIT } from './lab/ui-lab.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

let lab: UiLab;
let bob: Baresip;
let page: Page;
let problems: string[];

beforeAll(async () => {
  lab = await UiLab.start({ moreUsers: ['carol'], bobToneHz: 1000, bobRecords: true });
  ({ bob, page, problems } = lab);
});

afterAll(async () => {
  await lab?.stop();
});

const addAccount = (aor: string, password: string) => lab.addAccount(aor, password);
const accountItem = (aor: string) => lab.accountItem(aor);
const callState = () => lab.callState();
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
    const detail = await lab.addContact('Bob Baresip', bob.aor);

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
