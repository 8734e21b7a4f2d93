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
