// The editors' console on a desktop (clicks) and on a phone (390×844,
// taps), in Vietnamese: a poll its editor gave an opening date (past) and a
// closing date (ahead), closed with "Đóng bình chọn" and reopened with "Mở
// lại", keeps both dates, on its console page and in the public API; the
// embed code its page gives ("Mã nhúng"), copied with its button and
// pasted into a portal page on another origin with the stylesheet line,
// shows that poll there, takes a visitor's ballot and shows it in the
// results, without scrolling sideways on a phone.
//
//   TALLY_BIN=target/debug/tally node tests/browser/console-embed.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import { phone } from './console.mjs';
import {
  CHROMIUM, CHROMIUM_ARGS, cleanups, getJson, newContext, putPoll, resultRows, runSuite, scenario, sideways,
  startPortal, startTally, textOf, waitForText, watched,
} from './harness.mjs';

const ZONE = 'Asia/Ho_Chi_Minh';
const desktop = { viewport: { width: 1280, height: 900 } };
const MINUTE = 60_000;

/** The parts of `at` in the site's zone. */
function zoned(at) {
  return Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at).map((x) => [x.type, x.value]));
}

/** `at` as typed in a `datetime-local` field, to the minute. */
const typed = (at) => { const p = zoned(at); return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`; };
/** `at` as the console's page writes it. */
const shown = (at) => { const p = zoned(at); return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`; };

/** The status and dates the poll's console page shows, as written. */
async function pageDates(page) {
  const text = await textOf(page.locator('#live > p').first());
  const date = (word) => new RegExp(`${word} (\\d\\d:\\d\\d \\d\\d/\\d\\d/\\d{4})`).exec(text)?.[1] ?? null;
  return { text, opens: date('Mở'), closes: date('Đóng') };
}

/** What the public API says of poll `id`: its status and its dates in ms. */
async function publicDates(tally, id) {
  const p = await getJson(`${tally.origin}/v1/polls/${id}`);
  const ms = (t) => (t == null ? null : Date.parse(t));
  return { status: p.status, opens: ms(p.opens_at), closes: ms(p.closes_at) };
}

