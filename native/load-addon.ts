// Finds one of the addons binding.gyp builds (appel_native, appel_video, appel_memory) from the sources
// (native/*.ts) or from compiled code (dist/native/*.js, where the package copies the addons
// beside it, or the source tree's build during `npm start`).
import { createRequire } from 'node:module';

export function loadAddon<T>(name: 'appel_native' | 'appel_video' | 'appel_memory'): T {
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  const candidates = [`./build/Release/${name}.node`, `./build/Debug/${name}.node`, `../../native/build/Release/${name}.node`];
  for (const path of candidates) {
    try {
      return require(path) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      tried.push(path);
    }
  }
  throw new Error(`Appel's native addon ${name} is not built (looked for ${tried.join(', ')} in native/): run \`npm run build:native\``);
}
