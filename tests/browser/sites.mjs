// One tally for a province: the province portal and two departments, each
// on its own origin, each page embedding the widget with its site
// (`data-site`). Each department's counter shows its own visits; the
// province's shows its own and both departments' (the roll-up, on top of
// its baseline); a department's page that names the other department is
// answered and not counted. Each department's poll page asks its own
// question under the same poll id, and its ballots are its own.
//
//   TALLY_BIN=target/debug/tally node tests/browser/sites.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, cleanups, counterRows, getJson, newContext, open, runSuite, scenario, startPortal,
  startTally, textOf, viNumber, waitForText, watched,
} from './harness.mjs';

const desktop = { viewport: { width: 1280, height: 900 } };
const TOTAL = 'Tổng lượt truy cập';

export async function siteScenarios(browser) {
  const [tinh, soYTe, soGd] = [await startPortal(), await startPortal(), await startPortal()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-sites-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sites.toml');
  fs.writeFileSync(file, [
    ['tinh', 'Cổng thông tin điện tử tỉnh', null, tinh],
    ['so-y-te', 'Sở Y tế', 'tinh', soYTe],
    ['so-gd', 'Sở Giáo dục và Đào tạo', 'tinh', soGd],
  ].map(([id, name, parent, portal]) => [
    '[[sites]]', `id = "${id}"`, `name = "${name}"`, ...(parent ? [`parent = "${parent}"`] : []),
    `origins = ["${portal.origin}"]`, '',
  ].join('\n')).join('\n'));
  const tally = await startTally({ env: { TALLY_SITES_FILE: file } });
  for (const [portal, site] of [[tinh, 'tinh'], [soYTe, 'so-y-te'], [soGd, 'so-gd']]) {
    Object.assign(portal.state, { tally: tally.origin, site });
  }
  const counter = (site) => getJson(`${tally.origin}/v1/counter?site=${site}`);
  /** A new visitor opens `portal`'s statistics page; what its box shows. */
  const visit = async (who, portal) => {
    const context = await newContext(browser, who, desktop);
    const { page, hits } = await open(context, `${portal.origin}/thong-ke`);
    const rows = await counterRows(page.locator('[data-tally="counter"]'));
    await context.close();
    assert.equal(hits.length, 1, `${who}: one hit for the page load`);
    return rows;
  };

  await scenario('sites: each department\'s page shows its own visits', async () => {
    const first = await visit('Y tế 1', soYTe);
    assert.equal(first[TOTAL], '1', 'the first visit to Sở Y tế');
    assert.equal((await visit('Giáo dục 1', soGd))[TOTAL], '1', 'the first visit to Sở Giáo dục');
    assert.equal((await visit('Giáo dục 2', soGd))[TOTAL], '2', 'a second visitor to Sở Giáo dục');
    assert.equal((await visit('Y tế 2', soYTe))[TOTAL], '2', 'Sở Y tế counts only its own');
  });

  await scenario('sites: the province page shows the roll-up', async () => {
    // The baseline (the province's previous counter), its own visitor and
    // the departments' four.
    const rows = await visit('Tỉnh 1', tinh);
    const c = await counter('tinh');
    assert.equal(c.total, 7_582_803 + 1 + 4, `the province's counter: ${JSON.stringify(c)}`);
    assert.equal(rows[TOTAL], viNumber(c.total), 'the box shows GET /v1/counter?site=tinh');
    assert.equal(rows['Hôm nay'], '5', 'today: its own visit and the departments\' four');
    assert.equal((await counter('so-y-te')).total, 2, 'a visit to the province is not the department\'s');
  });

  await scenario('sites: a page naming another site is answered, not counted', async () => {
    soGd.state.site = 'so-y-te';
    const rows = await visit('Nhầm trang', soGd);
    soGd.state.site = 'so-gd';
    assert.equal(rows[TOTAL], '2', 'Sở Y tế\'s counter, shown and not counted');
    assert.equal((await counter('so-y-te')).total, 2);
    assert.equal((await counter('so-gd')).total, 2);
    assert.equal((await counter('tinh')).total, 7_582_803 + 5);
  });

  await scenario('sites: each department\'s page shows its own poll, under the same id', async () => {
    const id = 'y-kien';
    const questions = { 'so-y-te': 'Bạn có hài lòng với dịch vụ y tế?', 'so-gd': 'Bạn có hài lòng với trường học?' };
    for (const [site, question] of Object.entries(questions)) {
      await getJson(`${tally.ops}/admin/polls/${id}?site=${site}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ question, options: [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }] }),
      });
    }
    /** A new visitor votes `label` on `portal`'s poll page, which asks its site's question. */
    const vote = async (who, portal, label) => {
      const context = await newContext(browser, who, desktop);
      const page = await context.newPage();
      await page.goto(`${portal.origin}/binh-chon?poll=${id}`, { waitUntil: 'load' });
      const poll = page.locator('[data-tally-poll]');
      await poll.locator('.tally-widget').waitFor();
      const question = questions[portal.state.site];
      assert.ok((await textOf(poll)).includes(question), `${who} sees ${portal.state.site}'s question`);
      await poll.locator('label', { hasText: label }).click();
      await poll.locator('button[type=submit]').click();
      await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
      await context.close();
    };
    await vote('Y tế 3', soYTe, 'Có');
    await vote('Giáo dục 3', soGd, 'Không');
    await vote('Giáo dục 4', soGd, 'Không');
    const votes = async (site) => Object.fromEntries((await getJson(`${tally.ops}/admin/polls/${id}?site=${site}`, {
      headers: { authorization: `Bearer ${tally.adminToken}` },
    })).results.options.map((o) => [o.id, o.votes]));
    assert.deepEqual(await votes('so-y-te'), { co: 1, khong: 0 }, 'Sở Y tế\'s ballots are its own');
    assert.deepEqual(await votes('so-gd'), { co: 0, khong: 2 }, 'Sở Giáo dục\'s ballots are its own');
  });

  await scenario('sites: no uncaught error or CSP violation on the sites\' pages', async () => {
    const origins = [tinh.origin, soYTe.origin, soGd.origin];
    const mine = watched.filter((w) => origins.some((o) => w.label.startsWith(o)));
    const problems = [...new Set(mine.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300))))];
    assert.deepEqual(problems, []);
    assert.ok(mine.length >= 6, `${mine.length} pages watched`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('sites: a province on one tally', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await siteScenarios(browser);
  });
}
