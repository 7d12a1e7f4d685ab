import { describe, expect, it } from 'vitest';
import { en } from '../../../renderer/src/i18n/en.ts';
import { fr } from '../../../renderer/src/i18n/fr.ts';
import { formatLocale, systemLocale } from '../../../renderer/src/i18n/index.ts';

function leaves(obj: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of leaves(v as object, key)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('English and French', () => {
  const e = leaves(en);
  const f = leaves(fr);

  it('have the same keys', () => {
    expect([...f.keys()].sort()).toEqual([...e.keys()].sort());
    expect(e.size).toBeGreaterThan(250);
  });

  it('have no empty message', () => {
    for (const [k, v] of [...e, ...f]) expect(v.trim(), k).not.toBe('');
  });

  it('use the same placeholders and plural forms in both', () => {
    for (const [k, v] of e) {
      expect(placeholders(f.get(k)!), k).toEqual(placeholders(v));
      expect(f.get(k)!.split(' | ').length, k).toBe(v.split(' | ').length);
    }
  });

  it("escape at-signs (vue-i18n reads a bare '@' as a link)", () => {
    for (const [k, v] of [...e, ...f]) expect(v.replace(/\{'@'\}/g, ''), k).not.toMatch(/@/);
  });

  it('is actually translated (French differs from English for most keys)', () => {
    const same = [...e].filter(([k, v]) => f.get(k) === v).length;
    expect(same / e.size).toBeLessThan(0.2);
  });
});

describe('the language follows the system', () => {
  it('picks French for any fr-* tag, English otherwise', () => {
    expect(systemLocale(['fr-CA', 'en'])).toBe('fr');
    expect(systemLocale(['de-DE', 'fr-FR'])).toBe('fr');
    expect(systemLocale(['en-GB'])).toBe('en');
    expect(systemLocale(['ja'])).toBe('en');
    expect(systemLocale([])).toBe('en');
  });

  it("formats dates with the system's regional tag when it speaks the UI's language", () => {
    expect(formatLocale('en', ['en-GB', 'fr'])).toBe('en-GB');
    expect(formatLocale('fr', ['en-GB', 'fr-CA'])).toBe('fr-CA');
    expect(formatLocale('fr', ['de-DE'])).toBe('fr');
  });
});
