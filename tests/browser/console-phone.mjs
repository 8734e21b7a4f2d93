// The editors' console on a phone (390×844, touch), in Vietnamese, as an
// editor uses it: a draft saved with "Lưu nháp" is not public until
// "Xuất bản"; an answer inserted ("Khá dễ") and a row moved with the row
// buttons keep every ballot with its answer; the results download as CSV
// and as Excel and read back; a previous counter's history,
// pasted or chosen as a file, is previewed (writing nothing) and then
// imported; a poll's form sent after
// the session ended keeps what was typed through signing in again. No page
// scrolls sideways, and none reports an uncaught error or a CSP violation.
//
//   TALLY_BIN=target/debug/tally node tests/browser/console-phone.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import { phone } from './console.mjs';
import {
  CHROMIUM, CHROMIUM_ARGS, cleanups, eventually, getJson, newContext, putPoll, runSuite, scenario, startTally,
  waitForText, watched,
} from './harness.mjs';

// Refused on purpose: a form sent after the session ended (403).
const REFUSED = [/status of 403/];

async function publicStatus(tally, path) {
  return (await fetch(`${tally.origin}${path}`)).status;
}

/** A ballot for `option` of poll `id` through the public API, as reader `n`. */
async function vote(tally, id, option, n) {
  const r = await fetch(`${tally.origin}/v1/polls/${id}/votes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': `Reader ${n}` },
    body: JSON.stringify({ options: [option] }),
  });
  assert.equal(r.status, 201, `ballot ${n}: ${await r.text()}`);
}

/** The files of a zip archive (an .xlsx), by name, as text. */
function unzip(bytes) {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const files = {};
  let at = bytes.readUInt32LE(end + 16);
  for (let i = bytes.readUInt16LE(end + 10); i > 0; i--) {
    const [method, size, nameLength] = [bytes.readUInt16LE(at + 10), bytes.readUInt32LE(at + 20), bytes.readUInt16LE(at + 28)];
    const name = bytes.toString('utf8', at + 46, at + 46 + nameLength);
    const local = bytes.readUInt32LE(at + 42);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + size);
    files[name] = (method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8');
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return files;
}

/** A workbook's first sheet as rows of cell texts, by row number. */
function sheetRows(bytes) {
  const files = unzip(bytes);
  const text = (xml) => xml.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const shared = [...files['xl/sharedStrings.xml'].matchAll(/<si><t[^>]*>([^<]*)<\/t><\/si>/g)].map((m) => text(m[1]));
  const rows = {};
  for (const [, r, cells] of files['xl/worksheets/sheet1.xml'].matchAll(/<row r="(\d+)"[^>]*>(.*?)<\/row>/g)) {
    rows[r] = [...cells.matchAll(/<c ([^>]*)><v>([^<]*)<\/v><\/c>/g)]
      .map(([, attrs, v]) => (/t="s"/.test(attrs) ? shared[Number(v)] : v));
  }
  return rows;
}

async function total(tally) {
  return (await (await fetch(`${tally.origin}/v1/counter`)).json()).total;
}

/**
 * Fails if `page` scrolls sideways at the phone's width. A phone widens its
 * layout viewport (and innerWidth with it) to take in content too wide for
 * the screen, so the page is measured against the screen's width as well.
 */
async function noSideways(page, what) {
  const [wide, inner, screen] = await page.evaluate(() => [
    document.scrollingElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth,
  ]);
  assert.ok(wide <= Math.min(inner, screen), `${what} scrolls sideways: ${wide}px wide on a ${screen}px screen`);
}

/** The sign-in form, filled and sent by touch. */
async function tapSignIn(page, token) {
  await page.locator('#token').fill(token);
  await page.locator('button[type=submit]', { hasText: 'Đăng nhập' }).tap();
}

export async function consolePhoneScenarios(browser) {
  const tally = await startTally();
  let signedIn;
  // One editor's phone, signed in once whichever scenario runs first.
  const editor = async () => {
    signedIn ??= (async () => {
      const context = await newContext(browser, 'Editor on a phone', { ...phone, acceptDownloads: true }, REFUSED);
      const page = await context.newPage();
      await page.goto(`${tally.ops}/admin/`);
      await page.waitForURL(/\/admin\/sign-in$/);
      await noSideways(page, 'the sign-in page');
      await tapSignIn(page, tally.adminToken);
      await page.locator('h1', { hasText: 'Tổng quan' }).waitFor();
      return { context, page };
    })();
    return signedIn;
  };
  /** The new-poll form, reached from the list, with `id` and its words typed. */
  const typeNewPoll = async (page, id, question, options) => {
    await page.goto(`${tally.ops}/admin/console/polls`);
    await page.locator('a', { hasText: 'Tạo câu hỏi mới' }).first().tap();
    await page.waitForURL(/\/admin\/console\/new-poll/);
    await page.locator('#id').fill(id);
    await page.locator('#question').fill(question);
    for (const [i, option] of options.entries()) await page.locator(`#option-${i}`).fill(option);
    await noSideways(page, 'the new-poll form');
  };

  await scenario('console on a phone: a draft saved with Lưu nháp is not public until Xuất bản', async () => {
    const { page } = await editor();
    const id = 'nhap-dien-thoai';
    await typeNewPoll(page, id, 'Bạn có dùng cổng thông tin trên điện thoại?', ['Thường xuyên', 'Thỉnh thoảng']);
    await page.locator('.actions button[value=draft]', { hasText: 'Lưu nháp' }).tap();
    await page.waitForURL(`${tally.ops}/admin/console/polls/${id}?done=drafted`);
    await waitForText(page.locator('p.notice'), 'Đã lưu nháp.');
    await waitForText(page.locator('.status'), 'Nháp');
    await noSideways(page, 'a draft\'s page');
    assert.equal(await publicStatus(tally, `/v1/polls/${id}`), 404, 'the API knows no such poll');
    assert.equal(await publicStatus(tally, `/polls/${id}`), 404, 'nor do the pages');
    await page.locator('.actions button', { hasText: 'Xuất bản' }).tap();
    await page.waitForURL(`${tally.ops}/admin/console/polls/${id}?done=published`);
    await waitForText(page.locator('p.notice'), 'Đã xuất bản.');
    await waitForText(page.locator('.status'), 'Đang mở');
    const r = await fetch(`${tally.origin}/v1/polls/${id}`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).status, 'open');
    assert.equal(await publicStatus(tally, `/polls/${id}`), 200);
  });

  await scenario('console on a phone: an answer inserted and a row moved by touch keep every ballot with its answer', async () => {
    const { page } = await editor();
    const id = 'chen-kha';
    await putPoll(tally, id, {
      question: 'Bạn thấy dịch vụ công trực tuyến thế nào?',
      options: [{ id: 'de-dung', label: 'Dễ dùng' }, { id: 'kho-dung', label: 'Khó dùng' }, { id: 'chua-dung', label: 'Chưa dùng' }],
    });
    const cast = { 'de-dung': 2, 'kho-dung': 1, 'chua-dung': 3 };
    let n = 0;
    for (const [option, times] of Object.entries(cast)) {
      for (let i = 0; i < times; i++) await vote(tally, id, option, ++n);
    }
    await page.goto(`${tally.ops}/admin/console/polls/${id}/edit`);
    const rows = page.locator('[data-row]');
    const labels = () => rows.locator('input[name=label]').evaluateAll((inputs) => inputs.map((i) => i.value));
    assert.deepEqual(await labels(), ['Dễ dùng', 'Khó dùng', 'Chưa dùng', '']);
    await noSideways(page, 'the edit form');
    // The script moves rows in place: no round trip, the page stays.
    await page.evaluate(() => { window.tallyStayed = true; });
    await page.getByRole('button', { name: 'Chèn một dòng dưới phương án 1' }).tap();
    // The new row takes the focus, and the phone's keyboard types there.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'option-1');
    await page.keyboard.insertText('Khá dễ');
    await page.getByRole('button', { name: 'Chuyển lên: phương án 4' }).tap();
    assert.deepEqual(await labels(), ['Dễ dùng', 'Khá dễ', 'Chưa dùng', 'Khó dùng', '']);
    assert.equal(await page.evaluate(() => window.tallyStayed), true, 'no reload');
    await noSideways(page, 'the edit form with a row inserted');
    await page.locator('.actions button', { hasText: /^Lưu$/ }).tap();
    await page.waitForURL(`${tally.ops}/admin/console/polls/${id}`);
    await noSideways(page, 'the edited poll\'s page');
    const results = await getJson(`${tally.origin}/v1/polls/${id}/results`);
    assert.deepEqual(results.options.map((o) => [o.id, o.label, o.votes]), [
      ['de-dung', 'Dễ dùng', 2], ['kha-de', 'Khá dễ', 0], ['chua-dung', 'Chưa dùng', 3], ['kho-dung', 'Khó dùng', 1],
    ]);
    assert.equal(results.total_voters, 6, 'every voter still counted');
  });

  await scenario('console on a phone: the results download as CSV and as Excel, and read back', async () => {
    const { page } = await editor();
    const id = 'tai-ket-qua';
    await putPoll(tally, id, {
      question: 'Bạn biết đến cổng thông tin qua đâu?',
      options: [{ id: 'bao-chi', label: 'Báo chí' }, { id: 'ban-be', label: 'Bạn bè' }, { id: 'khac', label: 'Khác' }],
    });
    let n = 100;
    for (const [option, times] of [['bao-chi', 1], ['ban-be', 2]]) {
      for (let i = 0; i < times; i++) await vote(tally, id, option, ++n);
    }
    await page.goto(`${tally.ops}/admin/console/polls/${id}`);
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a', { hasText: 'Tải kết quả (CSV)' }).tap(),
    ]);
    assert.equal(csv.suggestedFilename(), 'ket-qua-Ban-biet-den-cong-thong-tin-qua-dau.csv');
    const text = fs.readFileSync(await csv.path(), 'utf8');
    assert.ok(text.startsWith('\ufeff'), 'a BOM, for Excel');
    // Vietnamese regional settings: `;` between fields, a decimal comma.
    const lines = text.slice(1).trim().split('\r\n').map((l) => l.split(';'));
    assert.deepEqual(lines[0], ['Bạn biết đến cổng thông tin qua đâu?']);
    assert.deepEqual(lines[1], ['Tổng số phiếu: 3 · Số người bình chọn: 3']);
    assert.deepEqual(lines.slice(4), [
      ['Phương án', 'Số phiếu', 'Tỷ lệ (%)'], ['Báo chí', '1', '33,3'], ['Bạn bè', '2', '66,7'], ['Khác', '0', '0,0'],
    ]);
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a', { hasText: 'Tải kết quả (Excel)' }).tap(),
    ]);
    assert.equal(xlsx.suggestedFilename(), 'ket-qua-Ban-biet-den-cong-thong-tin-qua-dau.xlsx');
    const bytes = fs.readFileSync(await xlsx.path());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an Office Open XML workbook');
    // Read back: the same rows, the shares as numbers the sheet formats.
    const sheet = sheetRows(bytes);
    assert.deepEqual([sheet[1], sheet[2]], [['Bạn biết đến cổng thông tin qua đâu?'], ['Tổng số phiếu: 3 · Số người bình chọn: 3']]);
    assert.deepEqual([5, 6, 7, 8].map((r) => sheet[r]), [
      ['Phương án', 'Số phiếu', 'Tỷ lệ (%)'], ['Báo chí', '1', '33.3'], ['Bạn bè', '2', '66.7'], ['Khác', '0', '0'],
    ]);
  });

  await scenario('console on a phone: a previous counter\'s history, pasted or from a file, writes only once confirmed', async () => {
    const { page } = await editor();
    // Pasted as an office's spreadsheet copies it; then a file of other days.
    const imports = [
      { days: 2, visits: 2500, put: async () => {
        await page.locator('#csv').tap();
        await page.keyboard.insertText('01/03/2021;1.200\n02/03/2021;1.300\n');
      } },
      { days: 3, visits: 600, put: () => page.locator('#file').setInputFiles({
        name: 'bo-dem-cu.tsv',
        mimeType: 'text/tab-separated-values',
        buffer: Buffer.from('Ngày\tLượt truy cập\n2021-04-01\t100\n2021-04-02\t200\n2021-04-03\t300\n'),
      }) },
    ];
    for (const { days, visits, put } of imports) {
      const before = await total(tally);
      await page.goto(`${tally.ops}/admin/console/import`);
      await put();
      await page.locator('button[type=submit]', { hasText: 'Xem trước' }).tap();
      await waitForText(page.locator('#preview h2'), 'Xem trước: chưa có gì được ghi');
      await noSideways(page, 'the import\'s preview');
      assert.equal(await total(tally), before, 'a preview writes nothing');
      await page.locator('#preview button[type=submit]', { hasText: 'Xác nhận nhập' }).tap();
      // Every day is new to the store: the preview wrote none of them.
      await waitForText(page.locator('[role=status]'),
        `Đã nhập. Số ngày: ${days} · ngày thay đổi: ${days} · tổng số thay đổi: +${visits.toLocaleString('vi-VN')}`);
      await noSideways(page, 'the import\'s answer');
      await eventually('the public total rose by the import', async () => {
        const after = await total(tally);
        return { ok: after - before === visits, detail: `${before} → ${after}` };
      });
    }
  });

  await scenario('console on a phone: a poll\'s form sent after the session ended comes back as typed after signing in again', async () => {
    const { context, page } = await editor();
    const id = 'het-phien';
    const typed = { question: 'Thủ tục nào bạn muốn làm trực tuyến?', options: ['Đăng ký khai sinh', 'Cấp đổi giấy phép lái xe'] };
    await typeNewPoll(page, id, typed.question, typed.options);
    // The session ends while the form is open: signed out on another
    // device. The phone still holds its cookie, as after a session's end.
    const [session] = (await context.cookies()).filter((c) => c.name === 'tally_console');
    const elsewhere = await newContext(browser, 'The same editor elsewhere', {});
    await elsewhere.addCookies([session]);
    const other = await elsewhere.newPage();
    await other.goto(`${tally.ops}/admin/`);
    await other.locator('button', { hasText: 'Đăng xuất' }).click();
    await other.waitForURL(/\/admin\/sign-in$/);
    assert.deepEqual((await context.cookies()).filter((c) => c.name === 'tally_console'), [session]);

    await page.locator('.actions button', { hasText: 'Xuất bản' }).tap();
    await waitForText(page.locator('[role=alert]'), 'Phiên làm việc đã hết hạn hoặc đã đăng xuất, nên câu hỏi chưa được lưu.');
    await noSideways(page, 'the sign-in page keeping a form');
    assert.equal(await publicStatus(tally, `/v1/polls/${id}`), 404, 'nothing saved');
    await tapSignIn(page, tally.adminToken);
    await waitForText(page.locator('p[role=alert]'), 'Phiên làm việc trước đã hết hạn nên câu hỏi chưa được lưu.');
    assert.equal(await page.locator('#id').inputValue(), id);
    assert.equal(await page.locator('#question').inputValue(), typed.question);
    for (const [i, option] of typed.options.entries()) {
      assert.equal(await page.locator(`#option-${i}`).inputValue(), option, `option ${i + 1} as typed`);
    }
    await noSideways(page, 'the form brought back');
    assert.equal(await publicStatus(tally, `/v1/polls/${id}`), 404, 'still nothing saved');
    // Saved from there, with the new session.
    await page.locator('.actions button', { hasText: 'Xuất bản' }).tap();
    await page.waitForURL(`${tally.ops}/admin/console/polls/${id}?done=published`);
    assert.equal(await publicStatus(tally, `/v1/polls/${id}`), 200);
  });

  await scenario('console on a phone: no uncaught error or CSP violation on its pages', async () => {
    const mine = watched.filter((w) => w.label.startsWith(tally.ops));
    const problems = [...new Set(mine.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300))))];
    assert.deepEqual(problems, []);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('console on a phone', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await consolePhoneScenarios(browser);
  });
}
