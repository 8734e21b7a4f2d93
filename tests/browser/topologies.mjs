// The README's embed snippet on the three ways a portal really puts tally
// beside itself, each with a fresh tally:
//
//   path        the portal reverse-proxies /tally/* to tally: one origin;
//   subdomain   portal.test and tally.portal.test: one site, two origins;
//   cross-site  portal.test and tally.other.test: tally's SameSite=Lax
//               cookie never rides on the widget's requests.
//
// On each, two people in two browser profiles with the same User-Agent and
// the same address (an office behind one NAT, one browser build): they are
// two visitors, reloads count nothing, each votes once, and neither ever
// sees the other's choice. A browser that blocks cookies and site data is
// still counted; an English-language browser and a phone get the same page.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, HOSTS, PHONE_UA, SHARED_UA, blockedContext, cleanups, counterRows, getJson,
  identities, newContext, noonZone, resultRows, scenario, shots, sideways, squash, startPortal, startTally,
  textOf, viNumber, waitForText,
} from './harness.mjs';

const BASELINE = 7582803;
const ARTICLE = '/tin-tuc/123';
const POLL = 'danh-gia-cong';
const ALREADY = 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!';
const THANKS = 'Cảm ơn bạn đã tham gia bình chọn!';
const desktop = { viewport: { width: 1280, height: 900 } };

/** A portal and a fresh tally, wired as `kind` says. */
async function deploy(kind) {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const tally = await startTally({
    allowedOrigins: [portalOrigin],
    trustedProxies: kind === 'path' ? '127.0.0.1/32' : '',
    timezone: noonZone(),
  });
  if (kind === 'path') {
    portal.state.upstream = tally.origin;
    portal.state.tally = '/tally';
  } else {
    portal.state.tally = `http://${kind === 'subdomain' ? HOSTS.sameSite : HOSTS.crossSite}:${tally.port}`;
  }
  const base = kind === 'path' ? `${portalOrigin}/tally` : portal.state.tally;
  const counter = () => getJson(`${tally.origin}/v1/counter?page=${encodeURIComponent(ARTICLE)}`);
  const results = () => getJson(`${tally.origin}/v1/polls/${POLL}/results`);
  return { kind, portal, portalOrigin, tally, base, article: `${portalOrigin}${ARTICLE}`, counter, results };
}

/**
 * Reads GET /v1/counter and checks it: `online` never above `today`, and,
 * when given, today / total / the article's views as expected.
 */
async function expectCounter(d, step, want = {}) {
  const c = await d.counter();
  const got = { today: c.today, total: c.total, views: c.page.views, online: c.online };
  assert.ok(c.online <= c.today, `${step}: online ${c.online} exceeds today ${c.today} (${JSON.stringify(got)})`);
  for (const [k, v] of Object.entries(want)) {
    assert.equal(got[k], v, `${step}: ${k} is ${got[k]}, expected ${v} (${JSON.stringify(got)})`);
  }
  return c;
}

/** Waits until the page's three widgets have rendered tally's answers. */
async function ready(page) {
  await counterRows(page.locator('[data-tally="counter"]'));
  await page.locator('[data-tally="views"] .tally-views').waitFor();
  await page.locator('[data-tally-poll] .tally-widget').waitFor();
}

/** Loads or reloads a page; resolves with the poll as tally told it to this visitor. */
async function load(page, url) {
  const told = page.waitForResponse((r) => r.request().method() === 'GET' &&
    new URL(r.url()).pathname.endsWith(`/v1/polls/${POLL}`));
  if (url) await page.goto(url, { waitUntil: 'load' });
  else await page.reload({ waitUntil: 'load' });
  const poll = await (await told).json();
  await ready(page);
  return poll;
}

async function openArticle(context, d) {
  const page = await context.newPage();
  const hits = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/v1/hits')) hits.push(r.postData());
  });
  const poll = await load(page, d.article);
  return { page, hits, poll };
}

const storedId = (page) => page.evaluate(() => localStorage.getItem('tally_vid'));

