// End-to-end tests: the built site (dist/) in the system Chromium, driven by playwright-core.
//
// - loads a generated CSV (with some bad rows) through the file input and checks the
//   overview against `loupe inspect --json` for the same file, and the same events as a
//   gzipped Mixpanel NDJSON export; an Amplitude export zip and a GBK CSV;
// - builds a funnel, a retention table, a trend, stickiness, active users and sessions through the UI
//   and checks every number on the page against `loupe run --spec` with the same spec;
// - checks that the file's bytes are never read on the main thread (the worker reads them);
// - cancels a running load and checks the previous dataset survives;
// - loads the built-in sample and switches language;
// - records every network request: nothing may leave 127.0.0.1, and after the page has
//   loaded the only requests allowed are GETs of the site's own worker files.
// - runs examples/embed.html and the JavaScript module (target/pkg, `make pkg`) in a plain page.
// Screenshots go to target/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { eachView, axeViolations } from './views.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST = process.env.LOUPE_DIST || path.join(ROOT, 'dist');
const LOUPE = process.env.LOUPE_BIN || path.join(ROOT, 'target/release/loupe');
const OUT = path.join(ROOT, 'target/e2e');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(OUT, { recursive: true });

const loupe = (...args) => execFileSync(LOUPE, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
const num = (s) => Number(String(s).replace(/[,\s]/g, ''));

let server, browser, page, origin;
const requests = [];
let pageLoaded = false;
const missingKeys = [];

// a generated CSV with rows that must be rejected, each for a known reason
const csvPath = path.join(OUT, 'events.csv');
const bigPath = path.join(OUT, 'big.csv');

before(async () => {
  loupe('sample', '--users', '3000', '--seed', '7', '--out', csvPath);
  fs.appendFileSync(csvPath, [
    ',view_item,2025-09-03T10:00:00Z,ios,US,organic,,/,control',     // missing user
    'u999999,view_item,not-a-time,ios,US,organic,,/,control',        // bad timestamp
    'u999998,view_item,2025-09-03T10:00:00Z,ios',                    // wrong field count
  ].join('\n') + '\n');
  server = await serve(DIST);
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), afterLoad: pageLoaded, post: r.postData() }));
  page = await context.newPage();
  // count reads of file contents on the main thread (the worker has its own globals)
  await page.addInitScript(() => {
    window.__mainThreadReads = 0;
    const count = (proto, names) => names.forEach((n) => {
      const f = proto[n];
      if (f) proto[n] = function (...a) { window.__mainThreadReads++; return f.apply(this, a); };
    });
    count(Blob.prototype, ['arrayBuffer', 'text', 'stream', 'slice']);
    count(FileReader.prototype, ['readAsArrayBuffer', 'readAsText', 'readAsBinaryString', 'readAsDataURL']);
  });
  page.on('pageerror', (e) => console.error('page error:', e));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('console:', m.text());
    if (m.text().includes('missing translation key')) missingKeys.push(m.text());
  });
  await page.goto(origin + '/', { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  pageLoaded = true;
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function loadCsv(file) {
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForFunction((n) => document.querySelector('[data-testid=dataset-name]')?.textContent === n,
    path.basename(file), { timeout: 120_000 });
}

async function tab(name) {
  await page.click(`[data-tab=${name}]`);
}

// A file with a channel property and a purchase event (the sample, events.csv) opens on
// the AARRR tab: waits for the load, then opens the dataset overview.
async function toOverview(p = page) {
  await p.waitForSelector('[data-testid=dataset-name]', { timeout: 60_000 });
  await p.click('[data-tab=overview]');
  await p.waitForSelector('[data-testid=users]');
}

// A fresh page with the built-in sample loaded, on the dataset overview.
async function freshSample() {
  pageLoaded = false;
  await page.goto(origin + '/', { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  pageLoaded = true;
  await page.click('[data-testid=sample]');
  await toOverview();
}

// Breaks the open analysis down by `property`, its top `limit` values.
async function breakDownBy(property, limit) {
  await page.selectOption('[data-testid=breakdown]', property);
  await page.waitForSelector('[data-testid=limit]');
  await page.fill('[data-testid=limit]', String(limit));
  await page.press('[data-testid=limit]', 'Tab');
}

// Clicks Run and waits for a result of that run (a new request id), never an older one.
async function runAndWait() {
  await page.waitForFunction(() => !document.querySelector('[data-testid=run]')?.disabled);
  const before = await page.$eval('[data-testid=timing]', (e) => e.dataset.runId).catch(() => null);
  await page.click('[data-testid=run]');
  await page.waitForFunction((prev) => {
    const done = document.querySelector('[data-testid=timing]');
    const failed = document.querySelector('[data-testid=run-error]');
    const idle = !document.querySelector('[data-testid=run]')?.disabled;
    return idle && (failed || (done && done.dataset.runId !== prev));
  }, before);
  assert.equal(await page.$('[data-testid=run-error]'), null, 'the run failed');
}

test('landing page offers a drop zone, a file picker and the sample', async () => {
  assert.ok(await page.isVisible('[data-testid=dropzone]'));
  assert.ok(await page.$('[data-testid=file-input]'));
  assert.ok(await page.isVisible('[data-testid=sample]'));
  await page.screenshot({ path: path.join(OUT, 'landing.png') });
});

test('overview of a CSV equals `loupe inspect`', async () => {
  await loadCsv(csvPath);
  // it has a channel and a purchase event: the AARRR overview opens first
  await page.waitForSelector('[data-testid=aarrr-table]');
  await tab('overview');
  const cli = JSON.parse(loupe('inspect', csvPath, '--json'));
  assert.equal(cli.rejected, 3);
  assert.deepEqual(cli.rejected_by_reason.map((r) => r.reason).sort(), ['bad_time', 'field_count', 'missing_user']);
  const text = async (id) => page.textContent(`[data-testid=${id}]`);
  assert.equal(num(await text('rows-in')), cli.rows_in);
  assert.equal(num(await text('imported')), cli.imported);
  assert.equal(num(await text('rejected')), cli.rejected);
  assert.equal(num(await text('users')), cli.users);
  const reasons = await text('reject-reasons');
  for (const r of cli.rejected_by_reason) assert.ok(reasons.includes(r.description), r.description);
  const rows = await page.$$eval('[data-testid=event-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
  assert.deepEqual(rows.map(([n, e, u]) => [n, num(e), num(u)]), cli.event_names.map((e) => [e.name, e.events, e.users]));
  // the rejected rows download as `loupe inspect --rejects` writes them (the description
  // column is in the page's language, the CLI's in the engine's words: not compared)
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=rejects-download]')]);
  const pick = (text) => csvRecords(text.replace(/^\uFEFF/, '')).map((r) => [r[0], r[1], r[2], r[4]]);
  const cliRejects = path.join(OUT, 'rejects-cli.csv');
  loupe('inspect', '--rejects', cliRejects, csvPath);
  const got = pick(fs.readFileSync(await dl.path(), 'utf8'));
  assert.equal(got.length, 1 + cli.rejected);
  assert.deepEqual(got, pick(fs.readFileSync(cliRejects, 'utf8')));
  assert.equal(await page.evaluate(() => window.__mainThreadReads), 0, 'the page read file bytes on the main thread');
  await page.screenshot({ path: path.join(OUT, 'overview.png'), fullPage: true });
});

test('a funnel built in the UI equals `loupe run`', async () => {
  await tab('funnel');
  await page.waitForSelector('[data-testid=funnel-table]');
  await page.selectOption('[data-testid=step-0]', 'app_open');
  await page.selectOption('[data-testid=step-1]', 'view_item');
  if (!(await page.$('[data-testid=step-2]'))) await page.click('[data-testid=add-step]');
  await page.selectOption('[data-testid=step-2]', 'add_to_cart');
  if (!(await page.$('[data-testid=step-3]'))) await page.click('[data-testid=add-step]');
  await page.selectOption('[data-testid=step-3]', 'purchase');
  await page.fill('[data-testid=window-value]', '2');
  await page.press('[data-testid=window-value]', 'Tab');
  await page.selectOption('[data-testid=window-unit]', 'day');
  await runAndWait();
  const spec = { analysis: 'funnel', steps: ['app_open', 'view_item', 'add_to_cart', 'purchase'].map((event) => ({ event })), window: { value: 2, unit: 'day' } };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), csvPath));
  assert.equal(cli.steps.length, 4);
  for (let k = 0; k < 4; k++) {
    assert.equal(num(await page.textContent(`[data-testid=funnel-users-${k}]`)), cli.steps[k].users, `step ${k + 1}`);
    assert.equal(await page.textContent(`[data-testid=funnel-conv-${k}]`), `${(cli.steps[k].conversion * 100).toFixed(1)}%`);
  }
  assert.ok(cli.steps[3].users > 0 && cli.steps[3].users < cli.steps[0].users, 'the funnel narrows');
  await page.screenshot({ path: path.join(OUT, 'funnel.png'), fullPage: true });

  // the table downloads as the same CSV the CLI writes; the chart as a PNG
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), csvPath));
  const [pngDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-png]')]);
  const png = fs.readFileSync(await pngDl.path());
  assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.ok(png.length > 5000, `PNG of ${png.length} bytes`);

  // the URL hash holds the spec (and nothing else): a link reproduces the analysis
  const hash = new URL(page.url()).hash;
  assert.ok(hash.startsWith('#spec='), hash);
  const linked = JSON.parse(decodeURIComponent(hash.slice('#spec='.length)));
  assert.deepEqual(linked.steps, spec.steps);
  assert.deepEqual(linked.window, spec.window);
  pageLoaded = false;
  await page.goto('about:blank');
  await page.goto(origin + '/' + hash, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  pageLoaded = true;
  await loadCsv(csvPath);
  await page.waitForSelector('[data-testid=funnel-table]');
  for (let k = 0; k < 4; k++) {
    assert.equal(num(await page.textContent(`[data-testid=funnel-users-${k}]`)), cli.steps[k].users, `linked step ${k + 1}`);
  }
});

test('a retention table built in the UI equals `loupe run`', async () => {
  await tab('retention');
  await page.waitForSelector('[data-testid=retention-table]');
  await page.selectOption('[data-testid=start-event]', 'signup');
  await page.selectOption('[data-testid=period]', 'week');
  await page.fill('[data-testid=periods]', '6');
  await page.press('[data-testid=periods]', 'Tab');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await runAndWait();
  const spec = { analysis: 'retention', start_event: 'signup', period: 'week', periods: 6, timezone: 'UTC' };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), csvPath));
  const rows = await page.$$eval('[data-testid=retention-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.title || td.textContent)));
  assert.equal(rows.length, cli.cohorts.length + 1);
  cli.cohorts.forEach((c, i) => {
    const row = rows[i + 1];
    assert.equal(row[0], c.label);
    assert.equal(num(row[1]), c.size);
    c.retained.forEach((r, n) => assert.equal(row[2 + n], `${r} / ${c.size}`, `${c.label} period ${n}`));
    assert.ok(row.slice(2 + c.retained.length).every((x) => x === ''), 'no cells beyond the data');
  });
  await page.screenshot({ path: path.join(OUT, 'retention.png'), fullPage: true });
});

// the trend of the trends test, as `loupe run` reads it
const TREND = {
  analysis: 'trends',
  series: [{ event: 'view_item', measure: 'users' }, { event: 'purchase', measure: 'users' }],
  formulas: [{ expression: 'B * 100 / A', label: 'buyers per 100 viewers' }],
  interval: 'week', breakdown: 'country', compare: true, timezone: 'UTC',
};
// a table cell as the CLI's number: "1,234 +5.0%" -> 1234, "12.35" -> 12.35, "–" -> null
const cellValue = (text) => {
  const first = text.trim().split(' ')[0];
  return first === '–' ? null : num(first);
};
const shown = (v) => (v === null ? null : Number.isInteger(v) ? v : Number(v.toFixed(2)));
const lineLabel = (l) => (l.value === null ? `${l.key}. ${l.name}` : `${l.key}. ${l.name} · ${l.value}`);

