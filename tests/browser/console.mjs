// The editors' console in a real browser: an editor signs in, creates a
// poll that opens a few seconds later, sees it open, a visitor votes on it
// from the portal's widget in another browser context, the console's
// results follow (the page reloads itself), the editor closes and reopens
// it, downloads the results as CSV and reads them back, archives it, and
// imports a previous counter's history after its preview (twice, counted once). A wrong token, an expired session and a form
// without its CSRF token are refused and change nothing. Every console page
// is audited with axe (no serious or critical violation).
//
//   TALLY_BIN=target/release/tally node tests/browser/console.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, axeCheck, cleanups, eventually, newContext, runSuite, scenario, shots,
  sleep, startPortal, startTally, waitForText, watched,
} from './harness.mjs';

const ZONE = 'Asia/Ho_Chi_Minh';
const POLL = 'bang-dieu-khien';
const desktop = { viewport: { width: 1280, height: 900 } };
export const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
// Refused on purpose: a wrong token (401), a form without its token (403).
const REFUSED = [/status of 40[13]/];

/** `at` as a `datetime-local` value in the site's zone, to the second. */
function localInput(at) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

async function pollStatus(tally, id) {
  const r = await fetch(`${tally.origin}/v1/polls/${id}`);
  return r.status === 404 ? null : (await r.json()).status;
}

/** Signs `page` in to `tally`'s console with `token`, from the console's front door. */
export async function signIn(page, tally, token) {
  await page.goto(`${tally.ops}/admin/`);
  await page.waitForURL(/\/admin\/sign-in$/);
  await page.locator('#token').fill(token);
  await page.locator('button[type=submit]', { hasText: 'Đăng nhập' }).click();
}

