// The widget on a slow phone: a portal announcement with the poll and the
// counter in its first screen, loaded at 1.5 s of latency, 40 kB/s and a
// CPU six times slower (Chrome DevTools Protocol throttling). With the
// lines the console and docs/widget.md give in the portal's stylesheet,
// nothing on the page moves as the widgets arrive, nor when a quick voter
// votes while the challenge is being solved; without them, it does.

import assert from 'node:assert/strict';

import {
  HOSTS, STANDARD_POLL, eventually, newContext, putPoll, scenario, startPortal, startTally, textOf,
} from './harness.mjs';

const SLOW = { offline: false, latency: 1500, downloadThroughput: 40 * 1024, uploadThroughput: 40 * 1024 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Runs before the page: every layout shift, and the challenge's progress bar. */
function observe() {
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__shifts.push({
        value: e.value, input: e.hadRecentInput, at: Math.round(e.startTime),
        moved: (e.sources || []).map((m) => `${m.node ? (m.node.id || m.node.nodeName) : '?'} ${Math.round(m.previousRect.y)}→${Math.round(m.currentRect.y)} h${Math.round(m.previousRect.height)}→${Math.round(m.currentRect.height)}`),
      });
    }
  }).observe({ type: 'layout-shift', buffered: true });
  setInterval(() => {
    const host = document.querySelector('[data-tally-poll]');
    const bar = host && host.shadowRoot && host.shadowRoot.querySelector('.tw-msg progress');
    if (bar) window.__progress = [...(window.__progress || []), bar.value];
    // What the poll said, each text once: a check that is over before the
    // test looks is still seen to have been announced.
    const live = host && host.shadowRoot && host.shadowRoot.querySelector('[aria-live]');
    const said = live && live.textContent.trim();
    if (said && !(window.__said || []).includes(said)) window.__said = [...(window.__said || []), said];
  }, 50);
}

const shifted = (shifts) => Math.round(shifts.filter((s) => !s.input).reduce((sum, s) => sum + s.value, 0) * 10000) / 10000;

export async function layout(browser) {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const tally = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_CHALLENGE_LEVEL: '3' } });
  portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
  await putPoll(tally, 'y-kien-cong', STANDARD_POLL);

  const slowPhone = async (name, url) => {
    const context = await newContext(browser, name, PHONE);
    await context.addInitScript(observe);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    const poll = page.locator('[data-tally-poll]');
    await poll.locator('form').waitFor({ timeout: 60_000 });
    await eventually('the counter and the views drawn', async () => {
      const counter = await textOf(page.locator('[data-tally="counter"]'));
      const views = await textOf(page.locator('[data-tally="views"]'));
      return { ok: counter.includes('Tổng lượt truy cập') && /\d/.test(views), detail: `${counter} | ${views}` };
    }, 60_000);
    return { context, page, poll };
  };

  await scenario('layout: on a slow phone nothing moves as the widgets arrive (CLS ≤ 0.01), nor when a quick voter votes during the check', async () => {
    const { context, page, poll } = await slowPhone('L-kept', `${portalOrigin}/cong-thong-tin?poll=y-kien-cong`);
    const loaded = shifted(await page.evaluate(() => window.__shifts));
    // The voter clicks as soon as the form is there: the challenge and the
    // solver are still on their way through the slow network.
    await poll.locator('label', { hasText: 'Tốt' }).first().click();
    await poll.locator('button[type=submit]').click();
    await eventually('the ballot counted after the check', async () => {
      const text = await textOf(poll.locator('[aria-live]'));
      return { ok: text.includes('Cảm ơn bạn đã tham gia bình chọn!'), detail: text };
    }, 60_000);
    // The results arrive over the slow network after the thanks.
    await poll.locator('li').first().waitFor({ timeout: 30_000 });
    const progress = await page.evaluate(() => window.__progress || []);
    const all = await page.evaluate(() => window.__shifts);
    const total = shifted(all);
    console.log(`      layout shift: ${loaded} while loading, ${total} by the end of the vote; progress bar seen ${progress.length} times`);
    assert.ok(loaded <= 0.01, `CLS while loading ${loaded}: ${JSON.stringify(all)}`);
    assert.ok(total <= 0.01, `CLS by the end of the vote ${total}: ${JSON.stringify(all)}`);
    assert.ok(progress.length >= 1, 'the quick voter saw the progress bar');
    const said = await page.evaluate(() => window.__said || []);
    assert.ok(said.some((t) => t.includes('Đang xác minh phiếu bầu, xin chờ giây lát…')), `told of the check: ${JSON.stringify(said)}`);
    const r = await (await fetch(`${tally.origin}/v1/polls/y-kien-cong/results`)).json();
    assert.equal(r.total_votes, 1, 'counted once');
    await context.close();
  });

  await scenario('layout: without the reserved place the same page moves (the measure sees shifts)', async () => {
    // The stylesheet keeps y-kien-cong's place, not danh-gia-cong's.
    const { context, page } = await slowPhone('L-unkept', `${portalOrigin}/cong-thong-tin?poll=danh-gia-cong`);
    const cls = shifted(await page.evaluate(() => window.__shifts));
    console.log(`      layout shift without the poll's place kept: ${cls}`);
    assert.ok(cls > 0.01, `the poll pushed the counter down: CLS ${cls}`);
    await context.close();
  });
}
