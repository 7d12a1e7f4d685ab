/**
 * History detail: a call's recording is listened to in the app. The engine is faked at the
 * contract (`history:recording` answers pieces of a WAV); what a person sees is checked: a player
 * whose source holds the whole file, or in words why not (English and French).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HistoryEntry } from '../../../main/contract/api.ts';
import { AppelError } from '../../../main/contract/errors.ts';
import HistoryEntryDetail from '../../../renderer/src/components/history/HistoryEntryDetail.vue';
import { flushPromises, mountWith } from './mount.ts';
import { installFakeAppel } from './fake-appel.ts';

const entry: HistoryEntry = {
  id: 7,
  direction: 'outgoing',
  peer: { uri: 'sip:bob@lab.test', displayName: 'Bob' },
  startedAt: Date.UTC(2026, 0, 5, 9, 30),
  answeredAt: Date.UTC(2026, 0, 5, 9, 30, 2),
  endedAt: Date.UTC(2026, 0, 5, 9, 31),
  duration: 58,
  outcome: 'answered',
  recording: '/home/me/.config/Appel/recordings/2026-01-05-c1.wav',
};

const mounted: Array<{ unmount(): void }> = [];
afterEach(() => {
  for (const w of mounted.splice(0)) w.unmount();
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

async function open(locale: 'en' | 'fr' = 'en') {
  const m = await mountWith(HistoryEntryDetail, { props: { entry }, locale, stubActions: false });
  mounted.push(m.wrapper);
  return m;
}
const listen = async () => {
  (document.querySelector('[data-testid=history-recording-listen]') as HTMLButtonElement).click();
  await flushPromises();
};

describe('History detail: the recording', () => {
  it('Listen fetches the recording piece by piece and plays it from a Blob URL; the file path stays shown', async () => {
    const wav = new Uint8Array(10).map((_, i) => i + 1);
    const fake = installFakeAppel({
      'history:recording': ({ offset = 0 }) => ({ mime: 'audio/wav', size: 10, offset, data: Buffer.from(wav.subarray(offset, offset + 4)).toString('base64') }),
    });
    const made: Blob[] = [];
    const createObjectURL = URL.createObjectURL.bind(URL);
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b: Blob | MediaSource) => {
      made.push(b as Blob);
      return createObjectURL(b);
    });
    await open();
    expect(document.body.textContent).toContain('2026-01-05-c1.wav');
    expect(document.querySelector('audio')).toBeNull();
    await listen();
    expect(fake.sent('history:recording')).toEqual([
      { id: 7, offset: 0 },
      { id: 7, offset: 4 },
      { id: 7, offset: 8 },
    ]);
    const audio = document.querySelector('[data-testid=history-recording-audio]') as HTMLAudioElement;
    expect(audio.getAttribute('aria-label')).toBe('Recording of the call with Bob');
    expect(audio.hasAttribute('controls')).toBe(true);
    const src = audio.getAttribute('src')!;
    expect(src).toMatch(/^blob:/);
    expect(made).toHaveLength(1);
    expect(made[0].type).toBe('audio/wav');
    expect(new Uint8Array(await made[0].arrayBuffer())).toEqual(wav);
  });

  it('a file that is gone is said in words, in English and French', async () => {
    for (const [locale, words] of [
      ['en', 'The recording’s file is no longer there: it was moved or deleted.'],
      ['fr', 'Le fichier de l’enregistrement n’est plus là : il a été déplacé ou supprimé.'],
    ] as const) {
      installFakeAppel({
        'history:recording': () => {
          throw new AppelError('not-found', 'the recording 2026-01-05-c1.wav is no longer there (moved or deleted)');
        },
      });
      await open(locale);
      await listen();
      expect(document.querySelector('[data-testid=history-recording-problem]')?.textContent).toBe(words);
      expect(document.querySelector('audio')).toBeNull();
      for (const w of mounted.splice(0)) w.unmount();
      document.body.innerHTML = '';
    }
  });

  it('a recording kept outside the recordings folder is refused in words, not as an error dump', async () => {
    installFakeAppel({
      'history:recording': () => {
        throw new AppelError('forbidden', 'the recording of history entry 7 is not a WAV file in the recordings directory');
      },
    });
    await open();
    await listen();
    const text = document.querySelector('[data-testid=history-recording-problem]')?.textContent;
    expect(text).toBe('This recording is kept outside Appel’s recordings folder: open it from there.');
  });
});
