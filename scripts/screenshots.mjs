// `make screenshots`: a PNG of every view of the built site (dist/) in English and Chinese,
// plus the narrow (400 px) and dark-mode layouts of the overview and the first analysis,
// in target/screenshots/. Uses the built-in sample data; prints axe-core's serious and
// critical findings per view as it goes.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../tests/e2e/serve.mjs';
import { eachView, settle, tabs, axeViolations } from '../tests/e2e/views.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = process.env.LOUPE_DIST || path.join(ROOT, 'dist');
const OUT = path.join(ROOT, 'target/screenshots');
fs.mkdirSync(OUT, { recursive: true });

const server = await serve(DIST);
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function open(options) {
  const context = await browser.newContext({ timezoneId: 'UTC', locale: 'en-US', ...options });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(origin + '/', { waitUntil: 'load' });
  await page.click('[data-testid=sample]');
  await settle(page, 'overview');
  return page;
}

let findings = 0;
const page = await open({ viewport: { width: 1360, height: 900 } });
for (const lang of ['en', 'zh']) {
  if (lang === 'zh') await page.click('[data-testid=lang]');
  await eachView(page, async (name) => {
    await page.screenshot({ path: path.join(OUT, `${name}-${lang}.png`), fullPage: true });
    const v = await axeViolations(page);
    findings += v.length;
    console.log(`${name}-${lang}.png${v.length ? `\n  ${v.join('\n  ')}` : ''}`);
  });
}
for (const [suffix, options] of [['narrow', { viewport: { width: 400, height: 860 } }],
  ['dark', { viewport: { width: 1360, height: 900 }, colorScheme: 'dark' }]]) {
  const p = await open(options);
  const [first, second] = await tabs(p);
  for (const name of [first, second]) {
    await p.click(`[data-tab=${name}]`);
    await settle(p, name);
    await p.screenshot({ path: path.join(OUT, `${name}-${suffix}.png`), fullPage: true });
    console.log(`${name}-${suffix}.png`);
  }
}
await browser.close();
server.close();
console.log(`screenshots in ${path.relative(ROOT, OUT)}/; ${findings} serious or critical accessibility findings`);
