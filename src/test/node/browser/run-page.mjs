// A real browser on another origin: serves page.html from http://localhost:<port> (the API is at 127.0.0.1, another
// origin, so every call is a CORS request), opens it in headless Chromium (Debian's, driven by playwright-core;
// no browser is downloaded), and waits until the page has read segments, previewed a rule and subscribed; then
// creates a VIP customer through REST and waits for the page to receive its `entered` event. Prints what the page
// saw as JSON, and takes a screenshot to SCREENSHOT when set.
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const { SEGMENTS_URL, API_KEY, CHROMIUM, SCREENSHOT } = process.env;
const executablePath = [CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  .find((p) => p && existsSync(p));
if (!executablePath) {
  console.error('No Chromium found: install Debian\'s `chromium` package (apt-get install chromium) or set CHROMIUM');
  process.exit(4);
}
const files = {
  '/': ['text/html', readFileSync(new URL('page.html', import.meta.url))],
  '/graphql-ws.min.js': ['text/javascript', readFileSync(new URL('../node_modules/graphql-ws/umd/graphql-ws.min.js', import.meta.url))],
};
const server = createServer((req, res) => {
  const file = files[new URL(req.url, 'http://x').pathname];
  if (!file) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'Content-Type': file[0] }).end(file[1]);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const pageUrl = `http://localhost:${server.address().port}/?api=${encodeURIComponent(SEGMENTS_URL)}&key=${encodeURIComponent(API_KEY)}`;

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
let exit = 0;
try {
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.goto(pageUrl);
  const ready = await page.waitForFunction(() => window.results && (window.results.subscribed || window.results.error),
    null, { timeout: 30_000 }).then((h) => h.jsonValue());
  if (ready.error) throw new Error('page: ' + ready.error + '\n' + consoleLines.join('\n'));
  const res = await fetch(`${SEGMENTS_URL}/customers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ externalId: 'browser-vip', priceTier: 'vip' }),
  });
  if (res.status !== 201) throw new Error('create customer: ' + res.status);
  const results = await page.waitForFunction(() => window.results.event || window.results.error, null, { timeout: 20_000 })
    .then(() => page.evaluate(() => window.results));
  if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
  results.origin = new URL(pageUrl).origin;
  console.log(JSON.stringify(results));
} catch (e) {
  console.error(String(e && e.stack || e));
  exit = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(exit);
