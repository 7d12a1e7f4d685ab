/**
 * The first screen in one file (issue 12, start-up): every module the page's entry imports
 * statically, directly or not (Vue, Pinia, the router, vue-i18n, the shell, the dialpad, its
 * stores), goes into one chunk; what only the lazily loaded views use stays with them.
 *
 * Left alone, the bundler splits the modules that the entry shares with a lazy view into small
 * common chunks (a store here, a base component there): the page then asks for twenty files
 * before it can run, each a request and a module record, for code it runs at once anyway.
 *
 * The set is known once the module graph is (`buildEnd`); the chunk group's `test` reads it when
 * the chunks are made, which comes after.
 */
import type { Plugin } from 'vite';

export interface FirstScreenChunk {
  /** Put in the Vite config's plugins: it collects the set. */
  plugin: Plugin;
  /** For `output.codeSplitting.groups[].test`: true for a module of the first screen. */
  test(id: string): boolean;
}

export function firstScreenChunk(): FirstScreenChunk {
  const firstScreen = new Set<string>();
  const plugin: Plugin = {
    name: 'appel:first-screen-chunk',
    apply: 'build',
    buildEnd() {
      firstScreen.clear();
      const entries = [...this.getModuleIds()].filter((id) => this.getModuleInfo(id)?.isEntry);
      const todo = [...entries];
      while (todo.length > 0) {
        const id = todo.pop()!;
        if (firstScreen.has(id)) continue;
        firstScreen.add(id);
        // Static imports only: a dynamic import is a file fetched later, on purpose.
        for (const next of this.getModuleInfo(id)?.importedIds ?? []) if (!firstScreen.has(next)) todo.push(next);
      }
    },
  };
  return { plugin, test: (id) => firstScreen.has(id) };
}