export async function consoleEmbedScenarios(browser) {
  const portal = await startPortal();
  const tally = await startTally({ allowedOrigins: [portal.origin], publicUrl: true });
  portal.state.tally = tally.origin;
  const pastedPage = `${portal.origin}/dan-ma`;

  const devices = [
    { on: 'console', options: desktop, press: (l) => l.click(), slug: 'may-tinh' },
    { on: 'console on a phone', options: phone, press: (l) => l.tap(), slug: 'dien-thoai' },
  ];
  for (const { on, options, press, slug } of devices) {
    let signedIn;
    // The editor, signed in once whichever scenario runs first; the
    // clipboard may be written and read, as a browser lets a page the
    // editor uses.
    const editor = () => {
      signedIn ??= (async () => {
        const context = await newContext(browser, `Editor (${slug})`, {
          ...options, permissions: ['clipboard-read', 'clipboard-write'],
        });
        const page = await context.newPage();
        await page.goto(`${tally.ops}/admin/`);
        await page.waitForURL(/\/admin\/sign-in$/);
        await page.locator('#token').fill(tally.adminToken);
        await press(page.locator('button[type=submit]', { hasText: 'Đăng nhập' }));
        await page.locator('h1', { hasText: 'Tổng quan' }).waitFor();
        return page;
      })();
      return signedIn;
    };

    await scenario(`${on}: close, then reopen keeps both dates the editor set`, async () => {
      const page = await editor();
      const id = `lich-${slug}`;
      const pollPage = `${tally.ops}/admin/console/polls/${id}`;
      // To the minute, as the form takes them: opened two days ago, closing
      // in twenty.
      const opens = Math.floor((Date.now() - 2 * 86_400_000) / MINUTE) * MINUTE;
      const closes = Math.floor((Date.now() + 20 * 86_400_000) / MINUTE) * MINUTE;
      await page.goto(`${tally.ops}/admin/console/new-poll`);
      await page.locator('#id').fill(id);
      await page.locator('#question').fill('Bạn có hài lòng với thời gian giải quyết hồ sơ?');
      await page.locator('#option-0').fill('Hài lòng');
      await page.locator('#option-1').fill('Chưa hài lòng');
      await page.locator('#opens_at').fill(typed(opens));
      await page.locator('#closes_at').fill(typed(closes));
      await press(page.locator('.actions button', { hasText: 'Xuất bản' }));
      await page.waitForURL(`${pollPage}?done=published`);
      const set = { opens: shown(opens), closes: shown(closes) };

      const published = await pageDates(page);
      assert.match(published.text, /^Đang mở /);
      assert.deepEqual({ opens: published.opens, closes: published.closes }, set, 'the page shows the dates set');
      assert.deepEqual(await publicDates(tally, id), { status: 'open', opens, closes }, 'the API has them');

      const before = Date.now();
      await press(page.locator('button', { hasText: 'Đóng bình chọn' }));
      await page.waitForURL(`${pollPage}?done=closed`);
      const after = Date.now();
      await waitForText(page.locator('p.notice'), 'Đã đóng bình chọn. Ngày giờ đã hẹn được giữ lại cho lần mở lại.');
      const closed = await pageDates(page);
      assert.match(closed.text, /^Đã đóng /);
      assert.equal(closed.opens, set.opens, 'closed: the page keeps the opening date');
      // It closed when closed; the planned end is set aside.
      assert.ok([shown(before), shown(after)].includes(closed.closes), `closed: the page says it closed now: ${closed.text}`);
      const api = await publicDates(tally, id);
      assert.equal(api.status, 'closed');
      assert.equal(api.opens, opens, 'closed: the API keeps the opening date');
      assert.ok(api.closes >= before - 1000 && api.closes <= after + 1000, `closed: closes_at is the close: ${new Date(api.closes).toISOString()}`);

      await press(page.locator('button', { hasText: 'Mở lại' }));
      await page.waitForURL(`${pollPage}?done=reopened`);
      await waitForText(page.locator('p.notice'), 'Đã mở lại bình chọn.');
      const reopened = await pageDates(page);
      assert.match(reopened.text, /^Đang mở /);
      assert.deepEqual({ opens: reopened.opens, closes: reopened.closes }, set,
        `reopened: the page shows the editor's dates again: ${reopened.text}`);
      assert.deepEqual(await publicDates(tally, id), { status: 'open', opens, closes },
        'reopened: the API has the editor\'s dates again');
    });

    await scenario(`${on}: the embed code pasted into a portal page shows that poll`, async () => {
      const page = await editor();
      const id = `nhung-${slug}`;
      const labels = ['Hỏi đáp trực tuyến', 'Lịch tiếp công dân', 'Bản đồ hành chính'];
      const question = 'Cổng thông tin nên có thêm mục nào?';
      await putPoll(tally, id, { question, options: labels.map((label, i) => ({ id: `muc-${i + 1}`, label })) });
      await page.goto(`${tally.ops}/admin/console/polls/${id}`);
      // Taken as the editor takes it: the copy button, then the clipboard.
      const code = await textOf(page.locator('#embed-code'));
      await press(page.locator('button[data-copy]', { hasText: 'Sao chép mã nhúng' }));
      await waitForText(page.locator('[data-copied]'), 'Đã sao chép.');
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(copied.replace(/\s+/g, ' ').trim(), code, 'the clipboard holds the code shown');
      assert.match(copied, new RegExp(`data-tally-poll="${id}"`));
      const css = (await page.locator('#embed-css').textContent()).trim();
      if (on !== 'console') assert.ok(await sideways(page) <= 0, 'the poll\'s page scrolls sideways');
      // The webmaster puts the page's address where the console says.
      assert.ok(copied.includes('DIA-CHI-TRANG-NAY'));
      portal.state.pasted = { html: copied.replace('DIA-CHI-TRANG-NAY', encodeURIComponent(pastedPage)), css };
      // Its link, for a visitor without JavaScript, leads to the poll.
      const fallback = /<a href="([^"]+)"/.exec(portal.state.pasted.html)[1];
      const noScript = await fetch(fallback);
      assert.equal(noScript.status, 200, fallback);
      assert.ok((await noScript.text()).includes(question), `${fallback} shows the poll`);

      const visitor = await newContext(browser, `Reader (${slug})`, options);
      const v = await visitor.newPage();
      await v.goto(pastedPage, { waitUntil: 'load' });
      const poll = v.locator(`[data-tally-poll="${id}"]`);
      await poll.locator('form').waitFor();
      assert.equal(await poll.locator('legend').innerText(), question);
      assert.deepEqual(await poll.locator('label').allInnerTexts(), labels);
      // The stylesheet line keeps the place of this very poll.
      const reserved = /min-height: (\d+px)/.exec(css)[1];
      assert.equal(await poll.evaluate((el) => getComputedStyle(el).minHeight), reserved, 'the CSS line applies');
      if (on !== 'console') {
        const overflow = await sideways(v);
        assert.ok(overflow <= 0, `the portal page scrolls sideways by ${overflow}px at 390px`);
      }
      await press(poll.locator('label', { hasText: labels[1] }));
      await press(poll.locator('button', { hasText: 'Gửi bình chọn' }));
      await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
      assert.deepEqual(await resultRows(poll), [
        `${labels[0]} 0,0% (0 phiếu)`, `${labels[1]} 100,0% (1 phiếu)`, `${labels[2]} 0,0% (0 phiếu)`,
      ]);
      const results = await getJson(`${tally.origin}/v1/polls/${id}/results`);
      assert.deepEqual(results.options.map((o) => o.votes), [0, 1, 0], 'tally counted the ballot');
      if (on !== 'console') assert.ok(await sideways(v) <= 0, 'the results scroll sideways');
    });
  }

  await scenario('console: no uncaught error or CSP violation on the pasted code\'s pages', async () => {
    const mine = watched.filter((w) => w.label.startsWith(tally.ops) || w.label.startsWith(portal.origin));
    const problems = [...new Set(mine.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300))))];
    assert.deepEqual(problems, []);
    console.log(`      ${mine.length} pages watched`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('console: dates and embed code', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await consoleEmbedScenarios(browser);
  });
}
