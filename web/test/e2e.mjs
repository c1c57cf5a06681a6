// The dashboard in a real headless Chromium (playwright-core, Debian's /usr/bin/chromium):
// BASE_URL is a running `crmkit serve` with a segmentation model (or a two-layer one), rules
// and a store.
// Real mouse clicks on the rendered charts and buttons; exit status 1 on the first failure.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const shots = process.env.SHOTS || '.';
const ok = (what) => console.log(`ok: ${what}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const outside = [];
page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
try {
  const t0 = Date.now();
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  console.log(`overview interactive after ${Date.now() - t0} ms`);
  const overview = await (await page.request.get(`${base}/v1/dashboard`)).json();

  // Every chart drew something of non-zero size.
  // CHARTS: the charts this store and model must draw (a two-layer model: its layer tree).
  const charts = (process.env.CHARTS || 'chart-sizes,chart-profile,chart-risk,chart-items,chart-sankey').split(',');
  for (const id of charts) {
    const drawn = await page.evaluate((cid) => {
      const svg = document.querySelector(`#${cid} svg`);
      if (!svg) return 0;
      return [...svg.querySelectorAll('path, rect, text')].filter((e) => {
        const b = e.getBBox();
        return b.width > 0 && b.height > 0;
      }).length;
    }, id);
    assert.ok(drawn > 3, `${id} drew ${drawn} elements`);
    ok(`${id} rendered (${drawn} elements)`);
  }
  assert.equal(outside.length, 0, `requests outside the server: ${outside.join(' ')}`);
  ok('nothing fetched from outside the server');
  await page.screenshot({ path: `${shots}/overview.png`, fullPage: false });

  // A real click on the second pie sector filters the list to that segment.
  const pick = 1;
  const target = await page.evaluate((i) => {
    const c = window.crmkitCharts['chart-sizes'];
    const layout = c.getModel().getSeriesByIndex(0).getData().getItemLayout(i);
    const mid = (layout.startAngle + layout.endAngle) / 2;
    const r = (layout.r0 + layout.r) / 2;
    const box = document.getElementById('chart-sizes').getBoundingClientRect();
    return { x: box.left + layout.cx + r * Math.cos(mid), y: box.top + layout.cy + r * Math.sin(mid) };
  }, pick);
  const seg = overview.segmentation.segments[pick];
  const stored = overview.segmentation.store_segments.find((s) => s.id === seg.id);
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((n) => document.getElementById('drill-segment').textContent.includes(n), seg.name);
  await page.waitForFunction((n) => document.getElementById('page-info').textContent.endsWith(`of ${n}`),
    stored.size.toLocaleString('en-US'));
  const segCol = await page.$$eval('#customers tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  assert.ok(segCol.length > 0 && segCol.every((t) => t === seg.name), `rows outside ${seg.name}: ${segCol}`);
  ok(`a click on "${seg.name}" in the pie filtered the list to its ${stored.size} customers`);
  const pressed = await page.$eval(`#segment-chips button[data-segment="${seg.id}"]`, (b) => b.getAttribute('aria-pressed'));
  assert.equal(pressed, 'true');

  // A numeric filter, then the export holds exactly the filtered rows.
  const before = await page.textContent('#page-info');
  await page.selectOption('#filter-col', 'tenure_days');
  await page.fill('#filter-min', '100');
  await page.fill('#filter-max', '900');
  await page.click('#filters button[type="submit"]');
  await page.waitForFunction(() => document.querySelectorAll('#filter-list li').length === 1);
  await page.waitForFunction((b) => document.getElementById('page-info').textContent !== b, before);
  const info = await page.textContent('#page-info');
  const total = Number(info.replace(/.* of /, '').replace(/,/g, ''));
  assert.ok(total > 0 && total < stored.size, `filtered total ${total}`);
  const href = await page.getAttribute('#export', 'href');
  const csv = await (await page.request.get(new URL(href, base).toString())).text();
  const lines = csv.trim().split('\n');
  const head = lines[0].split(',');
  const ti = head.indexOf('tenure_days');
  const si = head.indexOf('segment');
  assert.equal(lines.length - 1, total, 'export rows = filtered rows');
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    assert.equal(Number(f[si]), seg.id);
    assert.ok(Number(f[ti]) >= 100 && Number(f[ti]) <= 900, `tenure ${f[ti]}`);
  }
  ok(`the CSV export holds exactly the ${total} filtered rows`);

  // Sorting by a column header orders the page.
  await page.click('#customers thead th:nth-child(3) button');
  await page.waitForSelector('#customers thead th[aria-sort="ascending"]');
  const risks = await page.$$eval('#customers tbody tr td:nth-child(3)', (tds) => tds.map((t) => Number(t.textContent)));
  assert.deepEqual(risks, [...risks].sort((a, b) => a - b));
  ok('sorting by churn risk orders the page');

  // A customer opens with segment, risk and offers.
  const first = await page.textContent('#customers tbody tr td a');
  await page.click('#customers tbody tr td a');
  await page.waitForSelector('#customer:not([hidden])');
  await page.waitForFunction((id) => document.getElementById('cust-id').textContent === id, first);
  const custSeg = await page.textContent('#cust-segment');
  assert.ok(custSeg.includes(seg.name), custSeg);
  const risk = await page.textContent('#cust-risk');
  assert.match(risk, /%, riskier than about \d+% of customers/);
  const offers = await page.$$eval('#cust-offers li', (li) => li.map((x) => x.textContent));
  const api = await (await page.request.get(`${base}/v1/customers/${first}`)).json();
  assert.equal(offers.length, Math.max(1, (api.recommendations || []).length));
  if (api.recommendations && api.recommendations.length) assert.ok(offers[0].startsWith(api.recommendations[0].item));
  const owned = await page.$$eval('#cust-services li', (li) => li.map((x) => x.textContent));
  const extra = await (await page.request.get(`${base}/v1/dashboard/customer/${first}`)).json();
  assert.deepEqual(owned, extra.services.length ? extra.services : ['none']);
  assert.match(await page.textContent('#cust-gains'), /^Risk decile \d+ of 10/);
  const why = await page.$$eval('#cust-why li', (li) => li.length);
  assert.ok(why > 0);
  ok(`customer ${first} opened: ${custSeg}; ${risk}; ${offers.length} offers`);
  await page.locator('#customer').screenshot({ path: `${shots}/customer.png` });

  // Search by id with the keyboard.
  await page.focus('#search-id');
  await page.keyboard.type(api.id);
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.getElementById('cust-id').textContent === id, api.id);
  ok('customer search by keyboard');
  assert.deepEqual(errors, []);
  ok('no script errors');
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