/** The form is offered, with nothing said or marked about a choice. */
async function offersForm(page, told, who) {
  const poll = page.locator('[data-tally-poll]');
  assert.equal(told.voted, false, `${who}: GET /v1/polls/${POLL} says voted`);
  assert.equal(told.choices, undefined, `${who}: GET /v1/polls/${POLL} discloses choices ${JSON.stringify(told.choices)}`);
  assert.equal(await poll.locator('form').isVisible(), true, `${who}: the form is not offered`);
  const text = await textOf(poll);
  assert.ok(!text.includes('Bạn đã bình chọn'), `${who}: told "${text}"`);
  assert.equal(await poll.locator('.tw-mine').count(), 0, `${who}: an option is marked as theirs`);
  assert.equal(await poll.locator('input:checked').count(), 0, `${who}: an option is preselected`);
}

/** The results are shown instead of the form, with `label` marked as one's own. */
async function showsOwnChoice(page, message, label, who) {
  const poll = page.locator('[data-tally-poll]');
  await waitForText(poll.locator('[aria-live]'), message, `${who}: "${message}"`);
  assert.equal(await poll.locator('form').isVisible(), false, `${who}: the form is still offered`);
  assert.deepEqual(await poll.locator('.tw-mine .tw-lbl').allTextContents(), [`${label} (lựa chọn của bạn)`],
    `${who}: the marked choice`);
}

async function vote(page, label) {
  const poll = page.locator('[data-tally-poll]');
  await poll.locator('label', { hasText: new RegExp(`^${label}$`) }).click();
  await poll.locator('button', { hasText: 'Gửi bình chọn' }).click();
}

/** How tally knew each request: the cookie first, then the stored id. */
function believed(seen) {
  const n = { cookie: 0, 'first-party': 0, address: 0 };
  for (const r of seen) n[r.cookie ? 'cookie' : r.header ? 'first-party' : 'address']++;
  return Object.entries(n).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ');
}

