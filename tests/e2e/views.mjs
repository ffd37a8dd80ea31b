// Every view of the app, for the checks that walk them all: the accessibility test in
// app.test.mjs and `make screenshots` (scripts/screenshots.mjs). A view is a tab (the
// overview and every analysis the registry lists) in one language; the tabs are read from
// the page, so a new analysis is walked without a change here.
import path from 'node:path';

const AXE = path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

// Waits until the tab's content has settled: the overview's cards, or an analysis's result
// (or its error) that is not being recomputed.
export async function settle(page, name) {
  if (name === 'overview') {
    await page.waitForSelector('[data-testid=users]');
    return;
  }
  if (name === 'board') {
    // every card has its chart or its error
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=board-card]')]
      .every((c) => c.querySelector('canvas, .error')), null, { timeout: 60_000 });
    return;
  }
  await page.waitForFunction(() => {
    const results = document.querySelector('.results');
    const done = document.querySelector('[data-testid=timing]') || document.querySelector('[data-testid=run-error]');
    return done && results && results.getAttribute('aria-busy') === 'false';
  }, null, { timeout: 60_000 });
}

// The tab names in page order.
export async function tabs(page) {
  return page.$$eval('[data-tab]', (els) => els.map((e) => e.dataset.tab));
}

// Calls `fn(name)` on every tab, in order, after it has settled.
export async function eachView(page, fn) {
  for (const name of await tabs(page)) {
    await page.click(`[data-tab=${name}]`);
    await settle(page, name);
    await fn(name);
  }
}

// axe-core's serious and critical violations on the page as it is now, as short texts.
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ path: AXE });
  }
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`);
}
