/**
 * Debian's Chromium through playwright-core, for the end-to-end tests and the screenshots: no
 * network (background services off), no sandbox (containers), software rendering.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `microphoneWav`: the fake microphone plays this WAV (looped) instead of its beeps. */
export async function launchChromium(opts: { microphoneWav?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
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
    ],
  });
}
