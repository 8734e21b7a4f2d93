// The console's charts as an editor reads them, on a 390×844 phone and at
// 1366×768: a year of a previous counter's history is imported (preview,
// then confirm), then for the 30-day and the 365-day chart of the history
// page: the columns span at least 95 % of the chart's width, no two visible
// labels' boxes overlap, no chart text is under 12 px; the Vietnamese page
// has no English label, and its numbers are grouped the Vietnamese way.
//
//   TALLY_BIN=target/debug/tally node tests/browser/charts.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, cleanups, newContext, runSuite, scenario, shots, startTally, waitForText, watched,
} from './harness.mjs';

const sizes = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  desktop: { viewport: { width: 1366, height: 768 } },
};

/** `yyyy-mm-dd` of `days` days before yesterday (UTC: never after the site's today). */
function dayBefore(days) {
  const d = new Date(Date.now() - (days + 1) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** A year and a bit of days, 4 000 to 5 999 visits each. */
function history() {
  const lines = ['Ngày;Lượt truy cập'];
  for (let i = 400; i >= 0; i--) lines.push(`${dayBefore(i)};${4000 + ((i * 7919) % 2000)}`);
  return `${lines.join('\n')}\n`;
}

/** What a chart draws, measured in the page: span, labels, text sizes. */
async function measure(chart) {
  return chart.evaluate((svg) => {
    const box = svg.getBoundingClientRect();
    const bars = [...svg.querySelectorAll('rect.bar')].map((r) => r.getBoundingClientRect());
    const left = Math.min(...bars.map((b) => b.left));
    const right = Math.max(...bars.map((b) => b.right));
    const texts = [...svg.querySelectorAll('text')]
      .filter((t) => t.textContent.trim() && getComputedStyle(t).visibility !== 'hidden' && getComputedStyle(t).display !== 'none')
      .map((t) => {
        const r = t.getBoundingClientRect();
        // Its size on screen: its font size as any scaling of the SVG draws it.
        const px = parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1);
        return { text: t.textContent, px, box: { left: r.left, right: r.right, top: r.top, bottom: r.bottom } };
      });
    const overlaps = [];
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const [a, b] = [texts[i].box, texts[j].box];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
          overlaps.push(`${texts[i].text} × ${texts[j].text}`);
        }
      }
    }
    const outside = texts.filter((t) => t.box.left < box.left - 0.5 || t.box.right > box.right + 0.5).map((t) => t.text);
    return {
      bars: bars.length,
      span: (right - left) / box.width,
      smallest: Math.min(...texts.map((t) => t.px)),
      texts: texts.map((t) => t.text),
      overlaps,
      outside,
    };
  });
}

