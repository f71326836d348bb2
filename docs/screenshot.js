// Renders docs/report.png, docs/api.md's picture of an HTML report:
//   node examples/leaky-server.js --html report.html && node docs/screenshot.js report.html
// Needs Chromium (Debian: apt-get install chromium) and the playwright-core dev dependency.
'use strict';
const path = require('node:path');
const { chromium } = require('playwright-core');

(async () => {
  const report = path.resolve(process.argv[2] ?? 'report.html');
  const browser = await chromium.launch({
    executablePath: process.env.LEAKHOUND_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1250 }, deviceScaleFactor: 1 });
    await page.goto(`file://${report}`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.screenshot({ path: path.join(__dirname, 'report.png') });
  } finally {
    await browser.close();
  }
})();
