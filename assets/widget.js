/*! tally widget: the portal's visit counter, article views and poll.
 *
 * <script src="https://tally.example/widget.js" async></script> plus
 * placeholders: data-tally="counter", data-tally="views",
 * data-tally-poll="<poll id>". Optional: data-page on the script tag or the
 * counter (the page this load counts, else location.pathname) or on a views
 * placeholder (whose views it shows, counting nothing); data-lang ("vi" or
 * "en", on the script tag or a placeholder, else <html lang>); data-tally-api
 * (the API base, on the script tag, else where the script came from).
 * The browser's own language never switches it. Dates are shown in the
 * poll's time zone.
 *
 * A counter shows the rows its data-rows names (online, today, yesterday,
 * week, month, total; all by default), or with data-form="line" one line
 * ("Số lượt truy cập: 7.582.803", the figure data-rows names, total by
 * default). data-label="none" on a views placeholder or a line counter
 * shows the bare number, for a portal that writes its own label.
 *
 * Each placeholder's inside is its own shadow root: the portal's CSS
 * (label, button, dt, *, …) cannot reach it, and the box resets every
 * inherited text style, so a dark sidebar's colour, size or capitals stop
 * at its edge. Only the portal's font family comes in, and the documented
 * custom properties: --tally-accent, --tally-text, --tally-background,
 * --tally-font, --tally-font-size, --tally-radius; data-theme="dark" (on a
 * placeholder or the script tag) gives the dark variant.
 *
 * Results are shown only when the poll lets this visitor see them; while
 * shown they follow new ballots (server-sent events, else a read every 10 s).
 * Each ballot carries a random id and is retried with it after a network
 * error or a 503, so it is counted once. A poll with a challenge gets a
 * solved proof-of-work with each ballot, solved in short slices on the page
 * (the portal's CSP forbids blob: workers) by assets/solver.js, loaded only
 * then, from where this script came from; the solving time and level are
 * left on the widget as data-tally-solve-ms and data-tally-challenge-level.
 *
 * The visitor's id lives in the portal's own localStorage ("tally_vid") and
 * goes with every request as Tally-Visitor, so one person stays one visitor
 * where tally's cookie does not reach (tally on another site).
 *
 * Written for a strict Content-Security-Policy: no inline script, no eval, no
 * style attributes. Styles go in through CSSOM and the DOM is built node by
 * node, so poll labels are always text. Nothing here may break the host page:
 * every failure ends as a short message inside the widget's own box.
 */
