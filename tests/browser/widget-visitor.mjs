// The poll widget as a visitor meets it, on a portal of another site
// (portal.test and tally.other.test) under the portal's strict CSP, in an
// English-language browser: the site's language, results shown only when
// the poll allows, dates in the poll's time zone, results that follow new
// ballots, honest error states, and a ballot retried under one id.

import assert from 'node:assert/strict';

import {
  HOSTS, axeCheck, cleanups, counterRows, eventually, getJson, loseFirstAnswer, newContext, putPoll, resultRows, scenario, sleep,
  startPortal, startTally, textOf, waitForText,
} from './harness.mjs';

const desktop = { viewport: { width: 1280, height: 900 } };
const english = { ...desktop, locale: 'en-US', extraHTTPHeaders: { 'accept-language': 'en-US,en;q=0.9' } };
const OPTIONS = [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }];
const MODES = ['always', 'after_vote', 'after_close', 'never'];
// tally's default TALLY_TIMEZONE, seven hours east of Greenwich all year.
const ZONE_HOURS = 7;

const pad = (n) => String(n).padStart(2, '0');
/** "HH:MM" and "DD/MM/YYYY" of `iso` in the poll's zone, worked out by hand. */
export function viDate(iso) {
  const t = new Date(Date.parse(iso) + ZONE_HOURS * 3600e3);
  return {
    time: `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`,
    day: `${pad(t.getUTCDate())}/${pad(t.getUTCMonth() + 1)}/${t.getUTCFullYear()}`,
  };
}

/** A whole minute at least `minutes` ahead, as RFC 3339. */
const ahead = (minutes) => new Date(Math.ceil(Date.now() / 60e3 + minutes) * 60e3).toISOString().replace('.000', '');

