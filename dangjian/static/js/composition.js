// Membership composition: one bar chart per dimension; each bar opens the members behind it.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("composition-data");
  if (!source || !window.echarts) return;
  var charts = JSON.parse(source.textContent);
  document.querySelectorAll(".composition-chart").forEach(function (el) {
    var spec = charts[Number(el.dataset.index)];
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 90, right: 40, top: 8, bottom: 8 },
      tooltip: {},
      xAxis: { type: "value", minInterval: 1, show: false },
      yAxis: { type: "category", inverse: true, data: spec.bars.map(function (b) { return b.label; }) },
      series: [{
        type: "bar", data: spec.bars.map(function (b) { return b.n; }), itemStyle: { color: "#b3121b" },
        label: { show: true, position: "right" },
      }],
    });
    chart.on("click", function (params) { window.location.href = spec.bars[params.dataIndex].url; });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
