// The widget in a real browser. tally runs on one origin; a small portal
// server on another (same site, cross-origin, as a portal and its tally
// subdomain are) serves pages that embed the widget under a strict CSP.
// Then topologies.mjs puts the README's embed snippet on the portals' real
// topologies (behind the portal's proxy, on a subdomain, on another site)
// with two people who share an address and a User-Agent. widget-visitor.mjs
// covers what a visitor meets in the poll (language, results visibility,
// dates, live results, errors, retries), challenge.mjs ballots under the
// proof-of-work challenge at each level; pages.mjs the HTML pages without
// JavaScript; console.mjs the editors' console (console-phone.mjs on a
// phone; console-embed.mjs its dates through a close and a reopen, and its
// embed code pasted into a portal page, on both); sites.mjs a province of
// sites, each page naming its own, the province page showing the roll-up.
//
//   TALLY_BIN=target/release/tally node tests/browser/run.mjs
//
// TALLY_BROWSER_PART=widget or pages runs one of its two parts (see
// harness.mjs); TALLY_BROWSER_ONLY=<words> runs the scenarios named so.
//
// Prints one line per scenario and "N passed, N failed"; exits non-zero on
// any failure. Screenshots go to target/screenshots/.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, WIDGET_GZIP_LIMIT, axeCheck, cleanups, counterRows, enNumber, eventually,
  getJson, inPart, sideways, newContext, open, repo, resultRows, runSuite, scenario, shots, startPortal, startTally,
  textOf, viNumber, waitForText, watched,
} from './harness.mjs';
import { challenge } from './challenge.mjs';
import { chartScenarios } from './charts.mjs';
import { consoleScenarios } from './console.mjs';
import { consoleEmbedScenarios } from './console-embed.mjs';
import { consolePhoneScenarios } from './console-phone.mjs';
import { consoleWordScenarios } from './console-words.mjs';
import { pages } from './pages.mjs';
import { siteScenarios } from './sites.mjs';
import { layout } from './layout.mjs';
import { theme } from './theme.mjs';
import { topologies } from './topologies.mjs';
import { widgetVisitor } from './widget-visitor.mjs';

