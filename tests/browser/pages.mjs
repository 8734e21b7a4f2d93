// tally's own HTML pages in a real browser: the poll as a plain form, its
// results, the archive, the home page, the demo and the counter badge, read
// by someone whose browser speaks English on a Vietnamese portal. Each page
// is audited with axe. The pages carry no script, so JavaScript plays no
// part here except where a context turns it off to follow a portal's plain
// link.
//
//   TALLY_BIN=target/release/tally node tests/browser/pages.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, HOSTS, axeCheck, cleanups, enNumber, getJson, newContext, runSuite,
  scenario, shots, sleep, squash, startPortal, startTally, viNumber, watched,
} from './harness.mjs';

const SITE_NAME = 'Cổng thông tin điện tử tỉnh Mẫu';
const SITE_ZONE = 'Asia/Ho_Chi_Minh';
// A date to come, with its wording in the site's zone (UTC+7).
const LATER = '2030-06-30T10:00:00Z';
const LATER_VI = '17:00 ngày 30/06/2030';
const LATER_EN = '30 June 2030, 17:00';

const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
// Someone reading the Vietnamese portal in an English browser, far from
// Vietnam: neither their language nor their zone may leak into the pages.
const english = {
  locale: 'en-US',
  timezoneId: 'America/New_York',
  extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' },
  viewport: desktop,
};

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

/** An instant as the pages write it, in the site's time zone. */
export function when(iso, lang, timeZone = SITE_ZONE) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return lang === 'vi'
    ? `${parts.hour}:${parts.minute} ngày ${parts.day}/${parts.month}/${parts.year}`
    : `${Number(parts.day)} ${MONTHS[Number(parts.month) - 1]} ${parts.year}, ${parts.hour}:${parts.minute}`;
}

