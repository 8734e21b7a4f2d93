// What the browser scenarios stand on: tally on one origin, a portal on
// another (or in front of tally, as its reverse proxy), browser contexts
// that report every console error, uncaught error and CSP violation, and a
// little polling so no scenario sleeps blindly.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const shots = path.join(repo, 'target', 'screenshots');
export const tallyBin = path.resolve(repo, process.env.TALLY_BIN || 'target/release/tally');
export const CHROMIUM = '/usr/bin/chromium';
export const WIDGET_GZIP_LIMIT = 8192;
export const TIMEOUT = 10_000;

// The portals' real host names, all on loopback: portal.test and
// tally.portal.test are one site; tally.other.test is another.
export const HOSTS = { portal: 'portal.test', sameSite: 'tally.portal.test', crossSite: 'tally.other.test' };

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
  `--host-resolver-rules=${Object.values(HOSTS).map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`,
];

// One browser build, as everyone in an office has: the same User-Agent.
export const SHARED_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
export const PHONE_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36';

// ---------------------------------------------------------------- harness

export const outcomes = [];
export const cleanups = [];

// TALLY_BROWSER_ONLY=<words> runs only the scenarios whose name holds them.
const only = process.env.TALLY_BROWSER_ONLY || '';

// The suite is in two parts of about equal length, "widget" (the widget on
// portal pages, and its challenge) and "pages" (the HTML pages without
// JavaScript and the console). TALLY_BROWSER_PART=<part> runs one; unset,
// both run, one after the other.
const part = process.env.TALLY_BROWSER_PART || '';
if (part && !['widget', 'pages'].includes(part)) {
  throw new Error(`TALLY_BROWSER_PART is "widget" or "pages", not "${part}"`);
}
let current = '';

/** Whether part `name` runs; the scenarios after it belong to it. */
export function inPart(name) {
  current = name;
  return !part || !name || part === name;
}

export async function scenario(name, body) {
  if (only && !name.includes(only)) return;
  if (part && current && part !== current) return;
  const started = Date.now();
  try {
    await body();
    outcomes.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    outcomes.push({ name, ok: false });
    console.log(`FAIL  ${name}\n      ${String(err && err.message).split('\n').join('\n      ')}`);
    for (const line of tallyComplaints()) console.log(`      tally: ${line}`);
  }
}

/** The log files of the tallies running now. */
const tallyLogs = new Set();

/**
 * What the running tallies logged at WARN or ERROR (the last 20 lines): a
 * failed scenario shows what tally said while it failed.
 */
function tallyComplaints() {
  const lines = [];
  for (const file of tallyLogs) {
    try {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (/\b(WARN|ERROR)\b/.test(line)) lines.push(line.slice(0, 400));
      }
    } catch {
      // Removed while reading: that tally has stopped.
    }
  }
  return lines.slice(-20);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * How far `page` scrolls sideways, in CSS px (0 or less: not at all). A
 * phone widens its layout viewport, and innerWidth with it, to take in
 * content too wide for its screen, so the page is measured against the
 * screen's width (clientWidth) too: against innerWidth alone it never fails.
 */
export function sideways(page) {
  return page.evaluate(() => document.scrollingElement.scrollWidth
    - Math.min(window.innerWidth, document.documentElement.clientWidth));
}
export const squash = (s) => s.replace(/\s+/g, ' ').trim();

/** Polls `probe` until it returns {ok: true}; fails with its last detail. */
export async function eventually(what, probe, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let detail = 'timed out';
  for (;;) {
    try {
      const r = await probe();
      if (r.ok) return r.value;
      detail = r.detail;
    } catch (err) {
      detail = err.message.split('\n')[0];
    }
    if (Date.now() > end) throw new Error(`${what}: ${detail}`);
    await sleep(100);
  }
}

export async function textOf(locator) {
  // A placeholder's text is in its shadow root, which innerText leaves out.
  return squash(await locator.evaluate((el) => (el.shadowRoot
    ? [...el.shadowRoot.children].map((c) => c.innerText || '').join(' ')
    : el.innerText), undefined, { timeout: TIMEOUT }));
}

