// Runs bench/bench.html in headless Chromium against the built site: loads a CSV into the
// engine worker through a real <input type=file> and times the load and the reference
// analyses (worker-side times, median of --runs). Then loads the same file through the
// app's own page and measures how the page behaves meanwhile: the longest main-thread task
// (PerformanceObserver "longtask", tasks over 50 ms; 0 when there was none) and the longest
// wait between two moves of the progress bar. Prints one JSON line per file.
//   node bench/browser.mjs --dist dist FILE.csv [FILE2.csv ...] [--runs 5]
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../tests/e2e/serve.mjs';

const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(k); if (i < 0) return d; const v = args[i + 1]; args.splice(i, 2); return v; };
const dist = path.resolve(opt('--dist', 'dist'));
const runs = Number(opt('--runs', '5'));
const files = args.map((f) => path.resolve(f));
fs.copyFileSync(path.join(import.meta.dirname, 'bench.html'), path.join(dist, 'bench.html'));
const server = await serve(dist);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
// Loads `file` through the app's file input; returns the page-side figures of that load.
async function appLoad(file) {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  await page.waitForSelector('[data-testid=file-input]', { state: 'attached' });
  await page.evaluate(() => {
    const w = (window.loupeBench = { tasks: [], moves: [], start: performance.now() });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.tasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: false });
    let last = null;
    new MutationObserver(() => {
      const fill = document.querySelector('[data-testid=progress] .fill');
      const width = fill?.style.width ?? null;
      if (width !== null && width !== last) { last = width; w.moves.push(performance.now()); }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['style'] });
  });
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('[data-testid=dataset-name]', { timeout: 600_000 });
  const r = await page.evaluate(() => {
    const w = window.loupeBench;
    const gaps = w.moves.slice(1).map((t, i) => t - w.moves[i]);
    return {
      load_ms: performance.now() - w.start,
      longest_task_ms: Math.max(0, ...w.tasks),
      tasks_over_50ms: w.tasks.length,
      progress_moves: w.moves.length,
      max_progress_gap_ms: Math.max(0, ...gaps),
    };
  });
  await page.close();
  return r;
}

try {
  for (const file of files) {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/bench.html`);
    await page.setInputFiles('#file', file);
    const out = await page.evaluate((n) => window.runBench(n), runs);
    await page.close();
    const app = await appLoad(file);
    console.log(JSON.stringify({ engine: 'loupe-wasm', file: path.basename(file), ...out, app }));
  }
} finally {
  await browser.close();
  server.close();
  fs.rmSync(path.join(dist, 'bench.html'));
}