function adminOf(tally) {
  return (method, p, body) => getJson(`${tally.ops}/admin/${p}`, {
    method,
    headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
}

const OPTIONS = [{ id: 'tot', label: 'Tốt' }, { id: 'binh-thuong', label: 'Bình thường' }, { id: 'chua-tot', label: 'Chưa tốt' }];

async function textAt(page, selector = 'body') {
  return squash(await page.locator(selector).innerText());
}

async function visit(context, url) {
  const page = await context.newPage();
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.equal(response.status(), 200, `${url}: HTTP ${response.status()}`);
  return page;
}

/** Votes through the poll page's plain form: the radio, then the button. */
async function voteByForm(context, base, id, label, query = '', submit = 'Gửi bình chọn') {
  const page = await visit(context, `${base}/polls/${id}${query}`);
  await page.getByRole('radio', { name: label, exact: true }).check();
  await Promise.all([
    page.waitForURL(new RegExp(`/polls/${id}/results`)),
    page.getByRole('button', { name: submit, exact: true }).click(),
  ]);
  return page;
}

/** The archive's entry for a poll, and the heading of its section. */
async function archiveEntry(page, id) {
  const li = page.locator('.tally-archive li', { has: page.locator(`a[href^="polls/${id}?"]`) });
  assert.equal(await li.count(), 1, `one archive entry for ${id}`);
  const section = await li.evaluate((e) => e.closest('ul').previousElementSibling.textContent.trim());
  return { section, text: squash(await li.innerText()) };
}

/** Each results bar's track as laid out: left, width, value. */
function tracks(page) {
  return page.locator('.tally-results progress').evaluateAll((bars) => bars.map((b) => {
    const r = b.getBoundingClientRect();
    return { left: r.left, width: r.width, value: Number(b.getAttribute('value')), label: b.getAttribute('aria-label') };
  }));
}

function noOverflow(page) {
  // Against the screen's width too: a phone widens innerWidth to fit.
  return page.evaluate(() => ({
    scroll: document.scrollingElement.scrollWidth,
    inner: Math.min(window.innerWidth, document.documentElement.clientWidth),
  }));
}

export async function pages(browser) {
  const portal = await startPortal();
  const logo = `${portal.origin}/logo.svg`;
  const sheet = `${portal.origin}/portal.css`;
  // Many form ballots from one address within a minute: not what this
  // test is about.
  const formCap = { TALLY_FORM_VOTES_PER_ADDRESS: '1000' };
  // Bare: no portal settings, the site's default language.
  const bare = await startTally({ allowedOrigins: [portal.origin], env: formCap });
  // Dressed as the portal: its name, home page, stylesheet and logo.
  const dressed = await startTally({
    allowedOrigins: [portal.origin],
    env: {
      ...formCap,
      TALLY_SITE_NAME: SITE_NAME,
      TALLY_SITE_URL: `${portal.origin}/`,
      TALLY_SITE_STYLESHEET: sheet,
      TALLY_SITE_LOGO: logo,
    },
  });
  portal.state.tally = dressed.origin;
  const admin = adminOf(bare);
  const base = bare.origin;
  console.log(`      tally ${bare.origin} (bare), ${dressed.origin} (dressed), portal ${portal.origin}`);
  fs.mkdirSync(shots, { recursive: true });

  // The portal's logo, served for the pages that show it.
  const withLogo = async (context) => {
    await context.route(logo, (route) => route.fulfill({
      contentType: 'image/svg+xml',
      body: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#b5121b"/></svg>',
    }));
    return context;
  };
  let contexts = 0;
  const reader = async (options = {}, allow = []) =>
    withLogo(await newContext(browser, `pages-${++contexts}`, { ...english, ...options }, allow));
  // Injecting axe adds an inline script, which the pages' CSP forbids:
  // auditors alone bypass CSP, and only for the audit.
  const auditor = async (options = {}) => {
    const context = await browser.newContext({ ...english, bypassCSP: true, ...options });
    cleanups.push(() => context.close().catch(() => {}));
    return withLogo(context);
  };
  const audit = await auditor();

  await scenario('pages: Vietnamese in an English browser, ?lang=en switches (poll, results, archive, home, demo, badge)', async () => {
    const context = await reader();
    const languages = [];
    context.on('request', (r) => { if (r.url().startsWith(base)) languages.push(r.headers()['accept-language']); });
    const cases = [
      ['/polls/danh-gia-cong', ['Bình chọn', 'Bạn đánh giá như thế nào về cổng thông tin này?', 'Gửi bình chọn', 'Xem kết quả', 'Các cuộc bình chọn'],
        ['Poll', 'Submit vote', 'See results', 'Polls']],
      ['/polls/danh-gia-cong/results', ['Kết quả bình chọn', 'Tổng số phiếu: 0', '0,0%', '(0 phiếu)', 'Quay lại bình chọn'],
        ['Poll results', 'Total votes: 0', '0.0%', '(0 votes)', 'Back to the poll']],
      ['/polls', ['Các cuộc bình chọn', 'Đang diễn ra'], ['Polls', 'Open']],
      ['/', ['Bộ đếm truy cập và bình chọn', 'Trang trình diễn', 'Tài liệu API (OpenAPI)'],
        ['Visit counter and polls', 'Demo page', 'API document (OpenAPI)']],
    ];
    // Independent pages, read side by side to save time.
    await Promise.all(cases.flatMap(([route, vi, en]) => [['', 'vi', vi], ['?lang=en', 'en', en]].map(async ([query, lang, words]) => {
      {
        const url = `${base}${route}${query}`;
        const page = await visit(context, url);
        assert.equal(await page.getAttribute('html', 'lang'), lang, `${url}: <html lang>`);
        const text = await textAt(page);
        for (const w of words) assert.ok(text.includes(w), `${url}: "${w}" missing in: ${text.slice(0, 400)}`);
        if (lang === 'en') assert.doesNotMatch(text, /Gửi bình chọn|Xem kết quả|Tổng số phiếu|Đang diễn ra/, `${url}: Vietnamese left`);
        await page.close();
        await axeCheck(audit, url);
      }
    })));
    // The language follows the visitor from page to page.
    const poll = await visit(context, `${base}/polls/danh-gia-cong?lang=en`);
    await Promise.all([poll.waitForURL(/\/results/), poll.getByRole('link', { name: 'See results' }).click()]);
    assert.equal(await poll.getAttribute('html', 'lang'), 'en', 'the results link keeps ?lang=en');
    await Promise.all([poll.waitForURL(/\/polls\?/), poll.getByRole('link', { name: 'Polls', exact: true }).click()]);
    assert.equal(await poll.getAttribute('html', 'lang'), 'en', 'the archive link keeps ?lang=en');
    await poll.close();

    // The demo page: the widget in the site's language.
    const demo = await visit(context, `${base}/demo`);
    assert.equal(await demo.getAttribute('html', 'lang'), 'vi');
    await demo.locator('[data-tally-poll] button', { hasText: 'Gửi bình chọn' }).waitFor();
    await demo.close();
    await axeCheck(audit, `${base}/demo`, (p) => p.locator('[data-tally-poll] .tally-widget').waitFor());

    // The badge, an image: its words, and its name for screen readers.
    // The demo counted visits: the badge shows the counter as it stands.
    const { total } = await getJson(`${base}/v1/counter`);
    assert.ok(total > 7582803, 'baseline plus the demo\'s visits');
    for (const [query, label, number] of [
      ['', 'Số lượt truy cập', viNumber(total)], ['?lang=en', 'Visits', enNumber(total)],
      ['?page=/tin-tuc/123', 'Lượt xem', '0'], ['?page=/tin-tuc/123&lang=en', 'Views', '0'],
    ]) {
      const page = await visit(context, `${base}/v1/counter.svg${query}`);
      const svg = page.locator('svg');
      assert.equal(await svg.getAttribute('role'), 'img');
      assert.equal(await svg.getAttribute('aria-label'), `${label}: ${number}`, `badge${query}`);
      assert.equal(squash(await svg.locator('title').textContent()), `${label}: ${number}`);
      assert.deepEqual(await svg.locator('text').allTextContents(), [label, number], `badge${query}`);
      // The number fits in its box.
      const fit = await page.evaluate(() => {
        const [, rect] = document.querySelectorAll('rect');
        const [, t] = document.querySelectorAll('text');
        const r = rect.getBBox();
        const b = t.getBBox();
        return { rect: r.x + r.width, text: b.x + b.width };
      });
      assert.ok(fit.text <= fit.rect, `badge${query}: the number overflows its box ${JSON.stringify(fit)}`);
      await page.close();
    }
    // The badge in a page, as a portal without scripts shows it.
    const html = `<!doctype html><html lang="vi"><title>Huy hiệu</title><main><img src="${base}/v1/counter.svg" alt="Số lượt truy cập"></main></html>`;
    const holder = await audit.newPage();
    await holder.setContent(html);
    await holder.locator('img').evaluate((img) => img.decode());
    assert.ok(await holder.locator('img').evaluate((img) => img.naturalWidth > 0), 'the badge renders in an <img>');
    await holder.close();

    assert.ok(languages.length > 10 && languages.every((l) => /^en-US\b/.test(l)), `the browser asked for English: ${[...new Set(languages)]}`);
  });

  await scenario('pages: each results visibility before voting, after a form vote, after closing (results page and archive)', async () => {
    const modes = ['always', 'after_vote', 'after_close', 'never'];
    const hidden = {
      after_vote: 'Kết quả sẽ hiển thị sau khi bạn bình chọn.',
      after_close: `Kết quả sẽ được công bố khi cuộc bình chọn kết thúc (${LATER_VI}).`,
      never: 'Kết quả của cuộc bình chọn này không được công bố.',
    };
    const voter = await reader();
    const other = await reader();
    const audited = await auditor();
    // While the poll is open (stage "before" or "voted"): the results page
    // and the archive entry, as `context` sees them.
    const check = async (context, id, mode, stage, sees) => {
      const page = await visit(context, `${base}/polls/${id}/results`);
      const text = await textAt(page, 'main');
      const bars = await page.locator('.tally-results progress').count();
      if (sees) {
        assert.equal(bars, 3, `${mode}, ${stage}: bars`);
        assert.ok(text.includes(stage === 'before' ? 'Tổng số phiếu: 0' : 'Tổng số phiếu: 1'), `${mode}, ${stage}: ${text}`);
        for (const h of Object.values(hidden)) assert.ok(!text.includes(h), `${mode}, ${stage}: "${h}" beside the results`);
      } else {
        assert.equal(bars, 0, `${mode}, ${stage}: no bars`);
        assert.ok(text.includes(hidden[mode]), `${mode}, ${stage}: expected "${hidden[mode]}" in: ${text}`);
        assert.doesNotMatch(text, /Tổng số phiếu|\d,\d%/, `${mode}, ${stage}: no figure leaks`);
      }
      await page.close();
      const archive = await visit(context, `${base}/polls`);
      const entry = await archiveEntry(archive, id);
      await archive.close();
      assert.equal(entry.section, 'Đang diễn ra', `${mode}, ${stage}: archive section`);
      if (sees) {
        assert.match(entry.text, stage === 'before' ? /Tốt 0,0% · Bình thường 0,0% · Chưa tốt 0,0% — Tổng số phiếu: 0/
          : /Tốt 100,0% · Bình thường 0,0% · Chưa tốt 0,0% — Tổng số phiếu: 1/, `${mode}, ${stage}: archive`);
      } else {
        assert.ok(entry.text.includes(hidden[mode]), `${mode}, ${stage}: archive: ${entry.text}`);
        assert.doesNotMatch(entry.text, /\d,\d%/, `${mode}, ${stage}: archive leaks a figure`);
      }
      assert.ok(entry.text.includes(`Kết thúc lúc ${LATER_VI}.`), `${mode}: archive date: ${entry.text}`);
      return text;
    };
    // The four polls are independent: side by side, to save time.
    await Promise.all(modes.map(async (mode) => {
      const id = `hien-${mode.replace('_', '-')}`;
      await admin('PUT', `polls/${id}`, { question: `Chế độ ${mode}?`, options: OPTIONS, results: mode, closes_at: LATER });
      await check(other, id, mode, 'before', mode === 'always');
      // The poll page says what the visitor will see, and when the poll closes.
      const form = await visit(other, `${base}/polls/${id}`);
      const formText = await textAt(form, 'main');
      assert.ok(formText.includes(`Kết thúc lúc ${LATER_VI}.`), `${mode}: the closing date on the poll page: ${formText}`);
      if (mode === 'always') await form.getByRole('link', { name: 'Xem kết quả' }).waitFor();
      else assert.ok(formText.includes(hidden[mode]), `${mode}: the poll page says when the results show: ${formText}`);
      await form.close();
      // axe reads each kind of page once: the form, every note, the bars.
      if (mode === 'always') await axeCheck(audit, `${base}/polls/${id}`);
      await axeCheck(audit, `${base}/polls/${id}/results`);

      const voted = await voteByForm(voter, base, id, 'Tốt');
      const votedText = await textAt(voted, 'main');
      assert.ok(votedText.includes('Cảm ơn bạn đã tham gia bình chọn! Lựa chọn của bạn: Tốt.'), `${mode}: thanks: ${votedText}`);
      await voted.close();
      const sees = mode === 'always' || mode === 'after_vote';
      const mine = await check(voter, id, mode, 'voted', sees);
      if (sees) assert.ok(mine.includes('Tốt (Lựa chọn của bạn) 100,0% (1 phiếu)'), `${mode}: the voter's own choice: ${mine}`);
      await check(other, id, mode, 'voted', mode === 'always');
      await (await voteByForm(audited, base, id, 'Chưa tốt')).close();
      if (mode === 'always' || mode === 'after_close') {
        await axeCheck(audited, `${base}/polls/${id}/results`);
        await axeCheck(audited, `${base}/polls/${id}`);
      }
      await admin('POST', `polls/${id}/close`);
      // Closed: two ballots (the voter's and the auditor's).
      const closedAt = (await getJson(`${base}/v1/polls/${id}`)).closes_at;
      for (const context of [voter, other]) {
        const page = await visit(context, `${base}/polls/${id}/results`);
        const text = await textAt(page, 'main');
        assert.ok(text.includes(`Cuộc bình chọn đã kết thúc. Kết thúc lúc ${when(closedAt, 'vi')}.`), `${mode}, closed: ${text}`);
        const shown = mode !== 'never';
        assert.equal(await page.locator('.tally-results progress').count(), shown ? 3 : 0, `${mode}, closed: bars`);
        if (shown) assert.match(text, /Tổng số phiếu: 2/, `${mode}, closed`);
        else assert.ok(text.includes(hidden.never), `${mode}, closed: ${text}`);
        await page.close();
        const archive = await visit(context, `${base}/polls`);
        const entry = await archiveEntry(archive, id);
        await archive.close();
        assert.equal(entry.section, 'Đã kết thúc', `${mode}: closed in the archive`);
        if (shown) assert.match(entry.text, /Tốt 50,0% · Bình thường 0,0% · Chưa tốt 50,0% — Tổng số phiếu: 2/, `${mode}, closed archive`);
        else assert.ok(entry.text.includes(hidden.never) && !/\d,\d%/.test(entry.text), `${mode}, closed archive: ${entry.text}`);
      }
      if (mode === 'always' || mode === 'never') await axeCheck(audit, `${base}/polls/${id}/results`);
    }));
    await axeCheck(audit, `${base}/polls`);
  });

  await scenario('pages: the results page does not update by itself; it says so by offering nothing live', async () => {
    const id = 'truc-tiep';
    await admin('PUT', `polls/${id}`, { question: 'Cập nhật trực tiếp?', options: OPTIONS });
    const watcher = await reader();
    const page = await visit(watcher, `${base}/polls/${id}/results`);
    const before = await textAt(page, 'main');
    assert.match(before, /Tổng số phiếu: 0/);
    // What the page could promise: a script (none, under its CSP), a
    // refresh, a link to the live stream.
    const promises = await page.evaluate(() => ({
      scripts: document.scripts.length,
      refresh: [...document.querySelectorAll('meta[http-equiv]')].map((m) => `${m.httpEquiv}=${m.content}`),
      live: [...document.querySelectorAll('a[href*="events"], [aria-live]')].length,
    }));
    const csp = await (await fetch(`${base}/polls/${id}/results`)).headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/, 'no script may run on the page');
    const refresh = (await fetch(`${base}/polls/${id}/results`)).headers.get('refresh');
    assert.deepEqual({ ...promises, refresh }, { scripts: 0, refresh: [], live: 0, refresh: null },
      'the page promises no live update');

    await (await voteByForm(await reader(), base, id, 'Bình thường')).close();
    await sleep(2500);
    assert.equal(await textAt(page, 'main'), before, 'the open page stays as it was loaded');
    await page.reload({ waitUntil: 'load' });
    assert.match(await textAt(page, 'main'), /Bình thường 100,0% \(1 phiếu\).*Tổng số phiếu: 1/, 'a reload shows the ballot');
    console.log('      the HTML results page has no live update (no script, refresh or stream link): a reload shows new ballots; the widget and GET /v1/polls/{id}/events are the live views');
    await page.close();
  });

  await scenario('pages: a closed poll says when it closed, a poll not yet open when it opens, in the site\'s time zone', async () => {
    const context = await reader();
    await admin('PUT', 'polls/da-dong', { question: 'Đã đóng?', options: OPTIONS });
    await admin('POST', 'polls/da-dong/close');
    const closedAt = (await getJson(`${base}/v1/polls/da-dong`)).closes_at;
    assert.ok(closedAt, 'closing sets closes_at');
    await admin('PUT', 'polls/sap-mo', { question: 'Sắp mở?', options: OPTIONS, opens_at: '2027-01-05T01:00:00Z', closes_at: LATER });
    const cases = [
      ['da-dong', '', `Cuộc bình chọn đã kết thúc. Kết thúc lúc ${when(closedAt, 'vi')}.`],
      ['da-dong', '?lang=en', `This poll is closed. Closed on ${when(closedAt, 'en')}.`],
      ['sap-mo', '', 'Cuộc bình chọn chưa bắt đầu. Bắt đầu lúc 08:00 ngày 05/01/2027.'],
      ['sap-mo', '?lang=en', 'This poll has not opened yet. Opens on 5 January 2027, 08:00.'],
    ];
    await Promise.all(cases.flatMap(([id, query, notice]) => [`/polls/${id}`, `/polls/${id}/results`].map(async (route) => {
      {
        const url = `${base}${route}${query}`;
        const page = await visit(context, url);
        assert.ok(squash(await page.locator('[role=status]').allInnerTexts().then((t) => t.join(' '))).includes(notice),
          `${url}: expected "${notice}" in: ${await textAt(page, 'main')}`);
        assert.equal(await page.locator('form').count(), 0, `${url}: no form`);
        await page.close();
        // The English pages are the same markup.
        if (!query) await axeCheck(audit, url);
      }
    })));
    // The zone is the site's, not the reader's (New York): 17:00 in Hà Nội
    // is 05:00 there, and the archive says the same.
    const archive = await visit(context, `${base}/polls`);
    assert.equal((await archiveEntry(archive, 'sap-mo')).section, 'Sắp diễn ra');
    assert.ok((await archiveEntry(archive, 'sap-mo')).text.includes(`Bắt đầu lúc 08:00 ngày 05/01/2027. Kết thúc lúc ${LATER_VI}.`));
    assert.ok((await archiveEntry(archive, 'da-dong')).text.includes(`Kết thúc lúc ${when(closedAt, 'vi')}.`));
    await archive.close();
    // A form ballot for a closed poll, from a page opened before it closed.
    await admin('PUT', 'polls/sap-dong', { question: 'Sắp đóng?', options: OPTIONS });
    const stale = await visit(context, `${base}/polls/sap-dong`);
    await admin('POST', 'polls/sap-dong/close');
    await stale.getByRole('radio', { name: 'Tốt', exact: true }).check();
    await Promise.all([
      stale.waitForURL(/\/polls\/sap-dong\/results/),
      stale.getByRole('button', { name: 'Gửi bình chọn' }).click(),
    ]);
    const refused = await textAt(stale, 'main');
    assert.equal(await stale.getAttribute('html', 'lang'), 'vi');
    assert.match(refused, /Cuộc bình chọn đã kết thúc\. Kết thúc lúc/, `the results say the poll closed: ${refused}`);
    assert.doesNotMatch(refused, /Cảm ơn/, 'no thanks for a ballot not counted');
    assert.match(refused, /Tổng số phiếu: 0/, 'the late ballot was not counted');
    assert.equal((await getJson(`${base}/v1/polls/sap-dong/results`)).total_votes, 0);
    await stale.close();
  });

  await scenario('pages: back to the article from an allowed portal page only; site name, home link, stylesheet and logo', async () => {
    const article = `${portal.origin}/tin-tuc/123`;
    // A reader without JavaScript follows the portal's plain link.
    // The portal's <noscript> pixel and its stylesheet under a second host
    // name are refused by Chromium's local network access checks here,
    // where every host is loopback (never in production).
    const noJs = await reader({ javaScriptEnabled: false }, [/pixel\.gif/, /portal\.test:\d+\/portal\.css/]);
    const sheets = [];
    noJs.on('response', (r) => { if (r.url() === sheet || r.url() === logo) sheets.push(`${r.url()} ${r.status()}`); });
    const follow = async (from) => {
      const page = await visit(noJs, from);
      await Promise.all([
        page.waitForURL(new RegExp(`^${dressed.origin}/polls/danh-gia-cong`)),
        page.getByRole('link', { name: 'Tham gia bình chọn' }).click(),
      ]);
      await page.waitForLoadState('load');
      return page;
    };
    const backLinks = (page) => page.locator('a', { hasText: 'Quay lại bài viết' }).evaluateAll((as) => as.map((a) => a.href));
    const foreign = (page, host) => page.locator('a').evaluateAll((as, h) => as.map((a) => a.href).filter((u) => u.includes(h)), host);

    // The portal's article as a portal sends it when it wants its readers
    // brought back: a Referrer-Policy that keeps the path.
    await noJs.route(article, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'referrer-policy': 'no-referrer-when-downgrade' } });
    });
    let page = await follow(article);
    assert.deepEqual(await backLinks(page), [article], 'one link back to the article');
    const header = page.locator('header.tally-portal a');
    assert.equal(await header.getAttribute('href'), `${portal.origin}/`, 'the site name links to the portal');
    assert.equal(squash(await header.innerText()), SITE_NAME);
    assert.equal(await page.locator('footer a', { hasText: 'Trang chủ cổng thông tin' }).getAttribute('href'), `${portal.origin}/`);
    assert.match(await page.title(), new RegExp(`— ${SITE_NAME}$`));
    assert.ok(await page.locator('header img').evaluate((img) => img.complete && img.naturalWidth > 0), 'the logo shows');
    assert.equal(await page.locator('header img').getAttribute('alt'), '', 'the logo is decoration beside the name');
    assert.ok(await page.locator(`link[rel=stylesheet][href="${sheet}"]`).evaluate((l) => l.sheet !== null), 'the portal stylesheet applies');
    // The article goes along with the ballot, to the results.
    await page.getByRole('radio', { name: 'Tốt', exact: true }).check();
    await Promise.all([page.waitForURL(/\/results/), page.getByRole('button', { name: 'Gửi bình chọn' }).click()]);
    assert.deepEqual(await backLinks(page), [article], 'the results lead back to the article too');
    await page.close();
    assert.ok(sheets.includes(`${sheet} 200`) && sheets.includes(`${logo} 200`), `stylesheet and logo loaded: ${sheets}`);

    // Same article, the browser's default policy: cross-origin, the Referer
    // is the portal's origin alone, which names no article.
    await noJs.unroute(article);
    page = await follow(article);
    const plain = await backLinks(page);
    assert.deepEqual(plain, [], `a Referer without a path names no article: ${plain}`);
    await page.close();

    // A portal host that is not allowed: no link to it at all.
    const stranger = `http://${HOSTS.portal}:${portal.port}/tin-tuc/123`;
    await noJs.route(stranger, async (route) => {
      // The same portal under a host name only the browser resolves.
      const response = await route.fetch({ url: article });
      await route.fulfill({ response, headers: { ...response.headers(), 'referrer-policy': 'unsafe-url' } });
    });
    page = await follow(stranger);
    assert.deepEqual(await backLinks(page), []);
    assert.deepEqual(await foreign(page, HOSTS.portal), [], 'no link to a page of a not-allowed origin');
    await page.close();

    // Crafted back= values: never a link elsewhere (and nothing redirects).
    const backs = ['https://evil.example/x', '//evil.example/', 'javascript:alert(1)', `http://127.0.0.1:${portal.port}@evil.example/`,
      `http://evil.example/?${portal.origin}`, `${stranger}`, ` ${article}`];
    const routes = ['/polls/danh-gia-cong', '/polls/danh-gia-cong/results', '/polls'];
    await Promise.all(backs.flatMap((back) => routes.map(async (route) => {
      {
        const url = `${dressed.origin}${route}?back=${encodeURIComponent(back)}`;
        const page = await visit(noJs, url);
        assert.equal(page.url(), url, `${back}: no redirect`);
        const links = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        assert.deepEqual(links.filter((h) => /evil|javascript|portal\.test/.test(h)), [], `${route} back=${back}`);
        assert.deepEqual(await backLinks(page), [], `${route} back=${back}: no back link`);
        const hidden = await page.locator('input[name=back]').count();
        assert.equal(hidden, 0, `${route} back=${back}: not carried with the form`);
        await page.close();
      }
    })));
    // A crafted back= in the form's own post: the results carry no link.
    const crafted = await reader();
    page = await visit(crafted, `${dressed.origin}/polls/danh-gia-cong`);
    await page.locator('form').evaluate((f) => {
      const input = document.createElement('input');
      Object.assign(input, { type: 'hidden', name: 'back', value: 'https://evil.example/x' });
      f.append(input);
    });
    await page.getByRole('radio', { name: 'Tốt', exact: true }).check();
    await Promise.all([page.waitForURL(/\/results/), page.getByRole('button', { name: 'Gửi bình chọn' }).click()]);
    assert.doesNotMatch(page.url(), /evil/, 'the redirect does not carry the crafted back=');
    assert.deepEqual(await foreign(page, 'evil.example'), [], 'no link to the crafted back=');
    assert.deepEqual(await backLinks(page), []);
    await page.close();

    // Allowed back= works without any Referer, and the bare tally has no
    // portal header or home link.
    page = await visit(noJs, `${base}/polls/danh-gia-cong?back=${encodeURIComponent(article)}`);
    assert.deepEqual(await backLinks(page), [article]);
    assert.equal(await page.locator('header.tally-portal').count(), 0, 'no portal header without TALLY_SITE_NAME');
    assert.equal(await page.locator('a', { hasText: 'Trang chủ cổng thông tin' }).count(), 0);
    await page.close();

    await axeCheck(audit, `${dressed.origin}/polls/danh-gia-cong?back=${encodeURIComponent(article)}`);
    await axeCheck(audit, `${dressed.origin}/polls/danh-gia-cong/results?back=${encodeURIComponent(article)}`);
    await axeCheck(audit, `${dressed.origin}/polls`);
    await axeCheck(audit, `${dressed.origin}/`);
  });

  await scenario('pages: every results bar has one track, 100 %, in between and 0 %, at 1280 and 390 px', async () => {
    const options = [
      { id: 'hai-long', label: 'Hài lòng với cách tổ chức, nội dung và tốc độ của cổng thông tin điện tử' },
      { id: 'co', label: 'Có' },
      { id: 'khong', label: 'Không ý kiến' },
    ];
    await Promise.all([bare, dressed].map(async (tally) => {
      const put = adminOf(tally);
      await put('PUT', 'polls/thanh-day', { question: 'Một phiếu?', options });
      await put('PUT', 'polls/thanh-giua', { question: 'Ba phiếu?', options });
      await Promise.all([['thanh-day', 'Có'], ['thanh-giua', 'Có'], ['thanh-giua', 'Có'], ['thanh-giua', 'Không ý kiến']].map(
        async ([id, label]) => (await voteByForm(await reader(), tally.origin, id, label)).close()));
      for (const viewport of [desktop, phone]) {
        const context = await reader({ viewport, isMobile: viewport === phone, hasTouch: viewport === phone });
        const measured = [];
        for (const id of ['thanh-day', 'thanh-giua']) {
          const page = await visit(context, `${tally.origin}/polls/${id}/results`);
          measured.push(...await tracks(page));
          const shot = `${tally === bare ? 'bare' : 'dressed'}-${viewport.width}.png`;
          if (id === 'thanh-giua') await page.screenshot({ path: path.join(shots, `pages-results-${shot}`), fullPage: true });
          await page.close();
        }
        const where = `${tally === bare ? 'bare' : 'dressed'} at ${viewport.width}px`;
        assert.deepEqual(measured.map((t) => t.value), [0, 1000, 0, 0, 667, 333], `${where}: values`);
        const [first] = measured;
        for (const t of measured) {
          assert.ok(Math.abs(t.left - first.left) < 0.5 && Math.abs(t.width - first.width) < 0.5,
            `${where}: the tracks differ: ${JSON.stringify(measured)}`);
        }
        const last = await visit(context, `${tally.origin}/polls/thanh-day/results`);
        const list = await last.locator('.tally-results').evaluate((ul) => {
          const r = ul.getBoundingClientRect();
          const pad = parseFloat(getComputedStyle(ul).paddingLeft) + parseFloat(getComputedStyle(ul).paddingRight);
          return { left: r.left + parseFloat(getComputedStyle(ul).paddingLeft), width: r.width - pad };
        });
        assert.ok(Math.abs(first.left - list.left) < 0.5 && Math.abs(first.width - list.width) < 0.5,
          `${where}: the tracks span the list (${JSON.stringify(list)}), not ${JSON.stringify(first)}`);
        const { scroll, inner } = await noOverflow(last);
        assert.ok(scroll <= inner, `${where}: the results page scrolls sideways (${scroll} > ${inner})`);
        await last.close();
      }
      await axeCheck(audit, `${tally.origin}/polls/thanh-giua/results`);
    }));
  });

  await scenario('pages: the thanks notice is for the voter alone', async () => {
    const id = 'cam-on';
    await admin('PUT', `polls/${id}`, { question: 'Ai được cảm ơn?', options: OPTIONS });
    const voter = await reader();
    const page = await voteByForm(voter, base, id, 'Bình thường');
    const landed = page.url();
    const notice = page.locator('.tally-notice');
    assert.equal(squash(await notice.innerText()), 'Cảm ơn bạn đã tham gia bình chọn! Lựa chọn của bạn: Bình thường.');
    assert.equal(await notice.getAttribute('role'), 'status');
    await page.close();
    const en = await voteByForm(await reader(), base, id, 'Tốt', '?lang=en', 'Submit vote');
    assert.equal(squash(await en.locator('.tally-notice').innerText()), 'Thank you for voting! Your choice: Tốt.');
    await en.close();
    const stranger = await reader();
    const seen = await visit(stranger, landed);
    assert.equal(await seen.locator('.tally-notice').count(), 0, `no thanks on ${landed} for someone else`);
    const text = await textAt(seen, 'main');
    assert.doesNotMatch(text, /Cảm ơn bạn|Lựa chọn của bạn/, text);
    assert.match(text, /Tổng số phiếu: 2/);
    assert.equal(await seen.locator('.tally-mine').count(), 0, 'nobody else\'s choice is marked');
    await seen.close();
    await axeCheck(audit, landed);
  });

  await scenario('pages: a phone (390×844) reads every page without sideways scrolling', async () => {
    const context = await reader({ viewport: phone, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const urls = [];
    for (const origin of [base, dressed.origin]) {
      urls.push(`${origin}/polls/danh-gia-cong`, `${origin}/polls/chuyen-muc-quan-tam`, `${origin}/polls/danh-gia-cong/results`,
        `${origin}/polls`, `${origin}/`);
    }
    urls.push(`${base}/polls/thanh-day`);
    await Promise.all(urls.map(async (url) => {
      const page = await visit(context, url);
      const { scroll, inner } = await noOverflow(page);
      assert.ok(scroll <= inner, `${url} scrolls sideways: ${scroll} > ${inner}`);
      if (url.endsWith('/polls/danh-gia-cong')) {
        const button = await page.getByRole('button', { name: 'Gửi bình chọn' }).boundingBox();
        assert.ok(button.height >= 44, `the button is a finger's size (${button.height}px)`);
        await page.screenshot({ path: path.join(shots, `pages-poll-phone-${url.startsWith(base) ? 'bare' : 'dressed'}.png`), fullPage: true });
      }
      await page.close();
    }));
    await axeCheck(await auditor({ viewport: phone, isMobile: true }), `${base}/polls/danh-gia-cong`);
  });

  // No page reported a console error, an uncaught error or a CSP violation.
  await scenario('pages: no console error, uncaught error or CSP violation', async () => {
    const mine = watched.filter((w) => w.label.startsWith(base) || w.label.startsWith(dressed.origin) || w.label.startsWith(portal.origin));
    const problems = [...new Set(mine.flatMap((w) => w.problems.map((p) => `${w.label}: ${p}`.slice(0, 300))))];
    assert.deepEqual(problems, []);
    console.log(`      ${mine.length} pages watched`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('pages', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await pages(browser);
  });
}