export function waitForText(locator, expected, what = `text "${expected}"`) {
  return eventually(what, async () => {
    const text = await textOf(locator);
    return { ok: text.includes(expected), value: text, detail: `expected to contain "${expected}", got "${text}"` };
  });
}

export const viNumber = (n) => String(n).replace(/\B(?=(\d{3})+$)/g, '.');
export const enNumber = (n) => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

// ---------------------------------------------------------------- servers

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A UTC offset zone where it is about noon now: "today" begins at local
 * midnight, and a run that straddled one would see it fall back to zero.
 */
export function noonZone(now = new Date()) {
  let offset = 12 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  // POSIX-style names: Etc/GMT-7 is seven hours east of Greenwich.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/**
 * A fresh tally with its own data directory. `allowedOrigins` (a list),
 * `trustedProxies` and `timezone` become its TALLY_ settings; `publicUrl`
 * sets TALLY_PUBLIC_URL to its own origin (the console then gives embed
 * code); `env` adds (or overrides) any other setting.
 */
export async function startTally(options = {}) {
  if (!fs.existsSync(tallyBin)) throw new Error(`no tally binary at ${tallyBin} (set TALLY_BIN)`);
  // A free port may be taken by another process (the other checks of
  // scripts/test run beside this one) before tally binds it: then tally
  // says so and exits, and it is started again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTallyOn(await freePort(), await freePort(), options);
    } catch (e) {
      if (attempt >= 3 || !String(e.message).includes('cannot listen on')) throw e;
    }
  }
}

async function startTallyOn(port, opsPort, { allowedOrigins = [], trustedProxies = '', timezone, publicUrl = false, env = {} }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-browser-'));
  const logPath = path.join(dataDir, 'tally.log');
  const log = fs.openSync(logPath, 'w');
  tallyLogs.add(logPath);
  const adminToken = randomBytes(16).toString('hex');
  const child = spawn(tallyBin, [], {
    cwd: repo,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      TALLY_LISTEN: `127.0.0.1:${port}`,
      TALLY_OPS_LISTEN: `127.0.0.1:${opsPort}`,
      TALLY_DATA_DIR: path.join(dataDir, 'data'),
      TALLY_POLLS_FILE: path.join(repo, 'examples', 'polls.toml'),
      TALLY_ALLOWED_ORIGINS: allowedOrigins.join(','),
      TALLY_TRUSTED_PROXIES: trustedProxies,
      ...(timezone ? { TALLY_TIMEZONE: timezone } : {}),
      ...(publicUrl ? { TALLY_PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
      TALLY_COUNTER_BASELINE: '7582803',
      TALLY_ADMIN_TOKEN: adminToken,
      // Many page loads from one address in a few seconds: not what the
      // limits are tuned for, and not what this test is about.
      TALLY_RATE_LIMIT: '1000,2000',
      TALLY_VOTE_RATE_LIMIT: '1000,2000',
      // Every browser here is one address, 127.0.0.1: its pages hold more
      // live streams than one visitor's would.
      TALLY_MAX_STREAMS_PER_ADDRESS: '1000',
      // A store call may take 5 s instead of 500 ms: scripts/test runs this
      // beside schemathesis and the image's build, and a store call starved
      // of CPU there answers 503 store_unavailable (the overload's
      // documented answer, which scenarios that want it provoke on purpose
      // with loseFirstAnswer), not a finding of this run.
      TALLY_STORE_TIMEOUT: '5s',
      ...env,
    },
  });
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal || code; });
  // Last resort when this process dies without running its cleanups.
  process.setMaxListeners(0);
  process.on('exit', () => { if (exited === null) child.kill('SIGKILL'); });
  cleanups.push(async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) child.kill('SIGKILL');
    }
    tallyLogs.delete(logPath);
    fs.closeSync(log);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const origin = `http://127.0.0.1:${port}`;
  const ops = `http://127.0.0.1:${opsPort}`;
  await eventually('tally did not become ready', async () => {
    // On one line: `eventually` reports the first.
    if (exited !== null) throw new Error(`tally exited (${exited}): ${fs.readFileSync(logPath, 'utf8').slice(-2000).trim().replaceAll('\n', ' | ')}`);
    const r = await fetch(`${ops}/readyz`);
    return { ok: r.ok, detail: `readyz ${r.status}` };
  }, 20_000);
  return { origin, port, ops, adminToken };
}