async function topology(kind, title, extra) {
  const tag = `[${kind}]`;
  let d;
  try {
    d = await deploy(kind);
  } catch (err) {
    await scenario(`${tag} ${title}: set up`, () => { throw err; });
    return;
  }
  console.log(`      ${tag} portal ${d.portalOrigin}, widget and API at ${d.base}`);
  const { browser } = extra;
  const people = {};
  const person = async (label) => {
    // A stale second tab votes after the first has: its 409 is the point.
    const context = await newContext(browser, label, { ...desktop, userAgent: SHARED_UA }, [/status of 409/]);
    people[label] = { context, ids: identities(context) };
    return people[label];
  };
  // What a later scenario needs of an earlier one that failed half-way.
  const ensurePeople = async () => {
    for (const label of ['A', 'B']) {
      const p = people[label] || await person(label);
      if (!p.tab) ({ page: p.tab } = await openArticle(p.context, d));
      if (!p.stale) ({ page: p.stale } = await openArticle(p.context, d));
    }
    return people;
  };

  await scenario(`${tag} ${title}: two people with one User-Agent are two visitors; reloads and second tabs add no visit and no view`, async () => {
    await expectCounter(d, 'fresh tally', { today: 0, total: BASELINE, views: 0 });
    const A = await person('A');
    const B = await person('B');

    ({ page: A.tab, hits: A.hits } = await openArticle(A.context, d));
    let rows = await counterRows(A.tab.locator('[data-tally="counter"]'));
    assert.equal(rows['Hôm nay'], '1', 'A\'s counter box');
    assert.equal(rows['Tổng lượt truy cập'], viNumber(BASELINE + 1), 'A\'s counter box');
    assert.equal(await textOf(A.tab.locator('[data-tally="views"]')), 'Lượt xem 1');
    await expectCounter(d, 'A opened the article', { today: 1, total: BASELINE + 1, views: 1, online: 1 });

    ({ page: B.tab, hits: B.hits } = await openArticle(B.context, d));
    rows = await counterRows(B.tab.locator('[data-tally="counter"]'));
    assert.equal(rows['Hôm nay'], '2', 'B is a second visitor, not A again');
    assert.equal(rows['Tổng lượt truy cập'], viNumber(BASELINE + 2));
    assert.equal(await textOf(B.tab.locator('[data-tally="views"]')), 'Lượt xem 2');
    await expectCounter(d, 'B opened the article', { today: 2, total: BASELINE + 2, views: 2, online: 2 });

    const same = { today: 2, total: BASELINE + 2, views: 2, online: 2 };
    await load(A.tab);
    await expectCounter(d, 'A reloaded', same);
    await load(B.tab);
    await expectCounter(d, 'B reloaded', same);
    ({ page: A.stale } = await openArticle(A.context, d));
    await expectCounter(d, 'A opened a second tab', same);
    ({ page: B.stale } = await openArticle(B.context, d));
    await expectCounter(d, 'B opened a second tab', same);
    assert.equal(await textOf(B.stale.locator('[data-tally="views"]')), 'Lượt xem 2');
    assert.deepEqual(A.hits.map((b) => JSON.parse(b)), [{ page: ARTICLE }, { page: ARTICLE }], 'one hit per load of A\'s tab');
    assert.deepEqual(B.hits.map((b) => JSON.parse(b)), [{ page: ARTICLE }, { page: ARTICLE }], 'one hit per load of B\'s tab');
  });

  await scenario(`${tag} ${title}: each votes once, a stale tab is told so, and neither sees the other's choice`, async () => {
    const { A, B } = await ensurePeople();
    const before = await expectCounter(d, 'before voting');
    const same = { today: before.today, total: before.total, views: before.page.views };

    await vote(A.tab, 'Tốt');
    await showsOwnChoice(A.tab, THANKS, 'Tốt', 'A after voting');
    assert.deepEqual(await resultRows(A.tab.locator('[data-tally-poll]')), [
      'Rất tốt 0,0% (0 phiếu)', 'Tốt 100,0% (1 phiếu)', 'Bình thường 0,0% (0 phiếu)', 'Chưa tốt 0,0% (0 phiếu)',
    ]);
    let r = await d.results();
    assert.deepEqual([r.total_votes, r.total_voters], [1, 1], 'votes and voters after A');

    await offersForm(B.tab, await load(B.tab), 'B after A voted');
    await expectCounter(d, 'B reloaded after A voted', same);

    await vote(A.stale, 'Bình thường');
    await showsOwnChoice(A.stale, ALREADY, 'Tốt', 'A\'s stale tab');
    assert.equal((await d.results()).total_votes, 1, 'A\'s second ballot was not counted');

    const toldA = await load(A.tab);
    assert.deepEqual([toldA.voted, toldA.choices], [true, ['tot']], 'GET /v1/polls for A');
    await showsOwnChoice(A.tab, ALREADY, 'Tốt', 'A after a reload');
    await expectCounter(d, 'A reloaded after voting', same);

    await vote(B.tab, 'Bình thường');
    await showsOwnChoice(B.tab, THANKS, 'Bình thường', 'B after voting');
    assert.deepEqual(await resultRows(B.tab.locator('[data-tally-poll]')), [
      'Rất tốt 0,0% (0 phiếu)', 'Tốt 50,0% (1 phiếu)', 'Bình thường 50,0% (1 phiếu)', 'Chưa tốt 0,0% (0 phiếu)',
    ]);
    r = await d.results();
    assert.deepEqual([r.total_votes, r.total_voters, r.percent_base], [2, 2, 'votes'], 'votes and voters after B');

    await vote(B.stale, 'Rất tốt');
    await showsOwnChoice(B.stale, ALREADY, 'Bình thường', 'B\'s stale tab');
    const toldB = await load(B.tab);
    assert.deepEqual([toldB.voted, toldB.choices], [true, ['binh-thuong']], 'GET /v1/polls for B');
    await showsOwnChoice(B.tab, ALREADY, 'Bình thường', 'B after a reload');
    await load(A.tab);
    await showsOwnChoice(A.tab, ALREADY, 'Tốt', 'A after B voted');
    await expectCounter(d, 'both reloaded after voting', same);
    r = await d.results();
    assert.deepEqual(r.options.map((o) => [o.id, o.votes]),
      [['rat-tot', 0], ['tot', 1], ['binh-thuong', 1], ['chua-tot', 0]], 'one ballot each');
  });

  await scenario(`${tag} ${title}: the identity tally saw`, async () => {
    const { A, B } = await ensurePeople();
    const cookieReaches = kind !== 'cross-site';
    const notes = [];
    for (const [label, p] of Object.entries({ A, B })) {
      const id = await storedId(p.tab);
      assert.match(id || '', /^[0-9a-f]{36}$/, `${label}'s id in the portal's localStorage: ${id}`);
      p.id = id;
      // The live results stream (EventSource) cannot send Tally-Visitor:
      // it reads only results the poll shows everyone, so it needs none.
      const seen = (await p.ids.done()).filter((s) => !s.path.endsWith('/events'));
      assert.ok(seen.length >= 10, `only ${seen.length} requests of ${label} seen`);
      const without = seen.filter((s) => s.header !== id);
      assert.deepEqual(without, [], `${label}: requests without Tally-Visitor: ${id}`);
      const jar = (await p.context.cookies(d.base)).filter((c) => c.name === 'tally_vid');
      if (cookieReaches) {
        // The first answers set the cookie to the stored id; then both ride along.
        assert.ok(seen.some((s) => s.setCookie === id), `${label}: no answer set tally_vid to the stored id`);
        assert.deepEqual(seen.filter((s) => s.cookie && s.cookie !== id), [], `${label}: a cookie other than the stored id`);
        const from = seen.findIndex((s) => s.cookie);
        assert.ok(from > 0, `${label}: the first request carried a cookie already, or none ever did (${from})`);
        assert.deepEqual(seen.slice(from).filter((s) => s.cookie !== id), [], `${label}: once set, the cookie rides on every request`);
        assert.deepEqual(jar.map((c) => [c.value, c.httpOnly, c.sameSite]), [[id, true, 'Lax']], `${label}'s cookie jar`);
      } else {
        assert.deepEqual(seen.filter((s) => s.cookie), [], `${label}: a cookie crossed sites`);
      }
      notes.push(`${label}: ${seen.length} requests, tally believed ${believed(seen)}; ` +
        `cookie jar for tally: ${jar.length ? `tally_vid = the stored id` : 'empty'}`);
    }
    assert.notEqual(A.id, B.id, 'the two people have one id');
    if (kind === 'path') {
      // What reached tally through the portal's proxy.
      const reached = d.portal.state.proxied.filter((s) => s.path.startsWith('/v1/') && s.method !== 'OPTIONS' &&
        !s.path.endsWith('/events'));
      const ids = new Set([A.id, B.id]);
      assert.ok(reached.length >= 20, `only ${reached.length} API requests passed the proxy`);
      assert.deepEqual(reached.filter((s) => !ids.has(s.header) || (s.cookie && s.cookie !== s.header)), [],
        'requests reached tally without their person\'s id');
      assert.deepEqual([...new Set(reached.map((s) => s.forwardedFor))], ['127.0.0.1'], 'X-Forwarded-For');
      notes.push(`proxy: ${reached.length} API requests passed, each with Tally-Visitor, X-Forwarded-For 127.0.0.1`);
    }
    for (const n of notes) console.log(`      ${tag} ${n}`);
  });

  await scenario(`${tag} ${title}: a browser blocking cookies and site data is counted, and the widgets work`, async () => {
    const before = await expectCounter(d, 'before');
    const votes = (await d.results()).total_votes;
    const context = await blockedContext(desktop);
    const ids = identities(context);
    const { page, hits, poll: told } = await openArticle(context, d);
    try {
      assert.equal(await page.evaluate(() => { try { return typeof localStorage.getItem('x'); } catch (e) { return e.name; } }),
        'SecurityError', 'the portal\'s localStorage is blocked');
      assert.equal(await page.evaluate(() => { document.cookie = 'probe=1'; return document.cookie; }), '',
        'the portal\'s cookies are blocked');
      const rows = await counterRows(page.locator('[data-tally="counter"]'));
      assert.equal(rows['Hôm nay'], viNumber(before.today + 1), 'counted as one more visitor today');
      assert.equal(rows['Tổng lượt truy cập'], viNumber(before.total + 1));
      assert.equal(await textOf(page.locator('[data-tally="views"]')), `Lượt xem ${before.page.views + 1}`);
      await expectCounter(d, 'the blocked browser opened the article',
        { today: before.today + 1, total: before.total + 1, views: before.page.views + 1 });
      assert.deepEqual(hits.map((b) => JSON.parse(b)), [{ page: ARTICLE }], 'one hit');
      // Known only by address and User-Agent, which A and B share: that
      // neither discloses their choices nor refuses this one's ballot.
      await offersForm(page, told, 'the blocked browser');
      await vote(page, 'Chưa tốt');
      await waitForText(page.locator('[data-tally-poll] [aria-live]'), THANKS, 'the blocked browser\'s ballot');
      assert.equal((await d.results()).total_votes, votes + 1, 'its ballot was counted');
      await offersForm(page, await load(page), 'the blocked browser after a reload');
      await expectCounter(d, 'the blocked browser reloaded',
        { today: before.today + 1, total: before.total + 1, views: before.page.views + 1 });
      const seen = await ids.done();
      assert.deepEqual(seen.filter((s) => s.header || s.cookie), [], 'it sent an id or a cookie');
      assert.deepEqual(await context.cookies(), [], 'it kept a cookie');
      console.log(`      ${tag} blocked: ${seen.length} requests, tally believed ${believed(seen)}`);
    } finally {
      await context.close().catch(() => {});
    }
  });

  if (extra.more) await extra.more(d, tag, title);
}

