// tally challenge bench: how fast the widget's solver hashes and how long
// each level takes to solve, on this machine and (estimated) on a phone.
//
//   node bench/challenge/run.mjs            # the report, in Markdown
//   node bench/challenge/run.mjs --solve    # solves a JSON array of challenges
//                                           # from stdin (used by the Rust tests)
//
// BENCH_SECONDS (default 10): about how long each level is measured;
// BENCH_CHALLENGES (default 200): most challenges per level (at least 20).
import { createHash, createHmac, randomBytes, randomInt, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { proof, solve, solveNow } from './solver.js';

// The levels, read from the Rust source so the two never disagree.
function levels() {
  const source = readFileSync(new URL('../../src/challenge/level.rs', import.meta.url), 'utf8');
  const table = source.match(/const MAXNUMBER: \[u64; \d+\] = \[([^\]]*)\]/);
  return table[1].split(',').map((n) => Number(n.replace(/_/g, '').trim()));
}

// A challenge as the service issues it (src/challenge/salt.rs): the salt is
// `<poll>.<expiry>.<level>.<hex>.`, padded to whole 64-byte blocks.
const KEY = randomBytes(32);
function issue(level, maxnumber, poll = 'danh-gia-cong') {
  const head = `${poll}.${Math.floor(Date.now() / 1000) + 600}.${level}.`;
  const fixed = head.length + 33;
  const salt = head + randomBytes(48).toString('hex').slice(0, Math.ceil(fixed / 64) * 64 - fixed + 32) + '.';
  const number = randomInt(0, maxnumber + 1);
  const challenge = createHash('sha256').update(salt + number).digest('hex');
  const signature = createHmac('sha256', KEY).update(challenge).digest('hex');
  return { algorithm: 'SHA-256', challenge, salt, maxnumber, signature, level, number };
}

// CPU time of this process, in ms: unlike the wall clock, it does not count
// the time other processes on a shared machine took from this one.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const ms = (x) => (x < 10 ? x.toFixed(1) : Math.round(x)) + ' ms';
const s = (x) => (x / 1000).toFixed(2) + ' s';
const rate = (x) => (x / 1e6).toFixed(2) + ' M/s';

// Hashes a second with one-at-a-time `crypto.subtle.digest` calls, awaited in
// turn or in batches of 64, for about `seconds`.
async function subtleRate(batch, seconds = 2) {
  const data = new TextEncoder().encode('danh-gia-cong.1764680400.2.' + 'a'.repeat(36) + '.123456');
  let done = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const work = [];
    for (let i = 0; i < batch; i++) work.push(webcrypto.subtle.digest('SHA-256', data));
    await Promise.all(work);
    done += batch;
  }
  return done / ((performance.now() - t0) / 1000);
}

function nativeRate(seconds = 2) {
  const salt = 'danh-gia-cong.1764680400.2.' + 'a'.repeat(36) + '.';
  let n = 0;
  const t0 = cpu();
  while (cpu() - t0 < seconds * 1000) {
    for (let i = 0; i < 10000; i++) createHash('sha256').update(salt + n++).digest();
  }
  return n / ((cpu() - t0) / 1000);
}

async function report() {
  const seconds = Number(process.env.BENCH_SECONDS || 10);
  const most = Math.max(20, Number(process.env.BENCH_CHALLENGES || 200));
  const table = levels();
  // Warm the solver up, and learn roughly how fast it is.
  let warm = 0;
  const w0 = cpu();
  while (cpu() - w0 < 1000) warm += solveNow(issue(3, table[3])) + 1;
  const roughRate = warm / ((cpu() - w0) / 1000);

  const rows = [];
  let hashes = 0, spent = 0;
  for (let level = 1; level < table.length; level++) {
    const max = table[level];
    const count = Math.min(most, Math.max(20, Math.round((seconds * roughRate) / (max / 2))));
    const times = [], before = hashes;
    for (let i = 0; i < count; i++) {
      const c = issue(level, max);
      const t0 = cpu();
      const n = solveNow(c);
      times.push(cpu() - t0);
      if (n !== c.number) throw new Error(`level ${level}: found ${n}, hid ${c.number}`);
      hashes += n + 1;
    }
    const levelHashes = hashes - before, levelTime = times.reduce((a, b) => a + b, 0);
    spent += levelTime;
    times.sort((a, b) => a - b);
    // The worst case tries every number, at this level's measured rate.
    const worst = (max + 1) / levelHashes * levelTime;
    rows.push({ level, max, count, median: quantile(times, 0.5), p95: quantile(times, 0.95), worst });
  }
  const jsRate = hashes / (spent / 1000);

  // The sliced solver (what the widget runs) against the blocking one.
  const sliced = [];
  for (let i = 0; i < 10; i++) {
    const c = issue(3, table[3]);
    const t0 = performance.now();
    await solve(c, 30);
    const t1 = performance.now();
    solveNow(c);
    sliced.push({ sliced: t1 - t0, blocking: performance.now() - t1 });
  }
  const slicedSum = sliced.reduce((a, x) => a + x.sliced, 0);
  const blockingSum = sliced.reduce((a, x) => a + x.blocking, 0);

  const subtleOne = await subtleRate(1), subtleBatch = await subtleRate(64), native = nativeRate();

  const model = os.cpus()[0]?.model ?? 'unknown CPU';
  const out = [];
  out.push(`# Challenge solver on ${model}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`, '');
  out.push(`| way of hashing SHA-256(salt + number) | hashes a second |`, `|---|---|`);
  out.push(`| solver.js (pure JS, what the widget runs) | ${rate(jsRate)} |`);
  out.push(`| crypto.subtle.digest, one awaited at a time | ${rate(subtleOne)} |`);
  out.push(`| crypto.subtle.digest, 64 at a time (Promise.all) | ${rate(subtleBatch)} |`);
  out.push(`| node:crypto createHash, one at a time (native; not in browsers; CPU time) | ${rate(native)} |`, '');
  out.push(`Load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores. ` +
    `The solver's rate and solve times are CPU time (what one core does when it is not shared); ` +
    `crypto.subtle's rates are wall-clock (its work runs on other threads).`, '');
  out.push(`Sliced (30 ms slices, MessageChannel) vs blocking, wall clock, level 3, 10 challenges: ` +
    `${s(slicedSum)} vs ${s(blockingSum)}.`, '');
  out.push(`Solve time per level, measured here (CPU time), and for a phone taken as 4–6× slower than this core.`, '');
  out.push(`| level | maxnumber | challenges | median | p95 | worst case (all numbers) | phone median | phone p95 | phone worst |`);
  out.push(`|---|---|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    const worst = r.worst;
    out.push(`| ${r.level} | ${r.max.toLocaleString('en')} | ${r.count} | ${ms(r.median)} | ${ms(r.p95)} | ${ms(worst)} | ` +
      `${s(4 * r.median)}–${s(6 * r.median)} | ${s(4 * r.p95)}–${s(6 * r.p95)} | ${s(4 * worst)}–${s(6 * worst)} |`);
  }
  console.log(out.join('\n'));
}

if (process.argv.includes('--solve')) {
  const out = [];
  for (const challenge of JSON.parse(readFileSync(0, 'utf8'))) {
    const t0 = performance.now();
    const number = await solve(challenge);
    out.push({ number, proof: number < 0 ? null : proof(challenge, number), ms: performance.now() - t0 });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
} else {
  await report();
}
