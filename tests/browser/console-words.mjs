// One language at a time in the editors' console: every page, and every
// error an editor can meet from its forms (a poll with one option, a poll
// whose end comes before its start, two options with one label, more
// choices than options, a history line that is not a date, a previous
// total that is not a number, a span whose dates are wrong), read in
// Vietnamese and with ?lang=en. The words of each English page must not be
// on its Vietnamese twin, and the Vietnamese words (those with Vietnamese
// letters) of the Vietnamese page must not be on the English one. What an
// editor typed (the poll's words, in plain letters here) and code to copy
// (the embed snippet) are not the console's words and are left out.
//
//   TALLY_BIN=target/debug/tally node tests/browser/console-words.mjs
//
// run.mjs runs these scenarios too, in the same browser as its own.

import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import { signIn } from './console.mjs';
import { CHROMIUM, CHROMIUM_ARGS, cleanups, getJson, newContext, runSuite, scenario, startTally } from './harness.mjs';

const POLL = 'mot-ngon-ngu';
// Words both languages write the same way: names, formats, the zone.
// (A tab and the yyyy of a date's pattern are written so in Vietnamese too;
// https://tally.portal.gov.vn is the example address.)
const SHARED = new Set(['CSV', 'TSV', 'Excel', 'xlsx', 'tally', 'Asia', 'Ho_Chi_Minh', 'UTC', 'TALLY_PUBLIC_URL',
  'https', 'http', 'portal', 'gov', 'tab', 'yyyy', 'TALLY_COUNTER_BASELINE', 'TALLY_POLLS_FILE']);
// What the editor types in the forms below, and the editor's name.
const TYPED = ['Qzw', 'Aqw', 'Bqw', 'admin'];
const VIETNAMESE_LETTER = /[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]/iu;
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** The console's own words on `page`: its text, titles, labels and placeholders, without code or typed values. */
async function wordsOf(page) {
  return page.evaluate(() => {
    const body = document.body.cloneNode(true);
    for (const el of body.querySelectorAll('pre, code, textarea, script, style')) el.remove();
    // A list's choices are words apart, not one run of letters.
    for (const el of body.querySelectorAll('option')) el.textContent = ` ${el.textContent} `;
    const attributes = [...document.querySelectorAll('[title], [aria-label], [placeholder], input[type=submit][value]')]
      .filter((el) => !el.closest('pre, code'))
      .flatMap((el) => [el.getAttribute('title'), el.getAttribute('aria-label'), el.tagName === 'INPUT' && el.type === 'submit' ? el.value : null]);
    const titles = [...document.querySelectorAll('svg title')].map((t) => t.textContent);
    return [document.title, body.innerText, ...attributes, ...titles].filter(Boolean).join(' \n ');
  });
}

// The editors' data (the polls' ids, questions and options) is in no one language.
const data = new Set(TYPED);
const englishWords = (text) => new Set((text.match(/\b[A-Za-z][A-Za-z_]{2,}\b/g) || [])
  .filter((w) => !SHARED.has(w) && !data.has(w)));
const vietnameseWords = (text) => new Set((text.match(/[\p{L}]+/gu) || [])
  .filter((w) => VIETNAMESE_LETTER.test(w) && !data.has(w)));
const holds = (text, word) => new RegExp(`(^|[^\\p{L}_])${word}([^\\p{L}_]|$)`, 'u').test(text);

