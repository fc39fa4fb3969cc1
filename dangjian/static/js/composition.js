// Membership composition: one bar chart per dimension; each bar opens the members behind it.
// The labels get at most 40% of the chart's width and wrap beyond it; the grid makes room for
// them (containLabel), so a long English label ("Primary school or below") is never cut off.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("composition-data");
  if (!source || !window.echarts) return;
  var charts = JSON.parse(source.textContent);
  document.querySelectorAll(".composition-chart").forEach(function (el) {
    var spec = charts[Number(el.dataset.index)];
    var chart = echarts.init(el);
    var labels = function () {
      return { interval: 0, overflow: "break", width: Math.round(el.clientWidth * 0.4) };
    };
    chart.setOption({
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: {},
      xAxis: { type: "value", minInterval: 1, show: false },
      yAxis: {
        type: "category", inverse: true, axisLabel: labels(),
        data: spec.bars.map(function (b) { return b.label; }),
      },
      series: [{
        type: "bar", data: spec.bars.map(function (b) { return b.n; }), itemStyle: { color: "#b3121b" },
        label: { show: true, position: "right" },
      }],
    });
    chart.on("click", function (params) { window.location.href = spec.bars[params.dataIndex].url; });
    window.addEventListener("resize", function () {
      chart.setOption({ yAxis: { axisLabel: labels() } });
      chart.resize();
    });
  });
});
