// Workbench chart: residents by care tag. Each bar opens the list of people behind it.
// The labels get at most 40% of the chart's width and wrap beyond it; the grid makes room for
// them (containLabel), so a long tag name is never cut off.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("care-chart");
  var data = JSON.parse(document.getElementById("care-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  var labels = function () {
    return { interval: 0, overflow: "break", width: Math.round(el.clientWidth * 0.4) };
  };
  chart.setOption({
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    tooltip: {},
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.map(function (d) { return d.name; }), inverse: true, axisLabel: labels() },
    series: [{ type: "bar", data: data.map(function (d) { return d.n; }), itemStyle: { color: "#b3121b" } }],
  });
  chart.on("click", function (params) {
    window.location.href = "/people/?tag=" + data[params.dataIndex].pk;
  });
  window.addEventListener("resize", function () {
    chart.setOption({ yAxis: { axisLabel: labels() } });
    chart.resize();
  });
});
