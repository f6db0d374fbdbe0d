#!/usr/bin/env node
// Renders vscode-extension/images/icon.svg to icon.png (256x256, transparent
// corners) with the same Chromium + playwright-core the e2e test uses.
// Run after editing the SVG: node tests/editors/vscode/render-icon.js
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

(async () => {
  const dir = path.join(__dirname, '../../../vscode-extension/images');
  const svg = fs.readFileSync(path.join(dir, 'icon.svg'), 'utf8');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: path.join(dir, 'icon.png'), omitBackground: true });
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
