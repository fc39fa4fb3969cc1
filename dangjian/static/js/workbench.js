// Workbench chart: residents by care tag. Each bar opens the list of people behind it.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("care-chart");
  var data = JSON.parse(document.getElementById("care-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 80, right: 24, top: 8, bottom: 24 },
    tooltip: {},
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.map(function (d) { return d.name; }), inverse: true },
    series: [{ type: "bar", data: data.map(function (d) { return d.n; }), itemStyle: { color: "#b3121b" } }],
  });
  chart.on("click", function (params) {
    window.location.href = "/people/?tag=" + data[params.dataIndex].pk;
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