async function main() {
  inPart('widget');
  await scenario('(g) widget.js as served is at most 8 KiB gzipped', async () => {
    const size = zlib.gzipSync(fs.readFileSync(path.join(repo, 'assets', 'widget.min.js')), { level: 9 }).length;
    console.log(`      widget.js: ${size} bytes gzipped (limit ${WIDGET_GZIP_LIMIT})`);
    assert.ok(size <= WIDGET_GZIP_LIMIT, `widget.js is ${size} bytes gzipped, over ${WIDGET_GZIP_LIMIT}`);
  });

  const portal = await startPortal();
  const tally = await startTally({ allowedOrigins: [portal.origin] });
  portal.state.tally = tally.origin;
  const admin = (method, p, body) => getJson(`${tally.ops}/admin/${p}`, {
    method,
    headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const counter = (page) => getJson(`${tally.origin}/v1/counter${page ? `?page=${encodeURIComponent(page)}` : ''}`);
  const results = (id) => getJson(`${tally.origin}/v1/polls/${id}/results`);
  console.log(`      tally ${tally.origin}, portal ${portal.origin}`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close().catch(() => {}));
  fs.mkdirSync(shots, { recursive: true });

  const article = `${portal.origin}/tin-tuc/123`;
  const desktop = { viewport: { width: 1280, height: 900 } };
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

  // A stale second tab votes after the first has: its 409 is the point.
  const visitorA = await newContext(browser, 'A', desktop, [/status of 409/]);
  let tab1;
  let tab2;

  await scenario('(a) the counter shows the server\'s numbers in vi-VN format, one hit per page load', async () => {
    let first;
    ({ page: tab1, hits: first } = await open(visitorA, article));
    const rows = await counterRows(tab1.locator('[data-tally="counter"]'));
    const c = await counter('/tin-tuc/123');
    assert.deepEqual(rows, {
      'Đang truy cập': viNumber(c.online),
      'Hôm nay': viNumber(c.today),
      'Hôm qua': viNumber(c.yesterday),
      'Tuần này': viNumber(c.this_week),
      'Tháng này': viNumber(c.this_month),
      'Tổng lượt truy cập': viNumber(c.total),
    }, 'counter box differs from GET /v1/counter');
    assert.equal(rows['Tổng lượt truy cập'], '7.582.804', 'baseline 7582803 plus this first visit');
    assert.equal(await textOf(tab1.locator('[data-tally="views"]')), `Lượt xem ${c.page.views}`);
    assert.equal(c.page.views, 1, 'the article was viewed once');
    assert.deepEqual(first.map((b) => JSON.parse(b)), [{ page: '/tin-tuc/123' }], 'exactly one hit, naming the page');

    let opened;
    ({ page: tab2, hits: opened } = await open(visitorA, article));
    await tab2.locator('[data-tally-poll] form').waitFor();
    await counterRows(tab2.locator('[data-tally="counter"]'));
    assert.deepEqual(opened.map((b) => JSON.parse(b)), [{ page: '/tin-tuc/123' }], 'exactly one hit, naming the page');
    const again = await counter('/tin-tuc/123');
    assert.equal(again.total, c.total, 'a second page load in the same visit is not a new visit');
    assert.equal(again.page.views, 1, 'a second load in the visit is not a new page view');
  });

  await scenario('(b) a vote by keyboard shows the results with percentages', async () => {
    const poll = tab1.locator('[data-tally-poll="danh-gia-cong"]');
    await poll.locator('form').waitFor();
    assert.equal(await poll.locator('legend').innerText(), 'Bạn đánh giá như thế nào về cổng thông tin này?');
    assert.equal(await poll.locator('input[type=radio]').count(), 4, 'four radio buttons (max_choices 1)');
    assert.equal(await poll.locator('input[type=checkbox]').count(), 0);
    await poll.locator('button[type=submit]', { hasText: 'Gửi bình chọn' }).waitFor();
    await poll.locator('button', { hasText: 'Xem kết quả' }).waitFor();

    // Keyboard only: focus the first option, arrow to "Tốt", tab to submit.
    await poll.locator('input[value="rat-tot"]').focus();
    await tab1.keyboard.press('ArrowDown');
    assert.equal(await poll.locator('input:checked').getAttribute('value'), 'tot', 'ArrowDown selects the next option');
    await tab1.keyboard.press('Tab');
    assert.equal(await tab1.evaluate(() => document.activeElement.shadowRoot.activeElement.textContent), 'Gửi bình chọn', 'Tab reaches the submit button');
    await tab1.keyboard.press('Enter');

    const live = poll.locator('[aria-live="polite"]');
    await waitForText(live, 'Cảm ơn bạn đã tham gia bình chọn!');
    assert.deepEqual(await resultRows(poll), [
      'Rất tốt 0,0% (0 phiếu)', 'Tốt 100,0% (1 phiếu)', 'Bình thường 0,0% (0 phiếu)', 'Chưa tốt 0,0% (0 phiếu)',
    ]);
    assert.match(await textOf(poll), /Tổng số phiếu: 1/);
    assert.deepEqual(await poll.locator('.tw-total').allInnerTexts(), ['Tổng số phiếu: 1'], 'one choice each: votes are voters');
    assert.equal(await poll.locator('form').isVisible(), false, 'the form gives way to the results');
    assert.equal(await poll.locator('.tw-fill').first().evaluate((e) => e.style.width), '0%');
    assert.equal(await poll.locator('.tw-list li').nth(1).locator('.tw-fill').evaluate((e) => e.style.width), '100%');
    assert.ok(await tab1.evaluate(() => !!document.activeElement.shadowRoot.activeElement.closest('[aria-live]')),
      'focus moves to the message instead of being lost with the form');

    const r = await results('danh-gia-cong');
    assert.equal(r.total_votes, 1);
    assert.equal(r.options.find((o) => o.id === 'tot').votes, 1, 'the server counted "tot"');
  });

  await scenario('(c) a second attempt shows the already-voted message', async () => {
    // The stale tab still shows the form: its ballot is refused with 409.
    const poll2 = tab2.locator('[data-tally-poll]');
    await poll2.locator('label', { hasText: 'Bình thường' }).click();
    await poll2.locator('button', { hasText: 'Gửi bình chọn' }).click();
    await waitForText(poll2.locator('[aria-live]'), 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!');
    assert.ok((await resultRows(poll2)).includes('Tốt 100,0% (1 phiếu)'), 'the 409 carries the results');

    // A reload knows from GET /v1/polls/{id} and never offers the form.
    await tab1.reload({ waitUntil: 'load' });
    const poll = tab1.locator('[data-tally-poll]');
    await waitForText(poll, 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!');
    assert.match(await textOf(poll), /Tổng số phiếu: 1/);
    assert.equal(await poll.locator('form').isVisible(), false, 'no form for a visitor who voted');
    assert.equal(await poll.locator('.tw-mine .tw-lbl').textContent(), 'Tốt (lựa chọn của bạn)', 'the own choice is marked');
    assert.equal((await results('danh-gia-cong')).total_votes, 1, 'still one ballot');
    await tab1.screenshot({ path: path.join(shots, 'portal.png'), fullPage: true });
  });

  await scenario('(d) data-lang="en" renders English labels and numbers', async () => {
    const visitorB = await newContext(browser, 'B', { ...desktop, locale: 'en-US' });
    const { page, hits } = await open(visitorB, `${portal.origin}/en/news/123`);
    const rows = await counterRows(page.locator('[data-tally="counter"]'));
    const c = await counter();
    assert.deepEqual(Object.keys(rows), ['Online now', 'Today', 'Yesterday', 'This week', 'This month', 'Total visits']);
    assert.equal(rows['Total visits'], enNumber(c.total));
    assert.equal(rows['Total visits'], '7,582,805', 'a second visitor is a second visit');
    assert.equal(await textOf(page.locator('[data-tally="views"]')), 'Views 1');
    assert.deepEqual(hits.map((b) => JSON.parse(b)), [{ page: '/en/tin-tuc/123' }], 'the counter\'s data-page is the counted page');
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('button', { hasText: 'Submit vote' }).waitFor();
    await poll.locator('button', { hasText: 'See results' }).click();
    const live = poll.locator('[aria-live]');
    await waitForText(poll, 'Poll results');
    assert.ok((await resultRows(poll)).includes('Tốt 100.0% (1 vote)'), 'English decimal point');
    assert.equal(await poll.locator('form').isVisible(), true, 'the form stays while the results are only looked at');

    await poll.locator('label', { hasText: 'Rất tốt' }).click();
    await poll.locator('button', { hasText: 'Submit vote' }).click();
    await waitForText(live, 'Thank you for voting!');
    assert.deepEqual(await resultRows(poll), [
      'Rất tốt 50.0% (1 vote)', 'Tốt 50.0% (1 vote)', 'Bình thường 0.0% (0 votes)', 'Chưa tốt 0.0% (0 votes)',
    ]);
    assert.match(await textOf(poll), /Total votes: 2/);
  });

  await scenario('percentages use a decimal comma in Vietnamese (66,7% / 33,3%)', async () => {
    const visitorC = await newContext(browser, 'C', phone);
    const { page } = await open(visitorC, article);
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('form').waitFor();
    const overflow = await sideways(page);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px`);
    await page.screenshot({ path: path.join(shots, 'portal-phone.png'), fullPage: true });
    await poll.locator('label', { hasText: /^Tốt$/ }).click();
    await poll.locator('button', { hasText: 'Gửi bình chọn' }).click();
    const live = poll.locator('[aria-live]');
    await waitForText(live, 'Cảm ơn bạn đã tham gia bình chọn!');
    assert.deepEqual(await resultRows(poll), [
      'Rất tốt 33,3% (1 phiếu)', 'Tốt 66,7% (2 phiếu)', 'Bình thường 0,0% (0 phiếu)', 'Chưa tốt 0,0% (0 phiếu)',
    ]);
    const r = await results('danh-gia-cong');
    const sum = r.options.reduce((s, o) => s + o.percent, 0);
    assert.equal(Math.round(sum * 10), 1000, 'the percents add up to 100.0');
    await page.screenshot({ path: path.join(shots, 'portal-phone-results.png'), fullPage: true });
  });

  await scenario('placeholders: data-page, data-lang, checkboxes, closed and not-yet-open polls, hostile labels', async () => {
    await admin('POST', 'polls', {
      id: 'nhan-la',
      question: 'Nhãn <b>lạ</b>?',
      options: [
        { id: 'script', label: '<script>alert(1)</script>' },
        { id: 'img', label: '<img src=x onerror="window.__pwned=1">' },
      ],
    });
    await admin('POST', 'polls', {
      id: 'da-ket-thuc', question: 'Đã kết thúc?',
      options: [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }],
    });
    await admin('POST', 'polls/da-ket-thuc/close');
    await admin('POST', 'polls', {
      id: 'chua-bat-dau', question: 'Chưa bắt đầu?', opens_at: '2099-01-01T00:00:00Z',
      options: [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }],
    });

    const { page, hits } = await open(visitorA, `${portal.origin}/thu-nghiem`);
    await waitForText(page.locator('#views-here'), 'Lượt xem 1');
    const other = await counter('/tin-tuc/123');
    await waitForText(page.locator('#views-other'), `Lượt xem ${other.page.views}`);
    assert.deepEqual(hits.map((b) => JSON.parse(b)), [{ page: '/thu-nghiem' }], 'a views data-page shows, never counts');

    const rows = await counterRows(page.locator('#counter-en'));
    assert.match(rows['Total visits'], /^7,582,80\d$/, 'the placeholder\'s data-lang wins over <html lang>');

    const multi = page.locator('#poll-multi');
    await multi.locator('form').waitFor();
    assert.equal(await multi.locator('input[type=checkbox]').count(), 5, 'checkboxes for max_choices 3');
    assert.match(await textOf(multi), /Chọn tối đa 3\./);
    await multi.locator('button', { hasText: 'Gửi bình chọn' }).click();
    await waitForText(multi.locator('[aria-live]'), 'Vui lòng chọn ít nhất một phương án.');
    for (const o of ['tin-tuc', 'van-ban', 'dich-vu-cong', 'du-lich']) await multi.locator(`input[value="${o}"]`).check();
    await multi.locator('button', { hasText: 'Gửi bình chọn' }).click();
    await waitForText(multi.locator('[aria-live]'), 'Bạn đã chọn quá số phương án cho phép.');
    await multi.locator('input[value="du-lich"]').uncheck();
    await multi.locator('button', { hasText: 'Gửi bình chọn' }).click();
    await waitForText(multi.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
    const multiRows = (await resultRows(multi)).join(' | ');
    assert.match(multiRows, /^Tin tức - sự kiện 33,[34]% \(1 phiếu\) \| Văn bản chỉ đạo điều hành 33,[34]% \(1 phiếu\) \| Dịch vụ công trực tuyến 33,[34]% \(1 phiếu\) \| Du lịch - văn hóa 0,0% \(0 phiếu\) \| Thu hút đầu tư 0,0% \(0 phiếu\)$/);

    // Several choices each: one person, three votes, and the base said.
    assert.deepEqual(await multi.locator('.tw-total').allInnerTexts(),
      ['Tổng số phiếu: 3', 'Số người bình chọn: 1', 'Tỷ lệ tính trên tổng số phiếu']);
    await multi.screenshot({ path: path.join(shots, 'poll-multi-results.png') });
    const multiEn = page.locator('#poll-multi-en');
    await multiEn.locator('button', { hasText: 'See results' }).click();
    await waitForText(multiEn, 'Poll results');
    assert.deepEqual(await multiEn.locator('.tw-total').allInnerTexts(),
      ['Total votes: 3', 'Voters: 1', 'Percentages are of all votes']);
    const single = await results('danh-gia-cong');
    assert.ok(single.total_voters >= 1 && single.percent_base === 'votes', JSON.stringify(single));

    const hostile = page.locator('#poll-hostile');
    await hostile.locator('form').waitFor();
    assert.equal(await hostile.locator('legend').innerText(), 'Nhãn <b>lạ</b>?');
    assert.deepEqual(await hostile.locator('label').allInnerTexts(),
      ['<script>alert(1)</script>', '<img src=x onerror="window.__pwned=1">']);
    assert.equal(await hostile.locator('script, img, b').count(), 0, 'labels are text, never markup');
    await hostile.locator('button', { hasText: 'Xem kết quả' }).click();
    await hostile.locator('.tw-list').waitFor();
    assert.deepEqual(await resultRows(hostile), ['<script>alert(1)</script> 0,0% (0 phiếu)', '<img src=x onerror="window.__pwned=1"> 0,0% (0 phiếu)']);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);

    const closed = page.locator('#poll-closed');
    await waitForText(closed, 'Cuộc bình chọn đã kết thúc lúc');
    assert.match(await textOf(closed), /Tổng số phiếu: 0/, 'a closed poll shows its results');
    assert.equal(await closed.locator('form').isVisible(), false);
    const later = page.locator('#poll-later');
    await waitForText(later, 'Cuộc bình chọn chưa bắt đầu.');
    assert.equal(await later.locator('form').isVisible(), false);
  });

  await scenario('failures stay inside the widgets, with clear messages', async () => {
    const visitorD = await newContext(browser, 'D', desktop, [/Failed to load resource/]);
    const { page } = await open(visitorD, article);
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('form').waitFor();
    const refusals = [
      [429, 'rate_limited', 'Bạn thao tác quá nhanh. Vui lòng thử lại sau 60 giây.'],
      [429, 'address_limit_reached', 'Mạng của bạn đã gửi quá nhiều phiếu hôm nay. Vui lòng thử lại vào ngày mai.'],
      [503, 'store_unavailable', 'Hệ thống đang bận, phiếu của bạn chưa được ghi nhận. Vui lòng thử lại sau.'],
      [500, 'internal', 'Đã có lỗi xảy ra. Vui lòng thử lại sau.'],
    ];
    await poll.locator('label', { hasText: 'Chưa tốt' }).click();
    for (const [status, code, message] of refusals) {
      await page.route('**/v1/polls/danh-gia-cong/votes', (route) => route.fulfill({
        status,
        headers: {
          'access-control-allow-origin': portal.origin,
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': 'retry-after',
          'retry-after': '60',
        },
        contentType: 'application/json',
        body: JSON.stringify({ error: { code, message: code } }),
      }));
      await poll.locator('button', { hasText: 'Gửi bình chọn' }).click();
      await waitForText(poll.locator('[aria-live]'), message, `${code}: message`);
      assert.equal(await poll.locator('form').isVisible(), true, `${code}: the form stays for another try`);
      await page.unroute('**/v1/polls/danh-gia-cong/votes');
    }

    // tally unreachable: the host page is intact, the boxes say so.
    await page.route(`${tally.origin}/v1/**`, (route) => route.abort());
    await page.reload({ waitUntil: 'load' });
    await waitForText(page.locator('[data-tally="counter"]'), 'Không tải được dữ liệu. Vui lòng thử lại sau.');
    await waitForText(page.locator('[data-tally="views"]'), 'Lượt xem —');
    assert.match(await textOf(page.locator('article')), /Tỉnh Mẫu đẩy mạnh chuyển đổi số/);
    const c = await counter();
    assert.equal((await results('danh-gia-cong')).options.find((o) => o.id === 'chua-tot').votes, 0, 'no refused ballot was counted');
    assert.ok(c.total > 0);
  });

  await scenario('a browser that keeps no cookie still votes, once', async () => {
    const visitorH = await newContext(browser, 'H', desktop);
    // Drop tally's Set-Cookie, as a browser blocking its cookies would.
    // (route.fetch() would share the context's cookie jar: fetch from here.)
    await visitorH.route(`${tally.origin}/v1/**`, async (route) => {
      const req = route.request();
      const r = await fetch(req.url(), { method: req.method(), headers: req.headers(), body: req.postDataBuffer() ?? undefined });
      const dropped = new Set(['set-cookie', 'content-encoding', 'content-length']);
      const headers = Object.fromEntries([...r.headers].filter(([k]) => !dropped.has(k)));
      await route.fulfill({ status: r.status, headers, body: Buffer.from(await r.arrayBuffer()) });
    });
    const { page } = await open(visitorH, article);
    const poll = page.locator('[data-tally-poll]');
    await counterRows(page.locator('[data-tally="counter"]'));
    await poll.locator('label', { hasText: 'Chưa tốt' }).click();
    await poll.locator('button', { hasText: 'Gửi bình chọn' }).click();
    await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
    await page.reload({ waitUntil: 'load' });
    await waitForText(poll, 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!');
    assert.deepEqual(await visitorH.cookies(tally.origin), [], 'no cookie was kept');
    assert.equal((await results('danh-gia-cong')).options.find((o) => o.id === 'chua-tot').votes, 1);
  });

  await scenario('(h) tally\'s /demo works under its own CSP; screenshots', async () => {
    const visitorE = await newContext(browser, 'E', desktop);
    const { page, hits } = await open(visitorE, `${tally.origin}/demo`);
    await counterRows(page.locator('[data-tally="counter"]'));
    await waitForText(page.locator('[data-tally="views"]'), 'Lượt xem 1');
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('form').waitFor();
    assert.deepEqual(hits.map((b) => JSON.parse(b)), [{ page: '/demo' }]);
    await page.screenshot({ path: path.join(shots, 'demo.png'), fullPage: true });
    // Same-origin ballot: the page's Origin must still reach tally.
    await poll.locator('label', { hasText: 'Bình thường' }).click();
    await poll.locator('button', { hasText: 'Gửi bình chọn' }).click();
    await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');

    const phoneCtx = await newContext(browser, 'F', phone);
    const { page: small } = await open(phoneCtx, `${tally.origin}/demo`);
    await small.locator('[data-tally-poll] form').waitFor();
    await counterRows(small.locator('[data-tally="counter"]'));
    const overflow = await sideways(small);
    assert.ok(overflow <= 0, `/demo scrolls sideways by ${overflow}px at 390px`);
    await small.screenshot({ path: path.join(shots, 'demo-phone.png'), fullPage: true });
  });

  if (inPart('widget')) {
    await topologies(browser);
    await widgetVisitor(browser);
    await theme(browser);
    await layout(browser);
    await challenge(browser);
    await siteScenarios(browser);
  }
  if (inPart('pages')) {
    await pages(browser);
    await consoleScenarios(browser);
    await consolePhoneScenarios(browser);
    await consoleEmbedScenarios(browser);
    await chartScenarios(browser);
    await consoleWordScenarios(browser);
  }

  inPart('widget');
  await scenario('(f) axe: no serious or critical violation', async () => {
    // Injecting axe adds an inline script, which these pages' CSP forbids:
    // this context alone bypasses CSP, and only for the audit.
    const auditor = await browser.newContext({ ...desktop, bypassCSP: true, locale: 'vi-VN' });
    cleanups.push(() => auditor.close().catch(() => {}));
    const widgetsReady = async (page) => {
      await page.locator('[data-tally="counter"] dl').waitFor();
      await page.locator('[data-tally-poll] .tally-widget').waitFor();
    };
    const counts = [];
    counts.push(await axeCheck(auditor, `${tally.origin}/demo`, widgetsReady));
    counts.push(await axeCheck(auditor, `${tally.origin}/polls/danh-gia-cong/results`));
    counts.push(await axeCheck(auditor, `${tally.origin}/polls/danh-gia-cong`));
    counts.push(await axeCheck(auditor, article, widgetsReady));
    counts.push(await axeCheck(auditor, article, async (page) => {
      await widgetsReady(page);
      await page.locator('[data-tally-poll] button', { hasText: 'Xem kết quả' }).click();
      await page.locator('[data-tally-poll] .tw-list').waitFor();
    }));
    console.log(`      minor or moderate findings per page: ${counts.join(', ')}`);
  });

  // Every part ends with this look at the pages it opened.
  inPart('');
  await scenario('(e) no console error, uncaught error or CSP violation on any page', async () => {
    const canary = await newContext(browser, 'G', desktop);
    const { page } = await open(canary, `${portal.origin}/csp-canary`);
    const record = watched.find((w) => w.page === page);
    await eventually('the CSP detector saw nothing on a page that breaks its CSP', async () => ({
      ok: record.problems.some((p) => p.startsWith('CSP violation')),
      detail: JSON.stringify(record.problems),
    }));
    watched.splice(watched.indexOf(record), 1);
    await page.close();

    const problems = [...new Set(watched.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300))))];
    assert.ok(watched.length >= 8, `only ${watched.length} pages watched`);
    if (problems.length) {
      const shown = problems.slice(0, 12).join('\n');
      throw new Error(`${problems.length} distinct problem(s) reported by the pages:\n${shown}`);
    }
    console.log(`      ${watched.length} pages watched, none reported a problem`);
  });
}

await runSuite(`browser${process.env.TALLY_BROWSER_PART ? ` (${process.env.TALLY_BROWSER_PART})` : ''}`, main);