export const fixture = (name) => fs.readFileSync(path.join(here, 'fixture', name), 'utf8');

// Hop-by-hop headers, which a proxy does not pass on.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * The portal's reverse proxy for `/tally/*`, as a web server in front of
 * tally is set up: the prefix stripped, the body streamed, the Host of the
 * upstream, `X-Forwarded-For` appended, every response header (Set-Cookie
 * too) passed back. Records the identity each request carried to tally.
 */
function proxy(req, res, upstream, seen) {
  const target = new URL(req.url.slice('/tally'.length) || '/', upstream);
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  headers.host = target.host;
  const peer = req.socket.remoteAddress.replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;
  headers['x-forwarded-proto'] = 'http';
  seen.push({
    method: req.method,
    path: target.pathname,
    cookie: /(?:^|;\s*)tally_vid=([0-9a-f]{36})/.exec(req.headers.cookie || '')?.[1] || null,
    header: req.headers['tally-visitor'] || null,
    forwardedFor: headers['x-forwarded-for'],
  });
  const up = http.request(target, { method: req.method, headers }, (r) => {
    const out = {};
    for (const [k, v] of Object.entries(r.headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(r.statusCode, out);
    r.pipe(res);
  });
  up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(up);
}

/**
 * The portal: its own origin, its own strict CSP, the widget from tally.
 * `state.tally` is where its pages load tally from: an origin, or `/tally`
 * when `state.upstream` names the tally this portal proxies to.
 * `state.site` is the site its pages name (`data-site`), if any.
 * `state.pasted` is what a webmaster pasted from the console: `/dan-ma`
 * carries its `html` in an article, and `/dan-ma.css`, the portal's
 * stylesheet there, its `css` line.
 */
export function startPortal() {
  const pages = {
    '/tin-tuc/123': 'tin-tuc.html',
    '/en/news/123': 'news-en.html',
    '/thu-nghiem': 'thu-nghiem.html',
    // One poll: ?poll=<id>, and ?lang=en for data-lang="en" on the script.
    '/binh-chon': 'binh-chon.html',
    // A dark sidebar theme with rules on label, button, dt and *.
    '/giao-dien-toi': 'hostile.html',
    // An announcement on a phone: the poll and the counter in its first
    // screen, their places kept by the portal's stylesheet.
    '/cong-thong-tin': 'cong-thong-tin.html',
    // The same page with the counter only.
    '/thong-ke': 'thong-ke.html',
    // Each of the widget's forms, for the README's pictures.
    '/cac-dang': 'cac-dang.html',
  };
  const state = { tally: '', site: '', upstream: '', proxied: [], pasted: { html: '', css: '' } };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://portal');
    if (state.upstream && (url.pathname === '/tally' || url.pathname.startsWith('/tally/'))) {
      return proxy(req, res, state.upstream, state.proxied);
    }
    const src = state.tally.startsWith('/') ? "'self'" : state.tally;
    const csp = `default-src 'none'; script-src ${src}; style-src 'self'; ` +
      `connect-src ${src}; img-src ${src}`;
    if (url.pathname === '/portal.css') {
      // The portal wears the demo page's look: one stylesheet for both.
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' });
      return res.end(fs.readFileSync(path.join(here, '..', '..', 'assets', 'demo.css'), 'utf8'));
    }
    if (['/hostile.css', '/cong-thong-tin.css', '/cac-dang.css'].includes(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' });
      return res.end(fixture(url.pathname.slice(1)));
    }
    if (url.pathname === '/dan-ma.css') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(`${fs.readFileSync(path.join(here, '..', '..', 'assets', 'demo.css'), 'utf8')}\n${state.pasted.css}\n`);
    }
    if (url.pathname === '/dan-ma') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' });
      return res.end(fixture('dan-ma.html').replace('{{PASTED}}', () => state.pasted.html));
    }
    if (url.pathname === '/csp-canary') {
      // A page that breaks its own CSP, to prove violations are caught.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
      return res.end('<!doctype html><html lang="vi"><title>canary</title><p style="color:red">x</p></html>');
    }
    const file = pages[url.pathname];
    if (!file) {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
      return res.end();
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'cache-control': 'no-store',
    });
    const poll = /^[a-z0-9-]{1,64}$/.test(url.searchParams.get('poll') || '') ? url.searchParams.get('poll') : 'danh-gia-cong';
    const lang = url.searchParams.get('lang') === 'en' ? 'data-lang="en" ' : '';
    const site = state.site ? `data-site="${state.site}" ` : '';
    res.end(fixture(file).replaceAll('{{TALLY}}', state.tally).replaceAll('{{POLL}}', poll).replaceAll('{{LANG}}', lang)
      .replaceAll('{{SITE}}', site));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      cleanups.push(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
      const { port } = server.address();
      resolve({ origin: `http://127.0.0.1:${port}`, port, state });
    });
  });
}

