// Runs bench/bench.html in headless Chromium against the built site: loads a CSV into the
// engine worker through a real <input type=file> and times the load and the reference
// analyses (worker-side times, median of --runs). Prints one JSON line per file.
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
try {
  for (const file of files) {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/bench.html`);
    await page.setInputFiles('#file', file);
    const out = await page.evaluate((n) => window.runBench(n), runs);
    console.log(JSON.stringify({ engine: 'loupe-wasm', file: path.basename(file), ...out }));
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
  fs.rmSync(path.join(dist, 'bench.html'));
}
