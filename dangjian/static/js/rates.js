// Rates charts (servicedesk/rates/index.html; a file, since the Content-Security-Policy allows no
// inline script): the chosen measure by unit (bars, with the Wilson lower bound as a marker) and
// by month (line; it may arrive later, swapped in by htmx, and is drawn once it settles). Every
// bar and point opens the requests behind it. Names are data, never HTML: ECharts draws axis
// labels on a canvas, and the tooltips below escape what they show.
(function () {
  var escape = function (text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };
  var shown = function (spec, value) {
    if (value === null || value === undefined) return "—";
    return spec.percent ? value.toFixed(1) + "%" : value.toFixed(2);
  };
  var tip = function (spec, items) {
    return function (params) {
      var item = items[params.dataIndex];
      var text = escape(item.label) + "<br>" + escape(spec.measure) + ": " + shown(spec, item.value) + " (n = " + item.n + ")";
      if (item.lower !== null && item.lower !== undefined) text += "<br>≥ " + shown(spec, item.lower);
      return text;
    };
  };
  var read = function (id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  };
  var bars = function () {
    var spec = read("rates-data"), el = document.getElementById("rates-bars");
    if (!spec || !el || !spec.bars.length) return;
    el.style.height = Math.max(260, 28 * spec.bars.length + 40) + "px";
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 140, right: 48, top: 8, bottom: 24 },
      tooltip: { trigger: "item", formatter: tip(spec, spec.bars) },
      xAxis: { type: "value", max: spec.percent ? 100 : null },
      yAxis: { type: "category", inverse: true, data: spec.bars.map(function (b) { return b.label; }),
               axisLabel: { width: 130, overflow: "truncate" } },
      series: [
        { type: "bar", data: spec.bars.map(function (b) {
            return { value: b.value, itemStyle: { color: b.enough ? "#b3121b" : "#b8bec6" } };
          }), label: { show: true, position: "right", formatter: function (p) { return shown(spec, p.value); } } },
        { type: "scatter", symbol: "diamond", symbolSize: 10, itemStyle: { color: "#1f2933" },
          data: spec.bars.map(function (b) { return b.lower; }) },
      ],
    });
    chart.on("click", function (params) { if (spec.bars[params.dataIndex]) window.location.href = spec.bars[params.dataIndex].url; });
    window.addEventListener("resize", function () { chart.resize(); });
  };
  var trend = function () {
    var spec = read("rates-trend-data"), el = document.getElementById("rates-trend");
    if (!spec || !el || !spec.points.length) return;
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 48, right: 24, top: 16, bottom: 32 },
      tooltip: { trigger: "item", formatter: tip(spec, spec.points) },
      xAxis: { type: "category", data: spec.points.map(function (m) { return m.label; }) },
      yAxis: { type: "value", max: spec.percent ? 100 : null },
      series: [
        { type: "line", connectNulls: false, symbolSize: 8, itemStyle: { color: "#b3121b" },
          data: spec.points.map(function (m) { return m.value; }) },
        { type: "line", lineStyle: { type: "dashed" }, symbol: "none", itemStyle: { color: "#8a939c" },
          data: spec.points.map(function (m) { return m.lower; }), silent: true },
      ],
    });
    chart.on("click", function (params) { if (spec.points[params.dataIndex]) window.location.href = spec.points[params.dataIndex].url; });
    window.addEventListener("resize", function () { chart.resize(); });
  };
  window.dangjianRatesCharts = { bars: bars, trend: trend };
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    bars();
    trend();
  });
  // The monthly trend arrives later, swapped in by htmx: draw it when it has settled.
  document.addEventListener("htmx:afterSettle", function () {
    if (window.echarts && document.getElementById("rates-trend-data")) trend();
  });
})();
