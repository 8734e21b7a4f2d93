// What a slow phone waits at each challenge level: the widget solves the
// challenge of a poll at levels 1–5 in Chromium with the CPU six times
// slower (Chrome DevTools Protocol throttling), several times a level, and
// prints the median and the slowest solving time the widget reports
// (docs/polls.md, "What a level costs"). A measurement: run it on a quiet
// machine.
//
//   TALLY_BIN=target/release/tally node tests/browser/levels.mjs [runs]

import { chromium } from 'playwright-core';

import {
  CHROMIUM, CHROMIUM_ARGS, HOSTS, cleanup, putPoll, startPortal, startTally,
} from './harness.mjs';

const RUNS = Number(process.argv[2] || 7);
const OPTIONS = [{ id: 'co', label: 'Có' }, { id: 'khong', label: 'Không' }];

async function main() {
  const portal = await startPortal();
  const portalOrigin = `http://${HOSTS.portal}:${portal.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const rows = [];
  try {
    for (const level of [1, 2, 3, 4, 5]) {
      const tally = await startTally({ allowedOrigins: [portalOrigin], env: { TALLY_CHALLENGE_LEVEL: String(level) } });
      portal.state.tally = `http://${HOSTS.crossSite}:${tally.port}`;
      await putPoll(tally, 'thu-thach', { question: 'Thử thách?', options: OPTIONS, challenge: 'on' });
      const times = [];
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
        await page.goto(`${portalOrigin}/binh-chon?poll=thu-thach`);
        const box = page.locator('[data-tally-poll] .tally-widget[data-tally-solve-ms]');
        await box.waitFor({ timeout: 120_000 });
        times.push(Number(await box.getAttribute('data-tally-solve-ms')));
        await context.close();
      }
      times.sort((a, b) => a - b);
      rows.push({ level, median: times[Math.floor(times.length / 2)], slowest: times[times.length - 1], times });
      console.log(`level ${level}: median ${rows.at(-1).median} ms, slowest ${rows.at(-1).slowest} ms (${times.join(', ')})`);
    }
  } finally {
    await browser.close();
    await cleanup();
  }
  console.log(`\n| level | median, CPU 6× slower | slowest of ${RUNS} |\n|---|--:|--:|`);
  for (const r of rows) console.log(`| ${r.level} | ${(r.median / 1000).toFixed(2)} s | ${(r.slowest / 1000).toFixed(2)} s |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
