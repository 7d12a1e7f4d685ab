#!/usr/bin/env node
/**
 * `appel`, the command line as a command (`npx appel call sip:bob@example.com …`): it runs
 * main/cli.ts compiled (dist/main/cli.js) when the build is up to date, else the source, which
 * Node 24 runs as it is (bin/built.js decides). Under an older Node (a system one first on the
 * PATH) it starts the project's own Node 24 instead. Plain JavaScript, so any Node can read it.
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, entry, useCompileCache } from './built.js';

const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  useCompileCache();
  const { run } = await import(pathToFileURL(entry('main/cli.ts')).href);
  await run(process.argv.slice(2));
} else {
  const node = join(ROOT, 'node_modules/node/bin/node');
  if (!existsSync(node)) {
    process.stderr.write(`appel needs Node 24 or newer (this is Node ${process.versions.node}); run npm ci first\n`);
    process.exit(2);
  }
  const child = spawn(node, [join(ROOT, 'bin/appel.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches both processes; a SIGTERM sent to this one is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
