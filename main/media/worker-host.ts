/**
 * Entry point of the media engine in a Node worker thread (the phone's calls beyond the first
 * few, tests). Node strips the types of this file and its imports at load. The Electron app will
 * host the same engine in a utilityProcess with the same messages (media-protocol.ts).
 */
import { parentPort } from 'node:worker_threads';
import { serveMediaEngine } from './engine-serve.ts';

if (!parentPort) throw new Error('worker-host.ts must run in a worker thread');
serveMediaEngine(parentPort);
