/**
 * Renders public/icon.svg into the PNG icons the web app manifest lists (192, 512, maskable 512
 * with a safe zone, apple-touch 180), with the system's Chromium: `npx tsx scripts/make-icons.ts`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from '@playwright/test';

const PUBLIC = join(import.meta.dirname, '..', 'public');

const svg = await readFile(join(PUBLIC, 'icon.svg'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
});
const page = await browser.newPage();
async function render(file: string, size: number, maskable = false): Promise<void> {
  await page.setViewportSize({ width: size, height: size });
  // Maskable: full-bleed background, the artwork inside the central 80 % safe zone.
  const inner = maskable ? Math.round(size * 0.8) : size;
  await page.setContent(
    `<body style="margin:0;display:grid;place-items:center;width:${size}px;height:${size}px;background:${maskable ? '#6d4af0' : 'transparent'}">
      <div style="width:${inner}px;height:${inner}px">${svg.replace('<svg ', `<svg width="${inner}" height="${inner}" `)}</div>
    </body>`,
  );
  await page.screenshot({ path: join(PUBLIC, file), omitBackground: !maskable });
}
await render('icon-192.png', 192);
await render('icon-512.png', 512);
await render('icon-maskable-512.png', 512, true);
await render('apple-touch-icon.png', 180);
await browser.close();
