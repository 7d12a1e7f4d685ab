/**
 * Screenshots of every view in English and French (and the dark theme) into docs/screenshots/:
 *
 *   node test/e2e/take-screenshots.ts
 *
 * The real engine and store (startDevWeb), seeded with contacts, history and messages through the
 * store; a second Phone on loopback answers the call shown on the call screen (recorded, the keypad
 * open), and then calls us for the incoming-call panel; History shows that call in detail with its
 * recording in the player. Then a video call (Chromium's fake camera; Bob sends his test
 * pattern), Settings → Video with its preview, and Bob's incoming video call. A TLS server whose certificate comes from a private CA shows the
 * account's certificate facts in Settings.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { Phone } from '../../main/phone/phone.ts';
import { buildRenderer, startDevWeb } from '../../main/bridge/dev-web.ts';
import { launchChromium } from './helpers/browser.ts';
import { makeSpeechWav } from '../interop/lab/peers-audio-fixtures.ts';
import { makeTestPki } from '../helpers/certs.ts';
import { en } from '../../renderer/src/i18n/en.ts';
import { fr } from '../../renderer/src/i18n/fr.ts';
import { audioSeconds, invoke } from './helpers/app-page.ts';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
mkdirSync(OUT, { recursive: true });

await buildRenderer();
const web = await startDevWeb({ mode: 'built', phoneOptions: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' } } });
const bob = await Phone.create({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' }, calls: { autoAnswer: true, autoAnswerPlay: { tone: [440], levelDb: -16 }, autoAnswerVideo: true, autoAnswerVideoSource: 'testsrc' } });
const bobUri = `sip:bob@127.0.0.1:${bob.localAddresses()[0].port}`;

// Seed the store as a person's address book would look after a few days.
const s = web.store;
const now = Date.now();
const add = (displayName: string, addresses: Array<[string, 'work' | 'home' | 'mobile' | 'other']>, favourite = false, notes = '') =>
  s.contacts.save({ displayName, favourite, notes, addresses: addresses.map(([uri, label]) => ({ uri, label })) });
const alice = add('Alice Martin', [['sip:alice@lab.test', 'work'], ['tel:+33612345678', 'mobile']], true, 'Support team lead — prefers calls after 10:00.');
add('Bob Durand', [[bobUri, 'work']], true);
add('Élodie Roux', [['sip:elodie@example.org', 'home']]);
add('Karim Benali', [['sips:karim@voip.example.net', 'work']]);
add('Reception desk', [['sip:100@lab.test', 'work']]);
add('Sven Olsen', [['tel:+4791234567', 'mobile']]);
const past = (mins: number) => now - mins * 60_000;
const call = (peer: string, name: string | undefined, dir: 'incoming' | 'outgoing', startMin: number, secs: number, outcome: 'answered' | 'missed' | 'busy' | 'declined') => {
  const e = s.history.start({ direction: dir, peer: { uri: peer, ...(name ? { displayName: name } : {}) }, startedAt: past(startMin) });
  if (secs > 0) s.history.answered(e.id, past(startMin) + 4000, 'opus');
  s.history.end(e.id, { outcome, endedAt: past(startMin) + 4000 + secs * 1000, ...(outcome === 'busy' ? { endReason: 'busy (486 Busy Here)' } : {}) });
};
call('sip:alice@lab.test', undefined, 'outgoing', 60 * 26, 312, 'answered');
call('sip:+33145678901@lab.test;user=phone', 'Pharmacie', 'incoming', 60 * 5, 0, 'missed');
call('sip:elodie@example.org', undefined, 'incoming', 90, 754, 'answered');
call('sip:100@lab.test', undefined, 'outgoing', 40, 0, 'busy');
call('sip:carol@lab.test', 'Carol', 'incoming', 12, 0, 'missed');
const msg = (peer: string, direction: 'incoming' | 'outgoing', text: string, minsAgo: number) =>
  s.messages.save({ id: `${peer}-${minsAgo}`, direction, peer, text, contentType: 'text/plain', time: past(minsAgo), status: direction === 'incoming' ? 'received' : 'sent' });
msg('sip:alice@lab.test', 'incoming', 'Are you free for a quick call about the release?', 50);
msg('sip:alice@lab.test', 'outgoing', 'Yes — give me five minutes.', 48);
msg('sip:alice@lab.test', 'incoming', 'Great, I will call you on the work line.', 47);
msg('sip:elodie@example.org', 'incoming', 'Merci pour tout !', 200);
void alice;

// The microphone says a sentence (espeak-ng), so the call screen's meters both move.
const scratch = mkdtempSync(join(tmpdir(), 'appel-shots-'));
const browser = await launchChromium({ microphoneWav: makeSpeechWav(scratch) });

// A SIP server on TLS with a certificate from a private CA: the account's status shows its facts.
const pki = makeTestPki(join(scratch, 'pki'), { names: ['sip.example.net', '127.0.0.1'] });
const tlsServer = createTlsServer({ cert: pki.certPem, key: pki.keyPem }, (socket) => socket.on('error', () => undefined));
await new Promise<void>((ok) => tlsServer.listen(0, '127.0.0.1', ok));
const tlsPort = (tlsServer.address() as { port: number }).port;

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(350);
  await page.screenshot({ path: `${OUT}${name}.png` });
  console.log(`docs/screenshots/${name}.png`);
}

async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

for (const [lang, scheme] of [
  ['en', 'light'],
  ['fr', 'light'],
  ['en', 'dark'],
] as const) {
  const page = await browser.newPage({ viewport: { width: 980, height: 660 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB', colorScheme: scheme, deviceScaleFactor: 1 });
  await page.goto(web.link()); // a new browser context each time: each needs its own one-time link
  await page.getByRole('navigation').first().waitFor();
  const suffix = scheme === 'dark' ? `${lang}-dark` : lang;
  await go(page, '#/dialpad');
  await page.getByTestId('dialpad-input').fill('el');
  await shoot(page, `dialpad-${suffix}`);
  await page.getByTestId('dialpad-input').fill('');
  await go(page, `#/contacts/${alice.id}`);
  await shoot(page, `contacts-${suffix}`);
  if (scheme === 'dark') {
    await page.close();
    continue;
  }
  await go(page, '#/contacts/new');
  const editor = page.getByTestId('contact-editor');
  await editor.locator('input').first().fill('Nadia');
  const address = editor.locator('[data-testid=contact-uri] input').first();
  await address.fill('nadia@example');
  await address.blur();
  await shoot(page, `contact-editor-${suffix}`);
  await go(page, '#/history');
  await shoot(page, `history-${suffix}`);
  await go(page, `#/messages/${encodeURIComponent('sip:alice@lab.test')}`);
  await shoot(page, `messages-${suffix}`);
  for (const section of ['accounts', 'audio', 'video', 'codecs', 'calls', 'appearance']) {
    await go(page, `#/settings/${section}`);
    if (section === 'accounts') {
      await page.getByTestId('account-add').click();
    }
    if (section === 'video') {
      await page.getByTestId('video-preview-toggle').click();
      await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="video-preview"]')?.videoWidth ?? 0) > 0, undefined, { timeout: 10_000 });
    }
    await shoot(page, `settings-${section}-${suffix}`);
  }
  // A real call: Bob answers by himself; the stats need a couple of seconds.
  const words = lang === 'fr' ? fr : en;
  await go(page, '#/dialpad');
  await page.getByTestId('dialpad-input').fill(bobUri);
  await page.getByTestId('dialpad-input').press('Enter');
  await page.getByTestId('call-quality').waitFor({ timeout: 15_000 });
  await page.waitForTimeout(3500);
  await shoot(page, `call-${suffix}`);
  // Recorded, the keypad open, a few digits sent.
  await page.getByTestId('call-record').click();
  await page.getByTestId('call-recording').waitFor();
  await page.getByRole('button', { name: words.call.keypad, exact: true }).click();
  for (const key of ['Key 1', 'Key 2', 'Key 3']) await page.getByRole('button', { name: lang === 'fr' ? key.replace('Key', 'Touche') : key, exact: true }).click();
  await page.waitForTimeout(2000);
  // The keypad's screen is taller: a 760 px window shows it whole, Hang up included.
  await page.setViewportSize({ width: 980, height: 760 });
  await shoot(page, `call-keypad-${suffix}`);
  await page.setViewportSize({ width: 980, height: 660 });
  await page.getByTestId('call-hangup').click();
  await page.getByTestId('call-ended').waitFor();
  // That call in History, in detail, its recording in the player.
  await go(page, '#/history');
  const row = page.getByTestId('history-item').first();
  await row.hover();
  await row.getByTestId('history-details').click();
  await page.getByTestId('history-recording-listen').click();
  await audioSeconds(page);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await shoot(page, `history-detail-${suffix}`);
  await page.keyboard.press('Escape');
  // A video call: our fake camera in the self-view, Bob's test pattern large.
  await go(page, '#/dialpad');
  await page.getByTestId('dialpad-input').fill(bobUri);
  await page.getByTestId('dialpad-video-call').click();
  await page.waitForFunction(() => Number(document.querySelector<HTMLCanvasElement>('[data-testid="call-remote-video"] canvas')?.dataset.frames ?? 0) > 10, undefined, { timeout: 15_000 });
  await page.waitForTimeout(1500);
  await shoot(page, `call-video-${suffix}`);
  await page.getByTestId('call-hangup').click();
  await page.getByTestId('call-ended').waitFor();
  // Bob calls us: the incoming-call panel over the dialpad, for an audio call and a video call.
  await go(page, '#/dialpad');
  const ours = `sip:me@127.0.0.1:${web.phone.localAddresses()[0].port}`;
  for (const video of [false, true]) {
    const incoming = bob.dial({ to: ours, ...(video ? { video: true, videoSource: 'testsrc' as const } : {}) });
    await page.getByTestId('incoming-call').waitFor({ timeout: 10_000 });
    await shoot(page, video ? `incoming-video-${suffix}` : `incoming-${suffix}`);
    const snap = await incoming;
    await bob.hangup({ callId: snap.id }).catch(() => undefined);
    await page.getByTestId('incoming-call').waitFor({ state: 'detached', timeout: 10_000 });
  }
  // The TLS account whose server is not trusted yet: its certificate facts, and the CA file choice.
  const tls = await invoke(page, 'account:add', { aor: 'sip:nadia@sip.example.net', password: 'not-shown', transport: 'tls', proxy: `sip:127.0.0.1:${tlsPort};transport=tls` });
  await go(page, '#/settings/accounts');
  await page.getByTestId('certificate-facts').waitFor({ timeout: 15_000 });
  await shoot(page, `settings-account-tls-${suffix}`);
  await invoke(page, 'account:remove', { id: tls.id });
  await page.close();
}

await browser.close();
await bob.stop();
await web.close();
tlsServer.close();
