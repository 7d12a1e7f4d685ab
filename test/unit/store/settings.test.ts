/** Settings: typed defaults, checked changes written in one go, unreadable values read as defaults. */
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../main/store/index.ts';
import type { SettingsChange } from '../../../main/contract/api.ts';
import { openStore, tempDir } from './helpers.ts';

describe('settings', () => {
  it('start at their defaults', () => {
    const store = openStore();
    expect(store.settings.get()).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({ language: 'system', theme: 'system', doNotDisturb: false, srtp: 'off', network: { rtpPortMin: 16384, rtpPortMax: 32766 } });
  });

  it('take a partial change, groups merged key by key, and keep it across openings', () => {
    const path = join(tempDir(), 's.db');
    const store = openStore({ path });
    const next = store.settings.set({ language: 'fr', audio: { echoCancellation: false, inputDeviceId: 'usb-headset' }, autoAnswer: { enabled: true } });
    expect(next).toEqual({
      ...DEFAULT_SETTINGS,
      language: 'fr',
      autoAnswer: { enabled: true, delay: 0 },
      audio: { ...DEFAULT_SETTINGS.audio, echoCancellation: false, inputDeviceId: 'usb-headset' },
    });
    store.settings.set({ codecs: ['pcma', 'opus'], network: { stunServer: 'stun.example.org:3478', rtpPortMin: 20000, rtpPortMax: 20100 } });
    store.close();
    const again = openStore({ path });
    expect(again.settings.get()).toMatchObject({
      language: 'fr',
      codecs: ['pcma', 'opus'],
      audio: { echoCancellation: false, noiseSuppression: true, inputDeviceId: 'usb-headset' },
      network: { stunServer: 'stun.example.org:3478', rtpPortMin: 20000, rtpPortMax: 20100 },
    });
  });

  it.each<[SettingsChange | Record<string, unknown>, string]>([
    [{ language: 'de' }, "language: expected system, en, fr, not 'de'"],
    [{ theme: 'blue' }, "theme: expected system, light, dark, not 'blue'"],
    [{ doNotDisturb: 'yes' }, "doNotDisturb: expected true or false, not 'yes'"],
    [{ autoAnswer: { delay: -1 } }, 'autoAnswer.delay: must be ≥ 0, not -1'],
    [{ autoAnswer: { enabled: true, later: 1 } }, 'autoAnswer.later: unknown field'],
    [{ codecs: [] }, 'codecs: must not be empty'],
    [{ codecs: ['opus', 'amr'] }, "codecs[1]: expected opus, g722, pcmu, pcma, g729, gsm, not 'amr'"],
    [{ codecs: ['opus', 'opus'] }, 'codecs: each item once'],
    [{ srtp: 'always' }, "srtp: expected off, optional, mandatory, not 'always'"],
    [{ audio: { autoGainControl: 1 } }, 'audio.autoGainControl: expected true or false, not number'],
    [{ network: { rtpPortMin: 40000, rtpPortMax: 30000 } }, 'network: rtpPortMin (40000) must be below rtpPortMax (30000)'],
    [{ network: { rtpPortMin: 80 } }, 'network.rtpPortMin: must be ≥ 1024, not 80'],
    [{ network: { stunServer: 'stun server' } }, 'network.stunServer: expected host[:port] of a STUN server, not "stun server"'],
    [{ volume: 11 }, 'volume: unknown field'],
  ])('%j is refused: %s', (change, message) => {
    const store = openStore();
    expect(() => store.settings.set(change as SettingsChange)).toThrow(new TypeError(message));
    expect(store.settings.get()).toEqual(DEFAULT_SETTINGS);
  });

  it('a change with one bad value writes nothing at all', () => {
    const store = openStore();
    expect(() => store.settings.set({ theme: 'dark', language: 'xx' } as unknown as SettingsChange)).toThrow(TypeError);
    expect(store.settings.get().theme).toBe('system');
  });

  it('a stored value this version cannot read reads as its default; unknown keys are ignored', () => {
    const path = join(tempDir(), 's.db');
    openStore({ path }).close();
    const db = new DatabaseSync(path);
    db.exec(`INSERT INTO settings VALUES ('theme', '"neon"'), ('language', 'not json'), ('fromTheFuture', '1'), ('closeToTray', 'false'),
             ('audio', '{"echoCancellation": false, "spatial": true}')`);
    db.close();
    const store = openStore({ path });
    expect(store.settings.get()).toEqual({ ...DEFAULT_SETTINGS, closeToTray: false, audio: { ...DEFAULT_SETTINGS.audio, echoCancellation: false } });
  });
});