(() => {
  'use strict';

  // A page that includes the script twice must still count one hit.
  const ONCE = Symbol.for('tally.widget');
  if (window[ONCE]) return;
  window[ONCE] = true;

  // Only readable while the script first runs, async or not.
  const me = document.currentScript || document.querySelector('script[src*="/widget."]');
  const opt = (name) => (me && me.dataset[name]) || '';

  const WORDS = {
    vi: {
      sep: '.', dec: ',', loc: 'vi-VN',
      date: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', day: '2-digit', month: '2-digit', year: 'numeric' },
      online: 'Đang truy cập', today: 'Hôm nay', yesterday: 'Hôm qua',
      this_week: 'Tuần này', last_week: 'Tuần trước', this_month: 'Tháng này',
      last_month: 'Tháng trước', total: 'Tổng lượt truy cập',
      visits: 'Số lượt truy cập',
      views: 'Lượt xem', empty: 'Chưa có phiếu nào.',
      submit: 'Gửi bình chọn', see: 'Xem kết quả', results: 'Kết quả bình chọn',
      totalVotes: 'Tổng số phiếu', vote: 'phiếu', votes: 'phiếu', upTo: 'Chọn tối đa',
      voters: 'Số người bình chọn', base: 'Tỷ lệ tính trên tổng số phiếu',
      mine: 'lựa chọn của bạn',
      yours: (l) => `Lựa chọn của bạn: ${l}.`,
      thanks: 'Cảm ơn bạn đã tham gia bình chọn!',
      already: 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!',
      closed: (d) => (d ? `Cuộc bình chọn đã kết thúc lúc ${d}.` : 'Cuộc bình chọn đã kết thúc.'),
      notYet: (d) => 'Cuộc bình chọn chưa bắt đầu.' + (d ? ` Thời gian bắt đầu: ${d}.` : ''),
      afterVote: 'Kết quả sẽ hiển thị sau khi bạn bình chọn.',
      afterClose: (d) => 'Kết quả sẽ được công bố sau khi cuộc bình chọn kết thúc' + (d ? ` (${d}).` : '.'),
      never: 'Kết quả của cuộc bình chọn này không được công bố.',
      chooseOne: 'Vui lòng chọn ít nhất một phương án.',
      tooMany: 'Bạn đã chọn quá số phương án cho phép.',
      rate: (n) => 'Bạn thao tác quá nhanh. Vui lòng thử lại sau ' + (n ? n + ' giây.' : 'ít phút.'),
      address: 'Mạng của bạn đã gửi quá nhiều phiếu hôm nay. Vui lòng thử lại vào ngày mai.',
      busy: 'Hệ thống đang bận, phiếu của bạn chưa được ghi nhận. Vui lòng thử lại sau.',
      offline: 'Không kết nối được với hệ thống bình chọn. Vui lòng kiểm tra kết nối mạng và thử lại.',
      verifying: 'Đang xác minh phiếu bầu, xin chờ giây lát…',
      unverified: 'Không xác minh được phiếu bầu. Vui lòng tải lại trang và thử lại.',
      notFound: 'Không tìm thấy cuộc bình chọn này.',
      failed: 'Không tải được dữ liệu. Vui lòng thử lại sau.',
      link: 'Bạn vẫn có thể dùng liên kết dưới đây.',
      error: 'Đã có lỗi xảy ra. Vui lòng thử lại sau.',
    },
    en: {
      sep: ',', dec: '.', loc: 'en-GB',
      date: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', day: 'numeric', month: 'long', year: 'numeric' },
      online: 'Online now', today: 'Today', yesterday: 'Yesterday',
      this_week: 'This week', last_week: 'Last week', this_month: 'This month',
      last_month: 'Last month', total: 'Total visits',
      visits: 'Visits',
      views: 'Views', empty: 'No votes yet.',
      submit: 'Submit vote', see: 'See results', results: 'Poll results',
      totalVotes: 'Total votes', vote: 'vote', votes: 'votes', upTo: 'Choose up to',
      voters: 'Voters', base: 'Percentages are of all votes',
      mine: 'your choice',
      yours: (l) => `Your choice: ${l}.`,
      thanks: 'Thank you for voting!',
      already: 'You have already voted in this poll. Thank you!',
      closed: (d) => (d ? `This poll closed on ${d}.` : 'This poll is closed.'),
      notYet: (d) => 'This poll has not opened yet.' + (d ? ` It opens on ${d}.` : ''),
      afterVote: 'The results are shown once you have voted.',
      afterClose: (d) => 'The results will be published when the poll closes' + (d ? ` (${d}).` : '.'),
      never: 'The results of this poll are not published.',
      chooseOne: 'Please choose at least one option.',
      tooMany: 'You chose more options than allowed.',
      rate: (n) => 'Too many requests. Please try again in ' + (n ? n + (n > 1 ? ' seconds.' : ' second.') : 'a few minutes.'),
      address: 'Your network has sent too many votes today. Please try again tomorrow.',
      busy: 'The service is busy and your vote was not recorded. Please try again later.',
      offline: 'Could not reach the poll service. Please check your connection and try again.',
      verifying: 'Checking your vote, one moment…',
      unverified: 'Your vote could not be verified. Please reload the page and try again.',
      notFound: 'This poll does not exist.',
      failed: 'Could not load the data. Please try again later.',
      link: 'You can still use the link below.',
      error: 'Something went wrong. Please try again later.',
    },
  };

  const words = (el) => {
    const tag = (el.dataset.lang || opt('lang') || document.documentElement.lang || 'vi').toLowerCase();
    return WORDS[tag.slice(0, 2)] || WORDS.vi;
  };

  // Grouping by hand: Intl's vi-VN output differs between engines and ICU builds.
  const num = (n, w) => (Number.isFinite(n) ? String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, w.sep) : '—');
  const pct = (p, w) => (Number(p) || 0).toFixed(1).replace('.', w.dec) + '%';
  // A moment in the poll's time zone (the portal's), not the browser's.
  const when = (t, w, zone) => {
    if (!t) return '';
    try {
      return new Intl.DateTimeFormat(w.loc, { ...w.date, timeZone: zone }).format(new Date(t));
    } catch {
      return new Date(t).toLocaleString(w.loc);
    }
  };

  // `all: initial` stops every inherited style of the portal at the box's
  // edge (custom properties pass: `all` leaves them alone). Text is never
  // under 14 px: the smallest is .9em of 16 px.
  const CSS = `
:host(:not(span)){display:flex;flex-direction:column}
.tally-widget{all:initial;display:block;flex:1 0 auto;--tw-a:var(--tally-accent,#b5121b);--tw-at:var(--tw-a);--tw-g:var(--tally-gold,#e0b000);--tw-t:var(--tally-text,#1d1d1f);--tw-m:var(--tally-muted,#45454a);--tw-bg:var(--tally-background,#fff);--tw-l:rgba(128,120,110,.3);box-sizing:border-box;max-width:100%;margin:0 0 1rem;padding:.75rem .9rem;background:var(--tw-bg);color:var(--tw-t);border:1px solid var(--tw-l);border-top:3px solid var(--tw-a);border-radius:var(--tally-radius,4px);font-family:var(--tally-font,inherit);font-size:var(--tally-font-size,16px);line-height:1.45;text-align:start;overflow-wrap:break-word}
.tw-dark{--tw-a:var(--tally-accent,#c62828);--tw-at:#ff9e97;--tw-t:var(--tally-text,#e8eef7);--tw-m:var(--tally-muted,#b6c0cc);--tw-bg:var(--tally-background,#1b2129)}
*,*::before,*::after{box-sizing:border-box;font:inherit;letter-spacing:inherit;text-transform:none}
:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
.tw-line,.tally-views{all:initial;display:inline;color:inherit;font-family:inherit;font-size:max(14px,1em);line-height:inherit}
strong{font-weight:700;font-variant-numeric:tabular-nums}
dl{margin:0}
.tw-row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 .75rem;padding:.15rem 0}
.tw-stats dt{margin:0;color:var(--tw-m);white-space:nowrap}
.tw-stats dd{margin:0 0 0 auto;text-align:right;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.tw-sum{margin-top:.2rem;padding-top:.45rem;border-top:1px solid var(--tw-l)}
.tw-stats .tw-sum *{color:var(--tw-at);font-weight:700}
.tw-sum dd{font-size:1.15em}
.tw-dot::before{content:"";display:inline-block;width:.55em;height:.55em;margin-right:.45em;border-radius:50%;background:#2e7d32;vertical-align:.05em}
fieldset{min-width:0;margin:0;padding:0;border:0}
.tw-q{display:block;margin:0 0 .5rem;padding:0;font-weight:700;font-size:1.05em;color:var(--tw-t)}
.tw-hint{margin:0 0 .4rem;color:var(--tw-m);font-size:.9em}
.tw-opt{display:flex;gap:.55rem;align-items:flex-start;padding:.45rem .2rem;border-bottom:1px solid var(--tw-l);color:var(--tw-t);cursor:pointer}
.tw-opt input{flex:none;width:1.1rem;height:1.1rem;margin:.15rem 0 0;accent-color:var(--tw-a)}
.tw-act{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}
.tw-btn{flex:1 1 auto;min-height:2.5rem;padding:.45rem .9rem;border:2px solid var(--tw-a);border-radius:3px;background:var(--tw-a);color:#fff;font-weight:600;cursor:pointer}
.tw-btn2{background:var(--tw-bg);color:var(--tw-at)}
.tw-btn:hover{filter:brightness(.92)}
.tally-widget[aria-busy=true] .tw-btn{opacity:.6;cursor:wait}
.tw-msg{margin:0 0 .75rem;padding:.45rem .65rem;border-left:4px solid var(--tw-g);background:rgba(224,176,0,.14)}
.tw-msg:focus{outline:none}
progress{display:block;width:100%;margin-top:.3rem;accent-color:var(--tw-a)}
.tw-bad{border-left-color:var(--tw-a);background:rgba(200,30,40,.12)}
.tw-ok{border-left-color:#2e7d32;background:rgba(46,125,50,.14)}
.tw-list{list-style:none;margin:.5rem 0 .25rem;padding:0}
.tw-list li{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:0 .5rem;margin-bottom:.6rem}
.tw-mine .tw-lbl{font-weight:700}
.tw-pct{font-weight:700}
.tw-n{color:var(--tw-m);font-size:.9em}
.tw-bar{grid-column:1/-1;height:.6rem;margin-top:.2rem;background:var(--tw-l);border-radius:2px;overflow:hidden}
.tw-fill{display:block;height:100%;background:var(--tw-a)}
.tw-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.tw-total{margin:.25rem 0 0;color:var(--tw-m);font-size:.9em}
a{color:var(--tw-at)}
[hidden]{display:none}`;

  // One constructed sheet, shared by every shadow root; where sheets cannot
  // be constructed, a <style> filled rule by rule (CSSOM, which a CSP
  // without 'unsafe-inline' still allows).
  let sheet = null;
  const styleInto = (root) => {
    try {
      sheet = sheet || new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement('style');
      root.append(style);
      for (const rule of CSS.split('\n')) {
        // A rule this browser cannot parse is left out.
        try { if (rule) style.sheet.insertRule(rule, style.sheet.cssRules.length); } catch {}
      }
    }
  };
  // An element that cannot hold a shadow root (a <td>, a <dd>) holds a
  // <span> that does.
  const inside = (el) => {
    if (el.shadowRoot) return el.shadowRoot;
    let root;
    try {
      root = el.attachShadow({ mode: 'open' });
    } catch {
      const holder = el.querySelector(':scope > span[data-tally-box]') || document.createElement('span');
      holder.dataset.tallyBox = '';
      el.replaceChildren(holder);
      return inside(holder);
    }
    styleInto(root);
    hold(el);
    return root;
  };
  // A box never gets shorter once drawn: content below it must not move
  // up and down as the poll goes from its form to its results and back (a
  // portal reserves the first height; the box fills it).
  const hold = (el) => {
    if (!window.ResizeObserver || getComputedStyle(el).display === 'inline') return;
    let most = 0;
    new ResizeObserver(() => {
      const y = Math.ceil(el.getBoundingClientRect().height);
      if (y > most) el.style.minHeight = (most = y) + 'px';
    }).observe(el);
  };
  // The element that has focus, seen from inside `el`'s box.
  const focused = (el) => (el.shadowRoot ? el.shadowRoot.activeElement : document.activeElement);

  const h = (tag, cls, ...kids) => {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    el.append(...kids.filter((k) => k != null && k !== false));
    return el;
  };

  const apiBase = opt('tallyApi') ? opt('tallyApi').replace(/\/?$/, '/') : (me && me.src) || '/';
  // The site this page belongs to (data-site), named on every call.
  const site = opt('site');
  const url = (path) => {
    const u = new URL(path, new URL(apiBase, location.href));
    if (site) u.searchParams.set('site', site);
    return u.href;
  };

  // The visitor's id in the portal's own storage: it holds where tally's
  // cookie cannot (tally on another site, third-party cookies blocked).
  // Read on every call so tabs opened together settle on one id. Storage
  // that is blocked or full yields none: tally then counts by address.
  const KEY = 'tally_vid';
  const hex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => (b + 256).toString(16).slice(1)).join('');
  const visitorId = () => {
    try {
      let id = localStorage.getItem(KEY);
      if (!/^[0-9a-f]{36}$/.test(id || '')) {
        id = hex(18);
        localStorage.setItem(KEY, id);
      }
      return id;
    } catch {
      return '';
    }
  };

  // Cross-origin with the tally_vid cookie (same-site deployments) and the
  // Tally-Visitor header (everywhere; it costs a CORS preflight).
  const call = async (path, body) => {
    const init = { credentials: 'include', cache: 'no-store' };
    const id = visitorId();
    if (id) init.headers = { 'Tally-Visitor': id };
    if (body !== undefined) Object.assign(init, { method: 'POST', body: JSON.stringify(body) });
    const res = await fetch(url(path), init);
    let data = null;
    // Not JSON: judged by its status below.
    try { data = await res.json(); } catch {}
    if (!res.ok) {
      const err = new Error('tally: HTTP ' + res.status);
      err.info = (data && data.error) || {};
      err.status = res.status;
      err.wait = Number(res.headers.get('retry-after')) || 0;
      throw err;
    }
    return data;
  };

  const box = (el, cls, tag) => {
    const b = h(tag || 'div', 'tally-widget ' + cls);
    if ((el.dataset.theme || opt('theme')) === 'dark') b.classList.add('tw-dark');
    b.lang = words(el) === WORDS.en ? 'en' : 'vi';
    return b;
  };

  // What the portal put in a placeholder (a link to tally's own poll page,
  // say): kept for when the widget cannot do its job.
  const fallback = new WeakMap();
  const fail = (el, cls) => (err) => {
    const w = words(el);
    const b = box(el, cls);
    const kept = fallback.get(el) || [];
    const link = kept.some((n) => n.nodeType === 1 && (n.matches('a') || n.querySelector('a')));
    const gone = err && err.info && err.info.code === 'poll_not_found';
    b.append(h('p', 'tw-msg tw-bad', gone ? w.notFound : w.failed + (link ? ' ' + w.link : '')), ...(gone ? [] : kept));
    inside(el).replaceChildren(b);
  };

  // data-rows="today last_week": the counter's fields a portal shows, in
  // its order.
  // Without it: all but last week's and last month's.
  const FIELDS = ['online', 'today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'total'];
  const rowsOf = (el) => {
    const asked = (el.dataset.rows || '').split(/[\s,]+/).filter((r) => FIELDS.includes(r));
    return asked.length ? asked : FIELDS.filter((f) => !f.startsWith('last'));
  };
  const bare = (el) => el.dataset.label === 'none';

  const renderCounter = (el, c) => {
    const w = words(el);
    if (el.dataset.form === 'line') {
      const [key] = el.dataset.rows ? rowsOf(el) : ['total'];
      const n = h('strong', '', num(c[key], w));
      const label = key === 'total' ? w.visits : w[key];
      const b = box(el, 'tw-line', 'span');
      b.append(...(bare(el) ? [n] : [label + ': ', n]));
      inside(el).replaceChildren(b);
      return;
    }
    const dl = h('dl', 'tw-stats');
    for (const key of rowsOf(el)) {
      dl.append(h('div', key === 'total' ? 'tw-row tw-sum' : 'tw-row', h('dt', key === 'online' ? 'tw-dot' : '', w[key]), h('dd', '', num(c[key], w))));
    }
    const b = box(el, 'tw-counter');
    b.append(dl);
    inside(el).replaceChildren(b);
  };

  const renderViews = (el, n) => {
    const w = words(el);
    const figure = h('strong', '', num(n, w));
    inside(el).replaceChildren(h('span', 'tally-views', ...(bare(el) ? [figure] : [w.views + ' ', figure])));
  };

  // Several choices each: voters and votes differ, so both are shown.
  const resultsList = (r, w, choices, multi) => {
    const list = h('ul', 'tw-list');
    for (const o of r.options || []) {
      const mine = (choices || []).includes(o.id);
      const fill = h('span', 'tw-fill');
      // CSSOM, not a style attribute: allowed under style-src 'self'.
      fill.style.width = Math.max(0, Math.min(100, Number(o.percent) || 0)) + '%';
      const bar = h('span', 'tw-bar', fill);
      bar.setAttribute('aria-hidden', 'true');
      list.append(h('li', mine ? 'tw-mine' : '',
        h('span', 'tw-lbl', o.label, mine && h('span', 'tw-sr', ' (' + w.mine + ')')),
        h('span', '', h('span', 'tw-pct', pct(o.percent, w)), ' ',
          h('span', 'tw-n', '(' + num(o.votes, w) + ' ' + (o.votes === 1 ? w.vote : w.votes) + ')')),
        bar));
    }
    return [!r.total_votes && h('p', 'tw-hint', w.empty), list, h('p', 'tw-total', w.totalVotes + ': ' + num(r.total_votes, w)),
      multi && h('p', 'tw-total', w.voters + ': ' + num(r.total_voters, w)),
      multi && h('p', 'tw-total', w.base)];
  };

  // The challenge solver (assets/solver.js) is fetched, from where this
  // script came from, only when a poll asks for a challenge: most pages
  // have none. tally writes the solver's version in place of VERSION when
  // it serves this script; plain solver.js is the fallback (a cached copy
  // of this script naming a solver that an upgrade has replaced, or this
  // file served as it is written).
  const SOLVER = 'solver.VERSION.js';
  const SOLVE = Symbol.for('tally.solve');
  const script = (name) => new Promise((ok, ko) => {
    const s = document.createElement('script');
    s.src = new URL(name, new URL((me && me.src) || apiBase, location.href)).href;
    s.async = true;
    s.onload = () => (window[SOLVE] ? ok(window[SOLVE]) : ko(new Error('tally: no solver')));
    s.onerror = () => { s.remove(); ko(new Error('tally: the solver did not load')); };
    (document.head || document.documentElement).append(s);
  });
  let solver = null;
  const loadSolver = () => (solver = solver || script(SOLVER)
    .catch(() => script('solver.js'))
    .catch((e) => { solver = null; throw e; }));


  // Results as they change while shown: server-sent events, else (no
  // EventSource, or the stream refused) a read every 10 s while the page is
  // visible. An after_vote poll shows its voter the results, and the stream
  // cannot say who the voter is (EventSource sends no Tally-Visitor header):
  // such polls are read. At most one redraw a second. Returns a stop.
  const follow = (path, poll, draw) => {
    let es = null;
    let timer = 0;
    let due = 0;
    let last = 0;
    const show = (r) => {
      clearTimeout(due);
      const gap = last + 1000 - Date.now();
      if (gap > 0) due = setTimeout(show, gap, r);
      else { last = Date.now(); draw(r); }
    };
    const stop = () => {
      if (es) es.close();
      es = null;
      clearInterval(timer);
      clearTimeout(due);
    };
    const read = () => {
      timer = setInterval(() => {
        if (!document.hidden) call(path + '/results').then(show, (e) => { if (e.status === 403) stop(); });
      }, 10000);
    };
    const go = () => {
      stop();
      if (document.hidden) return;
      if (!window.EventSource || poll.results_visibility === 'after_vote') return read();
      es = new EventSource(url(path + '/events'));
      // A torn message is skipped: the next one will do.
      es.addEventListener('results', (e) => { try { show(JSON.parse(e.data)); } catch {} });
      es.onerror = () => { if (es && es.readyState === 2) { es = null; read(); } };
    };
    document.addEventListener('visibilitychange', go);
    go();
    return () => { stop(); document.removeEventListener('visibilitychange', go); };
  };

  // Runs `go` once `el` is within a screen's height of the viewport.
  const near = (el, go) => {
    if (!window.IntersectionObserver) return go();
    const seen = new IntersectionObserver((e) => {
      if (e.some((x) => x.isIntersecting)) { seen.disconnect(); go(); }
    }, { rootMargin: '100% 0px' });
    seen.observe(el);
  };

  const stops = new WeakMap();
  const wait = (s) => new Promise((r) => setTimeout(r, s * 1000));

  const renderPoll = (el, poll) => {
    (stops.get(el) || (() => {}))();
    const w = words(el);
    const id = el.dataset.tallyPoll;
    const path = 'v1/polls/' + encodeURIComponent(id);
    const b = box(el, 'tw-poll');
    const live = h('div', 'tw-live');
    live.setAttribute('aria-live', 'polite');
    const out = h('div', 'tw-out');
    const multi = poll.max_choices > 1;
    const name = 'tally-' + id + '-' + Math.random().toString(36).slice(2, 8);
    const fieldset = h('fieldset', '', h('legend', 'tw-q', poll.question),
      multi && h('p', 'tw-hint', w.upTo + ' ' + poll.max_choices + '.'));
    for (const o of poll.options || []) {
      const input = h('input');
      input.type = multi ? 'checkbox' : 'radio';
      input.name = name;
      input.value = o.id;
      fieldset.append(h('label', 'tw-opt', input, h('span', '', o.label)));
    }
    const send = h('button', 'tw-btn', w.submit);
    send.type = 'submit';
    const see = h('button', 'tw-btn tw-btn2', w.see);
    see.type = 'button';
    see.hidden = !poll.results_visible;
    const form = h('form', 'tw-form', fieldset, h('div', 'tw-act', send, see));
    form.noValidate = true;
    // What the widget says comes first, above the question: when the form
    // gives way to the results, nothing already shown has to move.
    b.append(live, form, out);
    inside(el).replaceChildren(b);

    const date = (t) => when(t, w, poll.time_zone);
    const why = (vis, closes) => (vis === 'after_vote' ? w.afterVote : vis === 'never' ? w.never : w.afterClose(date(closes)));
    const hiddenWhy = () => why(poll.results_visibility, poll.closes_at);
    const note = (text, kind) => {
      const p = h('p', 'tw-msg ' + (kind || ''), text);
      p.tabIndex = -1;
      return p;
    };
    const say = (text, kind) => live.replaceChildren(note(text, kind));

    let stop = () => {};
    const unfollow = () => { stop(); stop = () => {}; };
    stops.set(el, unfollow);
    // Shows results under `title` and, while ballots can still come, keeps
    // them current (a closed poll's results hold no stream open).
    const results = (r, title, choices) => {
      const draw = (x) => out.replaceChildren(h('p', 'tw-q', title), ...resultsList(x, w, choices, multi).filter(Boolean));
      draw(r);
      unfollow();
      if (poll.status === 'open') stop = follow(path, poll, draw);
    };
    const hide = (text) => {
      unfollow();
      out.replaceChildren(...(text ? [h('p', 'tw-hint', text)] : []));
    };

    // Voting is over for this visitor: the form gives way to what they
    // may see — the results, or their own choice and when results come.
    const final = (text, kind, choices, r, hidden) => {
      const moveFocus = b.contains(focused(el));
      form.hidden = true;
      const mine = (poll.options || []).filter((o) => (choices || []).includes(o.id)).map((o) => o.label);
      const msg = text && note(text, kind);
      live.replaceChildren(...[msg, !r && mine.length && h('p', 'tw-hint', w.yours(mine.join(', ')))].filter(Boolean));
      if (r) results(r, poll.question, choices);
      else hide(hidden);
      if (moveFocus && msg) msg.focus();
    };
    const reload = () => load(el);
    // Opening and closing change what the widget shows: redraw then.
    for (const t of [poll.status === 'not_yet_open' && poll.opens_at, poll.status === 'open' && poll.closes_at]) {
      const ms = t ? Date.parse(t) - Date.now() : -1;
      if (ms > 0 && ms < 864e5) setTimeout(() => { if (b.isConnected) reload(); }, ms + 1500);
    }

    // The challenge, solved ahead of the ballot (solving starts as soon as
    // the poll is shown), and again when the proof has expired or been spent.
    let proof = null;
    let solved = false;
    // How far the search has gone, shown while a voter waits for it.
    const bar = h('progress');
    bar.max = 100;
    bar.value = 0;
    const solveOne = async () => {
      solved = false;
      const [c, solve] = await Promise.all([call(path + '/challenge'), loadSolver()]);
      const t0 = performance.now();
      // Slices of 5 ms: never a long task (50 ms) for the page, even on a
      // phone several times slower than the machine that measured them.
      const n = await solve(c, 5, (done) => { bar.value = Math.round(done * 100); });
      b.dataset.tallySolveMs = Math.round(performance.now() - t0);
      b.dataset.tallyChallengeLevel = c.level;
      if (n < 0) throw new Error('tally: unsolvable challenge');
      solved = true;
      return { proof: c.salt + n + '.' + c.signature, until: Date.parse(c.expires_at) };
    };
    const fresh = () => (proof = solveOne().catch((e) => { proof = null; throw e; }));
    const proofFor = async () => {
      const p = await (proof || fresh());
      return p.until - Date.now() > 5000 ? p : fresh();
    };
    const challenged = poll.challenge && poll.challenge !== 'off';

    // One ballot: the same id through every retry, so it counts once.
    const cast = async (body, again) => {
      if (challenged) {
        if (!solved) {
          say(w.verifying);
          live.firstChild.append(bar);
        }
        body.proof = (await proofFor()).proof;
        proof = null;
      }
      for (let i = 1; ; i++) {
        try {
          return await call(path + '/votes', body);
        } catch (err) {
          const code = err.info && err.info.code;
          if (!again && /^challenge_(expired|replayed|too_easy)$/.test(code)) return cast(body, true);
          if (i === 3 || (err.status && err.status !== 503) || err.wait > 5) throw err;
          await wait(err.wait || i);
        }
      }
    };

    const refusal = async (err) => {
      const i = err.info || {};
      switch (i.code) {
        case 'already_voted':
          return final(w.already, 'tw-ok', i.choices, i.results, hiddenWhy());
        case 'poll_closed': return reload();
        case 'rate_limited': return say(w.rate(err.wait), 'tw-bad');
        case 'address_limit_reached': return say(w.address, 'tw-bad');
        case 'store_unavailable': return say(w.busy, 'tw-bad');
        case 'too_many_choices': return say(w.tooMany, 'tw-bad');
        case 'invalid_option': return say(w.chooseOne, 'tw-bad');
        case 'poll_not_found': return say(w.notFound, 'tw-bad');
        default:
          // No status: the network failed, or the challenge could not be solved.
          if (/^challenge_/.test(i.code) || (!err.status && !(err instanceof TypeError))) return say(w.unverified, 'tw-bad');
          return say(err.status ? w.error : w.offline, 'tw-bad');
      }
    };

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const chosen = [...form.querySelectorAll('input:checked')].map((i) => i.value);
      if (!chosen.length) return say(w.chooseOne, 'tw-bad');
      if (chosen.length > poll.max_choices) return say(w.tooMany, 'tw-bad');
      // A busy flag rather than a disabled button: disabling would drop the
      // keyboard user's focus on the floor.
      if (b.getAttribute('aria-busy') === 'true') return;
      b.setAttribute('aria-busy', 'true');
      cast({ options: chosen, ballot: hex(16) })
        .then((r) => final(w.thanks, 'tw-ok', r.choices || chosen, r.options && r, hiddenWhy()))
        .catch((err) => refusal(err).catch(() => say(w.error, 'tw-bad')))
        .finally(() => b.setAttribute('aria-busy', 'false'));
    });
    see.addEventListener('click', () => {
      call(path + '/results').then((r) => results(r, w.results), (err) => {
        const i = err.info || {};
        if (i.code === 'results_hidden') hide(why(i.results_visibility, i.closes_at));
        else say(err.status ? w.failed : w.offline, 'tw-bad');
      });
    });

    const shown = () => (poll.results_visible ? call(path + '/results') : Promise.resolve(null));
    if (poll.status === 'closed') {
      return shown().then((r) => final(w.closed(date(poll.closes_at)), '', poll.choices, r, w.never));
    }
    if (poll.voted) {
      return shown().then((r) => final(w.already, 'tw-ok', poll.choices, r, hiddenWhy()));
    }
    if (poll.status === 'not_yet_open') {
      form.hidden = true;
      live.replaceChildren(h('p', 'tw-q', poll.question), note(w.notYet(date(poll.opens_at))));
    } else {
      if (!poll.results_visible) hide(hiddenWhy());
      // Solving starts as the poll comes near the screen.
      if (challenged) near(b, () => fresh().catch(() => {}));
    }
  };

  const load = (el) => call('v1/polls/' + encodeURIComponent(el.dataset.tallyPoll))
    .then((poll) => renderPoll(el, poll))
    .catch(fail(el, 'tw-poll'));

  // Each box is drawn in a task of its own: the page never waits on all
  // of them at once (no long task, even on a slow phone).
  const task = (fn) => new Promise((ok, ko) => setTimeout(() => { try { ok(fn()); } catch (e) { ko(e); } }));

  const start = () => {
    const all = (sel) => [...document.querySelectorAll(sel)];
    const counters = all('[data-tally="counter"]');
    const views = all('[data-tally="views"]');
    const polls = all('[data-tally-poll]');
    for (const el of [...counters, ...polls]) fallback.set(el, [...el.childNodes]);

    // The counted page: named on the script tag or the counter, else the path.
    // A views placeholder's data-page only says whose views to show.
    const named = counters.find((el) => el.dataset.page);
    const page = opt('page') || (named && named.dataset.page) || location.pathname.slice(0, 256) || '/';
    // One hit per page load; when counting fails the numbers are still shown.
    const hit = call('v1/hits', { page }).catch(() => call('v1/counter'));
    hit.catch(() => {});
    const counterOf = (p) => call('v1/counter?page=' + encodeURIComponent(p));

    for (const el of counters) hit.then((c) => task(() => renderCounter(el, c))).catch(fail(el, 'tw-counter'));
    for (const el of views) {
      const p = el.dataset.page || page;
      const got = p === page ? hit.then((c) => (c.page ? c : counterOf(p))) : counterOf(p);
      got.then((c) => task(() => renderViews(el, c.page.views))).catch(() => renderViews(el, NaN));
    }
    for (const el of polls) load(el);
  };

  const safeStart = () => {
    // Never break the host page.
    try { start(); } catch {}
  };
  // The portal's localStorage is read first, in a task of its own (its
  // first read loads it from disk: milliseconds on a slow phone), then
  // the boxes start.
  const begin = () => setTimeout(() => {
    try { visitorId(); } catch {}
    setTimeout(safeStart);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', begin, { once: true });
  else begin();
})();
