// Lighthouse 12 (mobile profile, its default simulated throttling) on two
// portal pages served from another site than tally: an announcement with
// the page's view count, the counter and a challenged poll in its first
// screen (the poll's place kept by the portal's stylesheet, as the console
// gives it), and a page with the counter only, on which the challenge's
// solver must not be downloaded. Fails below performance 95, accessibility
// 100, above CLS 0.01 or total blocking time 50 ms, or on any "enable text
// compression" finding. Writes each report to target/lighthouse/.
//
//   TALLY_BIN=target/release/tally node tests/lighthouse/run.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

import {
  CHROMIUM, CHROMIUM_ARGS, HOSTS, STANDARD_POLL, cleanup, putPoll, repo, startPortal, startTally,
} from '../browser/harness.mjs';

const out = path.join(repo, 'target', 'lighthouse');
async function main() {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const tally = await startTally({ allowedOrigins: [portalOrigin] });
  portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
  await putPoll(tally, 'y-kien-cong', STANDARD_POLL);
  fs.mkdirSync(out, { recursive: true });

  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ['--headless=new', ...CHROMIUM_ARGS],
  });
  let failed = 0;
  try {
    for (const [name, url, solver] of [
      ['announcement', `${portalOrigin}/cong-thong-tin?poll=y-kien-cong`, true],
      ['counter-only', `${portalOrigin}/thong-ke`, false],
    ]) {
      const { lhr, report } = await lighthouse(url, {
        port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'],
      });
      fs.writeFileSync(path.join(out, `${name}.json`), report);
      const audit = (id) => lhr.audits[id];
      const requests = audit('network-requests').details.items;
      const fromTally = requests.filter((r) => r.url.startsWith(portal.state.tally));
      const scripts = fromTally.filter((r) => r.resourceType === 'Script');
      const got = {
        performance: Math.round(lhr.categories.performance.score * 100),
        accessibility: Math.round(lhr.categories.accessibility.score * 100),
        cls: Math.round(audit('cumulative-layout-shift').numericValue * 1000) / 1000,
        tbt: Math.round(audit('total-blocking-time').numericValue),
        lcp: Math.round(audit('largest-contentful-paint').numericValue),
        compression: audit('uses-text-compression').score,
        scripts: scripts.map((r) => `${new URL(r.url).pathname} ${r.transferSize} B`).join(', '),
      };
      console.log(`${name}: ${JSON.stringify(got)}`);
      const checks = [
        [got.performance >= 95, `performance ${got.performance} < 95`],
        [got.accessibility === 100, `accessibility ${got.accessibility} < 100`],
        [got.cls <= 0.01, `CLS ${got.cls} > 0.01`],
        [got.tbt <= 50, `total blocking time ${got.tbt} ms > 50`],
        [got.compression === 1, `"enable text compression": ${JSON.stringify(audit('uses-text-compression').details?.items)}`],
        [scripts.some((r) => /\/solver\./.test(r.url)) === solver, solver ? 'the challenged poll loads its solver' : 'no solver on a page without a challenged poll'],
      ];
      for (const [ok, what] of checks) {
        if (!ok) {
          failed += 1;
          console.log(`FAIL  ${name}: ${what}`);
        }
      }
    }
  } finally {
    await chrome.kill();
    await cleanup();
  }
  assert.equal(failed, 0, `${failed} Lighthouse checks failed`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