// ---------------------------------------------------------------- browser

export const watched = [];

/**
 * A browser context whose pages report console errors, uncaught errors and
 * CSP violations. `allow` lists console messages expected on purpose.
 */
export async function newContext(browser, visitor, options = {}, allow = []) {
  // Unless a scenario names one (options.userAgent), every context gets a
  // User-Agent of its own, so that address and User-Agent alone would
  // already tell these visitors apart.
  const userAgent = `${options.isMobile ? PHONE_UA : SHARED_UA} Visitor/${visitor}`;
  const context = await browser.newContext({ locale: 'vi-VN', userAgent, ...options });
  await watch(context, allow);
  cleanups.push(() => context.close().catch(() => {}));
  return context;
}

/**
 * A browser of its own whose profile blocks cookies and site data for
 * every site (the content setting a visitor picks in the browser's
 * settings): the page's localStorage throws, and no cookie is kept.
 */
export async function blockedContext(options = {}, allow = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-blocked-'));
  fs.mkdirSync(path.join(dir, 'Default'));
  fs.writeFileSync(path.join(dir, 'Default', 'Preferences'), JSON.stringify({
    profile: { default_content_setting_values: { cookies: 2 } },
  }));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, locale: 'vi-VN', userAgent: SHARED_UA, ...options,
  });
  await watch(context, allow);
  cleanups.push(async () => {
    await context.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return context;
}

async function watch(context, allow) {
  const records = new Map();
  await context.exposeBinding('__tallyTestCsp', ({ page }, text) => {
    records.get(page)?.problems.push(`CSP violation: ${text}`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__tallyTestCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    }, true);
  });
  context.on('page', (page) => {
    const record = { page, label: '', problems: [] };
    records.set(page, record);
    watched.push(record);
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) record.label = frame.url();
    });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const text = `${m.text()} [${m.location().url}]`;
      // The browser's own guess at an icon, not something a page asked for.
      if (m.location().url.endsWith('/favicon.ico')) return;
      if (allow.some((re) => re.test(text))) return;
      record.problems.push(`console error: ${text}`);
    });
    page.on('pageerror', (err) => record.problems.push(`page error: ${err.message}`));
  });
  context.setDefaultTimeout(TIMEOUT);
}

/**
 * Every request a context sends to tally's API, with the identity it
 * carried: the tally_vid cookie, the Tally-Visitor header, and the cookie
 * the answer set. `done()` waits for all of them to be read.
 */