test('a trend with two series, a formula, a breakdown and the previous period equals `loupe run`', async () => {
  await tab('trends');
  await page.waitForSelector('[data-testid=trends-table]');
  await page.selectOption('[data-testid=series-0-event]', 'view_item');
  await page.selectOption('[data-testid=series-0-measure]', 'users');
  await page.click('[data-testid=add-series]');
  await page.selectOption('[data-testid=series-1-event]', 'purchase');
  await page.selectOption('[data-testid=series-1-measure]', 'users');
  await page.click('[data-testid=add-formula]');
  await page.fill('[data-testid=formula-0]', 'B * 100 / A');
  await page.press('[data-testid=formula-0]', 'Tab');
  await page.fill('[data-testid=formula-0-label]', 'buyers per 100 viewers');
  await page.press('[data-testid=formula-0-label]', 'Tab');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=breakdown]', 'country');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.click('[data-testid=compare]');
  await runAndWait();
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(TREND), csvPath));
  const head = await page.$$eval('[data-testid=trends-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(1), cli.lines.map(lineLabel));
  assert.ok(cli.lines.some((l) => l.key === 'F1' && l.total > 0), 'the formula has values');
  const rows = await page.$$eval('[data-testid=trends-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(rows[0].slice(1).map(cellValue), cli.lines.map((l) => shown(l.total)));
  cli.buckets.forEach((b, i) => {
    assert.ok(rows[i + 1][0].startsWith(b), `${rows[i + 1][0]} is ${b}`);
    assert.equal(rows[i + 1][0].endsWith('*'), cli.incomplete[i], `incomplete mark of ${b}`);
    assert.deepEqual(rows[i + 1].slice(1).map(cellValue), cli.lines.map((l) => shown(l.values[i])), b);
  });
  // the change from the previous period is shown exactly where the CLI has one (the
  // previous period lies before the data here: every previous value is 0, no change)
  const changes = cli.lines.flatMap((l) => [[l.total, l.previous_total], ...l.values.map((v, i) => [v, l.previous[i]])])
    .filter(([c, p]) => c !== null && p !== null && p !== 0).length;
  assert.equal(await page.$$eval('[data-testid=trends-table] .delta', (d) => d.length), changes);
  const linked = JSON.parse(decodeURIComponent(new URL(page.url()).hash.slice('#spec='.length)));
  for (const k of ['series', 'formulas', 'interval', 'compare']) assert.deepEqual(linked[k], TREND[k], k);
  // hover values: the arrow keys walk the chart's points, the tip says each value
  const tipNumber = (v) => (v === null ? '–' : Number.isInteger(v) ? v.toLocaleString('en-US')
    : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));
  await page.focus('[data-testid=chart]');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  const tip = await page.$$eval('[data-testid=chart-tip] div', (d) => d.map((x) => x.textContent));
  assert.ok(tip[0].startsWith(cli.buckets[1]), tip[0]);
  const a = cli.lines[0];
  assert.ok(tip.some((t) => t.startsWith(`${lineLabel(a)}: ${tipNumber(a.values[1])} (`)), `${lineLabel(a)} in ${tip}`);
  const box = await page.$eval('[data-testid=chart]', (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await page.mouse.move(box.x + box.w * 0.6, box.y + box.h * 0.5);
  await page.waitForSelector('[data-testid=chart-tip]');
  await page.screenshot({ path: path.join(OUT, 'trends.png'), fullPage: true });
  await page.mouse.move(0, 0);

  // the result follows the builder: a change runs by itself, without a Run click
  const waitForRerun = async (prev) => page.waitForFunction((p) => {
    const done = document.querySelector('[data-testid=timing]');
    return done && done.dataset.runId !== p && !document.querySelector('[data-testid=stale]');
  }, prev);
  let before = await page.$eval('[data-testid=timing]', (e) => e.dataset.runId);
  await page.selectOption('[data-testid=interval]', 'month');
  await waitForRerun(before);
  const monthly = JSON.parse(loupe('run', '--spec', JSON.stringify({ ...TREND, interval: 'month' }), csvPath));
  const monthRows = await page.$$eval('[data-testid=trends-table] tbody tr td:first-child', (td) => td.map((x) => x.textContent));
  assert.deepEqual(monthRows.slice(1).map((x) => x.replace(' *', '')), monthly.buckets);
  before = await page.$eval('[data-testid=timing]', (e) => e.dataset.runId);
  await page.selectOption('[data-testid=interval]', 'week');
  await waitForRerun(before);
});

test('the shared scope and the funnel options equal `loupe run`', async () => {
  await tab('funnel');
  await page.waitForSelector('[data-testid=funnel-table]');
  // the scope bar: the last 30 days of the data, iOS events of users whose channel is organic
  await page.selectOption('[data-testid=date-range]', 'last_30_days');
  await page.click('[data-testid=filter-add]');
  await page.selectOption('[data-testid=filter-0-property]', 'platform');
  await page.fill('[data-testid=filter-0-value]', 'ios');
  await page.press('[data-testid=filter-0-value]', 'Tab');
  await page.click('[data-testid=filter-add]');
  await page.selectOption('[data-testid=filter-1-property]', 'user:channel');
  await page.fill('[data-testid=filter-1-value]', 'organic');
  await page.press('[data-testid=filter-1-value]', 'Tab');
  // the funnel of the previous test, with an exclusion, a step filter and a breakdown
  await page.click('[data-testid=add-exclusion]');
  await page.selectOption('[data-testid=exclusion-0]', 'app_open');
  await page.selectOption('[data-testid=exclusion-0-from]', '2');
  await page.selectOption('[data-testid=exclusion-0-to]', '3');
  await page.click('[data-testid=step-3-filters]');
  await page.click('[data-testid=step-3-filter-add]');
  await page.selectOption('[data-testid=step-3-filter-0-property]', 'country');
  await page.selectOption('[data-testid=step-3-filter-0-op]', 'neq');
  await page.fill('[data-testid=step-3-filter-0-value]', 'US');
  await page.press('[data-testid=step-3-filter-0-value]', 'Tab');
  await page.selectOption('[data-testid=breakdown]', 'country');
  await page.fill('[data-testid=limit]', '3');
  await page.press('[data-testid=limit]', 'Tab');
  await runAndWait();
  const steps = ['app_open', 'view_item', 'add_to_cart', 'purchase'].map((event) => ({ event }));
  steps[3].filters = [{ property: 'country', op: 'neq', value: 'US' }];
  const spec = {
    analysis: 'funnel', steps, window: { value: 2, unit: 'day' },
    exclusions: [{ event: 'app_open', from_step: 2, to_step: 3 }],
    breakdown: { properties: ['country'], limit: 3 },
    date_range: 'last_30_days',
    filters: [{ property: 'platform', op: 'eq', value: 'ios' }, { property: 'channel', source: 'user', op: 'eq', value: 'organic' }],
  };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), csvPath));
  assert.equal(cli.breakdowns.length, 4, 'three countries and (other)');
  for (let k = 0; k < 4; k++) {
    assert.equal(num(await page.textContent(`[data-testid=funnel-users-${k}]`)), cli.steps[k].users, `step ${k + 1}`);
  }
  assert.ok(cli.steps[0].users > 0 && cli.steps[3].users > 0, 'the filters leave a funnel to compare');
  const rows = await page.$$eval('[data-testid=funnel-breakdown-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const expected = cli.breakdowns.flatMap((b) => b.steps.map((s, k) => [k === 0 ? b.value : '', String(k + 1), s.users]));
  assert.deepEqual(rows.map((r) => [r[0], r[1], num(r[3])]), expected);
  if (cli.excluded > 0) assert.equal(num((await page.textContent('[data-testid=excluded]')).split(' ')[0]), cli.excluded);
  // the link holds the same query the CLI ran
  const linked = JSON.parse(decodeURIComponent(new URL(page.url()).hash.slice('#spec='.length)));
  for (const k of ['steps', 'window', 'date_range', 'filters']) assert.deepEqual(linked[k], spec[k], k);
  assert.deepEqual(linked.exclusions.map((x) => [x.event, x.from_step, x.to_step]), [['app_open', 2, 3]]);
  await page.screenshot({ path: path.join(OUT, 'funnel-scope.png'), fullPage: true });

  // the scope is shared: the trends tab runs in it too (its builder keeps the last trend)
  await tab('trends');
  await page.waitForFunction(() => document.querySelector('[data-testid=timing]'));
  await runAndWait();
  const trend = { ...TREND, date_range: spec.date_range, filters: spec.filters };
  const trendCli = JSON.parse(loupe('run', '--spec', JSON.stringify(trend), csvPath));
  const total = await page.$$eval('[data-testid=trends-table] tbody tr:first-child td', (td) => td.map((x) => x.textContent));
  assert.deepEqual(total.slice(1).map(cellValue), trendCli.lines.map((l) => shown(l.total)));
});

test('recurring retention with brackets and a breakdown equals `loupe run`', async () => {
  await page.selectOption('[data-testid=date-range]', 'all');
  await tab('retention');
  await page.waitForSelector('[data-testid=retention-table]');
  await page.selectOption('[data-testid=cohort]', 'recurring');
  await page.selectOption('[data-testid=breakdown]', 'platform');
  await page.click('details.more summary');
  await page.fill('[data-testid=brackets]', '1-2, 3-6');
  await page.press('[data-testid=brackets]', 'Tab');
  await page.selectOption('[data-testid=average-cells]', 'all');
  await runAndWait();
  const spec = {
    analysis: 'retention', start_event: 'signup', period: 'week', periods: 6, cohort: 'recurring',
    brackets: [[1, 2], [3, 6]], average_cells: 'all', breakdown: 'platform',
    filters: [{ property: 'platform', op: 'eq', value: 'ios' }, { property: 'channel', source: 'user', op: 'eq', value: 'organic' }],
  };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), csvPath));
  assert.deepEqual(cli.columns, ['0', '1–2', '3–6']);
  const head = await page.$$eval('[data-testid=retention-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(2), cli.columns);
  assert.ok(cli.breakdowns.length >= 1, 'one table per platform');
  for (const [k, b] of cli.breakdowns.entries()) {
    const rows = await page.$$eval(`[data-testid=retention-table-${k}] tbody tr`, (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.title || td.textContent)));
    assert.equal(rows.length, b.cohorts.length + 1, b.value);
    b.cohorts.forEach((c, i) => {
      assert.equal(rows[i + 1][0], c.label);
      c.retained.forEach((r, n) => assert.equal(rows[i + 1][2 + n], `${r} / ${c.size}`, `${b.value} ${c.label} ${n}`));
    });
  }
  await page.screenshot({ path: path.join(OUT, 'retention-breakdown.png'), fullPage: true });
});

// The spec a tab last ran, from the page's link (it holds the scope too, so the CLI runs
// exactly what the page ran, whatever the earlier tests left in the scope bar).
/** Two CSV texts with equal cells: text exactly, numbers to a relative 1e-12 (p-values go
 * through exp / log, whose last bit may differ between the wasm build and the native one). */
/** The records of RFC 4180 CSV text (quoted cells with commas, quotes and line breaks). */
function csvRecords(text) {
  const rows = [[]];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { rows[rows.length - 1].push(cell); cell = ''; }
    else if (c === '\n') { rows[rows.length - 1].push(cell); cell = ''; rows.push([]); }
    else if (c !== '\r') cell += c;
  }
  if (cell !== '' || rows[rows.length - 1].length) rows[rows.length - 1].push(cell);
  return rows.filter((r) => r.length);
}

function assertCsvClose(gotText, wantText) {
  const cells = (text) => text.trim().split('\n').map((l) => l.split(','));
  const [got, want] = [cells(gotText), cells(wantText)];
  assert.equal(got.length, want.length);
  want.forEach((row, i) => row.forEach((w, j) => {
    const g = got[i][j];
    if (w !== '' && !Number.isNaN(Number(w))) {
      assert.ok(Math.abs(Number(g) - Number(w)) <= 1e-12 * Math.abs(Number(w)), `${want[0][j]}: ${g} vs ${w}`);
    } else {
      assert.equal(g, w, want[0][j]);
    }
  }));
}

function linkedSpec() {
  return JSON.parse(decodeURIComponent(new URL(page.url()).hash.slice('#spec='.length)));
}

