/**
 * The call history is kept in the engine's database file: end to end in Debian's Chromium through
 * the browser bridge, against a real Kamailio and baresip (test/e2e/lab/appel-web.ts), with the
 * engine (dev-web) started on a SQLite file in this file's namespace directory.
 *
 * - A call placed from the dialpad and hung up leaves its History row; the engine is stopped
 *   (SIGTERM) and a new one started on the same file: the reloaded page shows the same row, the
 *   contact, and the account (whose password, kept in dev-web's MemorySecretStore, is gone: the
 *   page says it is missing, and Edit → the password → Registered).
 * - The engine is killed (SIGKILL) during a call placed from a contact: the next engine on the same
 *   file shows that call as interrupted (the row is written when the call starts: main/store/history.ts).
 *
 *   Chromium ── ws ── engine alice (udp 5070, database file) ──┐
 *                                                              ├── Kamailio 5060 ── baresip bob (5062, auto-answer)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { NetNs } from '../interop/lab/netns.ts';
import type { Baresip } from '../interop/lab/baresip.ts';
import type { AppelWeb } from './lab/appel-web.ts';
import { PROXY, UiLab, UI_WAIT } from './lab/ui-lab.ts';

const ALICE = 'sip:alice@lab.test';

let lab: UiLab;
let ns: NetNs;
let bob: Baresip;
let page: Page;
let problems: string[];

beforeAll(async () => {
  // No engine yet: each test starts its own on a database file.
  lab = await UiLab.start({ engine: false });
  ({ ns, bob, page, problems } = lab);
});

afterAll(async () => {
  await lab?.stop();
});

/** A new engine on `database` (any earlier one stopped first), and the page opened at its address. */
const startEngine = (database: string): Promise<AppelWeb> => lab.startEngine({ database });

/** Settings' new-account form, then the account registered. */
async function addAccount(aor: string, password: string): Promise<void> {
  await lab.addAccount(aor, password);
  await expect.poll(() => accountItem(aor).textContent(), UI_WAIT).toContain('Registered');
}

const addContact = async (name: string, uri: string): Promise<void> => void (await lab.addContact(name, uri));
const accountItem = (aor: string): Locator => lab.accountItem(aor);
const callState = () => lab.callState();

/**
 * A History row's words without its time (which reads relative to now, so may move on) and
 * without what is hidden from screen readers (the avatar's initials).
 */
const rowText = (row: Locator) =>
  row.evaluate((el) => {
    const copy = el.cloneNode(true) as HTMLElement;
    for (const hidden of copy.querySelectorAll('time, [aria-hidden="true"]')) hidden.remove();
    return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
  });

/** The History view's rows, newest first (once at least `atLeast` are shown). */
async function historyRows(atLeast: number): Promise<string[]> {
  await page.getByRole('link', { name: 'History' }).click();
  const rows = page.getByTestId('history-item');
  await expect.poll(() => rows.count(), UI_WAIT).toBeGreaterThanOrEqual(atLeast);
  return Promise.all((await rows.all()).map(rowText));
}

describe('the call history survives the engine (Chromium, Kamailio, baresip, a database file)', () => {
  it('a call from the dialpad, hung up: its row, the contact and the account are there after a restart', async () => {
    const database = join(ns.dir, 'restart.db');
    const first = await startEngine(database);
    await addAccount(ALICE, 'alice-secret');
    await addContact('Bob Baresip', bob.aor);

    // The dialpad completes 'bob' with the account's domain.
    await page.getByRole('link', { name: 'Dialpad' }).click();
    await page.getByTestId('dialpad-input').fill('bob');
    await expect.poll(() => page.locator('#dialpad-preview').textContent(), UI_WAIT).toBe('Calls bob@lab.test');
    const since = bob.eventCount;
    await page.getByTestId('dialpad-call').click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    const established = await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    expect(established.peeruri).toMatch(/^sip:alice@lab\.test/);
    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    await bob.waitFor('CALL_CLOSED', 10_000, since);

    const [before] = await historyRows(1);
    expect(before).toMatch(/^Bob Baresip Outgoing call · Answered( · \d:\d\d)? · bob@lab\.test$/);

    await first.stop();
    // SIGTERM closed the engine (and its database) itself; no SIGKILL was needed.
    expect(first.exit, first.log.slice(-3000)).toEqual({ code: 0, signal: null });

    const second = await startEngine(database);
    expect(await historyRows(1), second.log.slice(-3000)).toEqual([before]);

    await page.getByRole('link', { name: 'Contacts' }).click();
    await expect.poll(() => page.getByTestId('contact-item').allTextContents(), UI_WAIT).toEqual([expect.stringContaining('Bob Baresip')]);

    // The account is saved; its password was only in the old engine's memory (MemorySecretStore),
    // so it registers without one and Kamailio's challenge goes unanswered. The page says the
    // password is missing (not wrong), once, without the status twice.
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => accountItem(ALICE).textContent(), UI_WAIT).toContain('Registration failed');
    const account = (await accountItem(ALICE).textContent()) ?? '';
    expect(account).not.toContain('Registered');
    expect(account).toContain('No password is saved for alice@lab.test: enter it in Settings.');
    expect(account).not.toContain('wrong password');
    expect(account).not.toContain('(401)');

    // Edit → the form filled in, the password empty → enter it → Registered, with the same proxy.
    await accountItem(ALICE).getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('account-form');
    expect(await form.getByLabel('SIP address', { exact: true }).inputValue()).toBe(ALICE);
    expect(await form.getByLabel('Outbound proxy', { exact: true }).inputValue()).toBe(PROXY);
    const password = form.getByLabel('Password', { exact: true });
    expect(await password.inputValue()).toBe('');
    await password.fill('alice-secret');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached', ...UI_WAIT });
    await expect.poll(() => accountItem(ALICE).textContent(), UI_WAIT).toContain('Registered');
    expect(await accountItem(ALICE).textContent()).not.toContain('Last error');
    expect(await page.getByTestId('account-item').count()).toBe(1);
    expect(problems).toEqual([]);
    await second.stop();
  });

  it('the engine killed during a call from a contact: the next engine shows the call as interrupted', async () => {
    const database = join(ns.dir, 'crash.db');
    const first = await startEngine(database);
    await addAccount(ALICE, 'alice-secret');
    await addContact('Bob Baresip', bob.aor);

    const since = bob.eventCount;
    await page.getByTestId('contact-detail').getByRole('button', { name: 'Call bob@lab.test' }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    await bob.waitFor('CALL_ESTABLISHED', 10_000, since);

    await first.kill();
    expect(first.exit).toEqual({ code: null, signal: 'SIGKILL' });
    // Nobody hangs up for the dead engine: end baresip's side.
    await bob.hangup();
    await bob.waitFor('CALL_CLOSED', 10_000, since);

    const second = await startEngine(database);
    const [row] = await historyRows(1);
    expect(row, second.log.slice(-3000)).toMatch(/^Bob Baresip Outgoing call · Interrupted( · \d:\d\d)? · bob@lab\.test$/);
    expect(await page.getByTestId('history-item').count()).toBe(1);
    // The engine says so in words.
    const notice = page.getByTestId('app-status').locator('[data-notice="calls-interrupted"]');
    await expect.poll(() => notice.textContent(), UI_WAIT).toContain('A call was still going on when Appel last stopped; the history keeps it as interrupted');
    expect(problems).toEqual([]);
    await second.stop();
  });
});
