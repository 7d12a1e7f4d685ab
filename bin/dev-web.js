#!/usr/bin/env node
/**
 * `npm run dev:web`: main/bridge/dev-web.ts compiled when the build is up to date, else the
 * source (bin/built.js decides).
 */
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { entry, useCompileCache } from './built.js';

useCompileCache();

const { main } = await import(pathToFileURL(entry('main/bridge/dev-web.ts')).href);
await main(process.argv.slice(2));