test('stickiness and active users built in the UI equal `loupe run`', async () => {
  if (await page.textContent('[data-testid=dataset-name]').catch(() => null) !== path.basename(csvPath)) {
    await loadCsv(csvPath);
  }
  // stickiness: weekly, at least x weeks with 2+ views, by country (the scope of the
  // earlier tests, iOS users of the organic channel, still applies)
  await tab('stickiness');
  await page.waitForSelector('[data-testid=stickiness-table]');
  await page.selectOption('[data-testid=event]', 'view_item');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=computed]', 'cumulative');
  await page.fill('[data-testid=criteria-value]', '2');
  await page.press('[data-testid=criteria-value]', 'Tab');
  await page.selectOption('[data-testid=breakdown]', 'country');
  await runAndWait();
  const spec = linkedSpec();
  assert.equal(spec.analysis, 'stickiness');
  assert.deepEqual([spec.event, spec.interval, spec.computed, spec.criteria],
    ['view_item', 'week', 'cumulative', { op: 'gte', value: 2 }]);
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), csvPath));
  assert.ok(cli.series.length >= 2 && cli.series[0].users[0] > 0, 'a breakdown with users to compare');
  const head = await page.$$eval('[data-testid=stickiness-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(1), cli.series.map((s) => s.label));
  const rows = await page.$$eval('[data-testid=stickiness-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(rows[0].slice(1).filter((_, k) => k % 2 === 0).map(num), cli.series.map((s) => s.total_users));
  assert.deepEqual(rows[1].slice(1), cli.series.map((s) => s.average_intervals.toFixed(2)));
  assert.equal(rows.length, 2 + cli.x.length);
  cli.x.forEach((x, k) => {
    const row = rows[2 + k];
    assert.equal(row[0], `≥ ${x}`);
    assert.deepEqual(row.slice(1).filter((_, j) => j % 2 === 0).map(num), cli.series.map((s) => s.users[k]), `x ${x}`);
  });
  await page.screenshot({ path: path.join(OUT, 'stickiness.png'), fullPage: true });

  // active users: view_item makes a user active, 28-day MAU, days active per month
  await tab('active_users');
  await page.waitForSelector('[data-testid=active-users-table]');
  await page.click('[data-testid=add-active-event]');
  await page.selectOption('[data-testid=active-event-0]', 'view_item');
  await page.selectOption('[data-testid=mau-days]', '28');
  await page.selectOption('[data-testid=frequency]', 'month');
  await runAndWait();
  const active = linkedSpec();
  assert.deepEqual([active.analysis, active.events, active.mau_days, active.frequency],
    ['active_users', [{ event: 'view_item' }], 28, 'month']);
  const au = JSON.parse(loupe('run', '--spec', JSON.stringify(active), csvPath));
  const days = await page.$$eval('[data-testid=active-users-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => [td.textContent, td.classList.contains('partial')])));
  assert.equal(days.length, au.days.length);
  au.days.forEach((d, k) => {
    const [day, dau, wau, mau] = days[k];
    assert.equal(day[0], d);
    assert.deepEqual([dau, wau, mau].map((c) => num(c[0].replace('*', ''))), [au.dau[k], au.wau[k], au.mau[k]], d);
    assert.deepEqual([wau[1], mau[1]], [au.wau_partial[k], au.mau_partial[k]], `${d} partial marks`);
  });
  assert.ok(au.mau_partial.some((p) => p) && au.mau_partial.some((p) => !p), 'both kinds of MAU points');
  const freq = await page.$$eval('[data-testid=frequency-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(freq.length, 1 + au.periods.length);
  assert.deepEqual(freq[0].slice(2).map(num), au.frequency_total);
  au.periods.forEach((p, k) => {
    assert.equal(freq[1 + k][0].replace('*', ''), p.label);
    assert.deepEqual(freq[1 + k].slice(1).map(num), [p.active_users, ...p.users], p.label);
  });
  await page.screenshot({ path: path.join(OUT, 'active-users.png'), fullPage: true });
});

test('a file that cannot be imported shows what is wrong and keeps the dataset', async () => {
  const bad = path.join(OUT, 'bad.csv');
  fs.writeFileSync(bad, 'who,what,when\nu1,signup,2025-01-01\n');
  await page.setInputFiles('[data-testid=file-input]', bad);
  await page.waitForSelector('[data-testid=error]');
  const msg = await page.textContent('[data-testid=error]');
  assert.match(msg, /bad\.csv: no user column found; columns are: "who", "what", "when"/);
  assert.equal(await page.textContent('[data-testid=dataset-name]'), 'events.csv');
  await page.click('[data-testid=error] button');
  assert.equal(await page.$('[data-testid=error]'), null);
});

test('cancelling a load keeps the previous dataset', async () => {
  loupe('sample', '--users', '250000', '--seed', '3', '--out', bigPath);
  await page.setInputFiles('[data-testid=file-input]', bigPath);
  await page.waitForSelector('[data-testid=progress]');
  await page.click('[data-testid=cancel]');
  await page.waitForSelector('[data-testid=progress]', { state: 'detached' });
  assert.equal(await page.textContent('[data-testid=dataset-name]'), 'events.csv');
  assert.equal(await page.$('[data-testid=error]'), null);
  fs.rmSync(bigPath);
});

test('the sample dataset loads and the UI speaks Chinese', async () => {
  pageLoaded = false;
  await page.goto(origin + '/', { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  pageLoaded = true;
  const t0 = Date.now();
  await page.click('[data-testid=sample]');
  await toOverview();
  console.log(`# sample data loaded in ${Date.now() - t0} ms (page), ${await page.textContent('.dataset-bar .muted')}`);
  assert.equal(num(await page.textContent('[data-testid=users]')), 50000);
  await page.click('[data-testid=lang]');
  assert.equal(await page.textContent('[data-tab=funnel]'), '漏斗');
  assert.equal(await page.textContent('[data-testid=dataset-name]'), '示例数据（电商应用）');
  await tab('funnel');
  await page.waitForSelector('[data-testid=funnel-table]');
  await page.screenshot({ path: path.join(OUT, 'funnel-zh.png'), fullPage: true });
  await tab('retention');
  await page.waitForSelector('[data-testid=retention-table]');
  await tab('trends');
  await page.waitForSelector('[data-testid=trends-table]');
  await page.selectOption('[data-testid=breakdown]', 'channel');
  await page.waitForSelector('[data-testid=limit]');
  await tab('stickiness');
  await page.waitForSelector('[data-testid=stickiness-table]');
  await tab('active_users');
  await page.waitForSelector('[data-testid=active-users-table]');
  await tab('overview');
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  assert.ok(!(await page.textContent('body')).includes('?'), 'a "?" stands for a missing translation');
  assert.equal(await page.evaluate(() => window.__mainThreadReads), 0);
  // at 400 px the tabs scroll inside their bar: the page itself never scrolls sideways
  await page.setViewportSize({ width: 400, height: 800 });
  await tab('trends');
  await page.waitForSelector('[data-testid=trends-table]');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 400, 'no sideways scroll at 400 px');
  await page.screenshot({ path: path.join(OUT, 'narrow-400.png'), fullPage: true });
  await page.setViewportSize({ width: 1360, height: 900 });
  // the page says its language, and the choice survives a reload (nothing else is kept)
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  pageLoaded = false;
  await page.reload({ waitUntil: 'load' });
  pageLoaded = true;
  await page.waitForSelector('[data-testid=lang]');
  assert.equal(await page.textContent('[data-testid=lang]'), 'English');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), ['loupe.lang']);
  await page.click('[data-testid=lang]');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
});

test('the static site works from a sub-path of a host', async () => {
  const site = path.join(OUT, 'host');
  fs.rmSync(site, { recursive: true, force: true });
  fs.mkdirSync(path.join(site, 'reports'), { recursive: true });
  fs.cpSync(DIST, path.join(site, 'reports', 'loupe'), { recursive: true });
  const host = await serve(site);
  const p = await browser.newPage();
  try {
    await p.goto(`http://127.0.0.1:${host.address().port}/reports/loupe/`, { waitUntil: 'load' });
    await p.click('[data-testid=sample]');
    await toOverview(p);
    assert.equal(num(await p.textContent('[data-testid=users]')), 50000);
  } finally {
    await p.close();
    host.close();
  }
});

test('a file dropped on the drop zone loads', async () => {
  pageLoaded = false;
  await page.goto('about:blank');
  await page.goto(origin + '/', { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  pageLoaded = true;
  const dt = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add(new File(['用户ID,事件,时间\nu1,注册,2025-01-01 08:00:00\nu1,支付,2025-01-01 09:00:00\n'], 'dropped.csv', { type: 'text/csv' }));
    return d;
  });
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset-name]')?.textContent === 'dropped.csv');
  assert.equal(num(await page.textContent('[data-testid=imported]')), 2);
  assert.equal(await page.evaluate(() => window.__mainThreadReads), 0);
});

test('no request leaves the machine, and none but worker files after load', () => {
  assert.ok(requests.length > 0);
  // blob: and data: URLs are the page's own downloads, made in the tab
  const foreign = requests.filter((r) => !r.url.startsWith(origin + '/') && !/^(blob|data):/.test(r.url));
  assert.deepEqual(foreign, [], 'requests to other origins');
  const allowed = new Set(['/worker_loader.js', '/worker.js', '/worker_bg.wasm']);
  const late = requests.filter((r) => r.afterLoad && !/^(blob|data):/.test(r.url)
    && !(r.method === 'GET' && !r.post && allowed.has(new URL(r.url).pathname) && !new URL(r.url).search));
  assert.deepEqual(late, [], 'requests after the page loaded');
});

test('a weekly lifecycle of the sample equals `loupe run`', async () => {
  await freshSample();
  await tab('lifecycle');
  await page.waitForSelector('[data-testid=lifecycle-table]');
  // the sample has no created-at property: creation is the first event
  assert.equal(await page.$eval('[data-testid=created-at]', (e) => e.value), '');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await runAndWait();
  const spec = { analysis: 'lifecycle', interval: 'week', timezone: 'UTC' };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=lifecycle-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.buckets.length);
  assert.ok(cli.dormant.some((d) => d < 0) && cli.resurrecting.some((r) => r > 0), 'every state occurs');
  const pulse = (p) => (p === null ? '–' : p.toFixed(2));
  cli.buckets.forEach((b, i) => {
    assert.equal(rows[i][0], b);
    assert.deepEqual(rows[i].slice(1, 6).map(num),
      [cli.new[i], cli.returning[i], cli.resurrecting[i], cli.dormant[i], cli.active[i]], b);
    assert.equal(rows[i][6], pulse(cli.pulse[i]), `${b} pulse`);
  });
  assert.equal(await page.textContent('[data-testid=lifecycle-pulse]'), pulse(cli.pulse_overall));
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'lifecycle.png'), fullPage: true });
  // in Chinese: the seeds' terms
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=lifecycle-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(1, 6), ['新增', '回访', '回流', '流失', '活跃']);
  assert.equal(await page.textContent('[data-tab=lifecycle]'), '生命周期');
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'lifecycle-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('Back and Forward step through analyses and keep the dataset; SVG, link and announcements', async () => {
  // the sample is loaded and the lifecycle shown (previous test)
  const shown = (kind) => page.waitForFunction((k) =>
    decodeURIComponent(location.hash).includes(`"analysis":"${k}"`)
    && document.querySelector(`[data-tab=${k}]`)?.getAttribute('aria-selected') === 'true'
    && document.querySelector('[data-testid=timing]'), kind);
  await shown('lifecycle');
  const dataset = await page.textContent('[data-testid=dataset-name]');
  await tab('trends');
  await shown('trends');
  await tab('retention');
  await shown('retention');
  const depth = await page.evaluate(() => history.length);
  await page.evaluate(() => history.back());
  await shown('trends');
  await page.evaluate(() => history.back());
  await shown('lifecycle');
  await page.evaluate(() => history.forward());
  await shown('trends');
  // the same page all along: the dataset is still loaded, nothing was fetched again
  assert.equal(await page.textContent('[data-testid=dataset-name]'), dataset);
  assert.equal(await page.evaluate(() => history.length), depth);
  // a builder change replaces the entry instead of adding one
  await page.selectOption('[data-testid=interval]', 'week');
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"interval":"week"'));
  assert.equal(await page.evaluate(() => history.length), depth);
  // the change reruns the analysis: its announcement follows the result
  await page.waitForFunction(() => !/Computing/.test(document.querySelector('[data-testid=announce]')?.textContent ?? ''));
  assert.match(await page.textContent('[data-testid=announce]'), /^Result ready in [0-9.]+ ms$/);
  const [svgDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-svg]')]);
  assert.equal(svgDl.suggestedFilename(), 'loupe-trends.svg');
  const svg = fs.readFileSync(await svgDl.path(), 'utf8');
  assert.match(svg, /^<svg[^>]*width="960"/);
  assert.ok((svg.match(/<text/g) || []).length > 5, 'the SVG has its axis labels');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.click('[data-testid=copy-link]');
  await page.waitForFunction(() => document.querySelector('[data-testid=copy-link]').textContent === 'Link copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  assert.ok(decodeURIComponent(new URL(link).hash).includes('"analysis":"trends"'));
});

test('a board holds several analyses, exports and imports them as a JSON file of specs, and is saved only on request', async () => {
  // the sample is loaded (previous tests), a weekly trend on screen
  await tab('trends');
  await page.waitForSelector('[data-testid=timing]');
  await page.click('[data-testid=add-to-board]');
  assert.equal(await page.textContent('[data-testid=add-to-board]'), 'On the board');
  await tab('lifecycle');
  await page.waitForSelector('[data-testid=timing]');
  await page.click('[data-testid=add-to-board]');
  assert.equal(await page.textContent('[data-tab=board]'), 'Board (2)');
  await tab('board');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=board-card] canvas').length === 2, null, { timeout: 60_000 });
  // nothing is stored until the user saves
  assert.equal(await page.evaluate(() => localStorage.getItem('loupe.board')), null);
  await page.fill('[data-testid=board-name]', 'weekly review');
  await page.press('[data-testid=board-name]', 'Tab');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=board-export]')]);
  assert.equal(dl.suggestedFilename(), 'weekly review.json');
  const file = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  assert.equal(file.loupe_board, 1);
  assert.equal(file.name, 'weekly review');
  assert.deepEqual(file.items.map((i) => i.query.analysis), ['trends', 'lifecycle']);
  // each item is a `loupe run` spec: the board's lifecycle equals the CLI's
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(file.items[1].query), '@sample'));
  assert.ok(cli.buckets.length > 0);
  // a colleague's file: the order swapped and a monthly retention added
  file.items.reverse();
  file.items.push({ title: 'Monthly retention', query: { analysis: 'retention', period: 'month', periods: 3 } });
  const colleague = path.join(OUT, 'board.json');
  fs.writeFileSync(colleague, JSON.stringify(file));
  await page.setInputFiles('[data-testid=board-import]', colleague);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=board-card] canvas').length === 3, null, { timeout: 60_000 });
  const titles = await page.$$eval('.board-title', (els) => els.map((e) => e.value));
  assert.deepEqual(titles.slice(2), ['Monthly retention']);
  // a broken file says where
  file.items[0].query.interval = 'fortnight';
  fs.writeFileSync(colleague, JSON.stringify(file));
  await page.setInputFiles('[data-testid=board-import]', colleague);
  await page.waitForFunction(() => /items\[0\]\.query/.test(document.querySelector('[data-testid=board-note]').textContent));
  assert.equal(await page.$$eval('[data-testid=board-card]', (c) => c.length), 3, 'the board is kept');
  // saved, it survives a reload; "Open" shows the analysis in its tab
  await page.click('[data-testid=board-save]');
  assert.equal(JSON.parse(await page.evaluate(() => localStorage.getItem('loupe.board'))).items.length, 3);
  pageLoaded = false;
  await page.goto(origin + '/', { waitUntil: 'load' });
  pageLoaded = true;
  await page.click('[data-testid=sample]');
  await toOverview();
  await tab('board');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=board-card] canvas').length === 3, null, { timeout: 60_000 });
  await page.screenshot({ path: path.join(OUT, 'board.png'), fullPage: true });
  await page.click('[data-testid=board-card]:nth-child(3) [data-testid=board-open]');
  await page.waitForFunction(() => document.querySelector('[data-tab=retention]')?.getAttribute('aria-selected') === 'true'
    && document.querySelector('[data-testid=timing]'));
  assert.equal(await page.$eval('[data-testid=period]', (e) => e.value), 'month');
  await page.evaluate(() => localStorage.removeItem('loupe.board'));
});

test('funnel steps reorder by drag and drop', async () => {
  await tab('funnel');
  await page.waitForSelector('[data-testid=step-row-2]');
  const steps = () => page.$$eval('.step select', (s) => s.map((x) => x.value));
  const [a, b, c] = await steps();
  await page.dragAndDrop('[data-testid=step-row-0] .drag-handle', '[data-testid=step-row-2]');
  assert.deepEqual((await steps()).slice(0, 3), [b, c, a]);
  // the result follows: the URL's spec has the new order
  await page.waitForFunction((first) => decodeURIComponent(location.hash).includes(`"steps":[{"event":"${first}"`), b);
});

