/*! tally challenge solver: finds the number n in 0..=maxnumber for which
 * SHA-256(salt + n) is the challenge, on the page's main thread in short
 * slices (no Worker: the widget is cross-origin and the portal's CSP forbids
 * blob: workers). The widget loads it only when a poll on the page asks for
 * a challenge, and calls window[Symbol.for('tally.solve')](challenge).
 * Written for a strict Content-Security-Policy: no inline script, no eval.
 */
(() => {
  'use strict';

  // ---- The challenge solver (bench/challenge/solver.js runs this very code
  // in Node, for the bench and the Rust tests).
  // SHA-256's constants are the fractional parts of the square and cube roots
  // of the first primes: derived here, smaller than their table.
  const K = [], IV = [], W = new Int32Array(64);
  for (let p = 2, n = 0; n < 64; p++) {
    let d = 2;
    while (p % d) d++;
    if (d == p) {
      if (n < 8) IV[n] = Math.sqrt(p) % 1 * 2 ** 32 | 0;
      K[n++] = Math.cbrt(p) % 1 * 2 ** 32 | 0;
    }
  }

  // Compresses the 64 bytes of m at offset o into the state s, in place.
  function block(s, m, o) {
    const w = W;
    for (let i = 0, j = o; i < 16; i++, j += 4) w[i] = m[j] << 24 | m[j + 1] << 16 | m[j + 2] << 8 | m[j + 3];
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      w[i] = ((x >>> 7 | x << 25) ^ (x >>> 18 | x << 14) ^ x >>> 3)
        + ((y >>> 17 | y << 15) ^ (y >>> 19 | y << 13) ^ y >>> 10)
        + w[i - 16] + w[i - 7] | 0;
    }
    let a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (let i = 0; i < 64; i++) {
      const t = h + ((e >>> 6 | e << 26) ^ (e >>> 11 | e << 21) ^ (e >>> 25 | e << 7))
        + (e & f ^ ~e & g) + K[i] + w[i] | 0;
      h = g; g = f; f = e; e = d + t | 0; d = c; c = b; b = a;
      a = t + ((b >>> 2 | b << 30) ^ (b >>> 13 | b << 19) ^ (b >>> 22 | b << 10))
        + (b & c ^ b & d ^ c & d) | 0;
    }
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
  }

  // The salt's whole blocks hashed once (mid), the target's words (t) and a
  // buffer holding the salt, where each try writes its digits and padding.
  function prepare({ salt, challenge, maxnumber }) {
    const L = salt.length, skip = L & -64, m = new Uint8Array(L + 128), mid = Int32Array.from(IV), t = [];
    for (let i = 0; i < L; i++) m[i] = salt.charCodeAt(i);
    for (let o = 0; o < skip; o += 64) block(mid, m, o);
    for (let i = 0; i < 8; i++) t[i] = parseInt(challenge.substr(i * 8, 8), 16) | 0;
    return { L, skip, m, mid, t, s: new Int32Array(8), max: maxnumber };
  }

  // Tries numbers from `from`, at most `count` of them: the number, or -1.
  function search(c, from, count) {
    const { L, skip, m, mid, t, s } = c;
    for (let n = from, last = Math.min(c.max, from + count - 1); n <= last; n++) {
      const d = '' + n, len = L + d.length, end = len + 72 & -64, bits = len * 8;
      for (let i = 0; i < d.length; i++) m[L + i] = d.charCodeAt(i);
      m.fill(0, len);
      m[len] = 128;
      m[end - 2] = bits >> 8;
      m[end - 1] = bits;
      s.set(mid);
      for (let o = skip; o < end; o += 64) block(s, m, o);
      if (s[0] == t[0] && s[1] == t[1] && s[7] == t[7]) return n;
    }
    return -1;
  }

  /** Solves in slices of about `ms` milliseconds, yielding to the page between
   * them through a MessageChannel (a nested setTimeout is clamped to 4 ms),
   * telling `progress` after each the share of the numbers tried (the
   * answer is equally likely anywhere among them). Resolves to the number,
   * or -1 when there is none. */
  function solve(challenge, ms = 30, progress = () => {}) {
    const c = prepare(challenge), ch = new MessageChannel();
    let n = 0;
    return new Promise((done) => {
      ch.port1.onmessage = () => {
        for (const t0 = Date.now(); Date.now() - t0 < ms;) {
          const found = search(c, n, 250);
          if (found >= 0 || (n += 250) > c.max) return ch.port1.close(), done(found);
        }
        progress(n / (c.max + 1));
        ch.port2.postMessage(0);
      };
      ch.port2.postMessage(0);
    });
  }
  // ---- End of the challenge solver.

  window[Symbol.for('tally.solve')] = solve;
})();
