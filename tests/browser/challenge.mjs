// Ballots under the proof-of-work challenge, through the widget on a portal
// of another site with a strict CSP: one tally per level
// (TALLY_CHALLENGE_LEVEL 1 to 5), a vote at each, the solving time the
// widget measured, and a table of them in the log. A ballot without a
// proof is refused, so these scenarios cannot pass with the challenge off.

import assert from 'node:assert/strict';

import {
  HOSTS, getJson, newContext, scenario, startPortal, startTally, waitForText,
} from './harness.mjs';

const desktop = { viewport: { width: 1280, height: 900 } };
const OPTIONS = [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }];
const COMPACT = /^[^.]+\.(?:[^.]*\.)*\d+\.[0-9a-f]{64}$/;

export async function challenge(browser) {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const table = [];

  for (const level of [1, 2, 3, 4, 5]) {
    await scenario(`challenge: level ${level}: a ballot without proof is refused; the widget solves, votes once`, async () => {
      const tally = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_CHALLENGE_LEVEL: String(level) } });
      portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
      await getJson(`${tally.ops}/admin/polls/thu-thach`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ question: 'Thử thách?', options: OPTIONS, challenge: 'on' }),
      });
      const bare = await fetch(`${tally.origin}/v1/polls/thu-thach/votes`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"options":["co"]}',
      });
      assert.equal(bare.status, 403, 'a ballot without proof');
      assert.equal((await bare.json()).error.code, 'challenge_required');
      const issued = await getJson(`${tally.origin}/v1/polls/thu-thach/challenge`);
      assert.equal(issued.level, level, `the challenge's level: ${JSON.stringify(issued)}`);

      const context = await newContext(browser, `CH${level}`, desktop);
      const page = await context.newPage();
      const sent = [];
      page.on('request', (r) => { if (r.url().endsWith('/votes') && r.method() === 'POST') sent.push(JSON.parse(r.postData())); });
      await page.goto(`${portalOrigin}/binh-chon?poll=thu-thach`, { waitUntil: 'load' });
      const poll = page.locator('[data-tally-poll]');
      const root = poll.locator('.tally-widget');
      // Solving starts as soon as the poll is shown.
      await poll.locator('.tally-widget[data-tally-solve-ms]').waitFor({ timeout: 30_000 });
      await poll.locator('label', { hasText: 'Có' }).click();
      await poll.locator('button[type=submit]').click();
      await waitForText(poll.locator('[aria-live]'), 'Cảm ơn bạn đã tham gia bình chọn!');
      const ms = Number(await root.getAttribute('data-tally-solve-ms'));
      assert.equal(Number(await root.getAttribute('data-tally-challenge-level')), level);
      assert.equal(sent.length, 1, 'one ballot request');
      assert.match(sent[0].proof, COMPACT, 'the compact proof: salt, number, ".", signature');
      assert.match(sent[0].ballot, /^[0-9a-f]{32}$/);
      const r = await getJson(`${tally.origin}/v1/polls/thu-thach/results`);
      assert.equal(r.total_votes, 1, 'counted once');
      table.push({ level, maxnumber: issued.maxnumber, ms });
    });
  }

  await scenario('challenge: a ballot whose answer was lost (503 to the page) is retried with its id and proof, and counts once', async () => {
    const tally = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_CHALLENGE_LEVEL: '1' } });
    portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
    await getJson(`${tally.ops}/admin/polls/thu-thach`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'Thử thách?', options: OPTIONS, challenge: 'on' }),
    });
    const context = await newContext(browser, 'CH-retry', desktop, [/Failed to load resource/]);
    const page = await context.newPage();
    const answers = [];
    await page.route('**/v1/polls/thu-thach/votes', async (route) => {
      // Node resolves no test host names: the same request, to loopback.
      const r = await route.fetch({ url: route.request().url().replace(HOSTS.crossSite, '127.0.0.1') });
      answers.push({ status: r.status(), body: await r.json(), sent: JSON.parse(route.request().postData()) });
      if (answers.length > 1) return route.fulfill({ response: r });
      return route.fulfill({
        status: 503,
        headers: { ...r.headers(), 'retry-after': '1', 'access-control-expose-headers': 'retry-after' },
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'store_unavailable', message: 'x' } }),
      });
    });
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

  if (table.length) {
    console.log('      level  maxnumber  solve ms (in the browser)');
    for (const { level, maxnumber, ms } of table) {
      console.log(`      ${String(level).padStart(5)}  ${String(maxnumber).padStart(9)}  ${String(ms).padStart(8)}`);
    }
  }
}
