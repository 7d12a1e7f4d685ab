/**
 * Entry point of the media engine in a Node worker thread (the phone's calls beyond the first
 * few, media-placement.ts; tests). Node strips the types of this file and its imports at load.
 */
import { parentPort } from 'node:worker_threads';
import { serveMediaEngine } from './engine-serve.ts';

if (!parentPort) throw new Error('worker-host.ts must run in a worker thread');
serveMediaEngine(parentPort);
