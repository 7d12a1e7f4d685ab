#!/usr/bin/env node
/**
 * `appel`, the command line as a command (`npx appel call sip:bob@example.com …`): it runs
 * main/cli.ts, which Node 24 runs as it is (its TypeScript types are stripped on load). Under an
 * older Node (a system one first on the PATH) it starts the project's own Node 24 instead.
 * Plain JavaScript, so any Node can read it.
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'main/cli.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  const { run } = await import(pathToFileURL(cli).href);
  await run(process.argv.slice(2));
} else {
  const node = join(root, 'node_modules/node/bin/node');
  if (!existsSync(node)) {
    process.stderr.write(`appel needs Node 24 or newer (this is Node ${process.versions.node}); run npm ci first\n`);
    process.exit(2);
  }
  const child = spawn(node, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches both processes; a SIGTERM sent to this one is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
