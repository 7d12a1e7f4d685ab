/**
 * Appel's page in the end-to-end tests: an address book seeded through the engine's store, the
 * engine's API called from the page (as automation through the bridge would), and moves between
 * views by their hash routes.
 */
import type { Page } from 'playwright-core';
import type { Store } from '../../../main/store/index.ts';
import type { ApiCalls } from '../../../main/contract/api.ts';

/** A few days of use: contacts (one favourite with notes), calls of every outcome, a conversation. Returns Alice's id. */
export function seedAddressBook(store: Store, now = Date.now()): { aliceId: string } {
  const alice = store.contacts.save({
    displayName: 'Alice Martin',
    favourite: true,
    notes: 'Support team lead — prefers calls after 10:00.',
    addresses: [
      { uri: 'sip:alice@lab.test', label: 'work' },
      { uri: 'tel:+33612345678', label: 'mobile' },
    ],
  });
  store.contacts.save({ displayName: 'Élodie Roux', addresses: [{ uri: 'sip:elodie@example.org', label: 'home' }] });
  store.contacts.save({ displayName: 'Karim Benali', addresses: [{ uri: 'sips:karim@voip.example.net', label: 'work' }] });
  const past = (mins: number) => now - mins * 60_000;
  const call = (uri: string, name: string | undefined, direction: 'incoming' | 'outgoing', startMin: number, secs: number, outcome: 'answered' | 'missed' | 'busy') => {
    const e = store.history.start({ direction, peer: { uri, ...(name ? { displayName: name } : {}) }, startedAt: past(startMin) });
    if (secs > 0) store.history.answered(e.id, past(startMin) + 4000, 'opus');
    store.history.end(e.id, { outcome, endedAt: past(startMin) + 4000 + secs * 1000 });
  };
  call('sip:alice@lab.test', undefined, 'outgoing', 60 * 26, 312, 'answered');
  call('sip:+33145678901@lab.test;user=phone', 'Pharmacie', 'incoming', 60 * 5, 0, 'missed');
  call('sip:100@lab.test', undefined, 'outgoing', 40, 0, 'busy');
  const msg = (direction: 'incoming' | 'outgoing', text: string, minsAgo: number) =>
    store.messages.save({ id: `alice-${minsAgo}`, direction, peer: 'sip:alice@lab.test', text, contentType: 'text/plain', time: past(minsAgo), status: direction === 'incoming' ? 'received' : 'sent' });
  msg('incoming', 'Are you free for a quick call about the release?', 50);
  msg('outgoing', 'Yes — give me five minutes.', 48);
  return { aliceId: alice.id };
}

/** Calls the engine from the page through `window.appel` (the bridge); throws the engine's error in words. */
export async function invoke<K extends keyof ApiCalls & string>(page: Page, channel: K, req: ApiCalls[K]['req']): Promise<ApiCalls[K]['res']> {
  const result = await page.evaluate(
    async ([ch, r]) => (window as unknown as { appel: { invoke: (c: string, q: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { message: string } }> } }).appel.invoke(ch, r),
    [channel, req] as const,
  );
  if (!result.ok) throw new Error(`${channel}: ${result.error?.message}`);
  return result.value as ApiCalls[K]['res'];
}

/** Shows the view at `hash` (`#/history`) and waits until the router has taken it. */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

/**
 * How long the History detail's recording player says its recording lasts, once its metadata has
 * loaded (bounded: 15 s). Rejects when the source cannot be played (a media error).
 */
export async function audioSeconds(page: Page): Promise<number> {
  const audio = page.getByTestId('history-recording-audio');
  await audio.waitFor({ timeout: 15_000 });
  return audio.evaluate(
    (el: HTMLAudioElement) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no metadata within 15 s (readyState ${el.readyState})`)), 15_000);
        const done = () => {
          clearTimeout(timer);
          if (el.error) reject(new Error(`the player cannot play its source: ${el.error.message || el.error.code}`));
          else resolve(el.duration);
        };
        if (el.readyState >= 1 || el.error) return done();
        el.addEventListener('loadedmetadata', done, { once: true });
        el.addEventListener('error', done, { once: true });
      }),
  );
}
