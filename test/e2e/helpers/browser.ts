/**
 * Debian's Chromium through playwright-core, for the end-to-end tests and the screenshots: no
 * network (background services off), no sandbox (containers), software rendering.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ChromiumOptions {
  /** The fake microphone plays this WAV (looped) instead of its beeps. */
  microphoneWav?: string;
}

/** The command line of every Chromium the tests start: no network of its own, fake media devices, sound without a gesture. */
export function chromiumArgs(opts: ChromiumOptions = {}): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    ...(opts.microphoneWav ? [`--use-file-for-fake-audio-capture=${opts.microphoneWav}`] : []),
  ];
}

export async function launchChromium(opts: ChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs(opts) });
}