export async function chartScenarios(browser) {
  const tally = await startTally();
  const found = {};

  await scenario('console: charts — a year of history imported after its preview', async () => {
    const context = await newContext(browser, 'Chart editor', sizes.desktop);
    const page = await context.newPage();
    await page.goto(`${tally.ops}/admin/sign-in`);
    await page.locator('#token').fill(tally.adminToken);
    await page.locator('button[type=submit]', { hasText: 'Đăng nhập' }).click();
    await page.waitForURL(`${tally.ops}/admin/`);
    await page.goto(`${tally.ops}/admin/console/import`);
    await page.locator('#csv').fill(history());
    await page.locator('button[type=submit]', { hasText: 'Xem trước' }).click();
    await page.locator('#preview').waitFor();
    assert.match(await page.locator('#preview dl').innerText(), /401/);
    await page.locator('button[type=submit]', { hasText: 'Xác nhận nhập' }).click();
    await page.locator('p.notice[role=status]', { hasText: 'Đã nhập.' }).waitFor();
    found.cookies = await context.cookies();
  });

  for (const [size, options] of Object.entries(sizes)) {
    await scenario(`console: charts on a ${size} span their width, keep labels apart and text at 12 px or more`, async () => {
      assert.ok(found.cookies, 'signed in and imported');
      const context = await newContext(browser, `Chart reader ${size}`, options);
      await context.addCookies(found.cookies);
      const page = await context.newPage();
      await page.goto(`${tally.ops}/admin/console/history`);
      const charts = {
        '30 days': page.locator('svg.chart[aria-describedby=span-sum]'),
        '365 days': page.locator('svg.chart[aria-describedby=year-sum]'),
      };
      const lines = [];
      for (const [name, chart] of Object.entries(charts)) {
        const m = await measure(chart);
        lines.push(`${name}: ${m.bars} bars span ${(m.span * 100).toFixed(1)} %, smallest text ${m.smallest.toFixed(1)} px, ${m.texts.length} labels`);
        assert.equal(m.bars, name === '30 days' ? 30 : 365);
        assert.ok(m.span >= 0.95, `${name}: the bars span ${(m.span * 100).toFixed(1)} % of the chart`);
        assert.deepEqual(m.overlaps, [], `${name}: labels overlap`);
        assert.deepEqual(m.outside, [], `${name}: labels cut at the edge`);
        assert.ok(m.smallest >= 12, `${name}: text of ${m.smallest} px`);
        // The axis's values are grouped the Vietnamese way (2.000, not 2,000).
        assert.ok(m.texts.some((t) => /^\d{1,3}(\.\d{3})+$/.test(t)), `${name}: ${m.texts.join(' | ')}`);
        assert.ok(!m.texts.some((t) => /,\d{3}/.test(t)), `${name}: ${m.texts.join(' | ')}`);
      }
      console.log(`      ${size} ${options.viewport.width}×${options.viewport.height}: ${lines.join('; ')}`);
      // A phone's page widens to what overflows it: compare with the screen.
      const overflow = await page.evaluate((w) => document.documentElement.scrollWidth - w, options.viewport.width);
      assert.ok(overflow <= 0, `the history page scrolls sideways by ${overflow}px`);
      await page.screenshot({ path: path.join(shots, `console-history-${size}.png`), fullPage: true });
    });
  }

  await scenario('console: charts — the Vietnamese history page has no English label', async () => {
    const context = await newContext(browser, 'Chart reader vi', sizes.desktop);
    await context.addCookies(found.cookies);
    const page = await context.newPage();
    // What the page says in English, in its labels (not the data).
    const labels = 'main h1, main h2, main h3, main label, main summary, main caption, main th[scope=col], main dt, main button, main svg text, main .chart-sum, main .hint';
    const words = async (url) => {
      await page.goto(url);
      const texts = await page.locator(labels).allInnerTexts();
      const titles = await page.locator('main svg > title, main rect > title').allTextContents();
      return [...texts, ...titles].join(' ');
    };
    const english = new Set((await words(`${tally.ops}/admin/console/history?lang=en`)).match(/\b[A-Za-z]{3,}\b/g));
    for (const shared of ['CSV', 'Excel', 'tally']) english.delete(shared);
    const vietnamese = await words(`${tally.ops}/admin/console/history`);
    const seen = [...english].filter((w) => new RegExp(`(^|[^\\p{L}])${w}([^\\p{L}]|$)`, 'u').test(vietnamese));
    assert.deepEqual(seen, [], `English on the Vietnamese page: ${seen.join(', ')}`);
    assert.ok(!/\bmax\b/.test(vietnamese), 'no "max" label');
    console.log(`      ${english.size} English words of the English page, none on the Vietnamese one`);
  });
  await scenario('console: charts — a column\'s value is read with the keyboard, the chart one tab stop', async () => {
    const context = await newContext(browser, 'Chart keyboard', sizes.desktop);
    await context.addCookies(found.cookies);
    const page = await context.newPage();
    await page.goto(`${tally.ops}/admin/console/history`);
    const chart = page.locator('svg.chart[aria-describedby=span-sum]');
    const titles = await chart.locator('rect.bar > title').allTextContents();
    assert.equal(await chart.locator('[tabindex]').count(), 0, 'no column is a tab stop of its own');
    await chart.focus();
    const readout = page.locator('figure', { has: chart }).locator('.readout');
    await waitForText(readout, titles.at(-1));
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await waitForText(readout, titles.at(-3));
    await page.keyboard.press('Home');
    await waitForText(readout, titles[0]);
    assert.match(titles[0], /^\d\d\/\d\d: \d{1,3}(\.\d{3})*$/, titles[0]);
    assert.equal(await readout.getAttribute('aria-live'), 'polite');
  });

  await scenario('console: charts — no uncaught error or CSP violation on the chart pages', async () => {
    const mine = watched.filter((w) => w.label.startsWith(tally.ops));
    const problems = mine.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300)));
    assert.deepEqual(problems, []);
    assert.ok(mine.length >= 4, `${mine.length} pages watched`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('charts', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await chartScenarios(browser);
  });
}
