import { describe, expect, it, vi } from 'vitest';
import { createI18n } from 'vue-i18n';
import { compileMessage } from '../../../renderer/build/precompile-messages.ts';
import { MESSAGE_SYNTAX, plainTextCompiler } from '../../../renderer/src/i18n/plain-text.ts';
import { en } from '../../../renderer/src/i18n/en.ts';
import { fr } from '../../../renderer/src/i18n/fr.ts';

type Tree = { [key: string]: string | Tree };

/** An i18n over one catalogue (typed loosely: a built one holds functions), built or as the tests run it. */
function i18nOf(locale: string, catalogue: object, built: boolean): { t(key: string, named?: Record<string, unknown>, plural?: number): string } {
  return createI18n({ legacy: false, locale, messages: { [locale]: catalogue } as never, ...(built ? { messageCompiler: plainTextCompiler } : {}) }).global as never;
}

function leaves(tree: Tree, prefix = ''): Array<[string, string]> {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [[`${prefix}${k}`, v] as [string, string]] : leaves(v, `${prefix}${k}.`)));
}

/** The catalogue as the built page holds it: functions where there is syntax, plain text as strings. */
function asBuilt(tree: Tree): object {
  return Object.fromEntries(
    Object.entries(tree).map(([k, v]) => {
      if (typeof v !== 'string') return [k, asBuilt(v)];
      // The plugin writes this code into the bundle; here it is made into a function to call.
      return [k, MESSAGE_SYNTAX.test(v) ? new Function(`return ${compileMessage(v)}`)() : v];
    }),
  );
}

describe('messages compiled at build time (renderer/build/precompile-messages.ts)', () => {
  for (const [locale, catalogue] of [['en', en], ['fr', fr]] as const) {
    it(`say in ${locale} exactly what vue-i18n's own compiler makes of every message`, () => {
      const reference = i18nOf(locale, catalogue, false);
      const built = i18nOf(locale, asBuilt(catalogue as Tree), true);
      const all = leaves(catalogue as Tree);
      expect(all.length).toBeGreaterThan(250);
      let compiled = 0;
      for (const [key, source] of all) {
        if (MESSAGE_SYNTAX.test(source)) compiled++;
        const names = Object.fromEntries([...source.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], `<${m[1]}>`]));
        for (const n of [0, 1, 5]) {
          const params = { ...names, n, count: n };
          expect(built.t(key, params, n), `${locale} ${key} (${n})`).toBe(reference.t(key, params, n));
        }
      }
      // Both kinds are there: plain text left as strings, and messages with syntax made functions.
      expect(compiled).toBeGreaterThan(50);
      expect(compiled).toBeLessThan(all.length / 2);
    });
  }

  it('writes placeholders, plural forms and escaped at-signs as vue-i18n reads them', () => {
    const say = (source: string, params: Record<string, unknown> = {}, n?: number): string => {
      const i18n = i18nOf('en', { m: new Function(`return ${compileMessage(source)}`)() }, false);
      return i18n.t('m', params, n);
    };
    expect(say('Call {name}', { name: 'Bob' })).toBe('Call Bob');
    expect(say('{n} missed call | {n} missed calls', { n: 1 }, 1)).toBe('1 missed call');
    expect(say('{n} missed call | {n} missed calls', { n: 3 }, 3)).toBe('3 missed calls');
    expect(say("sip:alice{'@'}example.com")).toBe('sip:alice@example.com');
  });

  it('fails, with the reason, on a message it cannot compile', () => {
    expect(() => compileMessage('Hello {name')).toThrow(/closing brace|brace/i);
    expect(() => compileMessage('See @:other.key')).toThrow(/linked messages/);
  });
});

describe('the built page\'s plain-text compiler (renderer/src/i18n/plain-text.ts)', () => {
  it('shows plain text as it is, and a message with syntax that was not compiled as written, said in the console', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const i18n = i18nOf('en', { plain: 'Dialpad', raw: 'Call {name}' }, true);
    expect(i18n.t('plain')).toBe('Dialpad');
    expect(error).not.toHaveBeenCalled();
    expect(i18n.t('raw', { name: 'Bob' })).toBe('Call {name}');
    expect(error).toHaveBeenCalledWith(expect.stringContaining('raw'));
    error.mockRestore();
  });
});
