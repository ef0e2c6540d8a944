/* kaiteki: one way to write numbers on every page (the rules of api.i18n.format_*). */
(function () {
  function int(n) { return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function km(m) { return m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(2) + ' km'; }
  function datetime(iso, lang) {
    var d = iso.match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2})/);
    if (!d) { return iso; }
    var mo = +d[2], day = +d[3], h = +d[4];
    return lang === 'ja' ? mo + '月' + day + '日 ' + h + '時' : mo + '/' + day + ' ' + h + ':00';
  }
  function fill(s, v) { return s.replace(/\{(\w+)\}/g, function (_, k) { return v[k]; }); }
  window.kaitekiFormat = {int: int, km: km, datetime: datetime, fill: fill};
})();