test('two edits in one task both count (each starts from the one before, not from the last render)', async () => {
  await tab('funnel');
  await page.waitForSelector('[data-testid=window-value]');
  // no render can happen between the two changes: they run in one task
  await page.evaluate(() => {
    const value = document.querySelector('[data-testid=window-value]');
    value.value = '3';
    value.dispatchEvent(new Event('change', { bubbles: true }));
    const unit = document.querySelector('[data-testid=window-unit]');
    unit.value = 'hour';
    unit.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"window":{"unit":"hour","value":3}'));
});

test('every view in English and Chinese has no serious or critical accessibility violation', async () => {
  // the sample is loaded (previous tests)
  const found = [];
  for (const lang of ['en', 'zh']) {
    await eachView(page, async (name) => {
      for (const v of await axeViolations(page)) found.push(`${name} (${lang}): ${v}`);
    });
    await page.click('[data-testid=lang]');
  }
  assert.deepEqual(found, []);
});

test('when the engine stops, a new one reloads the file and reruns the analysis; twice, the app explains', async () => {
  // the sample is loaded (previous tests); a weekly trend is on screen
  const dataset = await page.textContent('[data-testid=dataset-name]');
  await tab('trends');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"interval":"week"')
    && document.querySelector('.results')?.getAttribute('aria-busy') === 'false');
  const before = await page.$$eval('table.grid tbody tr', (trs) => trs.map((tr) => tr.textContent));
  // an uncaught error in the worker, as a wasm trap or an out-of-memory abort raises
  const crash = async () => {
    const workers = page.workers();
    assert.equal(workers.length, 1, 'one worker holds the dataset');
    await workers[0].evaluate(() => setTimeout(() => { throw new Error('simulated crash'); }, 0));
  };
  await crash();
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /restarted/);
  // the same file loads in a new worker; the same tab and spec run again
  await page.waitForFunction(() => !document.querySelector('[data-testid=error]')
    && document.querySelector('[data-tab=trends]')?.getAttribute('aria-selected') === 'true'
    && document.querySelector('[data-testid=timing]')
    && document.querySelector('.results')?.getAttribute('aria-busy') === 'false', null, { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid=dataset-name]'), dataset);
  assert.equal(await page.$eval('[data-testid=interval]', (e) => e.value), 'week');
  assert.deepEqual(await page.$$eval('table.grid tbody tr', (trs) => trs.map((tr) => tr.textContent)), before);
  // a second stop on the same file: the reason in plain words, and the app stays usable
  await crash();
  await page.waitForFunction(() => /twice/.test(document.querySelector('[data-testid=error]')?.textContent || ''));
  await page.waitForSelector('[data-testid=dropzone]');
  await page.click('[data-testid=sample]');
  await toOverview();
});

test('cells from the data that a spreadsheet would run are neutralised in the CSV download; focus follows a load', async () => {
  const file = path.join(OUT, 'formulas.csv');
  fs.writeFileSync(file, [
    'user_id,event,timestamp,plan',
    'u1,open,2025-03-01T10:00:00Z,"=HYPERLINK(""http://x"")"',
    'u2,open,2025-03-01T11:00:00Z,-2+3',
    'u3,open,2025-03-02T10:00:00Z,-5',
    'u4,open,2025-03-02T11:00:00Z,@cmd',
  ].join('\n') + '\n');
  await loadCsv(file);
  // focus moved to the loaded dataset's name
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'dataset-name');
  await tab('trends');
  await page.selectOption('[data-testid=breakdown]', 'plan');
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"breakdown"')
    && document.querySelector('.results')?.getAttribute('aria-busy') === 'false'
    && document.querySelector('[data-testid=timing]'));
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")"`), csv);
  assert.ok(csv.includes("'-2+3") && csv.includes("'@cmd"), csv);
  // a real number stays a number
  assert.ok(/(^|,)-5(,|$)/m.test(csv), csv);
  assert.ok(!/(^|,)"?=/m.test(csv) && !/(^|,)-2\+3/m.test(csv), csv);
});

test('a gzipped Mixpanel NDJSON export loads and its overview equals `loupe inspect`', async () => {
  // the events of events.csv as a Mixpanel raw export (time in ms), one line repeating an
  // insert id and one broken line, gzipped in two members
  const [, ...rows] = fs.readFileSync(csvPath, 'utf8').trim().split('\n');
  const lines = [];
  rows.forEach((row, i) => {
    const [user, event, ts, platform, country, channel, revenue] = row.split(',');
    const time = Date.parse(ts);
    if (!user || Number.isNaN(time) || revenue === undefined) return;
    const properties = { time, distinct_id: user, $insert_id: `i${i}`, platform, country, channel };
    if (revenue) properties.revenue = Number(revenue);
    lines.push(JSON.stringify({ event, properties }));
  });
  lines.push(lines[5], '{"event":"view_item","properties":{');
  const half = lines.length >> 1;
  const gzPath = path.join(OUT, 'mixpanel.ndjson.gz');
  fs.writeFileSync(gzPath, Buffer.concat([
    zlib.gzipSync(lines.slice(0, half).join('\n') + '\n'),
    zlib.gzipSync(lines.slice(half).join('\n') + '\n'),
  ]));
  const cli = JSON.parse(loupe('inspect', gzPath, '--json'));
  assert.deepEqual([cli.format, cli.container, cli.shape], ['ndjson', 'gzip', 'mixpanel']);
  assert.deepEqual([cli.duplicates, cli.rejected], [1, 1]);
  assert.equal(cli.rows_in, cli.imported + cli.duplicates + cli.rejected);
  await loadCsv(gzPath);
  await tab('overview');
  const text = async (id) => page.textContent(`[data-testid=${id}]`);
  for (const [id, key] of [['rows-in', 'rows_in'], ['imported', 'imported'], ['duplicates', 'duplicates'],
    ['rejected', 'rejected'], ['users', 'users']]) {
    assert.equal(num(await text(id)), cli[key], id);
  }
  const events = await page.$$eval('[data-testid=event-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
  assert.deepEqual(events.map(([n, e, u]) => [n, num(e), num(u)]), cli.event_names.map((e) => [e.name, e.events, e.users]));
  await page.screenshot({ path: path.join(OUT, 'overview-ndjson-gz.png'), fullPage: true });
});

test('sessions of the sample with a 10-minute timeout equal `loupe run`', async () => {
  await freshSample();
  await tab('sessions');
  await page.waitForSelector('[data-testid=sessions-pages]');
  // the sample's page property is preselected; no session-id property: the timeout
  assert.equal(await page.$eval('[data-testid=page-property]', (e) => e.value), 'page');
  assert.equal(await page.$eval('[data-testid=session-property]', (e) => e.value), '');
  await page.fill('[data-testid=timeout]', '10');
  await page.press('[data-testid=timeout]', 'Tab');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await runAndWait();
  const spec = linkedSpec();
  assert.deepEqual([spec.analysis, spec.page, spec.timeout_minutes, spec.interval],
    ['sessions', 'page', 10, 'week']);
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  // the default timeout gives other numbers: the option really reached the engine
  const thirty = JSON.parse(loupe('run', '--spec', JSON.stringify({ ...spec, timeout_minutes: 30 }), '@sample'));
  assert.notEqual(cli.totals.sessions, thirty.totals.sessions);
  const pct = (v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  const dur = (s) => {
    if (s === null) return '–';
    if (s < 60) return `${s.toFixed(0)} s`;
    if (s < 3600) return `${(s / 60).toFixed(1)} min`;
    if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} d`;
  };
  const text = (id) => page.textContent(`[data-testid=${id}]`);
  const t = cli.totals;
  assert.deepEqual([num(await text('sessions-pv')), num(await text('sessions-uv')), num(await text('sessions-count'))],
    [t.page_views, t.users, t.sessions]);
  assert.equal(await text('sessions-bounce'), pct(t.bounce_rate));
  assert.equal(await text('sessions-top'), dur(t.average_time_on_page_seconds));
  const rows = await page.$$eval('[data-testid=sessions-pages] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.pages.length);
  assert.ok(cli.pages.length === 20 && cli.page_count > 20, 'the top 20 of more pages');
  cli.pages.forEach((p, k) => {
    const r = rows[k];
    assert.equal(r[0], p.page);
    assert.deepEqual(r.slice(1, 5).map(num), [p.views, p.viewers, p.entries, p.exits], p.page);
    assert.deepEqual(r.slice(5), [pct(p.bounce_rate), pct(p.exit_rate), dur(p.average_time_on_page_seconds)], p.page);
  });
  const weeks = await page.$$eval('[data-testid=sessions-over-time] tbody tr', (trs) => trs.map((tr) =>
    [tr.classList.contains('incomplete'), ...[...tr.querySelectorAll('td')].map((td) => td.textContent)]));
  const o = cli.over_time;
  assert.equal(weeks.length, o.buckets.length);
  o.buckets.forEach((b, k) => {
    const [incomplete, label, pv, uv, sessions, , bounce, duration] = weeks[k];
    assert.deepEqual([incomplete, label], [o.incomplete[k], b]);
    assert.deepEqual([pv, uv, sessions].map(num), [o.page_views[k], o.users[k], o.sessions[k]], b);
    assert.deepEqual([bounce, duration], [pct(o.bounce_rate[k]), dur(o.average_session_seconds[k])], b);
  });
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'sessions.png'), fullPage: true });
  // the over-time chart, and the seeds' terms in Chinese
  await page.selectOption('[data-testid=sessions-view]', 'over_time');
  await runAndWait();
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=sessions-pages] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(1), ['浏览量 PV', '浏览用户数', '入口次数', '退出次数', '跳出率', '退出率', '平均页面停留时间']);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'sessions-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('cohort LTV and the customer summary of the sample equal `loupe run`', async () => {
  await freshSample();
  await tab('ltv');
  await page.waitForSelector('[data-testid=ltv-table]');
  // the purchase event and the amount are preselected from the data's names
  assert.equal(await page.$eval('[data-testid=purchase-event]', (e) => e.value), 'purchase');
  assert.equal(await page.$eval('[data-testid=amount]', (e) => e.value), 'revenue');
  // one change per render: a builder edit reads the spec of the last render
  const settle = () => page.waitForTimeout(400);
  await page.selectOption('[data-testid=period]', 'day');
  await settle();
  await page.fill('[data-testid=periods]', '10');
  await page.press('[data-testid=periods]', 'Tab');
  await settle();
  await page.selectOption('[data-testid=users]', 'paying');
  await settle();
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await settle();
  await runAndWait();
  const spec = { analysis: 'ltv', period: 'day', periods: 10, users: 'paying', timezone: 'UTC' };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=ltv-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent, incomplete: td.classList.contains('incomplete') }))));
  assert.equal(rows.length, cli.cohorts.length + 1);
  const near = (text, v, what) => assert.ok(Math.abs(num(text) - v) <= 0.0051, `${what}: page ${text}, cli ${v}`);
  cli.average.forEach((a, k) => (a.ltv === null
    ? assert.equal(rows[0][4 + k].text, '', `average ${k}`)
    : near(rows[0][4 + k].text, a.ltv, `average ${k}`)));
  assert.ok(cli.cohorts.some((c) => c.complete.includes(false)), 'some cell is partly observed');
  cli.cohorts.forEach((c, i) => {
    const row = rows[i + 1];
    assert.deepEqual([row[0].text, num(row[1].text), num(row[2].text), num(row[3].text)],
      [c.label, c.members, c.paying, c.size]);
    c.ltv.forEach((v, k) => {
      near(row[4 + k].text, v, `${c.label} age ${k}`);
      assert.equal(row[4 + k].incomplete, !c.complete[k], `${c.label} age ${k} complete`);
    });
    assert.ok(row.slice(4 + c.ltv.length).every((x) => x.text === ''), 'no cells beyond the data');
  });
  const [ltvCsv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  assert.equal(fs.readFileSync(await ltvCsv.path(), 'utf8').replace(/^\uFEFF/, ''),
    loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'ltv.png'), fullPage: true });

  // the customer summary: the first rows on the page, every customer in the CSV
  await tab('customers');
  await page.waitForSelector('[data-testid=customers-table]');
  await page.fill('[data-testid=observation-date]', '2025-11-15');
  await page.press('[data-testid=observation-date]', 'Tab');
  await settle();
  await runAndWait();
  const cspec = { analysis: 'customers', observation_date: '2025-11-15', timezone: 'UTC' };
  const ccli = JSON.parse(loupe('run', '--spec', JSON.stringify(cspec), '@sample'));
  assert.ok(ccli.customers.length > 100 && ccli.repeat_customers > 0);
  assert.ok((await page.textContent('[data-testid=customers-count]')).includes(ccli.customers.length.toLocaleString('en-US')));
  const crows = await page.$$eval('[data-testid=customers-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(crows.length, 100);
  crows.forEach((r, i) => {
    const c = ccli.customers[i];
    assert.deepEqual([r[0], num(r[1]), num(r[2]), num(r[3]), num(r[5]), r[7], r[8]],
      [c.user, c.frequency, c.recency, c.T, c.purchases, c.first_purchase, c.last_purchase]);
    near(r[4], c.monetary_value, `${c.user} monetary value`);
    near(r[6], c.revenue, `${c.user} revenue`);
  });
  const [custCsv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await custCsv.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(cspec), '@sample'));
  assert.equal(downloaded.trim().split('\n').length, ccli.customers.length + 1);
  // in Chinese: the seeds' terms
  await page.click('[data-testid=lang]');
  assert.equal(await page.textContent('[data-tab=ltv]'), '生命周期价值 LTV');
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'customers-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('weekly revenue with costs pasted per channel equals `loupe run`', async () => {
  await freshSample();
  await tab('revenue');
  await page.waitForSelector('[data-testid=revenue-table]');
  // preselected from the sample's names
  assert.equal(await page.$eval('[data-testid=purchase-event]', (e) => e.value), 'purchase');
  assert.equal(await page.$eval('[data-testid=amount]', (e) => e.value), 'revenue');
  assert.equal(await page.$eval('[data-testid=channel]', (e) => e.value), 'channel');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  // a bad line is named and keeps the costs out of the spec
  await page.fill('[data-testid=costs]', 'channel\tcost\npaid_search\t5,000\ndouyin x');
  await page.waitForSelector('[data-testid=cost-errors]');
  assert.match(await page.textContent('[data-testid=cost-errors]'), /Line 3/);
  // as pasted from a spreadsheet (a header, tabs, a thousands separator) and typed
  await page.fill('[data-testid=costs]', 'channel\tcost\npaid_search\t5,000\ndouyin,90000\n');
  assert.equal(await page.$('[data-testid=cost-errors]'), null);
  await runAndWait();
  const spec = {
    analysis: 'revenue', interval: 'week', timezone: 'UTC', channel: 'channel',
    costs: [{ channel: 'paid_search', cost: 5000 }, { channel: 'douyin', cost: 90000 }],
  };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const cells = (sel) => page.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const money = (v) => (v === null ? '–' : (Math.round(v * 100) / 100).toFixed(2));
  const rows = await cells('[data-testid=revenue-table]');
  const all = [...cli.intervals, { label: 'Total', ...cli.total }];
  assert.equal(rows.length, all.length);
  assert.ok(cli.total.paying_users > 0 && cli.intervals.length > 4);
  all.forEach((m, i) => {
    const r = rows[i];
    assert.equal(r[0], m.label);
    assert.equal(r[1].replace(/,/g, ''), money(m.revenue), `${m.label} revenue`);
    assert.deepEqual([2, 3, 5, 6, 10].map((k) => num(r[k])),
      [m.purchases, m.refunds, m.paying_users, m.active_users, m.new_users], m.label);
    assert.ok(Math.abs(num(r[7].replace('%', '')) - m.paying_rate * 100) <= 0.051, `${m.label} paying rate`);
    assert.deepEqual([8, 9, 11].map((k) => r[k].replace(/,/g, '')),
      [money(m.arpu), money(m.arppu), money(m.arpu_acquired)], m.label);
  });
  const channels = await cells('[data-testid=revenue-channels]');
  assert.equal(channels.length, cli.channels.length);
  cli.channels.forEach((c, i) => {
    const r = channels[i];
    assert.equal(r[0], c.channel);
    assert.deepEqual([num(r[1]), num(r[2]), r[3].replace(/,/g, ''), r[4].replace(/,/g, '')],
      [c.new_users, c.paying_users, money(c.revenue), money(c.cost)], c.channel);
    assert.equal(r[7], c.payback ?? '–', `${c.channel} payback`);
  });
  assert.ok(cli.channels.some((c) => c.payback) && cli.channels.some((c) => c.roi !== null && c.roi < 0),
    'one channel pays back, one does not');
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'revenue.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=revenue-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual([head[1], head[5], head[7]], ['收入', '付费用户', '付费率']);
  const roiHead = await page.$$eval('[data-testid=revenue-channels] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(roiHead.slice(5), ['投资回报率 ROI', '获客成本 CAC', '回本周期']);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'revenue-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('RFM eight classes of the sample equal `loupe run`, members by segment', async () => {
  await freshSample();
  await tab('rfm');
  await page.waitForSelector('[data-testid=rfm-segments]');
  // the purchase event and the amount are preselected from the sample's names
  assert.equal(await page.$eval('[data-testid=rfm-purchase-event]', (e) => e.value), 'purchase');
  assert.equal(await page.$eval('[data-testid=rfm-amount]', (e) => e.value), 'revenue');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.selectOption('[data-testid=rfm-model]', 'eight_class');
  await page.selectOption('[data-testid=rfm-split]', 'median');
  await runAndWait();
  const spec = { analysis: 'rfm', model: 'eight_class', split: 'median', timezone: 'UTC' };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=rfm-segments] tbody tr', (trs) => trs.map((tr) =>
    [tr.dataset.segment, ...[...tr.querySelectorAll('td')].map((td) => td.textContent)]));
  assert.equal(rows.length, 8);
  assert.ok(cli.segments.filter((s) => s.customers > 0).length >= 4, 'several classes occur');
  const two = (v) => (v === null ? '–' : v.toFixed(2));
  const share = (v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  cli.segments.forEach((s, i) => {
    const r = rows[i];
    assert.equal(r[0], s.segment);
    assert.deepEqual([num(r[2]), r[3], r[4], r[5], r[6], r[7], r[8]],
      [s.customers, share(s.customer_share), s.revenue.toFixed(2), share(s.revenue_share),
        two(s.avg_recency), two(s.avg_frequency), two(s.avg_monetary)], s.segment);
  });
  // the CSV download is every member, as `loupe run --csv` (M, a sum of fractional
  // amounts, may differ in its last bits between the wasm and the native build)
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const cells = (text) => text.replace(/^\uFEFF/, '').trim().split('\n').map((l) => l.split(','));
  const got = cells(fs.readFileSync(await csvDl.path(), 'utf8'));
  const wantCsv = cells(loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  assert.equal(got.length, cli.customers + 1);
  assert.equal(got.length, wantCsv.length);
  got.forEach((row, i) => {
    const w = wantCsv[i];
    assert.deepEqual([...row.slice(0, 4), ...row.slice(5)], [...w.slice(0, 4), ...w.slice(5)], `row ${i}`);
    if (i > 0) assert.ok(Math.abs(Number(row[4]) - Number(w[4])) < 1e-9, `row ${i}: M ${row[4]} vs ${w[4]}`);
  });
  // the member list filtered to one class, and its own download
  const seg = cli.segments.find((s) => s.customers > 0 && s.customers < cli.customers);
  await page.selectOption('[data-testid=rfm-member-segment]', seg.segment);
  const listed = await page.$$eval('[data-testid=rfm-members] tbody tr', (trs) => trs.map((tr) => tr.querySelector('td').textContent));
  const want = cli.members.filter((m) => m.segment === seg.segment).map((m) => m.user_id);
  assert.deepEqual(listed, want.slice(0, 100));
  const [segDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=rfm-download-members]')]);
  const segRows = fs.readFileSync(await segDl.path(), 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
  assert.equal(segRows.length, want.length + 1);
  assert.ok(segRows.slice(1).every((l) => l.split(',')[1] === seg.segment));
  await page.screenshot({ path: path.join(OUT, 'rfm.png'), fullPage: true });
  // in Chinese: the seeds' eight classes
  await page.click('[data-testid=lang]');
  const names = await page.$$eval('[data-testid=rfm-segments] tbody td.name', (td) => td.map((x) => x.textContent));
  assert.deepEqual(names, ['重要价值客户', '重要发展客户', '重要保持客户', '重要挽留客户',
    '一般价值客户', '一般发展客户', '一般保持客户', '一般挽留客户']);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'rfm-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('an A/B test of the sample equals `loupe run`', async () => {
  await freshSample();
  await tab('ab_test');
  await page.waitForSelector('[data-testid=ab-table]');
  // the sample's variant column and purchase event are preselected
  assert.equal(await page.$eval('[data-testid=variant]', (e) => e.value), 'variant');
  assert.equal(await page.$eval('[data-testid=conversion-0]', (e) => e.value), 'purchase');
  // the checkout experiment: exposed at begin_checkout, converting with a purchase, revenue on
  await page.selectOption('[data-testid=exposure]', 'begin_checkout');
  await page.selectOption('[data-testid=conversion-0]', 'add_to_cart');
  await page.selectOption('[data-testid=conversion-0]', 'purchase');
  await page.check('[data-testid=revenue]');
  await runAndWait();
  const spec = linkedSpec();
  assert.deepEqual([spec.analysis, spec.variant, spec.exposure_event, spec.conversion],
    ['ab_test', 'variant', 'begin_checkout', [{ event: 'purchase' }]]);
  assert.deepEqual(spec.revenue, { purchase_event: 'purchase', amount: 'revenue' });
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  assert.deepEqual(cli.variants.map((v) => v.value), ['control', 'treatment']);
  assert.ok(cli.variants[1].significant && cli.variants[1].rate > cli.variants[0].rate,
    'treatment converts more often in the sample');
  const pct = (v) => `${(v * 100).toFixed(2)}%`;
  const signed = (v) => `${v >= 0 ? '+' : '-'}${(Math.abs(v) * 100).toFixed(2)}%`;
  // Rust's `{:.2e}` and JavaScript's toExponential(2) agree for p < 1 (1.17e-7)
  const p = (v) => (v === null ? '–' : v < 0.0001 ? v.toExponential(2) : v.toFixed(4));
  const rows = await page.$$eval('[data-testid=ab-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.variants.length);
  cli.variants.forEach((v, k) => {
    const r = rows[k];
    assert.ok(r[0].startsWith(v.value), `${r[0]} is ${v.value}`);
    assert.deepEqual([num(r[1]), num(r[2])], [v.users, v.conversions], v.value);
    assert.equal(r[3], pct(v.rate));
    assert.equal(r[4], `${pct(v.rate_ci[0])} – ${pct(v.rate_ci[1])}`);
    assert.equal(r[5], v.lift === null ? '–' : signed(v.lift));
    assert.equal(r[9], v.revenue.mean.toFixed(2));
    if (k > 0) {
      assert.equal(r[6], `${signed(v.lift_ci[0])} – ${signed(v.lift_ci[1])}`);
      assert.equal(r[7], p(v.p_value), 'p-value');
      assert.equal(r[8], v.significant ? 'yes' : 'no');
      assert.equal(r[10], p(v.revenue.p_value), 'revenue p-value');
    }
  });
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assertCsvClose(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'ab-test.png'), fullPage: true });
  // in Chinese: the seeds' terms
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=ab-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual([head[0], head[3], head[5], head[7]], ['实验组', '转化率', '提升', 'p 值']);
  assert.equal(await page.textContent('[data-tab=ab_test]'), 'AB 测试');
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'ab-test-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('channels of the sample (last touch, an activation event, D1 and D7, a cost) equal `loupe run`', async () => {
  await freshSample();
  await tab('channels');
  await page.waitForSelector('[data-testid=channels-table]');
  // preselected from the sample's names
  assert.equal(await page.$eval('[data-testid=channel]', (e) => e.value), 'channel');
  assert.equal(await page.$eval('[data-testid=purchase-event]', (e) => e.value), 'purchase');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.selectOption('[data-testid=attribution]', 'last_touch');
  await page.click('[data-testid=add-activation]');
  await page.selectOption('[data-testid=activation-0]', 'view_item');
  await page.fill('[data-testid=retention-days]', '1, 7');
  await page.press('[data-testid=retention-days]', 'Enter');
  await page.fill('[data-testid=costs]', 'channel\tcost\ndouyin\t20,000\n');
  await runAndWait();
  const spec = {
    analysis: 'channels', channel: 'channel', attribution: 'last_touch', activation: ['view_item'],
    retention_days: [1, 7], timezone: 'UTC', costs: [{ channel: 'douyin', cost: 20000 }],
  };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=channels-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const all = [...cli.rows, { ...cli.total, channel: 'Total' }];
  assert.equal(rows.length, all.length);
  assert.ok(cli.rows.length >= 5 && cli.total.new_users > 0);
  const pctOf = (v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  const money = (v) => (v === null ? '–' : (Math.round(v * 100) / 100).toFixed(2));
  all.forEach((m, i) => {
    const r = rows[i];
    assert.equal(r[0], m.channel);
    assert.equal(num(r[1]), m.new_users, `${m.channel} new users`);
    assert.deepEqual([r[2], r[3], r[4]], [pctOf(m.activation.rate), pctOf(m.retention[0].rate), pctOf(m.retention[1].rate)], m.channel);
    assert.equal(num(r[5]), m.paying_users, `${m.channel} paying`);
    assert.deepEqual([7, 8, 10].map((k) => r[k].replace(/,/g, '')), [money(m.revenue), money(m.arpu), money(m.cost)], m.channel);
  });
  assert.ok(cli.rows.some((r) => r.cost === 20000 && r.roi !== null), 'the costed channel has an ROI');
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'channels.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=channels-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(1, 5), ['新增用户', '激活率', '次日留存', '7日留存']);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'channels-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('a portrait of the sample (new users, binned revenue, cross-tab by platform) equals `loupe run`', async () => {
  await freshSample();
  await tab('portrait');
  // preselected from the sample's names: country, then platform
  assert.equal(await page.$eval('[data-testid=property-0]', (e) => e.value), 'country');
  assert.equal(await page.$eval('[data-testid=property-1]', (e) => e.value), 'platform');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.selectOption('[data-testid=portrait-users]', 'new');
  await page.selectOption('[data-testid=property-1]', 'revenue');
  await page.fill('[data-testid=edges-1]', '10, 50, 100');
  await page.press('[data-testid=edges-1]', 'Enter');
  await page.selectOption('[data-testid=portrait-breakdown]', 'platform');
  await runAndWait();
  const spec = {
    analysis: 'portrait', users: 'new', timezone: 'UTC',
    properties: [{ property: 'country' }, { property: 'revenue', edges: [10, 50, 100] }],
    breakdown: { property: 'platform' },
  };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  assert.ok(cli.total > 0 && cli.breakdown_labels.length >= 2);
  for (const [i, c] of cli.properties.entries()) {
    const rows = await page.$$eval(`[data-testid=portrait-table-${i}] tbody tr`, (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows.length, c.categories.length, c.property);
    c.categories.forEach((x, k) => {
      assert.equal(rows[k][0], x.label);
      assert.equal(num(rows[k][1]), x.users, `${c.property} ${x.label}`);
      assert.deepEqual(rows[k].slice(3).map(num), x.by, `${c.property} ${x.label} by platform`);
    });
  }
  assert.deepEqual(cli.properties[1].categories.map((x) => x.label).slice(0, 4), ['< 10', '[10, 50)', '[50, 100)', '≥ 100']);
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'portrait.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  assert.match(await page.textContent('[data-testid=portrait-total]'), /统计用户数/);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.click('[data-testid=lang]');
});

test('the sample opens on the AARRR overview, and its numbers (2-day activation, D1 and D7, weekly) equal `loupe run`', async () => {
  pageLoaded = false;
  await page.goto(origin + '/', { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  pageLoaded = true;
  await page.click('[data-testid=sample]');
  // the sample has a channel and a purchase event: AARRR is the first page
  await page.waitForSelector('[data-testid=aarrr-table]', { timeout: 60_000 });
  // preselected from the sample's names
  assert.equal(await page.$eval('[data-testid=channel]', (e) => e.value), 'channel');
  assert.equal(await page.$eval('[data-testid=purchase-event]', (e) => e.value), 'purchase');
  assert.equal(await page.$eval('[data-testid=activation-0]', (e) => e.value), 'signup');
  assert.equal(await page.$eval('[data-testid=referral-event]', (e) => e.value), 'share_item');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.fill('[data-testid=activation-days]', '2');
  await page.press('[data-testid=activation-days]', 'Enter');
  await page.fill('[data-testid=retention-days]', '1, 7');
  await page.press('[data-testid=retention-days]', 'Enter');
  await page.selectOption('[data-testid=interval]', 'week');
  await runAndWait();
  const spec = {
    analysis: 'aarrr', channel: 'channel', activation: ['signup'], activation_days: 2,
    retention_days: [1, 7], referral_event: 'share_item', interval: 'week', timezone: 'UTC',
  };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=aarrr-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.metrics.length);
  assert.deepEqual(cli.metrics.map((m) => m.key), ['new_users', 'activation_rate', 'd1_retention', 'd7_retention',
    'paying_rate', 'arpu', 'arppu', 'referral_users', 'referral_rate', 'referral_events']);
  const shown = (key, v) => {
    if (v === null) return '–';
    if (key.endsWith('_rate') || key.endsWith('_retention')) return `${(v * 100).toFixed(1)}%`;
    if (key.startsWith('arp')) return (Math.round(v * 100) / 100).toFixed(2);
    return String(Math.round(v));
  };
  cli.metrics.forEach((m, i) => {
    assert.deepEqual([rows[i][2], rows[i][3]].map((x) => x.replace(/,/g, '')), [shown(m.key, m.current), shown(m.key, m.previous)], m.key);
    assert.equal(rows[i][5], m.relative_change === null ? '–' : `${(m.relative_change * 100).toFixed(1)}%`, m.key);
  });
  assert.ok(cli.metrics[0].current > 0 && cli.metrics[0].previous > 0);
  const channels = await page.$$eval('[data-testid=aarrr-channels] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(channels.map(([c, a, b]) => [c, num(a), num(b)]), cli.channels.map((c) => [c.channel, c.current, c.previous]));
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'aarrr.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=aarrr-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head, ['阶段', '指标', '本期', '上期', '变化', '环比']);
  const names = await page.$$eval('[data-testid=aarrr-table] tbody tr td:nth-child(2)', (td) => td.map((x) => x.textContent));
  assert.deepEqual(names.slice(0, 3), ['新增用户', '激活率', '次日留存']);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'aarrr-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('an Amplitude export zip and a GBK CSV load and their overviews equal `loupe inspect`', async () => {
  // the events of events.csv as Amplitude lines (user_id, else device_id on every fifth
  // event), in two gzipped entries of a zip (stored), as the Export API sends them
  const [, ...rows] = fs.readFileSync(csvPath, 'utf8').trim().split('\n');
  const lines = [];
  rows.forEach((row, i) => {
    const [user, event, ts, platform, country, channel, revenue] = row.split(',');
    const time = Date.parse(ts);
    if (!user || Number.isNaN(time) || revenue === undefined) return;
    const eventTime = new Date(time).toISOString().replace('T', ' ').replace('Z', '000');
    const anon = i % 5 === 0;
    lines.push(JSON.stringify({ event_type: event, user_id: anon ? null : user, device_id: anon ? user : `d-${user}`,
      event_time: eventTime, $insert_id: `a${i}`, platform, country, user_properties: { channel },
      event_properties: revenue ? { revenue: Number(revenue) } : {} }));
  });
  const half = lines.length >> 1;
  const entries = [['p/0.json.gz', lines.slice(0, half)], ['p/1.json.gz', lines.slice(half)]]
    .map(([name, part]) => [Buffer.from(name), zlib.gzipSync(part.join('\n') + '\n')]);
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  const zipPath = path.join(OUT, 'amplitude.zip');
  fs.writeFileSync(zipPath, Buffer.concat([...locals, dir, end]));
  // a Chinese Excel export: Chinese headers and event names, in GBK (encoded by Python)
  const gbkPath = path.join(OUT, 'events-gbk.csv');
  const zh = ['用户ID,事件名称,时间,平台', ...rows.slice(0, 2000).map((r) => {
    const [user, event, ts, platform] = r.split(',');
    return `${user},事件${event},${ts},${platform}`;
  })].join('\n') + '\n';
  execFileSync('python3', ['-c', 'import sys; open(sys.argv[1], "wb").write(sys.stdin.read().encode("gbk"))', gbkPath],
    { input: zh });
  for (const [file, format, container, shape, encoding] of [
    [zipPath, 'ndjson', 'zip+gzip', 'amplitude', 'UTF-8'],
    [gbkPath, 'csv', '', null, 'GBK'],
  ]) {
    const cli = JSON.parse(loupe('inspect', file, '--json'));
    assert.deepEqual([cli.format, cli.container, cli.shape, cli.encoding], [format, container, shape, encoding]);
    assert.equal(cli.rows_in, cli.imported + cli.duplicates + cli.rejected);
    await loadCsv(file);
    await tab('overview');
    const text = async (id) => page.textContent(`[data-testid=${id}]`);
    for (const [id, key] of [['rows-in', 'rows_in'], ['imported', 'imported'], ['duplicates', 'duplicates'],
      ['rejected', 'rejected'], ['users', 'users']]) {
      assert.equal(num(await text(id)), cli[key], `${file} ${id}`);
    }
    assert.ok((await text('read-as')).includes(encoding), await text('read-as'));
    const events = await page.$$eval('[data-testid=event-table] tbody tr', (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    assert.deepEqual(events.map(([n, e, u]) => [n, num(e), num(u)]), cli.event_names.map((e) => [e.name, e.events, e.users]));
  }
});

test('page-view event sets, purchase filters and a planned split reach the engine', async () => {
  const downloadCsv = async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
    return fs.readFileSync(await dl.path(), 'utf8').replace(/^\uFEFF/, '');
  };
  await freshSample();
  // sessions: page views are two chosen events
  await tab('sessions');
  await page.waitForSelector('[data-testid=sessions-pages]');
  await page.selectOption('[data-testid=page-event]', 'view_item');
  await page.selectOption('[data-testid=page-event]', 'search');
  await runAndWait();
  let spec = linkedSpec();
  assert.deepEqual(spec.page_events, ['view_item', 'search']);
  const sessions = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const anyPage = JSON.parse(loupe('run', '--spec', JSON.stringify({ ...spec, page_events: [] }), '@sample'));
  assert.ok(sessions.totals.page_views < anyPage.totals.page_views, 'fewer page views than with any page event');
  assert.equal(num(await page.textContent('[data-testid=sessions-pv]')), sessions.totals.page_views);
  await page.click('[aria-label="view_item: Remove"]');
  await runAndWait();
  assert.deepEqual(linkedSpec().page_events, ['search']);
  // RFM: purchases of at least 50 only
  await tab('rfm');
  await page.waitForSelector('[data-testid=purchase-filter-add]');
  await page.click('[data-testid=purchase-filter-add]');
  await page.selectOption('[data-testid=purchase-filter-0-property]', 'revenue');
  await page.selectOption('[data-testid=purchase-filter-0-op]', 'gte');
  await page.fill('[data-testid=purchase-filter-0-value]', '50');
  await page.press('[data-testid=purchase-filter-0-value]', 'Tab');
  await runAndWait();
  spec = linkedSpec();
  assert.deepEqual(spec.purchase_filters, [{ property: 'revenue', op: 'gte', value: 50 }]);
  const rfm = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const all = JSON.parse(loupe('run', '--spec', JSON.stringify({ ...spec, purchase_filters: [] }), '@sample'));
  assert.ok(rfm.customers > 0 && rfm.customers < all.customers, `${rfm.customers} of ${all.customers} customers`);
  assert.equal(await downloadCsv(), loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  // A/B test: a planned 1 : 3 split changes the sample-ratio check only
  await tab('ab_test');
  await page.waitForSelector('[data-testid=ab-table]');
  await page.check('[data-testid=custom-split]');
  await page.fill('[data-testid=split-1]', '3');
  await page.press('[data-testid=split-1]', 'Tab');
  await runAndWait();
  spec = linkedSpec();
  const [first, second] = [await page.textContent('label[for=split-0]'), await page.textContent('label[for=split-1]')];
  assert.deepEqual(spec.expected_split, { [first]: 1, [second]: 3 });
  const ab = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const equal = JSON.parse(loupe('run', '--spec', JSON.stringify({ ...spec, expected_split: undefined }), '@sample'));
  assert.notEqual(ab.srm.p_value, equal.srm.p_value);
  assertCsvClose(await downloadCsv(), loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
});

test('the JavaScript module in a plain page (examples/embed.html): files, buffers, URLs, errors, cancelling', async () => {
  // the repository root: /examples/embed.html imports /target/pkg/loupe.js (`make pkg`)
  loupe('sample', '--users', '250000', '--seed', '3', '--out', bigPath);
  const site = await serve(ROOT);
  const host = `http://127.0.0.1:${site.address().port}`;
  const embed = await page.context().newPage();
  embed.on('pageerror', (e) => console.error('embed page error:', e));
  try {
    await embed.goto(host + '/examples/embed.html', { waitUntil: 'load' });
    // the example's own controls: a file, the default funnel spec, Run
    await embed.setInputFiles('#file', csvPath);
    await embed.waitForFunction(() => document.getElementById('summary').textContent.startsWith('events.csv'));
    const inspected = JSON.parse(loupe('inspect', '--json', csvPath));
    const summary = await embed.textContent('#summary');
    assert.ok(summary.startsWith(`events.csv: ${inspected.events} events of ${inspected.users} users, ${inspected.rejected} rows rejected`), summary);
    await embed.click('#run');
    await embed.waitForFunction(() => document.getElementById('out').dataset.ms !== undefined);
    const spec = JSON.parse(await embed.inputValue('#spec'));
    // `loupe run` prints the result with the run's warnings and resolved range beside it
    const cliRun = (s, file) => {
      const { warnings, date_range_resolved: range, ...result } = JSON.parse(loupe('run', '--spec', JSON.stringify(s), file));
      return { result, warnings, range };
    };
    assert.deepEqual(JSON.parse(await embed.textContent('#out')), cliRun(spec, csvPath).result);

    // the API itself: an ArrayBuffer, a URL, the sample; a bad spec; cancel; free
    const got = await embed.evaluate(async () => {
      const { load, loadSample, sql, LoupeError } = await import('/target/pkg/loupe.js');
      const out = {};
      const trend = { analysis: 'trends', interval: 'week', series: [{ event: 'purchase', measure: 'users' }] };
      out.sql = await sql(trend, { dialect: 'clickhouse', from: 'ev' });
      out.noSql = await sql({ analysis: 'trends', compare: true }).catch((e) => [e.code, e.key]);
      const csv = 'user_id,event,timestamp\nu1,signup,2025-01-01T08:00:00Z\nu2,signup,2025-01-02T08:00:00Z\n,signup,2025-01-02T09:00:00Z\n';
      const buffer = await load(new TextEncoder().encode(csv).buffer);
      out.buffer = [buffer.overview.events, buffer.overview.users, buffer.report.rejected];
      try {
        await buffer.run({ analysis: 'retention', periods: 0 });
      } catch (e) {
        out.bad = [e instanceof LoupeError, e instanceof Error, e.code, e.field, e.message];
      }
      buffer.free();
      out.freed = await buffer.run({ analysis: 'trends' }).catch((e) => e.code);
      const progress = [];
      const byUrl = await load('/target/e2e/events.csv', { onProgress: (p) => progress.push(p) });
      out.url = [byUrl.name, byUrl.overview.events, progress.length > 0, progress.every((p) => p.bytes <= p.totalBytes)];
      byUrl.free();
      out.missing = await load('/target/e2e/no-such-file.csv').catch((e) => [e.code, e.message]);
      const controller = new AbortController();
      out.cancelled = await load('/target/e2e/big.csv', {
        signal: controller.signal, onProgress: () => controller.abort(),
      }).then(() => 'loaded', (e) => `${e.code}: ${e.message}`);
      const sample = await loadSample();
      const { result, warnings, range, ms } = await sample.run({ analysis: 'retention', period: 'week', periods: 4 });
      out.sample = { result, warnings, range, timed: ms >= 0 };
      sample.free();
      return out;
    });
    // the CLI ends its output with a newline
    assert.equal(`${got.sql}\n`, loupe('sql', '--dialect', 'clickhouse', '--from', 'ev', '--spec',
      JSON.stringify({ analysis: 'trends', interval: 'week', series: [{ event: 'purchase', measure: 'users' }] })));
    assert.deepEqual(got.noSql, ['spec', 'sql_unsupported']);
    assert.deepEqual(got.buffer, [2, 2, 1]);
    assert.deepEqual(got.bad, [true, true, 'spec', 'periods', 'invalid spec: periods: must be between 1 and 400, got 0']);
    assert.equal(got.freed, 'no_data');
    assert.deepEqual(got.url, ['events.csv', inspected.events, true, true]);
    assert.deepEqual(got.missing, ['io', '/target/e2e/no-such-file.csv: HTTP 404 Not Found']);
    assert.equal(got.cancelled, 'cancelled: the load was cancelled');
    assert.deepEqual(got.sample, { ...cliRun({ analysis: 'retention', period: 'week', periods: 4 }, '@sample'), timed: true });
  } finally {
    await embed.close();
    site.close();
    fs.rmSync(bigPath, { force: true });
  }
});

test('paths of the sample after view_home equal `loupe run`', async () => {
  await freshSample();
  await tab('paths');
  await page.waitForSelector('[data-testid=paths-nodes]');
  await page.selectOption('[data-testid=paths-mode]', 'start');
  await page.selectOption('[data-testid=paths-event]', 'view_home');
  await page.fill('[data-testid=paths-steps]', '4');
  await page.press('[data-testid=paths-steps]', 'Tab');
  await page.fill('[data-testid=paths-top]', '3');
  await page.press('[data-testid=paths-top]', 'Tab');
  await page.click('[data-testid=paths-collapse]');
  await runAndWait();
  const spec = linkedSpec();
  assert.deepEqual([spec.analysis, spec.start_event, spec.steps, spec.top, spec.collapse_repeats],
    ['paths', 'view_home', 4, 3, false]);
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  // collapsing repeats gives other nodes: the option really reached the engine
  const collapsed = JSON.parse(loupe('run', '--spec', JSON.stringify({ ...spec, collapse_repeats: true }), '@sample'));
  assert.notDeepEqual(cli.nodes, collapsed.nodes);
  assert.equal(num(await page.textContent('[data-testid=paths-count]')), cli.paths);
  assert.equal(num(await page.textContent('[data-testid=paths-users]')), cli.users);
  const cells = (id) => page.$$eval(`[data-testid=${id}] tbody tr`, (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const nodes = await cells('paths-nodes');
  assert.equal(nodes.length, cli.nodes.length);
  assert.ok(cli.nodes.some((n) => n.other), 'an (other) node');
  cli.nodes.forEach((n, k) => {
    const [step, label, paths, users, , drop] = nodes[k];
    assert.deepEqual([num(step), label, num(paths), num(users)], [n.step, n.label, n.paths, n.users]);
    if (n.step < cli.steps) assert.equal(num(drop), n.drop_off, n.label);
  });
  // the links and the top paths, and the CSV download of each view
  for (const view of ['links', 'top_paths']) {
    await page.selectOption('[data-testid=paths-view]', view);
    await runAndWait();
    const rows = await cells(view === 'links' ? 'paths-links' : 'paths-top');
    if (view === 'links') {
      assert.equal(rows.length, cli.links.length);
      cli.links.forEach((l, k) => {
        const [from, to] = [cli.nodes[l.from], cli.nodes[l.to]];
        assert.deepEqual([num(rows[k][0]), rows[k][1], rows[k][2], num(rows[k][3])],
          [from.step, from.label, to.label, l.paths]);
      });
    } else {
      assert.equal(rows.length, cli.top_paths.length);
      cli.top_paths.forEach((p, k) => assert.deepEqual([rows[k][1], num(rows[k][3])], [p.labels.join(' → '), p.paths]));
    }
    const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
    const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
    assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(linkedSpec()), '@sample'));
  }
  await page.screenshot({ path: path.join(OUT, 'paths.png'), fullPage: true });
  // the seeds' terms in Chinese
  await page.selectOption('[data-testid=paths-view]', 'nodes');
  await runAndWait();
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=paths-nodes] thead th', (th) => th.map((x) => x.textContent));
  assert.ok(head.includes('流失'), head.join(' '));
  const labels = await page.$$eval('[data-testid=paths-nodes] tbody td.name', (td) => td.map((x) => x.textContent));
  assert.ok(labels.includes('其他'));
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'paths-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('weekly user stages of the sample equal `loupe run`, and a transition cell lists its users', async () => {
  await freshSample();
  await tab('stages');
  await page.waitForSelector('[data-testid=stages-table]');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.fill('[data-testid=silent-days]', '5');
  await page.press('[data-testid=silent-days]', 'Tab');
  await runAndWait();
  const spec = { analysis: 'stages', interval: 'week', silent_days: 5, timezone: 'UTC' };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=stages-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.buckets.length);
  const stages = ['new', 'active', 'silent', 'churned', 'returned'];
  assert.ok(stages.every((s) => cli[s].some((v) => v > 0)), 'every stage occurs');
  cli.buckets.forEach((b, i) => {
    assert.equal(rows[i][0], b);
    assert.equal(rows[i][1], cli.evaluated_on[i]);
    assert.deepEqual(rows[i].slice(2, 8).map(num), [...stages.map((s) => cli[s][i]), cli.seen[i]], b);
  });
  // the transition table (first week → last week): row 0 is "not yet seen"
  const cells = await page.$$eval('[data-testid=stages-transitions] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(cells.map((r) => r.map(num)), cli.transitions.counts);
  // unseen → churned: its users are listed and downloaded
  await page.click('[data-testid=stages-cell-0-3]');
  await runAndWait();
  const withCell = { ...spec, members: { from: 'unseen', to: 'churned' } };
  const listed = await page.$$eval('[data-testid=stages-members] li', (li) => li.map((x) => x.textContent));
  assert.equal(listed.length, Math.min(200, cli.transitions.counts[0][3]));
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(withCell), '@sample'));
  assert.equal(downloaded.split('\n').filter((l) => l.startsWith('member,')).length, cli.transitions.counts[0][3]);
  await page.screenshot({ path: path.join(OUT, 'stages.png'), fullPage: true });
  // in Chinese: the seeds' terms
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=stages-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(2, 7), ['新增用户', '活跃用户', '沉默用户', '流失用户', '回流用户']);
  assert.equal(await page.textContent('[data-tab=stages]'), '用户阶段');
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'stages-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('weekly user health tiers of the sample equal `loupe run`', async () => {
  await freshSample();
  await tab('health');
  await page.waitForSelector('[data-testid=health-table]');
  await page.selectOption('[data-testid=interval]', 'week');
  await page.selectOption('[data-testid=timezone]', 'UTC');
  await page.fill('[data-testid=tier-1-frequency]', '2');
  await page.press('[data-testid=tier-1-frequency]', 'Tab');
  await runAndWait();
  const d = { core: [3, 8], active: [7, 2], casual: [14, 1], at_risk: [29, 1] };
  const tiers = Object.fromEntries(Object.entries(d).map(([k, [r, f]]) =>
    [k, { max_recency_days: r, min_frequency: f, min_value: 0 }]));
  const spec = { analysis: 'health', interval: 'week', tiers, timezone: 'UTC' };
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  const rows = await page.$$eval('[data-testid=health-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.buckets.length);
  assert.ok(cli.sizes.every((s) => s.some((v) => v > 0)), 'every tier occurs');
  cli.buckets.forEach((b, i) => {
    assert.equal(rows[i][0], b);
    assert.deepEqual(rows[i].slice(2, 8).map(num), [...cli.sizes.map((s) => s[i]), cli.seen[i]], b);
  });
  const cells = await page.$$eval('[data-testid=health-transitions] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(cells.map((r) => r.map(num)), cli.transitions.counts);
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'health.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  const head = await page.$$eval('[data-testid=health-table] thead th', (th) => th.map((x) => x.textContent));
  assert.deepEqual(head.slice(2, 7), ['核心用户', '活跃用户', '一般用户', '流失风险用户', '沉睡用户']);
  assert.equal(await page.textContent('[data-tab=health]'), '用户健康度');
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
  await page.screenshot({ path: path.join(OUT, 'health-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
});

test('Copy as SQL on the trends tab copies the query of `loupe sql` for the same spec, or says why there is none', async () => {
  await tab('trends');
  await page.waitForSelector('[data-testid=timing]');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.selectOption('#sql-dialect', 'clickhouse');
  await page.click('[data-testid=copy-sql]');
  await page.waitForFunction(() => document.querySelector('[data-testid=copy-sql]').textContent === 'SQL copied');
  assert.equal(await page.textContent('[data-testid=announce]'), 'SQL copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  // the spec on screen is the one in the page's address
  const spec = decodeURIComponent(new URL(page.url()).hash.slice('#spec='.length));
  assert.ok(JSON.parse(spec).analysis === 'trends', spec);
  assert.equal(copied + '\n', loupe('sql', '--spec', spec, '--dialect', 'clickhouse'));
  assert.match(copied, /^-- Loupe trends \(clickhouse\)/);
  // a funnel in source-order ties needs the table's file-order column: the reason is said,
  // nothing copied
  await tab('funnel');
  await page.waitForSelector('[data-testid=timing]');
  await page.click('[data-testid=copy-sql]');
  await page.waitForFunction(() => document.querySelector('[data-testid=announce]').textContent.includes('--order-col'));
  const said = await page.textContent('[data-testid=announce]');
  assert.match(said, /\(ties\).*file order.*--order-col/, said);
  assert.equal(await page.textContent('[data-testid=copy-sql]'), 'Copy as SQL');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), copied);
});

test('weekly revenue of the sample by platform (top 2, other) equals `loupe run`', async () => {
  await freshSample();
  await tab('revenue');
  await page.waitForSelector('[data-testid=revenue-table]');
  await page.selectOption('[data-testid=interval]', 'week');
  await breakDownBy('platform', 2);
  await runAndWait();
  await page.waitForSelector('[data-testid=revenue-0-table]');
  const spec = linkedSpec();
  assert.deepEqual([spec.breakdown.properties[0].property, spec.breakdown.limit], ['platform', 2]);
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  assert.deepEqual(cli.breakdowns.map((b) => b.value).slice(2), ['(other)']);
  const money = (v) => (v === null ? '–' : (Math.round(v * 100) / 100).toFixed(2));
  for (const [k, b] of cli.breakdowns.entries()) {
    const rows = await page.$$eval(`[data-testid=revenue-${k}-table] tbody tr`, (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const all = [...b.intervals.map((m, i) => ({ label: cli.intervals[i].label, ...m })), { label: 'Total', ...b.total }];
    assert.equal(rows.length, all.length, b.value);
    all.forEach((m, i) => {
      const r = rows[i];
      const at = `${b.value} ${m.label}`;
      assert.equal(r[0], m.label);
      assert.equal(r[1].replace(/,/g, ''), money(m.revenue), `${at} revenue`);
      assert.deepEqual([2, 5, 6, 10].map((n) => num(r[n])),
        [m.purchases, m.paying_users, m.active_users, m.new_users], at);
      assert.deepEqual([8, 9].map((n) => r[n].replace(/,/g, '')), [money(m.arpu), money(m.arppu)], at);
    });
  }
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  await page.screenshot({ path: path.join(OUT, 'revenue-breakdown.png'), fullPage: true });
});

test('a Parquet file written by DuckDB loads to the same overview as its CSV', async () => {
  // tests/e2e/fixtures/sample.parquet: `loupe sample --users 200 --days 14 --seed 7` written
  // by DuckDB (scripts/parquet_fixture.py): typed UTC timestamps, nulls, 2 row groups
  const parquetPath = path.join(ROOT, 'tests/e2e/fixtures/sample.parquet');
  const samplePath = path.join(OUT, 'parquet-sample.csv');
  loupe('sample', '--users', '200', '--days', '14', '--seed', '7', '--out', samplePath);
  const fromCsv = JSON.parse(loupe('inspect', samplePath, '--json'));
  const cli = JSON.parse(loupe('inspect', parquetPath, '--json'));
  assert.equal(cli.format, 'parquet');
  for (const key of ['rows_in', 'imported', 'duplicates', 'rejected', 'users', 'events', 'first_event', 'last_event']) {
    assert.deepEqual(cli[key], fromCsv[key], key);
  }
  assert.deepEqual(cli.event_names, fromCsv.event_names);
  await loadCsv(parquetPath);
  await tab('overview');
  const text = async (id) => page.textContent(`[data-testid=${id}]`);
  for (const [id, key] of [['rows-in', 'rows_in'], ['imported', 'imported'], ['duplicates', 'duplicates'],
    ['rejected', 'rejected'], ['users', 'users']]) {
    assert.equal(num(await text(id)), fromCsv[key], `parquet ${id}`);
  }
  const events = await page.$$eval('[data-testid=event-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
  assert.deepEqual(events.map(([n, e, u]) => [n, num(e), num(u)]), fromCsv.event_names.map((e) => [e.name, e.events, e.users]));
});

test('the mapping step reloads with another event column, and a file without a header opens it', async () => {
  const mapped = path.join(OUT, 'mapping.csv');
  loupe('sample', '--users', '150', '--seed', '5', '--out', mapped);
  await loadCsv(mapped);
  await toOverview();
  await page.click('[data-testid=open-mapping]');
  await page.waitForSelector('[data-testid=map-columns]');
  const role = (col) => page.$eval(`[data-testid=map-columns] tr[data-column="${col}"] select`, (s) => s.value);
  assert.equal(await role('event'), 'event');
  assert.equal(await role('user_id'), 'user');
  assert.deepEqual(await axeViolations(page), [], 'mapping panel (en)');
  // the page column as the event: rows without a page are rejected for want of an event
  await page.selectOption('[data-testid=map-columns] tr[data-column="page"] select', 'event');
  await page.waitForFunction(() => document.querySelector('[data-testid=mapping]')?.dataset.busy === 'false'
    && document.querySelector('[data-testid=map-columns] tr[data-column="page"] select')?.value === 'event'
    && document.querySelector('[data-testid=map-columns] tr[data-column="event"] select')?.value === 'property');
  await page.click('[data-testid=map-reload]');
  await page.waitForSelector('[data-testid=mapping]', { state: 'detached', timeout: 60_000 });
  await toOverview();
  const cli = JSON.parse(loupe('inspect', '--json', '--event-col', 'page', mapped));
  const text = async (id) => num(await page.textContent(`[data-testid=${id}]`));
  assert.equal(await text('imported'), cli.imported);
  assert.equal(await text('rejected'), cli.rejected);
  assert.equal(await text('users'), cli.users);
  assert.ok(cli.rejected > 0 && cli.imported > 0, 'the page column is empty on some events');
  const names = await page.$$eval('[data-testid=event-table] tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(names, cli.event_names.map((e) => e.name));

  // the same rows without their header line: the panel opens by itself
  const headerless = path.join(OUT, 'headerless.csv');
  fs.writeFileSync(headerless, fs.readFileSync(mapped, 'utf8').split('\n').slice(1).join('\n'));
  await page.setInputFiles('[data-testid=file-input]', headerless);
  await page.waitForSelector('[data-testid=map-no-header]', { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid=dataset-name]'), 'mapping.csv', 'the dataset on screen stays');
  await page.click('[data-testid=lang]');
  await page.waitForSelector('[data-testid=map-columns]');
  assert.deepEqual(await axeViolations(page), [], 'mapping panel (zh)');
  await page.screenshot({ path: path.join(OUT, 'mapping-zh.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  const pick = async (col, r) => {
    await page.selectOption(`[data-testid=map-columns] tr[data-column="${col}"] select`, r);
    await page.waitForFunction(([c, v]) => document.querySelector('[data-testid=mapping]')?.dataset.busy === 'false'
      && document.querySelector(`[data-testid=map-columns] tr[data-column="${c}"] select`)?.value === v, [col, r]);
  };
  await pick('column_1', 'user');
  await pick('column_2', 'event');
  await pick('column_3', 'time');
  await page.screenshot({ path: path.join(OUT, 'mapping.png'), fullPage: true });
  await page.click('[data-testid=map-reload]');
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset-name]')?.textContent === 'headerless.csv', null, { timeout: 60_000 });
  await toOverview();
  const plain = JSON.parse(loupe('inspect', '--json', mapped));
  const cli2 = JSON.parse(loupe('inspect', '--json', '--user-col', 'column_1', '--event-col', 'column_2', '--time-col', 'column_3', headerless));
  assert.equal(cli2.imported, plain.imported);
  assert.equal(await text('imported'), cli2.imported);
  assert.equal(await text('users'), plain.users);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
});

test('a remembered mapping loads the same header with it after a page reload; Forget removes it', async () => {
  const file = path.join(OUT, 'remember.csv');
  loupe('sample', '--users', '120', '--seed', '9', '--out', file);
  await loadCsv(file);
  await toOverview();
  await page.click('[data-testid=open-mapping]');
  await page.waitForSelector('[data-testid=map-columns]');
  const pick = async (col, r) => {
    await page.selectOption(`[data-testid=map-columns] tr[data-column="${col}"] select`, r);
    await page.waitForFunction(([c, v]) => document.querySelector('[data-testid=mapping]')?.dataset.busy === 'false'
      && document.querySelector(`[data-testid=map-columns] tr[data-column="${c}"] select`)?.value === v, [col, r]);
  };
  // the page column as the event, and the country column not imported at all
  await pick('page', 'event');
  await pick('country', 'ignore');
  await page.check('[data-testid=map-remember]');
  await page.click('[data-testid=map-reload]');
  await page.waitForSelector('[data-testid=mapping]', { state: 'detached', timeout: 60_000 });
  const mapped = JSON.parse(loupe('inspect', '--json', '--event-col', 'page', '--ignore-col', 'country', file));
  const plain = JSON.parse(loupe('inspect', '--json', file));
  assert.ok(mapped.rejected > plain.rejected, 'rows without a page have no event');
  const propNames = (o) => o.properties.map((p) => p.name);
  assert.ok(!propNames(mapped).includes('country') && propNames(plain).includes('country'));
  const text = async (id) => num(await page.textContent(`[data-testid=${id}]`));
  const shown = async () => ({
    imported: await text('imported'),
    rejected: await text('rejected'),
    users: await text('users'),
    events: await page.$$eval('[data-testid=event-table] tbody tr td:first-child', (tds) => tds.map((t) => t.textContent)),
    props: await page.$$eval('.overview h3 + table.grid:not([data-testid]) tbody td.name', (tds) => tds.map((t) => t.textContent)),
  });
  const expected = (o) => ({
    imported: o.imported, rejected: o.rejected, users: o.users,
    events: o.event_names.map((e) => e.name), props: propNames(o),
  });

  // a new page: the same header loads with the remembered mapping, and says so
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  await loadCsv(file);
  await toOverview();
  await page.waitForSelector('[data-testid=map-reused]');
  assert.deepEqual(await shown(), expected(mapped));

  // Forget removes it: the next page reads the file with the detected columns
  await page.click('[data-testid=map-forget]');
  await page.waitForSelector('[data-testid=map-reused]', { state: 'detached' });
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('loupe.mapping.')));
  assert.deepEqual(stored, []);
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('[data-testid=dropzone]');
  await loadCsv(file);
  await toOverview();
  assert.equal(await page.$('[data-testid=map-reused]'), null);
  assert.deepEqual(await shown(), expected(plain));
});

test('cohort LTV of the sample by platform equals `loupe run`', async () => {
  await freshSample();
  await tab('ltv');
  await page.waitForSelector('[data-testid=ltv-table]');
  await breakDownBy('platform', 2);
  await runAndWait();
  await page.waitForSelector('[data-testid=ltv-breakdown-table]');
  const spec = linkedSpec();
  assert.deepEqual([spec.breakdown.properties[0].property, spec.breakdown.limit], ['platform', 2]);
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  assert.deepEqual(cli.breakdowns.map((b) => b.value).slice(2), ['(other)']);
  assert.equal(cli.breakdowns.reduce((s, b) => s + b.members, 0), cli.members, 'values add up');
  const rows = await page.$$eval('[data-testid=ltv-breakdown-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, cli.breakdowns.length);
  cli.breakdowns.forEach((b, i) => {
    const r = rows[i];
    assert.deepEqual([r[0], num(r[1]), num(r[2])], [b.value, b.members, b.paying]);
    b.average.forEach((a, k) => (a.ltv === null
      ? assert.equal(r[3 + k], '', `${b.value} age ${k}`)
      : assert.ok(Math.abs(num(r[3 + k]) - a.ltv) <= 0.0051, `${b.value} age ${k}: page ${r[3 + k]}, cli ${a.ltv}`)));
  });
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assert.equal(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  assert.ok(downloaded.startsWith('breakdown,cohort,'));
  await page.screenshot({ path: path.join(OUT, 'ltv-breakdown.png'), fullPage: true });
});

test('an A/B test of the sample segmented by platform (top 2, other) equals `loupe run`', async () => {
  await freshSample();
  await tab('ab_test');
  await page.waitForSelector('[data-testid=ab-table]');
  await breakDownBy('platform', 2);
  await runAndWait();
  await page.waitForSelector('[data-testid=ab-breakdown-table]');
  const spec = linkedSpec();
  assert.deepEqual([spec.analysis, spec.breakdown.properties[0].property, spec.breakdown.limit], ['ab_test', 'platform', 2]);
  const cli = JSON.parse(loupe('run', '--spec', JSON.stringify(spec), '@sample'));
  assert.deepEqual(cli.segments.map((g) => g.value).slice(2), ['(other)']);
  const pct = (v) => `${(v * 100).toFixed(2)}%`;
  const signed = (v) => `${v >= 0 ? '+' : '-'}${(Math.abs(v) * 100).toFixed(2)}%`;
  const p = (v) => (v === null ? '–' : v < 0.0001 ? v.toExponential(2) : v.toFixed(4));
  const rows = await page.$$eval('[data-testid=ab-breakdown-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const want = cli.segments.flatMap((g) => g.variants.map((v) => [g.value, v]));
  assert.equal(rows.length, want.length);
  want.forEach(([value, v], k) => {
    const r = rows[k];
    const at = `${value} ${v.value}`;
    assert.equal(r[0], value);
    assert.ok(r[1].startsWith(v.value), `${r[1]} is ${v.value}`);
    assert.deepEqual([num(r[2]), num(r[3])], [v.users, v.conversions], at);
    assert.equal(r[4], pct(v.rate), at);
    assert.equal(r[5], `${pct(v.rate_ci[0])} – ${pct(v.rate_ci[1])}`, at);
    assert.equal(r[6], v.lift === null ? '–' : signed(v.lift), at);
    assert.equal(r[8], p(v.p_value), `${at} p-value`);
  });
  // the segments add up to the whole test per variant
  for (const v of cli.variants) {
    const users = cli.segments.flatMap((g) => g.variants).filter((x) => x.value === v.value)
      .reduce((a, x) => a + x.users, 0);
    assert.equal(users, v.users, v.value);
  }
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  const downloaded = fs.readFileSync(await csvDl.path(), 'utf8').replace(/^\uFEFF/, '');
  assertCsvClose(downloaded, loupe('run', '--csv', '--spec', JSON.stringify(spec), '@sample'));
  assert.ok(downloaded.startsWith('breakdown,variant,'), 'a leading breakdown column');
  await page.screenshot({ path: path.join(OUT, 'ab-test-breakdown.png'), fullPage: true });
});

test('two files: the overview lists each with its counts, and the mapping step sets each file apart', async () => {
  const a = path.join(OUT, 'files-a.csv');
  const b = path.join(OUT, 'files-b.csv');
  loupe('sample', '--users', '80', '--days', '7', '--seed', '4', '--out', a);
  loupe('sample', '--users', '60', '--days', '7', '--seed', '5', '--out', b);
  // b has a `note` column a lacks
  const lines = fs.readFileSync(b, 'utf8').split('\n');
  fs.writeFileSync(b, lines.map((l, i) => (l === '' ? l : `${l},${i === 0 ? 'note' : `n${i}`}`)).join('\n'));
  const cliA = JSON.parse(loupe('inspect', '--json', a));
  const cliB = JSON.parse(loupe('inspect', '--json', b));
  const both = JSON.parse(loupe('inspect', '--json', a, b));
  assert.deepEqual(both.files.map((f) => [path.basename(f.name), f.rows_in, f.imported, f.rejected]),
    [['files-a.csv', cliA.rows_in, cliA.imported, cliA.rejected], ['files-b.csv', cliB.rows_in, cliB.imported, cliB.rejected]]);
  await page.setInputFiles('[data-testid=file-input]', [a, b]);
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset-name]')?.textContent === 'files-a.csv + files-b.csv',
    null, { timeout: 120_000 });
  await toOverview();
  const fileRows = async () => page.$$eval('[data-testid=dataset-files] tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const expected = [[cliA, 'files-a.csv'], [cliB, 'files-b.csv']].map(([c, n]) =>
    [n, 'csv · UTF-8', c.rows_in, c.imported, c.duplicates, c.rejected]);
  const shownRows = async () => (await fileRows()).map(([n, how, ...counts]) => [n, how, ...counts.map(num)]);
  assert.deepEqual(await shownRows(), expected);
  const propNames = async () => page.$$eval('.overview h3 + table.grid:not([data-testid]) tbody td.name', (tds) => tds.map((t) => t.textContent));
  assert.ok((await propNames()).includes('note'));

  // the mapping step shows a's columns, then b's; b's note and country are not imported
  await page.click('[data-testid=open-mapping]');
  await page.waitForSelector('[data-testid=map-columns]');
  assert.equal(await page.inputValue('[data-testid=map-file]'), '0');
  assert.equal(await page.$('[data-testid=map-columns] tr[data-column="note"]'), null, 'a has no note column');
  await page.selectOption('[data-testid=map-file]', '1');
  await page.waitForSelector('[data-testid=map-columns] tr[data-column="note"]');
  const pick = async (col, r) => {
    await page.selectOption(`[data-testid=map-columns] tr[data-column="${col}"] select`, r);
    await page.waitForFunction(([c, v]) => document.querySelector('[data-testid=mapping]')?.dataset.busy === 'false'
      && document.querySelector(`[data-testid=map-columns] tr[data-column="${c}"] select`)?.value === v, [col, r]);
  };
  await pick('note', 'ignore');
  await pick('country', 'ignore');
  // back on a: its country is still a property
  await page.selectOption('[data-testid=map-file]', '0');
  await page.waitForFunction(() => document.querySelector('[data-testid=mapping]')?.dataset.busy === 'false'
    && document.querySelector('[data-testid=map-columns] tr[data-column="country"] select')?.value === 'property'
    && !document.querySelector('[data-testid=map-columns] tr[data-column="note"]'));
  assert.deepEqual(await axeViolations(page), [], 'mapping panel with a file selector');
  await page.click('[data-testid=map-reload]');
  await page.waitForSelector('[data-testid=mapping]', { state: 'detached', timeout: 60_000 });
  await toOverview();
  const cliB2 = JSON.parse(loupe('inspect', '--json', '--ignore-col', 'note', '--ignore-col', 'country', b));
  assert.ok(!cliB2.properties.some((p) => p.name === 'country'));
  // the properties are a's (country included: a keeps it), b's note is gone
  assert.deepEqual(await propNames(), cliA.properties.map((p) => p.name));
  assert.deepEqual(await shownRows(), expected);
  assert.deepEqual(missingKeys, [], 'UI strings without a translation');
});
