// The pictures of the widget's forms in docs/img/ (README, "Put it on a
// portal"): each form on a portal page, after one visit and one ballot.
//
//   TALLY_BIN=target/release/tally node tests/browser/gallery.mjs

import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, STANDARD_POLL, cleanup, eventually, putPoll, repo, startPortal, startTally, textOf,
} from './harness.mjs';

const img = path.join(repo, 'docs', 'img');

async function main() {
  const portal = await startPortal();
  const tally = await startTally({ allowedOrigins: [portal.origin] });
  portal.state.tally = tally.origin;
  // The pictures show the poll without its challenge.
  await putPoll(tally, 'y-kien-cong', { ...STANDARD_POLL, challenge: 'off' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  fs.mkdirSync(img, { recursive: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${portal.origin}/cac-dang?poll=y-kien-cong`);
    await eventually('every form drawn', async () => {
      const text = await textOf(page.locator('#views'));
      return { ok: /\d/.test(text) && (await page.locator('#themed form').count()) === 1, detail: text };
    });
    for (const id of ['table', 'rows', 'line', 'views', 'poll', 'dark', 'themed']) {
      await page.locator(`#${id}`).screenshot({ path: path.join(img, `widget-${id}.png`) });
    }
    // The results, as a voter sees them after voting.
    const poll = page.locator('#poll [data-tally-poll]');
    await poll.locator('label', { hasText: 'Rất tốt' }).click();
    await poll.locator('button[type=submit]').click();
    await poll.locator('li').first().waitFor();
    await page.locator('#poll').screenshot({ path: path.join(img, 'widget-results.png') });
    console.log(`pictures in ${path.relative(repo, img)}/`);
  } finally {
    await browser.close();
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
