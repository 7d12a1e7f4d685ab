/**
 * Renders the committed PNG icons from their SVG sources with Debian's Chromium (through
 * playwright-core), and makes the ringtone with sox. Run after changing an SVG:
 *
 *   node assets/make-assets.ts
 *
 * Tray icons: 16 px and @2x (32 px), one per state. App icon: 512 and 256 px (electron-builder
 * makes the .ico/.icns from the 512). Ringtone: two 1.2 s bursts of a 440+480 Hz ring (the North
 * American ringback pair), 8 kHz mono 16-bit, about 70 KB.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));

async function render(svgFile: string, size: number, out: string, page: import('playwright-core').Page): Promise<void> {
  const svg = readFileSync(svgFile, 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const state of ['registered', 'failing', 'offline', 'dnd']) {
    const svg = join(here, 'tray', `${state}.svg`);
    await render(svg, 16, join(here, 'tray', `${state}.png`), page);
    await render(svg, 32, join(here, 'tray', `${state}@2x.png`), page);
  }
  await render(join(here, 'icon.svg'), 512, join(here, 'icon.png'), page);
  await render(join(here, 'icon.svg'), 256, join(here, 'icon-256.png'), page);
} finally {
  await browser.close();
}

// Ring, pause, ring, pause (the renderer loops it while a call rings).
const ringtone = join(here, 'sounds', 'ringtone.wav');
execFileSync('sox', [
  '-n', '-r', '8000', '-c', '1', '-b', '16', ringtone,
  'synth', '1.2', 'sine', '440', 'sine', '480', 'remix', '-', 'gain', '-9', 'fade', 'q', '0.02', '1.2', '0.05',
  'pad', '0', '0.4', 'repeat', '1', 'pad', '0', '1.2',
]);
console.log(`ringtone ${statSync(ringtone).size} bytes`);
