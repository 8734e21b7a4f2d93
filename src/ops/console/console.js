// The console's live results: every 5 seconds, while the box is ticked and
// the tab is visible, fetch this page again and swap in its #live part if
// it changed. Without this script the page still works (a reload link).
(function () {
  'use strict';
  var live = document.getElementById('live');
  var toggle = document.getElementById('live-toggle');
  if (!live || !toggle || !window.fetch || !window.DOMParser) return;
  var box = toggle.querySelector('input');
  toggle.hidden = false;
  setInterval(function () {
    if (!box.checked || document.hidden) return;
    fetch(location.href, { credentials: 'same-origin', redirect: 'manual' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('live');
        if (!next || next.innerHTML === live.innerHTML) return;
        var open = Array.prototype.map.call(live.querySelectorAll('details'), function (d) { return d.open; });
        live.innerHTML = next.innerHTML;
        Array.prototype.forEach.call(live.querySelectorAll('details'), function (d, i) { d.open = !!open[i]; });
      })
      .catch(function () { /* the next tick tries again */ });
  }, 5000);
}());

// The poll form's rows: ↑ ↓ + ✕ move rows in place, each with the option id
// it carries, exactly as the server does with a round trip when there is
// no script. Numbers in labels and button names follow the rows.
(function () {
  'use strict';
  var form = document.querySelector('form[data-poll-form]');
  if (!form || !form.querySelector) return;
  var box = form.querySelector('[data-rows]');
  var addEnd = form.querySelector('[data-add-row]');
  var MOST = 20;
  var rows = function () { return Array.prototype.slice.call(box.querySelectorAll('[data-row]')); };
  var renumber = function () {
    var all = rows();
    all.forEach(function (row, i) {
      var label = row.querySelector('label');
      var input = row.querySelector('input[name=label]');
      label.textContent = label.textContent.replace(/\d+$/, String(i + 1));
      label.htmlFor = input.id = 'option-' + i;
      row.querySelector('[role=group]').setAttribute('aria-label',
        row.querySelector('[role=group]').getAttribute('aria-label').replace(/\d+$/, String(i + 1)));
      Array.prototype.forEach.call(row.querySelectorAll('button[name=row]'), function (b) {
        var what = b.value.split(':')[0];
        b.value = what + ':' + i;
        b.setAttribute('aria-label', b.getAttribute('aria-label').replace(/\d+$/, String(i + 1)));
        b.disabled = (what === 'up' && i === 0) || (what === 'down' && i === all.length - 1) ||
          (what === 'add' && all.length >= MOST);
      });
    });
    if (addEnd) addEnd.disabled = all.length >= MOST;
  };
  var clear = function (row) {
    row.querySelector('input[name=label]').value = '';
    row.querySelector('input[name=option-id]').value = '';
    row.querySelector('input[name=label]').removeAttribute('autofocus');
  };
  form.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('button[name=row]');
    if (!b || !form.contains(b)) return;
    ev.preventDefault();
    var all = rows();
    var parts = b.value.split(':');
    var what = parts[0];
    var i = parts[1] === 'end' ? all.length - 1 : Number(parts[1]);
    var row = all[i];
    if (!row) return;
    var focus = null;
    if (what === 'up' && i > 0) {
      box.insertBefore(row, all[i - 1]);
      focus = function () { return row.querySelector('button[value^="up:"]'); };
    } else if (what === 'down' && i < all.length - 1) {
      box.insertBefore(all[i + 1], row);
      focus = function () { return row.querySelector('button[value^="down:"]'); };
    } else if (what === 'add' && all.length < MOST) {
      var fresh = row.cloneNode(true);
      clear(fresh);
      box.insertBefore(fresh, row.nextSibling);
      focus = function () { return fresh.querySelector('input[name=label]'); };
    } else if (what === 'remove') {
      var next = all[i + 1] || all[i - 1];
      if (next) { row.parentNode.removeChild(row); } else { clear(row); next = row; }
      focus = function () { return next.querySelector('input[name=label]'); };
    }
    renumber();
    var target = focus && focus();
    if (target && !target.disabled) target.focus();
    else if (target) target.closest('[data-row]').querySelector('input[name=label]').focus();
  });
}());

// The embed code's copy button: shown where the clipboard can be written.
(function () {
  var button = document.querySelector('button[data-copy]');
  if (!button || !navigator.clipboard) return;
  var code = document.getElementById(button.getAttribute('data-copy'));
  var copied = document.querySelector('[data-copied]');
  button.hidden = false;
  button.addEventListener('click', function () {
    navigator.clipboard.writeText(code.textContent).then(function () {
      if (copied) copied.hidden = false;
    });
  });
}());

// A column chart read with the keyboard or a tap: the chart is one tab
// stop; ← → Home End move along its columns, and the column's day and value
// are written under the chart and read out. Without this script each
// column's value shows on hover (its title) and the table holds them all.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll('svg.chart.columns'), function (svg) {
    var bars = svg.querySelectorAll('rect.bar');
    var out = svg.parentNode.querySelector('.readout');
    if (!bars.length || !out) return;
    var at = bars.length - 1;
    svg.setAttribute('tabindex', '0');
    svg.setAttribute('aria-keyshortcuts', 'ArrowLeft ArrowRight Home End');
    function show() {
      Array.prototype.forEach.call(bars, function (b, i) { b.classList.toggle('current', i === at); });
      out.hidden = false;
      out.textContent = bars[at].querySelector('title').textContent;
    }
    svg.addEventListener('focus', show);
    svg.addEventListener('keydown', function (e) {
      var next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: bars.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      at = Math.max(0, Math.min(bars.length - 1, next));
      show();
    });
    Array.prototype.forEach.call(bars, function (b, i) {
      b.addEventListener('click', function () { at = i; show(); });
    });
  });
}());
