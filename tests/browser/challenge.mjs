// Ballots under the proof-of-work challenge, through the widget on a portal
// of another site with a strict CSP: one tally per level
// (TALLY_CHALLENGE_LEVEL 1 to 5), a vote at each, the solving time the
// widget measured, and a table of them in the log. A ballot without a
// proof is refused, so these scenarios cannot pass with the challenge off.

import assert from 'node:assert/strict';

import {
  HOSTS, eventually, getJson, loseFirstAnswer, newContext, putPoll, scenario, sleep, startPortal, startTally, textOf, waitForText,
} from './harness.mjs';

const desktop = { viewport: { width: 1280, height: 900 } };
const OPTIONS = [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }];
const COMPACT = /^[^.]+\.(?:[^.]*\.)*\d+\.[0-9a-f]{64}$/;

export async function challenge(browser) {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const table = [];
  // A tally whose `on` polls ask for `level`, serving the portal's pages the
  // poll thu-thach with its challenge on.
  const challenged = async (level) => {
    const tally = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_CHALLENGE_LEVEL: String(level) } });
    portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
    await putPoll(tally, 'thu-thach', { question: 'Thử thách?', options: OPTIONS, challenge: 'on' });
    return tally;
  };

  for (const level of [1, 2, 3, 4, 5]) {
    await scenario(`challenge: level ${level}: a ballot without proof is refused; the widget solves, three vote once each`, async () => {
      const tally = await challenged(level);
      const bare = await fetch(`${tally.origin}/v1/polls/thu-thach/votes`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"options":["co"]}',
      });
      assert.equal(bare.status, 403, 'a ballot without proof');
      assert.equal((await bare.json()).error.code, 'challenge_required');
      const issued = await getJson(`${tally.origin}/v1/polls/thu-thach/challenge`);
      assert.equal(issued.level, level, `the challenge's level: ${JSON.stringify(issued)}`);

      // Three people vote; the last clicks at once, maybe while solving.
      const times = [];
      let verifying = 0;
      for (const n of [1, 2, 3]) {
        const context = await newContext(browser, `CH${level}-${n}`, desktop);
        // Whether the widget ever said it was still verifying.
        // (The widget draws in a shadow root, out of the document's text.)
        await context.addInitScript(() => {
          setInterval(() => {
            const host = document.querySelector('[data-tally-poll]');
            const text = host && host.shadowRoot ? host.shadowRoot.textContent : '';
            if (text.includes('Đang xác minh')) window.__verifying = true;
            if (host && host.shadowRoot && host.shadowRoot.querySelector('.tw-msg progress')) window.__progress = true;
          }, 10);
        });
        const page = await context.newPage();
        const sent = [];
        page.on('request', (r) => { if (r.url().endsWith('/votes') && r.method() === 'POST') sent.push(JSON.parse(r.postData())); });
        const solvers = [];
        page.on('request', (r) => { if (/\/solver\./.test(new URL(r.url()).pathname)) solvers.push(r.url()); });
        await page.goto(`${portalOrigin}/binh-chon?poll=thu-thach`, { waitUntil: 'load' });
        const poll = page.locator('[data-tally-poll]');
        const root = poll.locator('.tally-widget');
        // Solving starts as soon as the poll is shown.
        if (n < 3) await poll.locator('.tally-widget[data-tally-solve-ms]').waitFor({ timeout: 30_000 });
        else await poll.locator('form').waitFor();
        await poll.locator('label', { hasText: 'Có' }).click();
        await poll.locator('button[type=submit]').click();
        await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!', `level ${level}, voter ${n}`);
        times.push(Number(await root.getAttribute('data-tally-solve-ms')));
        if (await page.evaluate(() => window.__verifying === true)) {
          verifying++;
          assert.equal(await page.evaluate(() => window.__progress === true), true, 'a voter who waits sees how far the check has gone');
        }
        assert.equal(Number(await root.getAttribute('data-tally-challenge-level')), level);
        assert.equal(sent.length, 1, 'one ballot request');
        assert.equal(solvers.length, 1, `the solver loaded once: ${solvers}`);
        assert.match(solvers[0], new RegExp(`^${portal.state.tally.replace(/[.]/g, '\\.')}/solver\\.[0-9a-f]{10}\\.js$`), 'its versioned name, from tally');
        assert.match(sent[0].proof, COMPACT, 'the compact proof: salt, number, ".", signature');
        assert.match(sent[0].ballot, /^[0-9a-f]{32}$/);
        await context.close();
      }
      const r = await getJson(`${tally.origin}/v1/polls/thu-thach/results`);
      assert.equal(r.total_votes, 3, 'each counted once');
      table.push({ level, maxnumber: issued.maxnumber, times, verifying });
    });
  }

  await scenario('challenge: on a 6× slower CPU a quick voter sees how far the check has gone, and votes once', async () => {
    const tally = await challenged(5);
    const context = await newContext(browser, 'CH-slow', desktop);
    await context.addInitScript(() => {
      setInterval(() => {
        const host = document.querySelector('[data-tally-poll]');
        const bar = host && host.shadowRoot && host.shadowRoot.querySelector('.tw-msg progress');
        if (bar) window.__seen = [...(window.__seen || []), bar.value];
      }, 50);
    });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
    // A slow network too: the challenge arrives 1.5 s late, so the voter's
    // click always comes before the check is done.
    await page.route('**/v1/polls/thu-thach/challenge', async (route) => { await sleep(1500); await route.continue(); });
    await page.goto(`${portalOrigin}/binh-chon?poll=thu-thach`, { waitUntil: 'load' });
    const poll = page.locator('[data-tally-poll]');
    // The voter clicks as soon as the form is there, long before the check ends.
    await poll.locator('form').waitFor();
    await poll.locator('label', { hasText: 'Có' }).click();
    await poll.locator('button[type=submit]').click();
    await waitForText(poll.locator('[aria-live]'), 'Đang xác minh phiếu bầu, xin chờ giây lát…');
    // Level 5 on a 6× slower CPU: up to 12 s of solving, by the draw.
    await eventually('the ballot counted after the check', async () => {
      const text = await textOf(poll.locator('[aria-live]'));
      return { ok: text.includes('Cảm ơn bạn đã tham gia bình chọn!'), detail: text };
    }, 40_000);
    const seen = await page.evaluate(() => window.__seen || []);
    assert.ok(seen.length >= 1, 'the progress bar was on screen while waiting');
    const solved = Number(await poll.locator('.tally-widget').getAttribute('data-tally-solve-ms'));
    // The answer may lie anywhere among the numbers: a long search shows it moving.
    if (solved > 1500) assert.ok(seen.some((v) => v > seen[0]), `solved in ${solved} ms and the bar moved: ${seen.slice(0, 10)}`);
    console.log(`      level 5 on a 6× slower CPU: solved in ${solved} ms, progress ${seen[0]}% → ${seen[seen.length - 1]}%`);
    const r = await getJson(`${tally.origin}/v1/polls/thu-thach/results`);
    assert.equal(r.total_votes, 1, 'counted once');
    await context.close();
  });

  await scenario('challenge: a ballot whose answer was lost (503 to the page) is retried with its id and proof, and counts once', async () => {
    const tally = await challenged(1);
    const context = await newContext(browser, 'CH-retry', desktop, [/Failed to load resource/]);
    const page = await context.newPage();
    const answers = await loseFirstAnswer(page, '**/v1/polls/thu-thach/votes');
    await page.goto(`${portalOrigin}/binh-chon?poll=thu-thach`, { waitUntil: 'load' });
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('form').waitFor();
    await poll.locator('label', { hasText: 'Không' }).click();
    await poll.locator('button[type=submit]').click();
    await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
    assert.deepEqual(answers.map((a) => a.status), [201, 201],
      `the retry gets the ballot's one verdict: ${JSON.stringify(answers.map((a) => a.body))}`);
    assert.deepEqual(answers[1].sent, answers[0].sent, 'the same body: ballot id and proof');
    const r = await getJson(`${tally.origin}/v1/polls/thu-thach/results`);
    assert.equal(r.total_votes, 1, 'counted once');
  });

  await scenario('challenge: an expired proof is solved again and the ballot resent under its id; an invalid one is said plainly', async () => {
    const tally = await challenged(1);
    const refuse = (route, code) => route.fulfill({
      status: 403,
      headers: { 'access-control-allow-origin': portalOrigin, 'access-control-allow-credentials': 'true' },
      contentType: 'application/json',
      body: JSON.stringify({ error: { code, message: code } }),
    });
    for (const code of ['challenge_expired', 'challenge_invalid']) {
      const context = await newContext(browser, `CH-${code}`, desktop, [/status of 403/]);
      const page = await context.newPage();
      const sent = [];
      let challenges = 0;
      page.on('request', (r) => { if (r.url().endsWith('/challenge')) challenges++; });
      await page.route('**/v1/polls/thu-thach/votes', (route) => {
        sent.push(JSON.parse(route.request().postData()));
        return sent.length === 1 ? refuse(route, code) : route.continue();
      });
      await page.goto(`${portalOrigin}/binh-chon?poll=thu-thach`, { waitUntil: 'load' });
      const poll = page.locator('[data-tally-poll]');
      await poll.locator('.tally-widget[data-tally-solve-ms]').waitFor();
      await poll.locator('label', { hasText: 'Có' }).click();
      await poll.locator('button[type=submit]').click();
      if (code === 'challenge_expired') {
        await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
        assert.equal(sent.length, 2, 'resent once');
        assert.equal(sent[1].ballot, sent[0].ballot, 'under the same ballot id');
        assert.notEqual(sent[1].proof, sent[0].proof, 'with a new proof');
        assert.equal(challenges, 2, 'a second challenge fetched');
      } else {
        await waitForText(poll.locator('[aria-live]'), 'Không xác minh được phiếu bầu. Vui lòng tải lại trang và thử lại.');
        assert.equal(sent.length, 1, 'not resent');
        assert.equal(await poll.locator('form').isVisible(), true);
      }
    }
    const r = await getJson(`${tally.origin}/v1/polls/thu-thach/results`);
    assert.equal(r.total_votes, 1, 'the resent ballot counted once, the refused one not at all');
  });

  if (table.length) {
    console.log('      level  maxnumber  solve ms in the browser (three voters; "verifying" shown)');
    for (const { level, maxnumber, times, verifying } of table) {
      console.log(`      ${String(level).padStart(5)}  ${String(maxnumber).padStart(9)}  ${times.join(', ')} (${verifying} of 3)`);
    }
  }
}
