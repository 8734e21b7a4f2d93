// The widget on a portal whose theme is hostile to it: a dark 240 px
// sidebar, rules on label, button, dt and *, small capitals everywhere,
// the portal's own "Lượt xem" label. Every text the widget draws stays
// readable (contrast ≥ 4.5:1, ≥ 14 px, no capitals), nothing overlaps or
// overflows, and the documented custom properties and dark variant change
// the look on purpose.

import assert from 'node:assert/strict';

import { HOSTS, newContext, scenario, startPortal, startTally } from './harness.mjs';

/**
 * Runs in the page: every text the widget drew, with its computed size,
 * case and contrast against the first opaque background behind it (inside
 * the shadow root, then out through the host to the page).
 */
function readability() {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const ch = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const up = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const background = (el) => {
    for (let e = el; e; e = up(e)) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const texts = [];
  for (const host of document.querySelectorAll('[data-tally], [data-tally-poll]')) {
    const root = host.shadowRoot;
    if (!root) { texts.push({ host: host.id, text: '(no shadow root)', bad: true }); continue; }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent.trim();
      if (!text || !el.getClientRects().length) continue;
      const s = getComputedStyle(el);
      if (s.visibility === 'hidden' || (s.position === 'absolute' && s.clip !== 'auto')) continue;
      texts.push({
        host: host.id || host.dataset.tally,
        text,
        size: parseFloat(s.fontSize),
        transform: s.textTransform,
        contrast: Math.round(ratio(rgb(s.color).slice(0, 3), background(el)) * 100) / 100,
      });
    }
  }
  return texts;
}

/** Runs in the page: boxes of the widget that overlap or overflow. */
function layout() {
  const problems = [];
  for (const host of document.querySelectorAll('[data-tally], [data-tally-poll]')) {
    const box = host.shadowRoot && host.shadowRoot.firstElementChild;
    if (!box) continue;
    if (box.scrollWidth > box.clientWidth + 1) problems.push(`${host.id}: ${box.scrollWidth} px wide in ${box.clientWidth}`);
    const rows = [...host.shadowRoot.querySelectorAll('.tw-row, .tw-opt, .tw-list li')].map((r) => r.getBoundingClientRect());
    for (let i = 1; i < rows.length; i++) {
      if (rows[i].top < rows[i - 1].bottom - 1) problems.push(`${host.id}: row ${i} overlaps the one above`);
    }
  }
  // Against the screen's width too: a phone widens innerWidth to fit.
  if (document.documentElement.scrollWidth > Math.min(window.innerWidth, document.documentElement.clientWidth)) {
    problems.push('the page scrolls sideways');
  }
  return problems;
}

export async function theme(browser) {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const tally = await startTally({ allowedOrigins: [portalOrigin] });
  portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;

  await scenario('theme: a hostile dark sidebar theme cannot make the widget unreadable', async () => {
    const context = await newContext(browser, 'T1', { viewport: { width: 1024, height: 1400 } });
    const page = await context.newPage();
    await page.goto(`${portalOrigin}/giao-dien-toi?poll=danh-gia-cong`, { waitUntil: 'load' });
    for (const id of ['#table', '#rows', '#plain', '#dark', '#themed']) await page.locator(`${id} .tally-widget`).waitFor();
    await page.locator('#line .tw-line strong').waitFor();
    await page.locator('[data-tally="views"] strong').waitFor();

    const texts = await page.evaluate(readability);
    assert.ok(texts.length > 30, `${texts.length} texts read`);
    const unreadable = texts.filter((t) => t.bad || t.size < 14 || t.transform !== 'none' || t.contrast < 4.5);
    assert.deepEqual(unreadable, [], 'every text: ≥ 14 px, no capitals, contrast ≥ 4.5:1');
    assert.deepEqual(await page.evaluate(layout), [], 'nothing overlaps or overflows');

    // The portal's own label stays its own: the bare number follows it.
    assert.match(await page.locator('main .meta .tally-views').innerText(), /^\d+$/, 'a bare number');
    assert.equal((await page.locator('main .meta').innerText()).match(/lượt xem/gi).length, 1, 'the label once');
    assert.match(await page.locator('#line .tw-line').innerText(), /^Số lượt truy cập: [\d.]+$/);
    const labels = await page.locator('#table dt').allInnerTexts();
    assert.deepEqual(labels, ['Đang truy cập', 'Hôm nay', 'Hôm qua', 'Tuần này', 'Tháng này', 'Tổng lượt truy cập'],
      'each label on one line, in its own case');
    for (const dt of await page.locator('#table dt').all()) {
      const lines = await dt.evaluate((e) => Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)));
      assert.equal(lines, 1, 'a label never wraps in a 240 px sidebar');
    }
    assert.equal(await page.locator('#plain button[type=submit]').innerText(), 'Gửi bình chọn');
    assert.deepEqual(await page.locator('#rows dt').allInnerTexts(), ['Hôm nay', 'Tuần trước', 'Tháng này', 'Tháng trước', 'Tổng lượt truy cập'],
      'the rows data-rows names, in its order');

    // On purpose: the dark variant and the custom properties.
    const look = (id, sel, prop) => page.locator(`${id} ${sel}`).first().evaluate((e, p) => getComputedStyle(e)[p], prop);
    assert.equal(await look('#plain', '.tally-widget', 'backgroundColor'), 'rgb(255, 255, 255)');
    assert.equal(await look('#dark', '.tally-widget', 'backgroundColor'), 'rgb(27, 33, 41)', 'the dark variant');
    assert.equal(await look('#themed', 'button[type=submit]', 'backgroundColor'), 'rgb(11, 110, 79)', '--tally-accent');
    assert.equal(await look('#themed', '.tally-widget', 'borderTopLeftRadius'), '0px', '--tally-radius');
    assert.equal(await look('#plain', 'button[type=submit]', 'backgroundColor'), 'rgb(181, 18, 27)', 'the default accent');
    await context.close();
  });

  await scenario('theme: an empty poll says it has no ballots yet', async () => {
    const context = await newContext(browser, 'T2', { viewport: { width: 1024, height: 1400 } });
    const page = await context.newPage();
    // A poll nobody voted in, its results shown to everyone.
    await page.goto(`${portalOrigin}/giao-dien-toi?poll=chuyen-muc-quan-tam`, { waitUntil: 'load' });
    const poll = page.locator('#plain');
    await poll.locator('button', { hasText: 'Xem kết quả' }).click();
    await poll.locator('.tw-out .tw-hint', { hasText: 'Chưa có phiếu nào.' }).waitFor();
    await context.close();
  });

}
