// tuopin's own script: charts from JSON the page carries (no inline
// scripts, so the strict CSP holds) and a print button.
(function () {
  "use strict";
  function data(el) {
    var src = document.getElementById(el.getAttribute("data-source"));
    return src ? JSON.parse(src.textContent) : null;
  }
  function bar(el, d, grouped) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: d.labels },
      yAxis: { type: "value" },
      series: d.series.map(function (s) {
        return grouped ? { name: s.name, type: "bar", data: s.data } : { name: s.name, type: "bar", stack: "all", data: s.data };
      })
    });
    return chart;
  }
  function line(el, d) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: d.labels },
      yAxis: { type: "value" },
      series: d.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data };
      })
    });
    return chart;
  }
  function init() {
    var charts = [];
    if (window.echarts) {
      document.querySelectorAll("[data-chart]").forEach(function (el) {
        var d = data(el);
        if (!d) { return; }
        var kind = el.getAttribute("data-chart");
        charts.push(kind === "line" ? line(el, d) : bar(el, d, kind === "grouped"));
      });
      window.addEventListener("resize", function () {
        charts.forEach(function (c) { c.resize(); });
      });
    }
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
