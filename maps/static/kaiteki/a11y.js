// Tables wider than the screen scroll inside their .table-wrap: such a wrapper becomes a named,
// focusable region so that keyboard users can scroll it too (WCAG 2.1.1; axe's
// scrollable-region-focusable). Its name is the table's caption, else the nearest heading before
// it. Re-checked when the window is resized (a table may start or stop scrolling).
(function () {
  'use strict';
  function nameOf(wrap) {
    var caption = wrap.querySelector('caption');
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    for (var el = wrap.previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) return el.textContent.trim();
    }
    var section = wrap.closest('section');
    var heading = section && section.querySelector('h1, h2, h3, h4');
    return heading ? heading.textContent.trim() : '';
  }
  function update() {
    var wraps = document.querySelectorAll('.table-wrap');
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute('tabindex', '0');
        wrap.setAttribute('role', 'region');
        var name = nameOf(wrap);
        if (name) wrap.setAttribute('aria-label', name);
      } else if (wrap.getAttribute('tabindex') === '0') {
        wrap.removeAttribute('tabindex');
        wrap.removeAttribute('role');
        wrap.removeAttribute('aria-label');
      }
    }
  }
  var timer = null;
  window.addEventListener('resize', function () {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', update);
  } else {
    update();
  }
})();