/** The three topologies; `browser` is the suite's Chromium. */
export async function topologies(browser) {
  fs.mkdirSync(shots, { recursive: true });

  await topology('path', 'same origin through /tally', {
    browser,
    more: async (d, tag, title) => {
      await scenario(`${tag} ${title}: a phone-sized screen (390×844)`, async () => {
        const before = await expectCounter(d, 'before');
        const phone = await newContext(browser, 'phone', {
          viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, userAgent: PHONE_UA,
        });
        const { page, poll: told } = await openArticle(phone, d);
        await offersForm(page, told, 'the phone');
        const overflow = await sideways(page);
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px`);
        const poll = page.locator('[data-tally-poll]');
        for (const b of await poll.locator('button').all()) {
          const box = await b.boundingBox();
          assert.ok(box.height >= 40 && box.x >= 0 && box.x + box.width <= 390, `a button is ${JSON.stringify(box)}`);
        }
        await page.screenshot({ path: path.join(shots, 'path-phone.png'), fullPage: true });
        await poll.locator('label', { hasText: /^Rất tốt$/ }).tap();
        await poll.locator('button', { hasText: 'Gửi bình chọn' }).tap();
        await showsOwnChoice(page, THANKS, 'Rất tốt', 'the phone after voting');
        await expectCounter(d, 'the phone opened the article',
          { today: before.today + 1, total: before.total + 1, views: before.page.views + 1 });
        assert.match(await storedId(page) || '', /^[0-9a-f]{36}$/, 'the phone\'s id in the portal\'s localStorage');
      });
    },
  });

  await topology('subdomain', 'same site, tally on a subdomain', { browser });

  await topology('cross-site', 'tally on another site', {
    browser,
    more: async (d, tag, title) => {
      await scenario(`${tag} ${title}: an English-language browser gets the Vietnamese page's widget in Vietnamese`, async () => {
        const before = await expectCounter(d, 'before');
        const english = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--lang=en-US'] });
        cleanups.push(() => english.close().catch(() => {}));
        try {
          const context = await newContext(english, 'en', { ...desktop, locale: 'en-US', userAgent: SHARED_UA });
          const ids = identities(context);
          const { page, poll: told } = await openArticle(context, d);
          assert.equal(await page.evaluate(() => navigator.language), 'en-US');
          const seen = await ids.done();
          assert.ok(seen.length && seen.every((s) => /^en-US\b/.test(s.acceptLanguage || '')),
            `Accept-Language: ${[...new Set(seen.map((s) => s.acceptLanguage))]}`);
          const rows = await counterRows(page.locator('[data-tally="counter"]'));
          assert.deepEqual(Object.keys(rows),
            ['Đang truy cập', 'Hôm nay', 'Hôm qua', 'Tuần này', 'Tháng này', 'Tổng lượt truy cập']);
          assert.equal(rows['Tổng lượt truy cập'], viNumber(before.total + 1), 'vi-VN digits (dots), one more visit');
          assert.equal(await textOf(page.locator('[data-tally="views"]')), `Lượt xem ${before.page.views + 1}`);
          const poll = page.locator('[data-tally-poll]');
          await offersForm(page, told, 'the English-language browser');
          assert.equal(await poll.locator('.tally-widget').getAttribute('lang'), 'vi');
          assert.deepEqual(await poll.locator('button').allInnerTexts(), ['Gửi bình chọn', 'Xem kết quả']);
          await poll.locator('button', { hasText: 'Xem kết quả' }).click();
          await waitForText(poll, 'Kết quả bình chọn');
          assert.match(squash((await resultRows(poll)).join(' | ')), /^Rất tốt \d+,\d% \(\d+ phiếu\) \| Tốt /);
          await expectCounter(d, 'the English-language browser opened the article',
            { today: before.today + 1, total: before.total + 1, views: before.page.views + 1 });
        } finally {
          await english.close().catch(() => {});
        }
      });
    },
  });
}
