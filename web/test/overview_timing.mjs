// Time from navigation to the dashboard's ready mark (every chart drawn and the first page of
// customers shown), best of 5 in one headless Chromium; BASE_URL is a running crmkit serve.
import { chromium } from 'playwright-core';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const times = [];
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const t0 = Date.now();
  await page.goto(`${process.env.BASE_URL}/`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  times.push(Date.now() - t0);
  await page.close();
}
times.sort((a, b) => a - b);
console.log(`overview interactive (navigation to ready) best ${times[0]} ms  median ${times[2]} ms`);
await browser.close();