export function identities(context) {
  const seen = [];
  const pending = [];
  context.on('request', (req) => {
    const { pathname } = new URL(req.url());
    if (!/\/v1\//.test(pathname) || req.method() === 'OPTIONS') return;
    // In the order sent; the headers as they went on the wire come later.
    const entry = { method: req.method(), path: pathname.replace(/^\/tally/, '') };
    seen.push(entry);
    pending.push((async () => {
      const headers = await req.allHeaders();
      const response = await req.response();
      const set = response && await response.headerValue('set-cookie');
      Object.assign(entry, {
        cookie: /(?:^|;\s*)tally_vid=([0-9a-f]{36})/.exec(headers.cookie || '')?.[1] || null,
        header: headers['tally-visitor'] || null,
        setCookie: /tally_vid=([0-9a-f]{36})/.exec(set || '')?.[1] || null,
        acceptLanguage: headers['accept-language'] || null,
      });
    })().catch((err) => { entry.error = err.message; }));
  });
  const done = async () => {
    while (pending.length) await pending.shift();
    const unread = seen.filter((e) => e.error);
    assert.deepEqual(unread, [], 'requests whose headers could not be read');
    return seen;
  };
  return { seen, done };
}

/** Loads a page and counts its POST /v1/hits requests. */
export async function open(context, url) {
  const page = await context.newPage();
  const hits = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/hits') hits.push(r.postData());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, hits };
}

export async function counterRows(box) {
  await box.locator('.tally-widget dl dd').first().waitFor();
  return box.locator('.tally-widget dl').evaluate((dl) => {
    const out = {};
    for (const dt of dl.querySelectorAll('dt')) out[dt.textContent.trim()] = dt.nextElementSibling.textContent.trim();
    return out;
  });
}

/** The results list as "label percent (votes)" lines, own choice unmarked. */
export async function resultRows(box) {
  return box.locator('.tw-list li').evaluateAll((items) => items.map((li) =>
    `${li.querySelector('.tw-lbl').firstChild.textContent} ${li.querySelector('.tw-pct').textContent} ${li.querySelector('.tw-n').textContent}`));
}

export async function axeCheck(context, url, ready) {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  if (ready) await ready(page);
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  await page.close();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe found serious or critical violations on ${url}`,
  );
  return result.violations.length;
}

/**
 * Makes the first ballot sent to `pattern` reach tally (so it is counted)
 * and tells the page `503 store_unavailable` instead of tally's answer; later
 * ones pass. Returns the list of what tally answered and what each try sent.
 */
export async function loseFirstAnswer(page, pattern) {
  const answers = [];
  await page.route(pattern, async (route) => {
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
  return answers;
}

/**
 * Runs a suite as a program: `body` (its scenarios), then the clean-up,
 * then one line "`name`: N passed, N failed"; exits non-zero on any failure.
 */
export async function runSuite(name, body) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => { cleanup().finally(() => process.exit(130)); });
  }
  try {
    await body();
  } catch (err) {
    outcomes.push({ name: 'setup', ok: false });
    console.log(`FAIL  setup: ${err && err.stack}`);
  } finally {
    await cleanup();
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`\n${name}: ${outcomes.length - failed} passed, ${failed} failed`);
  if (fs.existsSync(shots)) console.log(`screenshots: ${path.relative(repo, shots)}/`);
  process.exit(failed ? 1 : 0);
}

/** Creates or replaces poll `id` on `tally` as an editor would. */
/**
 * The standard satisfaction poll, as the console's template gives it, with
 * its challenge on; the portal's stylesheet in fixture/cong-thong-tin.css
 * keeps its place when it is put under the id y-kien-cong.
 */
export const STANDARD_POLL = {
  question: 'Bạn đánh giá như thế nào về cổng thông tin này?',
  options: [
    { id: 'rat-tot', label: 'Rất tốt' }, { id: 'tot', label: 'Tốt' },
    { id: 'binh-thuong', label: 'Bình thường' }, { id: 'chua-tot', label: 'Chưa tốt' },
  ],
  challenge: 'on',
};

export function putPoll(tally, id, spec) {
  return getJson(`${tally.ops}/admin/polls/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${tally.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
}

export async function getJson(url, init) {
  const r = await fetch(url, init);
  const body = await r.json();
  assert.ok(r.ok, `${url}: HTTP ${r.status} ${JSON.stringify(body)}`);
  return body;
}


export async function cleanup() {
  while (cleanups.length) {
    try { await cleanups.pop()(); } catch { /* keep cleaning */ }
  }
}