export async function consoleScenarios(browser) {
  const portal = await startPortal();
  const tally = await startTally({ allowedOrigins: [portal.origin] });
  // Sessions that end after two seconds unused.
  const brief = await startTally({ env: { TALLY_CONSOLE_IDLE: '2s' } });
  portal.state.tally = tally.origin;
  fs.mkdirSync(shots, { recursive: true });
  console.log(`      tally ${tally.origin} (ops ${tally.ops}), portal ${portal.origin}`);

  const editor = await newContext(browser, 'Editor', { ...desktop, acceptDownloads: true }, REFUSED);
  const page = await editor.newPage();
  const pollPage = `${tally.ops}/admin/console/polls/${POLL}`;

  await scenario('console: a wrong token is refused and signs no one in', async () => {
    await signIn(page, tally, 'not-the-token');
    await waitForText(page.locator('[role=alert]'), 'Mã quản trị không đúng.');
    assert.deepEqual((await editor.cookies()).filter((c) => c.name === 'tally_console'), []);
    const r = await editor.request.get(`${tally.ops}/admin/console/polls`, { maxRedirects: 0 });
    assert.equal(r.status(), 303, 'still signed out');
  });

  await scenario('console: the token signs in with a strict, HttpOnly session cookie', async () => {
    await page.locator('#token').fill(tally.adminToken);
    await page.locator('button[type=submit]', { hasText: 'Đăng nhập' }).click();
    await page.waitForURL(`${tally.ops}/admin/`);
    await page.locator('h1', { hasText: 'Tổng quan' }).waitFor();
    const [cookie] = (await editor.cookies()).filter((c) => c.name === 'tally_console');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/admin');
    assert.match(cookie.value, /^[0-9a-f]{64}$/);
    assert.ok(cookie.expires > Date.now() / 1000, 'it expires');
    await page.screenshot({ path: path.join(shots, 'console-dashboard.png'), fullPage: true });
  });

  await scenario('console: a poll scheduled a few seconds ahead is created, then opens', async () => {
    await page.goto(`${tally.ops}/admin/console/polls`);
    await page.locator('a', { hasText: 'Tạo câu hỏi mới' }).first().click();
    await page.locator('#id').fill(POLL);
    await page.locator('#question').fill('Bạn thấy bảng điều khiển thế nào?');
    await page.locator('#option-0').fill('Dễ dùng');
    await page.locator('#option-1').fill('Khó dùng');
    await page.locator('#option-2').fill('Chưa dùng');
    await page.locator('#opens_at').fill(localInput(new Date(Date.now() + 6000)));
    await page.locator('#results').selectOption('always');
    // The new poll's form saves a draft or publishes it: this one is published.
    await page.locator('.actions button[name=save][value=publish]').click();
    await page.waitForURL(`${pollPage}?done=published`);
    await waitForText(page.locator('p.notice'), 'Đã xuất bản.');
    await waitForText(page.locator('.status'), 'Sắp mở');
    assert.equal(await pollStatus(tally, POLL), 'not_yet_open');
    // The page reloads itself: it shows the poll open without a click.
    await eventually('the poll page shows it open', async () => {
      const status = await page.locator('.status').innerText().catch(() => '');
      return { ok: status === 'Đang mở', detail: status };
    }, 20_000);
    assert.equal(await pollStatus(tally, POLL), 'open');
  });

  await scenario('console: a vote from the portal\'s widget shows in the live results', async () => {
    const visitor = await newContext(browser, 'Voter', phone);
    const v = await visitor.newPage();
    await v.goto(`${portal.origin}/binh-chon?poll=${POLL}`, { waitUntil: 'load' });
    const poll = v.locator('[data-tally-poll]');
    await poll.locator('.tally-widget').waitFor();
    await poll.locator('label', { hasText: 'Dễ dùng' }).click();
    await poll.locator('button[type=submit]').click();
    await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
    // The page stays as it is; its script brings the new figures in.
    await eventually('the console shows the ballot', async () => {
      const text = await page.locator('#live').textContent().catch(() => '');
      return { ok: text.includes('1 phiếu (100.0%)') && /Tổng số phiếu: 1\b/.test(text), detail: text.slice(0, 400) };
    }, 20_000);
    const rows = [];
    for (const row of await page.locator('#live figure table tbody tr').all()) {
      rows.push((await row.locator('th, td').allTextContents()).map((c) => c.trim()));
    }
    assert.deepEqual(rows, [
      ['Dễ dùng', '1', '100.0%'], ['Khó dùng', '0', '0.0%'], ['Chưa dùng', '0', '0.0%'],
    ]);
    await page.screenshot({ path: path.join(shots, 'console-poll.png'), fullPage: true });
  });

  await scenario('console: an answer inserted and a row moved with the buttons keep every ballot with its answer', async () => {
    await page.goto(`${pollPage}/edit`);
    const rows = page.locator('[data-row]');
    const labels = async () => (await rows.locator('input[name=label]').evaluateAll((inputs) => inputs.map((i) => i.value)));
    assert.deepEqual(await labels(), ['Dễ dùng', 'Khó dùng', 'Chưa dùng', '']);
    // The script moves rows in place: no round trip, the page stays.
    await page.evaluate(() => { window.tallyStayed = true; });
    await page.getByRole('button', { name: 'Chèn một dòng dưới phương án 1' }).click();
    await page.keyboard.type('Khá dễ');
    await page.getByRole('button', { name: 'Chuyển lên: phương án 4' }).click();
    assert.deepEqual(await labels(), ['Dễ dùng', 'Khá dễ', 'Chưa dùng', 'Khó dùng', '']);
    assert.equal(await page.evaluate(() => window.tallyStayed), true, 'no reload');
    const ids = await rows.locator('input[name=option-id]').evaluateAll((inputs) => inputs.map((i) => i.value));
    assert.deepEqual(ids, ['de-dung', '', 'chua-dung', 'kho-dung', ''], 'each row keeps its option');
    // Enter in a field saves (the form's default button is Save).
    await rows.nth(1).locator('input[name=label]').press('Enter');
    await page.waitForURL(pollPage);
    const r = await fetch(`${tally.origin}/v1/polls/${POLL}/results`);
    const results = (await r.json()).options.map((o) => [o.id, o.label, o.votes]);
    assert.deepEqual(results, [
      ['de-dung', 'Dễ dùng', 1], ['kha-de', 'Khá dễ', 0], ['chua-dung', 'Chưa dùng', 0], ['kho-dung', 'Khó dùng', 0],
    ]);
    await page.screenshot({ path: path.join(shots, 'console-edited.png'), fullPage: true });
  });

  await scenario('console: close, then reopen', async () => {
    await page.locator('button', { hasText: 'Đóng bình chọn' }).click();
    await waitForText(page.locator('.status'), 'Đã đóng');
    await waitForText(page.locator('p.notice'), 'Đã đóng bình chọn.');
    assert.equal(await pollStatus(tally, POLL), 'closed');
    await page.locator('button', { hasText: 'Mở lại' }).click();
    await waitForText(page.locator('.status'), 'Đang mở');
    await waitForText(page.locator('p.notice'), 'Đã mở lại bình chọn.');
    assert.equal(await pollStatus(tally, POLL), 'open');
  });

  await scenario('console: the results download as Excel and as CSV an office opens, and read back', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a', { hasText: 'Tải kết quả (CSV)' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^ket-qua-Ban-thay-bang-dieu-khien-the-nao\.csv$/);
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.ok(text.startsWith('\ufeff'), 'a BOM, for Excel');
    // Vietnamese regional settings: `;` between fields, a decimal comma.
    const lines = text.slice(1).trim().split('\r\n').map((l) => l.split(';'));
    assert.deepEqual(lines[0], ['Bạn thấy bảng điều khiển thế nào?']);
    assert.match(lines[1][0], /^Tổng số phiếu: 1 · Số người bình chọn: 1$/);
    assert.deepEqual(lines.slice(4), [
      ['Phương án', 'Số phiếu', 'Tỷ lệ (%)'],
      ['Dễ dùng', '1', '100,0'],
      ['Khá dễ', '0', '0,0'],
      ['Chưa dùng', '0', '0,0'],
      ['Khó dùng', '0', '0,0'],
    ]);
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a', { hasText: 'Tải kết quả (Excel)' }).click(),
    ]);
    assert.match(xlsx.suggestedFilename(), /\.xlsx$/);
    const bytes = fs.readFileSync(await xlsx.path());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an Office Open XML workbook');
  });

  await scenario('console: delete and archive state the ballots\' fate first', async () => {
    await page.locator('a', { hasText: 'Xoá…' }).click();
    await waitForText(page.locator('[role=alert]'), 'Xoá vĩnh viễn câu hỏi và 1 phiếu bầu. Không thể hoàn tác.');
    await page.locator('a', { hasText: 'Huỷ' }).click();
    await page.waitForURL(pollPage);
    assert.equal(await pollStatus(tally, POLL), 'open', 'nothing changed');
    await page.locator('a', { hasText: 'Lưu trữ…' }).click();
    await waitForText(page.locator('[role=alert]'), 'Câu hỏi sẽ đóng và được lưu trữ cùng 1 phiếu bầu; kết quả vẫn xem được trong mục lưu trữ.');
    await page.locator('button', { hasText: 'Lưu trữ' }).click();
    await page.waitForURL(`${pollPage}?done=archived`);
    await waitForText(page.locator('p.notice'), 'Đã lưu trữ câu hỏi.');
    await waitForText(page.locator('.status'), 'Đã đóng');
    assert.equal(await pollStatus(tally, POLL), 'closed');
    await page.goto(`${tally.ops}/admin/console/polls`);
    const archived = page.locator('section', { has: page.locator('h2', { hasText: 'Đã lưu trữ (1)' }) });
    await archived.locator('a', { hasText: 'Bạn thấy bảng điều khiển thế nào?' }).waitFor();
    await page.goto(`${tally.ops}/admin/console/audit`);
    const log = await page.locator('main').innerText();
    for (const action of ['Tạo câu hỏi', 'Đóng', 'Mở lại', 'Lưu trữ']) assert.ok(log.includes(action), `${action} in the audit log`);
  });

  await scenario('console: a pasted history is imported once, and shows in the charts', async () => {
    const before = (await (await fetch(`${tally.origin}/v1/counter`)).json()).total;
    const csv = '2020-01-01,1200\n2020-01-02,1300\n';
    for (let i = 0; i < 2; i++) {
      await page.goto(`${tally.ops}/admin/console/import`);
      await page.locator('#csv').fill(csv);
      await page.locator('button[type=submit]', { hasText: 'Xem trước' }).click();
      await page.locator('#preview').waitFor();
      await page.locator('button[type=submit]', { hasText: 'Xác nhận nhập' }).click();
      await page.locator('[role=status]').waitFor();
    }
    await eventually('the total rose by the import, once', async () => {
      const after = (await (await fetch(`${tally.origin}/v1/counter`)).json()).total;
      return { ok: after - before === 2500, detail: `${before} → ${after}` };
    });
    await sleep(1500);
    const settled = (await (await fetch(`${tally.origin}/v1/counter`)).json()).total;
    assert.equal(settled - before, 2500, 'imported once, however often sent');
    await page.goto(`${tally.ops}/admin/console/history`);
    assert.equal(await page.locator('svg[role=img]').count() >= 3, true, 'the history\'s charts');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('li', { hasText: 'Lượt truy cập mỗi tháng' }).locator('a', { hasText: 'CSV' }).click(),
    ]);
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.ok(text.startsWith('\ufeffLượt truy cập mỗi tháng\r\n\r\nTháng;Lượt truy cập\r\n'), text.slice(0, 60));
  });

  await scenario('console: a draft saved with Lưu nháp is not public until Xuất bản', async () => {
    const draft = 'ban-nhap';
    const draftPage = `${tally.ops}/admin/console/polls/${draft}`;
    await page.goto(`${tally.ops}/admin/console/new-poll?template=hai-long`);
    await page.locator('#id').fill(draft);
    await page.locator('.actions button', { hasText: 'Lưu nháp' }).click();
    await page.waitForURL(`${draftPage}?done=drafted`);
    await waitForText(page.locator('p.notice'), 'Đã lưu nháp.');
    await waitForText(page.locator('.status'), 'Nháp');
    assert.equal(await pollStatus(tally, draft), null, 'the API knows no such poll');
    assert.equal((await fetch(`${tally.origin}/polls/${draft}`)).status, 404, 'nor do the pages');
    await page.locator('.actions button', { hasText: 'Xuất bản' }).click();
    await page.waitForURL(`${draftPage}?done=published`);
    await waitForText(page.locator('p.notice'), 'Đã xuất bản.');
    await waitForText(page.locator('.status'), 'Đang mở');
    assert.equal(await pollStatus(tally, draft), 'open');
  });

  await scenario('console: a form without its CSRF token is refused and changes nothing', async () => {
    const form = { id: 'khong-csrf', question: 'Q?', 'option-0': 'A', 'option-1': 'B', results: 'always' };
    const made = await editor.request.post(`${tally.ops}/admin/console/polls`, { form, maxRedirects: 0 });
    assert.equal(made.status(), 403);
    assert.match(await made.text(), /mã xác nhận \(CSRF\)/);
    assert.equal(await pollStatus(tally, 'khong-csrf'), null);
    const reopened = await editor.request.post(`${pollPage}/reopen`, { form: {}, maxRedirects: 0 });
    assert.equal(reopened.status(), 403);
    assert.equal(await pollStatus(tally, POLL), 'closed', 'still archived and closed');
  });

  await scenario('console: an expired session is refused and changes nothing', async () => {
    const other = await newContext(browser, 'Late editor', desktop, REFUSED);
    const p = await other.newPage();
    await signIn(p, brief, brief.adminToken);
    await p.locator('h1', { hasText: 'Tổng quan' }).waitFor();
    await p.goto(`${brief.ops}/admin/console/new-poll`);
    const csrf = await p.locator('input[name=csrf]').first().getAttribute('value');
    await sleep(3000);
    await p.goto(`${brief.ops}/admin/console/polls`);
    await p.waitForURL(/\/admin\/sign-in$/);
    const form = { csrf, id: 'het-han', question: 'Q?', 'option-0': 'A', 'option-1': 'B', results: 'always' };
    const r = await other.request.post(`${brief.ops}/admin/console/polls`, { form, maxRedirects: 0 });
    assert.equal(r.status(), 403);
    assert.match(await r.text(), /Phiên làm việc đã hết hạn/);
    assert.equal(await pollStatus(brief, 'het-han'), null);
  });

  await scenario('console: every page passes axe (no serious or critical violation)', async () => {
    // Auditors alone bypass CSP (axe is injected inline), and only for the
    // audit; they carry the editor's session.
    const session = (await editor.cookies()).filter((c) => c.name === 'tally_console');
    const auditor = async (options) => {
      const context = await browser.newContext({ ...options, bypassCSP: true, locale: 'vi-VN' });
      cleanups.push(() => context.close().catch(() => {}));
      return context;
    };
    const counts = [];
    const signedIn = await auditor(desktop);
    await signedIn.addCookies(session);
    for (const p of ['/admin/', '/admin/console/polls', '/admin/console/new-poll', `/admin/console/polls/${POLL}`,
      `/admin/console/polls/${POLL}/edit`, `/admin/console/polls/${POLL}/archive`, `/admin/console/polls/${POLL}/delete`,
      '/admin/console/history', '/admin/console/audit', '/admin/console/import', '/admin/?lang=en']) {
      counts.push(await axeCheck(signedIn, `${tally.ops}${p}`));
    }
    counts.push(await axeCheck(await auditor(phone), `${tally.ops}/admin/sign-in`));
    const phoned = await auditor(phone);
    await phoned.addCookies(session);
    counts.push(await axeCheck(phoned, `${tally.ops}/admin/console/polls/${POLL}`));
    counts.push(await axeCheck(phoned, `${tally.ops}/admin/console/history`));
    console.log(`      ${counts.length} pages audited; minor or moderate findings per page: ${counts.join(', ')}`);
  });

  await scenario('console: signing out ends the session', async () => {
    const before = (await editor.cookies()).find((c) => c.name === 'tally_console');
    await page.goto(`${tally.ops}/admin/`);
    await page.locator('button', { hasText: 'Đăng xuất' }).click();
    await page.waitForURL(/\/admin\/sign-in$/);
    assert.equal((await editor.cookies()).find((c) => c.name === 'tally_console'), undefined);
    // The old cookie, replayed, opens nothing.
    const replay = await newContext(browser, 'Replay', desktop);
    await replay.addCookies([before]);
    const r = await replay.request.get(`${tally.ops}/admin/`, { maxRedirects: 0 });
    assert.equal(r.status(), 303);
  });

  await scenario('console: no uncaught error or CSP violation on any console page', async () => {
    const mine = watched.filter((w) => w.label.startsWith(tally.ops) || w.label.startsWith(brief.ops));
    const problems = [...new Set(mine.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300))))];
    assert.deepEqual(problems, []);
    console.log(`      ${mine.length} pages watched`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('console', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await consoleScenarios(browser);
  });
}