export async function consoleWordScenarios(browser) {
  const tally = await startTally();
  const admin = (method, p, body) => getJson(`${tally.ops}/admin/${p}`, {
    method,
    headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  // The editor's words are plain letters no dictionary holds.
  await admin('PUT', `polls/${POLL}`, {
    question: 'Qzx?', options: [{ id: 'a1', label: 'Aqz' }, { id: 'b2', label: 'Bqz' }], results: 'always',
  });
  await admin('PUT', 'polls/nhap-thu', {
    question: 'Qzy?', options: [{ id: 'a1', label: 'Aqy' }, { id: 'b2', label: 'Bqy' }], draft: true,
  });
  await admin('POST', `polls/${POLL}/close`);
  const { polls } = await admin('GET', 'polls?limit=200');
  for (const { poll } of polls) {
    const words = [poll.id, poll.question, ...poll.options.flatMap((o) => [o.id, o.label])].join(' ');
    for (const w of words.match(/[\p{L}\p{N}_]+/gu) || []) data.add(w);
  }

  const signedIn = async (label, size) => {
    // The form errors below are answered 400 on purpose.
    const context = await newContext(browser, label, size, [/status of 400/]);
    const page = await context.newPage();
    await signIn(page, tally, tally.adminToken);
    await page.waitForURL(/\/admin\/$/);
    return page;
  };

  // Each page or form error as the editor meets it in `lang`: its words.
  const pages = ['/admin/', '/admin/console/polls', '/admin/console/new-poll', `/admin/console/polls/${POLL}`,
    `/admin/console/polls/${POLL}/edit`, `/admin/console/polls/${POLL}/archive`, `/admin/console/polls/${POLL}/delete`,
    '/admin/console/polls/nhap-thu', '/admin/console/history', '/admin/console/audit', '/admin/console/import',
    '/admin/console/history?from=2026-02-30&to=2026-01-01'];
  const saveNew = async (page, lang, fill) => {
    await page.goto(`${tally.ops}/admin/console/new-poll${lang === 'en' ? '?lang=en' : ''}`);
    await page.locator('#id').fill('loi-thu');
    await page.locator('#question').fill('Qzw?');
    await fill(page);
    await page.locator('form button[name=save]:not(.default-submit)').last().click();
    await page.waitForLoadState('load');
  };
  const labels = (page) => page.locator('input[name=label]');
  const errors = {
    'one option': (page, lang) => saveNew(page, lang, async (p) => { await labels(p).nth(0).fill('Aqw'); }),
    'one label twice': (page, lang) => saveNew(page, lang, async (p) => {
      await labels(p).nth(0).fill('Aqw');
      await labels(p).nth(1).fill('Aqw');
    }),
    'more choices than options': (page, lang) => saveNew(page, lang, async (p) => {
      await labels(p).nth(0).fill('Aqw');
      await labels(p).nth(1).fill('Bqw');
      await p.locator('#max_choices').fill('5');
    }),
    'an end before the start': (page, lang) => saveNew(page, lang, async (p) => {
      await labels(p).nth(0).fill('Aqw');
      await labels(p).nth(1).fill('Bqw');
      await p.locator('#opens_at').fill('2031-05-02T08:00:00');
      await p.locator('#closes_at').fill('2031-05-01T08:00:00');
    }),
    'a history line that is not a date': async (page, lang) => {
      await page.goto(`${tally.ops}/admin/console/import${lang === 'en' ? '?lang=en' : ''}`);
      await page.locator('#csv').fill('2019-01-01,20154\nkhong-phai-ngay,12\n');
      await page.locator('form:has(#csv) button[type=submit]').click();
      await page.waitForLoadState('load');
    },
    'a previous total that is not a number': async (page, lang) => {
      await page.goto(`${tally.ops}/admin/console/import${lang === 'en' ? '?lang=en' : ''}`);
      await page.locator('#baseline').fill('bảy triệu');
      await page.locator('form:has(#baseline) button[type=submit]').click();
      await page.waitForLoadState('load');
    },
  };

  const alerts = {};
  const read = async (page, lang) => {
    const seen = {};
    for (const p of pages) {
      const url = `${tally.ops}${p}${lang === 'en' ? `${p.includes('?') ? '&' : '?'}lang=en` : ''}`;
      const answer = await page.goto(url);
      assert.ok(answer.status() < 500, `${url}: ${answer.status()}`);
      seen[p] = await wordsOf(page);
    }
    for (const [what, meet] of Object.entries(errors)) {
      await meet(page, lang);
      const alert = page.locator('main [role=alert]').first();
      assert.ok(await alert.count(), `${what} (${lang}): no error shown`);
      alerts[`${what} (${lang})`] = (await alert.innerText()).trim();
      seen[what] = await wordsOf(page);
    }
    return seen;
  };

  for (const [name, size] of [['desktop', { viewport: { width: 1366, height: 768 } }], ['phone', phone]]) {
    await scenario(`console: every page and every form error speaks one language (${name})`, async () => {
      const page = await signedIn(`Words ${name}`, size);
      const vi = await read(page, 'vi');
      const en = await read(page, 'en');
      const wrong = [];
      let compared = 0;
      for (const what of Object.keys(vi)) {
        const english = englishWords(en[what]);
        const vietnamese = vietnameseWords(vi[what]);
        compared += english.size + vietnamese.size;
        const onVi = [...english].filter((w) => holds(vi[what], w));
        const onEn = [...vietnamese].filter((w) => holds(en[what], w));
        if (onVi.length) wrong.push(`${what} (vi) has English: ${onVi.join(', ')}`);
        if (onEn.length) wrong.push(`${what} (en) has Vietnamese: ${onEn.join(', ')}`);
      }
      assert.deepEqual(wrong, []);
      if (name === 'desktop') for (const [what, text] of Object.entries(alerts)) console.log(`      ${what}: ${text}`);
      console.log(`      ${Object.keys(vi).length} pages and errors in each language, ${compared} words compared`);
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSuite('console words', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close().catch(() => {}));
    await consoleWordScenarios(browser);
  });
}