export async function widgetVisitor(browser) {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const tally = await startTally({ allowedOrigins: [portalOrigin] });
  portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
  const admin = (id, body) => putPoll(tally, id, { question: `Câu hỏi ${id}?`, options: OPTIONS, ...body });
  const results = (id) => getJson(`${tally.origin}/v1/polls/${id}/results`);
  // What an editor sees, whatever the poll shows visitors.
  const tallied = async (id) => (await getJson(`${tally.ops}/admin/polls/${id}`, {
    headers: { authorization: `Bearer ${tally.adminToken}` },
  })).results;
  const pageOf = (id, lang) => `${portalOrigin}/binh-chon?poll=${id}${lang ? `&lang=${lang}` : ''}`;
  const open = async (context, id, lang) => {
    const page = await context.newPage();
    await page.goto(pageOf(id, lang), { waitUntil: 'load' });
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('.tally-widget').waitFor();
    return { page, poll };
  };
  const vote = async (poll, label, message = 'Cảm ơn bạn đã tham gia bình chọn!') => {
    await poll.locator('label', { hasText: label }).click();
    await poll.locator('button[type=submit]').click();
    await waitForText(poll.locator('[aria-live]'), message);
  };

  await scenario('visitor: Vietnamese in an English-language browser; data-lang="en" in English', async () => {
    await admin('ngon-ngu', {});
    const context = await newContext(browser, 'V1', english);
    // No poll here asks for a challenge: the solver is never fetched.
    const solvers = [];
    context.on('request', (r) => { if (/\/solver\.([0-9a-f]{10}\.)?js$/.test(new URL(r.url()).pathname)) solvers.push(r.url()); });
    const { page, poll } = await open(context, 'ngon-ngu');
    assert.equal(await page.evaluate(() => navigator.language), 'en-US', 'the browser speaks English');
    await poll.locator('form').waitFor();
    assert.equal(await poll.locator('.tally-widget').getAttribute('lang'), 'vi');
    assert.deepEqual(await poll.locator('button').allInnerTexts(), ['Gửi bình chọn', 'Xem kết quả']);
    const rows = await counterRows(page.locator('[data-tally="counter"]'));
    assert.match(rows['Tổng lượt truy cập'], /^7\.582\.8\d\d$/, 'vi-VN digits');

    const en = await open(context, 'ngon-ngu', 'en');
    await en.poll.locator('form').waitFor();
    assert.equal(await en.poll.locator('.tally-widget').getAttribute('lang'), 'en');
    assert.deepEqual(await en.poll.locator('button').allInnerTexts(), ['Submit vote', 'See results']);
    const enRows = await counterRows(en.page.locator('[data-tally="counter"]'));
    assert.match(enRows['Total visits'], /^7,582,8\d\d$/, 'English digits');
    await vote(en.poll, 'Không', 'Thank you for voting!');
    assert.ok((await resultRows(en.poll)).includes('Không 100.0% (1 vote)'));
    assert.deepEqual(solvers, [], 'the solver is not loaded without a challenged poll');
  });

  // One poll per results visibility; one person votes in each, another
  // never does; then all four close.
  const voter = await newContext(browser, 'V2', english);
  const other = await newContext(browser, 'V3', english);
  const closesLater = ahead(60);
  const hiddenBefore = {
    always: null,
    after_vote: 'Kết quả sẽ hiển thị sau khi bạn bình chọn.',
    after_close: `Kết quả sẽ được công bố sau khi cuộc bình chọn kết thúc (${viDate(closesLater).time} ${viDate(closesLater).day}).`,
    never: 'Kết quả của cuộc bình chọn này không được công bố.',
  };

  await scenario('visitor: each results visibility before voting (always, after_vote, after_close, never)', async () => {
    for (const mode of MODES) {
      await admin(`xem-${mode.replace('_', '-')}`, { results: mode, closes_at: closesLater });
      const { page, poll } = await open(other, `xem-${mode.replace('_', '-')}`);
      await poll.locator('form').waitFor();
      const see = poll.locator('button', { hasText: 'Xem kết quả' });
      if (mode === 'always') {
        await see.click();
        await waitForText(poll, 'Kết quả bình chọn');
        assert.equal(await poll.locator('.tw-list li').count(), 2, `${mode}: results shown`);
      } else {
        assert.equal(await see.isVisible(), false, `${mode}: no results button`);
        await waitForText(poll, hiddenBefore[mode], `${mode}: says when the results come`);
        assert.equal(await poll.locator('.tw-list').count(), 0, `${mode}: no results shown`);
        const r = await fetch(`${tally.origin}/v1/polls/xem-${mode.replace('_', '-')}/results`);
        assert.equal(r.status, 403, `${mode}: the API hides them too`);
        assert.equal((await r.json()).error.code, 'results_hidden');
      }
      await page.close();
    }
  });

  await scenario('visitor: each results visibility after voting: the own choice always, the results only when allowed', async () => {
    for (const mode of MODES) {
      const { page, poll } = await open(voter, `xem-${mode.replace('_', '-')}`);
      await vote(poll, 'Có');
      const check = async (when) => {
        if (mode === 'always' || mode === 'after_vote') {
          assert.deepEqual(await resultRows(poll), ['Có 100,0% (1 phiếu)', 'Không 0,0% (0 phiếu)'], `${mode} ${when}`);
        } else {
          await waitForText(poll, 'Lựa chọn của bạn: Có.', `${mode} ${when}: the own choice`);
          await waitForText(poll, hiddenBefore[mode], `${mode} ${when}: when results come`);
          assert.equal(await poll.locator('.tw-list').count(), 0, `${mode} ${when}: no results`);
        }
      };
      await check('after the ballot');
      await page.reload({ waitUntil: 'load' });
      await waitForText(poll, 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!');
      await check('after a reload');
      await page.close();
      assert.equal((await tallied(`xem-${mode.replace('_', '-')}`)).total_votes, 1, `${mode}: one ballot counted`);
    }
  });

  await scenario('visitor: each results visibility after closing, for the voter and for someone who did not vote', async () => {
    const closesAt = new Date(Date.now() + 2000).toISOString();
    for (const mode of MODES) await admin(`xem-${mode.replace('_', '-')}`, { results: mode, closes_at: closesAt });
    await sleep(Math.max(0, Date.parse(closesAt) - Date.now()) + 300);
    const { time, day } = viDate(closesAt);
    for (const mode of MODES) {
      for (const [who, context] of [['voter', voter], ['non-voter', other]]) {
        const { page, poll } = await open(context, `xem-${mode.replace('_', '-')}`);
        await waitForText(poll, `Cuộc bình chọn đã kết thúc lúc ${time} ${day}.`, `${mode}, ${who}: closed, with its date`);
        assert.equal(await poll.locator('form').isVisible(), false);
        if (mode === 'never') {
          await waitForText(poll, hiddenBefore.never);
          assert.equal(await poll.locator('.tw-list').count(), 0, `${mode}, ${who}: still hidden`);
          if (who === 'voter') await waitForText(poll, 'Lựa chọn của bạn: Có.', 'the voter still sees their choice');
        } else {
          assert.deepEqual(await resultRows(poll), ['Có 100,0% (1 phiếu)', 'Không 0,0% (0 phiếu)'], `${mode}, ${who}`);
        }
        await page.close();
      }
    }
  });

  await scenario('visitor: closed and not-yet-open polls show their dates in the poll\'s time zone', async () => {
    const opensAt = '2099-01-01T00:00:00Z';
    await admin('sap-mo', { opens_at: opensAt });
    const closedAt = '2026-01-02T03:04:00Z';
    await admin('da-dong', { opens_at: '2026-01-01T00:00:00Z', closes_at: closedAt });
    const context = await newContext(browser, 'V4', english);
    const later = await open(context, 'sap-mo');
    await waitForText(later.poll, 'Cuộc bình chọn chưa bắt đầu. Thời gian bắt đầu: 07:00 01/01/2099.');
    assert.equal(await later.poll.locator('form').isVisible(), false);
    const laterEn = await open(context, 'sap-mo', 'en');
    await waitForText(laterEn.poll, 'This poll has not opened yet. It opens on 1 January 2099');
    assert.match(await textOf(laterEn.poll), /07:00/);
    const closed = await open(context, 'da-dong');
    await waitForText(closed.poll, 'Cuộc bình chọn đã kết thúc lúc 10:04 02/01/2026.');
    const closedEn = await open(context, 'da-dong', 'en');
    await waitForText(closedEn.poll, 'This poll closed on 2 January 2026');
    assert.match(await textOf(closedEn.poll), /10:04/);
  });

  await scenario('visitor: results follow ballots from another browser by themselves (stream; reads for after_vote)', async () => {
    await admin('truc-tiep', {});
    const watcher = await newContext(browser, 'V5', english);
    const streams = [];
    watcher.on('request', (r) => { if (r.url().includes('/events')) streams.push(r.url()); });
    const { poll } = await open(watcher, 'truc-tiep');
    await poll.locator('button', { hasText: 'Xem kết quả' }).click();
    await waitForText(poll, 'Tổng số phiếu: 0');
    const voters = [];
    for (const [n, label] of [[1, 'Có'], [2, 'Không']]) {
      const someone = await newContext(browser, `V5-${n}`, english);
      voters.push(someone);
      const other = (await open(someone, 'truc-tiep')).poll;
      const started = Date.now();
      await vote(other, label);
      await waitForText(poll, `Tổng số phiếu: ${n}`, `the watcher sees ballot ${n}`);
      console.log(`      ballot ${n} from its click reached the other browser's results in ${Date.now() - started} ms`);
    }
    assert.deepEqual(await resultRows(poll), ['Có 50,0% (1 phiếu)', 'Không 50,0% (1 phiếu)']);
    assert.equal(streams.length, 1, 'one EventSource stream, no reconnects');

    // after_vote: the stream cannot name the voter, so the voter's view reads.
    await admin('truc-tiep-sau', { results: 'after_vote' });
    const { poll: mine } = await open(watcher, 'truc-tiep-sau');
    await vote(mine, 'Có');
    await vote((await open(voters[0], 'truc-tiep-sau')).poll, 'Không');
    await waitForText(mine, 'Tổng số phiếu: 2', 'the after_vote voter sees the next ballot within a read');
    assert.equal(streams.length, 1, 'no stream for an after_vote poll');
  });

  await scenario('visitor: a replica with no stream to spare (503 too_many_streams): results follow by reads', async () => {
    const full = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_MAX_STREAMS: '0' } });
    await putPoll(full, 'day-du', { question: 'Câu hỏi day-du?', options: OPTIONS });
    const before = portal.state.tally;
    portal.state.tally = `http://${HOSTS.crossSite}:${full.port}`;
    try {
      // Every results view here is refused its stream: the browser logs each 503.
      const refusedStream = [/status of 503 .*\/v1\/polls\/day-du\/events\]$/];
      const watcher = await newContext(browser, 'V6', english, refusedStream);
      const refused = [];
      watcher.on('response', (r) => { if (r.url().includes('/events')) refused.push(r.status()); });
      const { poll } = await open(watcher, 'day-du');
      await poll.locator('button', { hasText: 'Xem kết quả' }).click();
      await waitForText(poll, 'Tổng số phiếu: 0');
      const someone = await newContext(browser, 'V6-1', english, refusedStream);
      const started = Date.now();
      await vote((await open(someone, 'day-du')).poll, 'Có');
      await eventually('the watcher sees the ballot through a read', async () => {
        const text = await textOf(poll);
        return { ok: /Tổng số phiếu: 1/.test(text), detail: text };
      }, 15_000);
      console.log(`      with every stream refused, the ballot reached the other browser's results in ${Date.now() - started} ms`);
      assert.ok(refused.length >= 1 && refused.every((status) => status === 503), `the stream was refused: ${refused}`);
      assert.doesNotMatch(await textOf(poll), /Không tải được|lỗi/i, 'no error shown for a refused stream');
    } finally {
      portal.state.tally = before;
    }
  });

  await scenario('visitor: equal bar tracks at 0 % and 100 %, and the portal\'s font', async () => {
    const { page, poll } = await open(voter, 'xem-always');
    await poll.locator('.tw-list').waitFor();
    const boxes = await poll.locator('.tw-bar').evaluateAll((bars) => bars.map((b) => {
      const r = b.getBoundingClientRect();
      const f = b.firstElementChild.getBoundingClientRect();
      return { left: r.left, right: r.right, width: r.width, fill: f.width };
    }));
    assert.equal(boxes.length, 2);
    assert.deepEqual(boxes[0].left, boxes[1].left, 'same left edge');
    assert.deepEqual(boxes[0].right, boxes[1].right, 'same right edge');
    assert.ok(boxes[0].width > 100, `a track of ${boxes[0].width}px`);
    assert.equal(boxes[0].fill, boxes[0].width, '100 % fills the track');
    assert.equal(boxes[1].fill, 0, '0 % fills nothing');
    const fonts = await page.evaluate(() => {
      const host = document.querySelector('[data-tally-poll]');
      return [getComputedStyle(host.shadowRoot.querySelector('.tally-widget')).fontFamily, getComputedStyle(host).fontFamily];
    });
    assert.equal(fonts[0], fonts[1], 'the widget inherits the portal\'s font');
  });

  await scenario('visitor: a page whose origin is not allowed keeps the portal\'s fallback link and says why', async () => {
    // The portal's own address (127.0.0.1) is not among tally's origins.
    const context = await newContext(browser, 'V6', english, [/CORS policy/, /Failed to load resource/]);
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${portal.port}/binh-chon?poll=xem-always`, { waitUntil: 'load' });
    const poll = page.locator('[data-tally-poll]');
    await waitForText(poll, 'Không tải được dữ liệu. Vui lòng thử lại sau. Bạn vẫn có thể dùng liên kết dưới đây.');
    const link = poll.locator('a', { hasText: 'Tham gia bình chọn' });
    assert.equal(await link.getAttribute('href'), `${portal.state.tally}/polls/xem-always`);
    assert.ok(await link.isVisible(), 'the fallback link is shown');
  });

  await scenario('visitor: a rate-limited ballot names tally\'s Retry-After seconds', async () => {
    // A tally that takes one ballot a second from an address.
    const strict = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_VOTE_RATE_LIMIT: '1,1' } });
    const saved = portal.state.tally;
    portal.state.tally = `http://${HOSTS.crossSite}:${strict.port}`;
    try {
      await putPoll(strict, 'nhanh', { question: 'Nhanh?', options: OPTIONS });
      const context = await newContext(browser, 'V7', english, [/status of 429/]);
      const { page, poll } = await open(context, 'nhanh');
      await poll.locator('form').waitFor();
      // Just before the page's ballot leaves, another ballot from the same
      // address spends this second's one; tally then answers the page.
      await page.route('**/v1/polls/nhanh/votes', async (route) => {
        await fetch(`${strict.origin}/v1/polls/nhanh/votes`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"options":["khong"]}',
        });
        return route.continue();
      });
      const answered = page.waitForResponse((r) => r.url().endsWith('/votes') && r.request().method() === 'POST');
      await poll.locator('label', { hasText: 'Có' }).click();
      await poll.locator('button[type=submit]').click();
      const r = await answered;
      assert.equal(r.status(), 429, 'tally refused the page\'s ballot');
      const seconds = await r.headerValue('retry-after');
      assert.match(seconds, /^\d+$/);
      await waitForText(poll.locator('[aria-live]'), `Bạn thao tác quá nhanh. Vui lòng thử lại sau ${seconds} giây.`);
      assert.equal(await poll.locator('form').isVisible(), true, 'the form stays for another try');
    } finally {
      portal.state.tally = saved;
    }
  });

  await scenario('visitor: a ballot retried after a network error and after a 503 keeps its id and counts once', async () => {
    await admin('thu-lai', {});
    const context = await newContext(browser, 'V8', english, [/Failed to load resource/]);
    const { page, poll } = await open(context, 'thu-lai');
    await poll.locator('form').waitFor();
    const sent = [];
    await page.route('**/v1/polls/thu-lai/votes', async (route) => {
      sent.push(JSON.parse(route.request().postData()));
      if (sent.length === 1) return route.abort('failed');
      return route.continue();
    });
    await vote(poll, 'Có');
    assert.equal(sent.length, 2, 'one retry');
    assert.match(sent[0].ballot, /^[0-9a-f]{32}$/);
    assert.deepEqual(sent[1], sent[0], 'the retry is the same body, with the same ballot id');
    assert.equal((await results('thu-lai')).total_votes, 1);
    await page.unroute('**/v1/polls/thu-lai/votes');

    // The first try reaches tally and is counted; the page is told 503.
    const second = await newContext(browser, 'V9', english, [/Failed to load resource/]);
    const { page: page2, poll: poll2 } = await open(second, 'thu-lai');
    await poll2.locator('form').waitFor();
    const answers = await loseFirstAnswer(page2, '**/v1/polls/thu-lai/votes');
    await vote(poll2, 'Không');
    assert.deepEqual(answers.map((a) => a.status), [201, 201], 'the retry gets the ballot\'s one verdict');
    assert.equal(answers[1].sent.ballot, answers[0].sent.ballot);
    assert.equal(answers[1].body.ballot, answers[0].sent.ballot);
    const r = await results('thu-lai');
    assert.equal(r.total_votes, 2, `two people, two votes: ${JSON.stringify(r)}`);
    assert.equal(r.options.find((o) => o.id === 'khong').votes, 1, 'the retried ballot counted once');
  });

  await scenario('visitor: axe on hidden results, dates and live results: no serious or critical violation', async () => {
    const auditor = await browser.newContext({ ...english, bypassCSP: true });
    cleanups.push(() => auditor.close().catch(() => {}));
    const ready = (text) => async (page) => { await waitForText(page.locator('[data-tally-poll]'), text); };
    const counts = [];
    counts.push(await axeCheck(auditor, pageOf('xem-never'), ready('không được công bố')));
    counts.push(await axeCheck(auditor, pageOf('sap-mo'), ready('Thời gian bắt đầu')));
    counts.push(await axeCheck(auditor, pageOf('truc-tiep'), async (page) => {
      await page.locator('[data-tally-poll] button', { hasText: 'Xem kết quả' }).click();
      await page.locator('[data-tally-poll] .tw-list').waitFor();
    }));
    console.log(`      minor or moderate findings per page: ${counts.join(', ')}`);
  });
}
