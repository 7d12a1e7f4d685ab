/**
 * The call's audio end to end: Appel's page in Debian's Chromium, whose fake microphone plays a
 * 440 Hz WAV (`--use-file-for-fake-audio-capture`), through the renderer's AudioWorklet and the
 * bridge's audio link to the engine, over RTP to a real baresip (through Kamailio) that records
 * what it hears and plays 1000 Hz back. All inside this file's network namespace.
 *
 *   Chromium (mic 440 Hz) ── ws ── engine alice ── Kamailio ── baresip bob (plays 1000 Hz, records)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { UiLab, UI_WAIT } from './lab/ui-lab.ts';
import { goertzelPower, readWav, rmsDb } from '../helpers/audio-analysis.ts';

const MIC = 440;
const BOB = 1000;

let lab: UiLab;
let page: Page;

beforeAll(async () => {
  lab = await UiLab.start({ bobToneHz: BOB, bobRecords: true, microphoneToneHz: MIC });
  page = lab.page;
  // alice's account, added through the page's API (Settings' form is exercised in peers-call.test.ts).
  const added = await page.evaluate(async () => {
    const appel = (globalThis as unknown as { appel: { invoke: (c: string, r: unknown) => Promise<{ ok: boolean; value?: { state: string } }> } }).appel;
    return appel.invoke('account:add', { aor: 'sip:alice@lab.test', password: 'alice-secret', proxy: 'sip:127.0.0.1:5060' });
  });
  if (!added.ok) throw new Error(`account:add: ${JSON.stringify(added)}`);
  await page.getByRole('link', { name: 'Settings' }).click();
  // Registered: said in the account's row (bounded; expect.poll belongs to tests).
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="account-item"]')].some((e) => /Registered/.test(e.textContent ?? '') && !/Not registered/.test(e.textContent ?? '')),
    undefined,
    UI_WAIT,
  );
});

afterAll(async () => {
  await lab?.stop();
});

const callState = () => lab.callState();
/** The call screen's speaker meter (role="meter"), 0–100. */
const speakerLevel = async () => Number(await page.getByTestId('speaker-level').getAttribute('aria-valuenow'));

/** What baresip heard in [from, to) seconds of its last call: power at the microphone's tone and at its own. */
async function bobHeard(from: number, to?: number) {
  const wav = readWav((await lab.bob.recordings(5_000)).dec);
  const all = wav.channels[0];
  const s = all.subarray(Math.round(from * wav.sampleRate), to === undefined ? all.length : Math.round(to * wav.sampleRate));
  return { mic: goertzelPower(s, wav.sampleRate, MIC), other: goertzelPower(s, wav.sampleRate, BOB), rms: rmsDb(s), seconds: all.length / wav.sampleRate, samples: s.length };
}

describe('call audio through the page (fake microphone WAV → baresip, baresip → speaker)', () => {
  it('calls a contact: baresip hears the microphone WAV, the speaker meter moves; hold and resume; hang up', async () => {
    const bob = lab.bob;
    const detail = await lab.addContact('Bob Baresip', bob.aor);

    bob.clearRecordings();
    const since = bob.eventCount;
    await detail.getByRole('button', { name: 'Call bob@lab.test' }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    // What baresip sends reaches the page's speaker.
    await expect.poll(speakerLevel, UI_WAIT).toBeGreaterThan(30);
    await bob.waitHeard(2.5, 15_000);

    const controls = page.getByRole('group', { name: 'Call controls' });
    await controls.getByRole('button', { name: 'Hold', exact: true }).click();
    await expect.poll(callState, UI_WAIT).toBe('On hold');
    await controls.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);

    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    await bob.waitFor('CALL_CLOSED', 10_000, since);

    // From 0.5 s to 2.5 s (before the hold): the microphone's 440 Hz, loud and clear.
    const heard = await bobHeard(0.5, 2.5);
    expect(heard.samples).toBeGreaterThan(8000);
    expect(heard.mic, `440 Hz vs 1000 Hz in what baresip heard (${JSON.stringify(heard)})`).toBeGreaterThan(20 * heard.other);
    expect(heard.rms).toBeGreaterThan(-30);
    expect(lab.problems).toEqual([]);
  });

  it('answers a call from baresip in the page: audio both ways; mute sends silence', async () => {
    const bob = lab.bob;
    bob.clearRecordings();
    const since = bob.eventCount;
    await bob.dial('sip:alice@lab.test');
    const panel = page.getByTestId('incoming-call');
    await panel.waitFor(UI_WAIT);
    await panel.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(callState, UI_WAIT).toMatch(/^Connected · \d:\d\d$/);
    await bob.waitFor('CALL_ESTABLISHED', 10_000, since);
    await expect.poll(speakerLevel, UI_WAIT).toBeGreaterThan(30);
    await bob.waitHeard(2.5, 15_000);

    const controls = page.getByRole('group', { name: 'Call controls' });
    await controls.getByRole('button', { name: 'Mute', exact: true }).click();
    await expect.poll(() => controls.getByRole('button', { name: 'Unmute', exact: true }).getAttribute('aria-pressed'), UI_WAIT).toBe('true');
    await bob.waitHeard(5, 15_000);
    await page.getByTestId('call-hangup').click();
    await page.getByTestId('call-ended').waitFor(UI_WAIT);
    await bob.waitFor('CALL_CLOSED', 10_000, since);

    const talking = await bobHeard(0.5, 2.5);
    expect(talking.mic, `440 Hz in what baresip heard once answered (${JSON.stringify(talking)})`).toBeGreaterThan(20 * talking.other);
    // The last second was muted: nothing of the microphone.
    const end = await bobHeard(0);
    const muted = await bobHeard(end.seconds - 1);
    expect(muted.mic, `440 Hz after mute (${JSON.stringify(muted)}) vs before (${JSON.stringify(talking)})`).toBeLessThan(talking.mic / 100);
    expect(lab.problems).toEqual([]);
  });
});
