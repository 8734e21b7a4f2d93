/*! tally challenge solver, as the widget runs it: finds the number n in
 * 0..=maxnumber for which SHA-256(salt + n) is the challenge, on the page's
 * main thread in short slices (no Worker: the widget is cross-origin and the
 * portal's CSP forbids blob: workers). Pure JS: crypto.subtle.digest answers
 * through a promise per hash, which costs more than the hash itself for
 * 70-byte inputs (measured by run.mjs beside this file).
 *
 * The code is not copied here: it is read out of assets/solver.js (the file
 * the widget loads when a poll asks for a challenge), between
 * its "The challenge solver" and "End of the challenge solver" lines, so the
 * bench and the Rust test `challenge::tests::node` measure and check exactly
 * what visitors run. The server pads the salt to whole 64-byte blocks, so the
 * salt is hashed once and each number costs one block.
 */

import { readFileSync } from 'node:fs';

const source = readFileSync(new URL('../../assets/solver.js', import.meta.url), 'utf8');
const from = source.indexOf('// ---- The challenge solver');
const to = source.indexOf('// ---- End of the challenge solver.');
if (from < 0 || to < from) throw new Error('assets/solver.js: the challenge solver is not between its marker lines');
const { prepare, search, solve: sliced } = new Function(
  `${source.slice(from, to)}\nreturn { prepare, search, solve };`,
)();

/** Solves at once, blocking: the number, or -1 when there is none. */
export function solveNow(challenge) {
  return search(prepare(challenge), 0, challenge.maxnumber + 1);
}

/** Solves in slices of about `ms` milliseconds, yielding between them
 * through a MessageChannel, as the widget does. Resolves to the number, or
 * -1 when there is none. */
export const solve = sliced;

/** The solution in its compact form, as a ballot carries it. */
export const proof = (challenge, number) => challenge.salt + number + '.' + challenge.signature;
