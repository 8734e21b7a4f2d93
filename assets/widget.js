/*! tally widget: the portal's visit counter, article views and poll.
 *
 * <script src="https://tally.example/widget.js" async></script> plus
 * placeholders: data-tally="counter", data-tally="views",
 * data-tally-poll="<poll id>". Optional: data-page on the script tag or the
 * counter (the page this load counts, else location.pathname) or on a views
 * placeholder (whose views it shows, counting nothing); data-lang ("vi" or
 * "en", on the script tag or a placeholder, else <html lang>); data-tally-api
 * (the API base, on the script tag, else where the script came from).
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
  const me = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const opt = (name) => (me && me.dataset[name]) || '';

  const WORDS = {
    vi: {
      sep: '.', dec: ',',
      online: 'Đang truy cập', today: 'Hôm nay', yesterday: 'Hôm qua',
      week: 'Tuần này', month: 'Tháng này', total: 'Tổng lượt truy cập',
      views: 'Lượt xem',
      submit: 'Gửi bình chọn', see: 'Xem kết quả', results: 'Kết quả bình chọn',
      totalVotes: 'Tổng số phiếu', vote: 'phiếu', votes: 'phiếu', upTo: 'Chọn tối đa',
      voters: 'Số người bình chọn', base: 'Tỷ lệ tính trên tổng số phiếu',
      mine: 'lựa chọn của bạn',
      thanks: 'Cảm ơn bạn đã tham gia bình chọn!',
      already: 'Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!',
      closed: 'Cuộc bình chọn đã kết thúc.',
      notYet: 'Cuộc bình chọn chưa bắt đầu.',
      chooseOne: 'Vui lòng chọn ít nhất một phương án.',
      tooMany: 'Bạn đã chọn quá số phương án cho phép.',
      rate: 'Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút.',
      address: 'Mạng của bạn đã gửi quá nhiều phiếu hôm nay. Vui lòng thử lại vào ngày mai.',
      busy: 'Hệ thống đang bận, phiếu của bạn chưa được ghi nhận. Vui lòng thử lại sau.',
      notFound: 'Không tìm thấy cuộc bình chọn này.',
      failed: 'Không tải được dữ liệu. Vui lòng thử lại sau.',
      error: 'Đã có lỗi xảy ra. Vui lòng thử lại sau.',
    },
    en: {
      sep: ',', dec: '.',
      online: 'Online now', today: 'Today', yesterday: 'Yesterday',
      week: 'This week', month: 'This month', total: 'Total visits',
      views: 'Views',
      submit: 'Submit vote', see: 'See results', results: 'Poll results',
      totalVotes: 'Total votes', vote: 'vote', votes: 'votes', upTo: 'Choose up to',
      voters: 'Voters', base: 'Percentages are of all votes',
      mine: 'your choice',
      thanks: 'Thank you for voting!',
      already: 'You have already voted in this poll. Thank you!',
      closed: 'This poll is closed.',
      notYet: 'This poll has not opened yet.',
      chooseOne: 'Please choose at least one option.',
      tooMany: 'You chose more options than allowed.',
      rate: 'Too many requests. Please try again in a few minutes.',
      address: 'Your network has sent too many votes today. Please try again tomorrow.',
      busy: 'The service is busy and your vote was not recorded. Please try again later.',
      notFound: 'This poll does not exist.',
      failed: 'Could not load the data. Please try again later.',
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

  const CSS = `
.tally-widget{--tw-a:var(--tally-accent,#b5121b);--tw-g:var(--tally-gold,#e0b000);box-sizing:border-box;max-width:100%;margin:0 0 1rem;padding:.75rem .9rem;background:#fff;color:#1d1d1f;border:1px solid #d9d4cc;border-top:3px solid var(--tw-a);border-radius:4px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;overflow-wrap:anywhere}
.tally-widget *,.tally-widget *::before,.tally-widget *::after{box-sizing:border-box}
.tally-widget :focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
.tally-widget .tw-stats{display:grid;grid-template-columns:1fr auto;gap:.3rem 0;margin:0}
.tally-widget .tw-stats dt{margin:0;color:#45454a}
.tally-widget .tw-stats dd{margin:0;padding-left:1rem;text-align:right;font-weight:600;font-variant-numeric:tabular-nums}
.tally-widget .tw-stats .tw-sum{display:flex;align-items:center;justify-content:space-between;margin-top:.2rem;padding-top:.45rem;border-top:1px solid #e6e1d8;color:var(--tw-a);font-weight:700}
.tally-widget .tw-stats dd.tw-sum{font-size:1.15em}
.tally-widget .tw-dot::before{content:"";display:inline-block;width:.55em;height:.55em;margin-right:.45em;border-radius:50%;background:#2e7d32;vertical-align:.05em}
.tally-views{font-variant-numeric:tabular-nums}
.tally-widget fieldset{min-width:0;margin:0;padding:0;border:0}
.tally-widget .tw-q{display:block;margin:0 0 .5rem;padding:0;font-weight:700;font-size:1.05em;color:#1d1d1f}
.tally-widget .tw-hint{margin:0 0 .4rem;color:#45454a;font-size:.9em}
.tally-widget .tw-opt{display:flex;gap:.55rem;align-items:flex-start;padding:.45rem .2rem;border-bottom:1px solid #eeeae3;cursor:pointer}
.tally-widget .tw-opt input{flex:none;width:1.1rem;height:1.1rem;margin:.15rem 0 0;accent-color:var(--tw-a)}
.tally-widget .tw-act{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}
.tally-widget .tw-btn{flex:1 1 auto;min-height:2.5rem;padding:.45rem .9rem;border:2px solid var(--tw-a);border-radius:3px;background:var(--tw-a);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.tally-widget .tw-btn2{background:#fff;color:var(--tw-a)}
.tally-widget .tw-btn:hover{filter:brightness(.92)}
.tally-widget[aria-busy=true] .tw-btn{opacity:.6;cursor:wait}
.tally-widget .tw-msg{margin:.75rem 0 .5rem;padding:.45rem .65rem;border-left:4px solid var(--tw-g);background:#fbf6e6;color:#3d3200}
.tally-widget .tw-msg:focus{outline:none}
.tally-widget .tw-bad{border-left-color:var(--tw-a);background:#fcefef;color:#7a0c12}
.tally-widget .tw-ok{border-left-color:#2e7d32;background:#eef6ee;color:#1b4d1e}
.tally-widget .tw-live>.tw-q:first-child{margin-top:1rem}
.tally-widget .tw-list{list-style:none;margin:.5rem 0 .25rem;padding:0}
.tally-widget .tw-list li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 .5rem;margin-bottom:.6rem}
.tally-widget .tw-lbl{flex:1 1 8rem}
.tally-widget .tw-mine .tw-lbl{font-weight:700}
.tally-widget .tw-pct{font-weight:700;font-variant-numeric:tabular-nums}
.tally-widget .tw-n{color:#45454a;font-size:.9em}
.tally-widget .tw-bar{flex:1 1 100%;height:.6rem;margin-top:.2rem;background:#eeeae3;border-radius:2px;overflow:hidden}
.tally-widget .tw-fill{display:block;height:100%;background:var(--tw-a)}
.tally-widget .tw-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.tally-widget .tw-total{margin:.25rem 0 0;color:#45454a;font-size:.9em}
.tally-widget [hidden]{display:none}`;

  const addStyles = () => {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    } catch {
      // Browsers without constructable sheets: an empty <style> filled
      // rule by rule, which a CSP without 'unsafe-inline' still allows.
      const style = document.createElement('style');
      document.head.append(style);
      for (const rule of CSS.split('\n')) {
        try { if (rule) style.sheet.insertRule(rule, style.sheet.cssRules.length); } catch { /* skip a rule this browser cannot parse */ }
      }
    }
  };

  const h = (tag, cls, ...kids) => {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    el.append(...kids.filter((k) => k != null && k !== false));
    return el;
  };

  const apiBase = opt('tallyApi') ? opt('tallyApi').replace(/\/?$/, '/') : (me && me.src) || '/';
  const url = (path) => new URL(path, new URL(apiBase, location.href)).href;

  // The visitor's id in the portal's own storage: it holds where tally's
  // cookie cannot (tally on another site, third-party cookies blocked).
  // Read on every call so tabs opened together settle on one id. Storage
  // that is blocked or full yields none: tally then counts by address.
  const KEY = 'tally_vid';
  const visitorId = () => {
    try {
      let id = localStorage.getItem(KEY);
      if (!/^[0-9a-f]{36}$/.test(id || '')) {
        id = Array.from(crypto.getRandomValues(new Uint8Array(18)), (b) => (b + 256).toString(16).slice(1)).join('');
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
    try { data = await res.json(); } catch { /* not JSON: judged by status below */ }
    if (!res.ok) {
      const err = new Error('tally: HTTP ' + res.status);
      err.info = (data && data.error) || {};
      err.status = res.status;
      throw err;
    }
    return data;
  };

  const box = (el, cls) => {
    const b = h('div', 'tally-widget ' + cls);
    b.lang = words(el) === WORDS.en ? 'en' : 'vi';
    return b;
  };

  const fail = (el, cls) => (err) => {
    const w = words(el);
    const b = box(el, cls);
    b.append(h('p', 'tw-msg tw-bad', err && err.info && err.info.code === 'poll_not_found' ? w.notFound : w.failed));
    el.replaceChildren(b);
  };

  const renderCounter = (el, c) => {
    const w = words(el);
    const rows = [
      ['online', c.online, 'tw-dot'], ['today', c.today], ['yesterday', c.yesterday],
      ['week', c.this_week], ['month', c.this_month], ['total', c.total, 'tw-sum'],
    ];
    const dl = h('dl', 'tw-stats');
    for (const [key, n, cls] of rows) {
      dl.append(h('dt', cls, w[key]), h('dd', cls === 'tw-sum' ? cls : '', num(n, w)));
    }
    const b = box(el, 'tw-counter');
    b.append(dl);
    el.replaceChildren(b);
  };

  const renderViews = (el, n) => {
    const w = words(el);
    el.replaceChildren(h('span', 'tally-views', w.views + ' ', h('strong', '', num(n, w))));
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
    return [list, h('p', 'tw-total', w.totalVotes + ': ' + num(r.total_votes, w)),
      multi && h('p', 'tw-total', w.voters + ': ' + num(r.total_voters, w)),
      multi && h('p', 'tw-total', w.base)];
  };

  const renderPoll = (el, poll) => {
    const w = words(el);
    const id = el.dataset.tallyPoll;
    const path = 'v1/polls/' + encodeURIComponent(id);
    const b = box(el, 'tw-poll');
    const live = h('div', 'tw-live');
    live.setAttribute('aria-live', 'polite');
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
    const form = h('form', 'tw-form', fieldset, h('div', 'tw-act', send, see));
    form.noValidate = true;
    b.append(form, live);
    el.replaceChildren(b);

    const note = (text, kind) => {
      const p = h('p', 'tw-msg ' + (kind || ''), text);
      p.tabIndex = -1;
      return p;
    };
    const say = (text, kind) => live.replaceChildren(note(text, kind));

    // The form gives way to the results once voting is over for this visitor.
    const final = (r, text, kind, choices) => {
      const moveFocus = b.contains(document.activeElement);
      form.hidden = true;
      const msg = text && note(text, kind);
      live.replaceChildren(...[msg, h('p', 'tw-q', poll.question), ...resultsList(r, w, choices, multi)].filter(Boolean));
      if (moveFocus && msg) msg.focus();
    };
    const preview = (r) => live.replaceChildren(h('p', 'tw-q', w.results), ...resultsList(r, w, null, multi).filter(Boolean));

    const refusal = async (err) => {
      const i = err.info || {};
      switch (i.code) {
        case 'already_voted':
          return final(i.results || await call(path + '/results'), w.already, 'tw-ok', i.choices);
        case 'poll_closed':
          return final(await call(path + '/results'), poll.status === 'not_yet_open' ? w.notYet : w.closed);
        case 'rate_limited': return say(w.rate, 'tw-bad');
        case 'address_limit_reached': return say(w.address, 'tw-bad');
        case 'store_unavailable': return say(w.busy, 'tw-bad');
        case 'too_many_choices': return say(w.tooMany, 'tw-bad');
        case 'invalid_option': return say(w.chooseOne, 'tw-bad');
        case 'poll_not_found': return say(w.notFound, 'tw-bad');
        default: return say(err.status ? w.error : w.busy, 'tw-bad');
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
      call(path + '/votes', { options: chosen })
        .then((r) => final(r, w.thanks, 'tw-ok', r.choices || chosen))
        .catch((err) => refusal(err).catch(() => say(w.error, 'tw-bad')))
        .finally(() => b.setAttribute('aria-busy', 'false'));
    });
    see.addEventListener('click', () => {
      call(path + '/results').then(preview, () => say(w.failed, 'tw-bad'));
    });

    if (poll.voted) {
      return call(path + '/results').then((r) => final(r, w.already, 'tw-ok', poll.choices));
    }
    if (poll.status === 'not_yet_open') {
      form.hidden = true;
      live.replaceChildren(h('p', 'tw-q', poll.question), note(w.notYet));
    } else if (poll.status === 'closed') {
      return call(path + '/results').then((r) => final(r, w.closed));
    }
  };

  const start = () => {
    const all = (sel) => [...document.querySelectorAll(sel)];
    const counters = all('[data-tally="counter"]');
    const views = all('[data-tally="views"]');
    const polls = all('[data-tally-poll]');
    if (counters.length + views.length + polls.length) addStyles();

    // The counted page: named on the script tag or the counter, else the path.
    // A views placeholder's data-page only says whose views to show.
    const named = counters.find((el) => el.dataset.page);
    const page = opt('page') || (named && named.dataset.page) || location.pathname.slice(0, 256) || '/';
    // One hit per page load; when counting fails the numbers are still shown.
    const hit = call('v1/hits', { page }).catch(() => call('v1/counter'));
    hit.catch(() => {});
    const counterOf = (p) => call('v1/counter?page=' + encodeURIComponent(p));

    for (const el of counters) hit.then((c) => renderCounter(el, c)).catch(fail(el, 'tw-counter'));
    for (const el of views) {
      const p = el.dataset.page || page;
      const got = p === page ? hit.then((c) => (c.page ? c : counterOf(p))) : counterOf(p);
      got.then((c) => renderViews(el, c.page.views)).catch(() => renderViews(el, NaN));
    }
    for (const el of polls) {
      call('v1/polls/' + encodeURIComponent(el.dataset.tallyPoll))
        .then((poll) => renderPoll(el, poll))
        .catch(fail(el, 'tw-poll'));
    }
  };

  const safeStart = () => {
    try { start(); } catch { /* never break the host page */ }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', safeStart, { once: true });
  else safeStart();
})();
