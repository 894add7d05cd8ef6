// Charts and small behaviours. Page data comes from <script type="application/json" id="page-data">,
// so no inline script is needed (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var COLORS = { passed: "#3fa66a", failed: "#e0675a", not_reported: "#c4cad3" };

  // ECharts puts a tooltip formatter's result into the page as HTML, and renders names
  // (schools, areas, counties: data anyone with an upload can set) wherever it likes. Every
  // text that reaches a chart goes through esc(); tooltips are built only from escaped parts.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"'`]/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" }[ch];
    });
  }

  // The default axis tooltip, rebuilt from escaped series and category names.
  function axisTooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    if (!list.length) return "";
    var lines = [esc(list[0].axisValueLabel != null ? list[0].axisValueLabel : list[0].name)];
    list.forEach(function (p) {
      if (p.value == null || p.value === "") return;
      lines.push(p.marker + esc(p.seriesName) + ": " + esc(p.value));
    });
    return lines.join("<br>");
  }

  function pageData() {
    var el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function drawCityMap(data) {
    var el = document.getElementById("city-map");
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    chart.showLoading();
    fetch("/assets/zhangye.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      echarts.registerMap("zhangye", geo);
      var byName = {};
      data.counties.forEach(function (c) { byName[c.name] = c; });
      var regions = geo.features.map(function (f) {
        var c = byName[f.properties.name];
        var status = c ? c.status : "not_reported";
        return { name: f.properties.name, value: status, itemStyle: { areaColor: COLORS[status] } };
      });
      chart.hideLoading();
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var c = byName[p.name];
          if (!c) return esc(p.name);
          return esc(p.name) + "<br>" + esc(data.labels[c.status]) + "<br>" + esc(c.schools_passed) + " / " + esc(c.schools_evaluated);
        } },
        series: [{ type: "map", map: "zhangye", roam: false, selectedMode: false,
          layoutCenter: ["50%", "50%"], layoutSize: "95%",
          label: { show: true, fontSize: 12, color: "#1d2733" },
          emphasis: { label: { show: true }, itemStyle: { areaColor: "#f6c85f" } },
          itemStyle: { borderColor: "#fff", borderWidth: 1.5 }, data: regions }]
      });
      chart.on("click", function (p) {
        var c = byName[p.name];
        if (c) window.location.href = "/county/" + c.code + "?year=" + data.year;
      });
    }).catch(function () { chart.hideLoading(); });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawCityTrend(data) {
    var el = document.getElementById("city-trend");
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    var years = data.trend.map(function (r) { return String(r.year); });
    chart.setOption({
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { bottom: 0 },
      grid: { left: 40, right: 50, top: 30, bottom: 50 },
      xAxis: { type: "category", data: years },
      yAxis: [{ type: "value", min: 0, max: data.counties.length, minInterval: 1 },
              { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: data.labels.counties_passed, type: "bar", data: data.trend.map(function (r) { return r.passed; }),
          itemStyle: { color: "#1f5fa8" },
          markLine: { symbol: "none", data: data.goals.map(function (n, i) {
            var last = i === data.goals.length - 1;
            return { yAxis: n, name: data.labels.goals[i], lineStyle: { color: last ? "#1a7f37" : "#b7791f", type: "dashed" },
                     label: { formatter: String(data.goal_years[i]), position: "insideStartTop" } }; }) } },
        { name: data.labels.schools_share, type: "line", yAxisIndex: 1, data: data.trend.map(function (r) {
          return r.schools_evaluated ? +(100 * r.schools_passed / r.schools_evaluated).toFixed(1) : null; }), itemStyle: { color: "#3fa66a" } },
        { name: data.labels.big_share, type: "line", yAxisIndex: 1, data: data.trend.map(function (r) {
          return r.big_share == null ? null : +(100 * r.big_share).toFixed(1); }), itemStyle: { color: "#e0675a" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawCountyBands(data) {
    var el = document.getElementById("county-bands");
    if (!el || !window.echarts || !data.bands || !data.bands.length) { if (el) el.style.display = "none"; return; }
    var chart = echarts.init(el);
    var bands = ["normal", "large", "big", "super"];
    var colors = { normal: "#3fa66a", large: "#9cc0ea", big: "#f6c85f", super: "#e0675a" };
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 10, bottom: 40 },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.bands.map(function (b) { return data.labels.stage[b.stage] || b.stage; }) },
      series: bands.map(function (k) {
        return { name: data.labels[k], type: "bar", stack: "n", itemStyle: { color: colors[k] },
                 data: data.bands.map(function (b) { return b[k]; }) };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawForecast(data) {
    var el = document.getElementById("forecast-chart");
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    var years = data.history.map(function (r) { return r.year; })
      .concat(data.forecast.map(function (r) { return r.year; }));
    var hist = {}; data.history.forEach(function (r) { hist[r.year] = r.students; });
    var fc = {}; data.forecast.forEach(function (r) { fc[r.year] = r; });
    var lastHist = data.history.length ? data.history[data.history.length - 1] : null;
    chart.setOption({
      tooltip: { trigger: "axis", formatter: axisTooltip }, legend: { bottom: 0 },
      grid: { left: 70, right: 20, top: 20, bottom: 50 },
      xAxis: { type: "category", data: years.map(String) },
      yAxis: { type: "value", scale: true },
      series: [
        { name: data.labels.band, type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          data: years.map(function (y) { return fc[y] ? fc[y].lower : null; }) },
        { name: data.labels.band, type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: "rgba(31,95,168,0.15)" },
          data: years.map(function (y) { return fc[y] ? fc[y].upper - fc[y].lower : null; }) },
        { name: data.labels.history, type: "line", itemStyle: { color: "#1d2733" },
          data: years.map(function (y) { return y in hist ? hist[y] : null; }) },
        { name: data.labels.forecast, type: "line", itemStyle: { color: "#1f5fa8" }, lineStyle: { type: "dashed" },
          data: years.map(function (y) {
            if (fc[y]) return fc[y].students;
            return lastHist && y === lastHist.year ? lastHist.students : null; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawPlanMap(data) {
    var el = document.getElementById("plan-map");
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    fetch("/assets/zhangye.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      var own = { type: "FeatureCollection", features: geo.features.filter(function (f) {
        return f.properties.name === data.county_name; }) };
      echarts.registerMap("county-" + data.county_name, own.features.length ? own : geo);
      var max = Math.max.apply(null, data.points.map(function (p) { return p.value[2]; }).concat([1]));
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          return p.seriesType === "scatter" ? esc(p.name) + "<br>" + esc(data.labels.cost) + ": " + esc(Math.round(p.value[2]).toLocaleString()) : esc(p.name); } },
        geo: { map: "county-" + data.county_name, roam: true, layoutCenter: ["50%", "50%"], layoutSize: "95%",
               itemStyle: { areaColor: "#eef2f7", borderColor: "#9aa8b8" }, label: { show: false } },
        series: [{ type: "scatter", coordinateSystem: "geo", data: data.points,
          symbolSize: function (v) { return 6 + 24 * Math.sqrt(v[2] / max); },
          itemStyle: { color: "#e0675a", opacity: 0.8 } }]
      });
      chart.on("click", function (p) { if (p.data && p.data.school_id) window.location.href = "/school/" + p.data.school_id; });
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var PALETTE = ["#1f5fa8", "#e0675a", "#3fa66a", "#f6c85f", "#8e6bbf", "#2bb3b1", "#d98c3f",
                 "#c04f8d", "#6b8e23", "#4c6ef5", "#a0522d", "#20a4f3", "#ef476f", "#118ab2"];

  function drawZoneMap(elId, data, key) {
    var el = document.getElementById(elId);
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    var idx = {};
    data.schools.forEach(function (s, i) { idx[s.school_id] = i; });
    var names = {};
    data.schools.forEach(function (s) { names[s.school_id] = s.school_name; });
    fetch("/assets/zhangye.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      var own = { type: "FeatureCollection", features: geo.features.filter(function (f) {
        return f.properties.name === data.county_name; }) };
      var mapName = "county-" + data.county_name;
      if (!echarts.getMap(mapName)) echarts.registerMap(mapName, own.features.length ? own : geo);
      // Areas with an outline (areas.geometry) are drawn as polygons coloured by their school;
      // the others as points. The polygons become the map's regions, named by area id.
      var outlined = data.rows.filter(function (a) { return a.geometry; });
      var regions = [];
      var areaNames = {};
      if (outlined.length) {
        var features = [];
        outlined.forEach(function (a) {
          var g;
          try { g = JSON.parse(a.geometry); } catch (e) { return; }
          features.push({ type: "Feature", properties: { name: a.area_id }, geometry: g });
          var i = idx[a[key]];
          areaNames[a.area_id] = { area: a.area_name, school: names[a[key]] || a[key] || "" };
          regions.push({ name: a.area_id, itemStyle: { areaColor: a[key] ? PALETTE[(i === undefined ? 0 : i) % PALETTE.length] : "#ffffff",
                                                       borderColor: "#ffffff", borderWidth: 0.5 } });
        });
        mapName = "areas-" + data.county_name + "-" + key;
        echarts.registerMap(mapName, { type: "FeatureCollection", features: features });
      }
      var pts = data.rows.filter(function (a) { return a[key] && a.longitude != null && !(outlined.length && a.geometry); }).map(function (a) {
        var i = idx[a[key]];
        return { name: a.area_name, value: [a.longitude, a.latitude], school: names[a[key]] || a[key],
                 itemStyle: { color: PALETTE[(i === undefined ? 0 : i) % PALETTE.length] } };
      });
      var schools = data.schools.filter(function (s) { return s.longitude != null; }).map(function (s, i) {
        return { name: s.school_name, value: [s.longitude, s.latitude],
                 itemStyle: { color: PALETTE[idx[s.school_id] % PALETTE.length], borderColor: "#1d2733", borderWidth: 1.5 } };
      });
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          if (p.componentType === "geo") {
            var n = areaNames[p.name];
            return n ? esc(n.area) + (n.school ? " → " + esc(n.school) : "") : esc(p.name);
          }
          return p.data && p.data.school ? esc(p.name) + " → " + esc(p.data.school) : esc(p.name); } },
        geo: { map: mapName, roam: true, layoutCenter: ["50%", "50%"], layoutSize: "95%",
               itemStyle: { areaColor: "#eef2f7", borderColor: "#9aa8b8" },
               // The series on the map inherit the geo component's tooltip setting, so it is
               // only ever switched on (for the outlines), never off.
               regions: regions, tooltip: regions.length ? { show: true } : undefined,
               emphasis: { label: { show: false } }, label: { show: false } },
        series: [
          { type: "scatter", coordinateSystem: "geo", data: pts, symbolSize: 7 },
          { type: "scatter", coordinateSystem: "geo", data: schools, symbol: "diamond", symbolSize: 14, zlevel: 1 }
        ]
      });
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }


  // Finance trends. Every label drawn comes from the page data and goes through esc() before
  // ECharts puts it in tooltip HTML.
  function lineChart(id, years, series, yuan) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", formatter: function (ps) {
        return esc(ps[0].axisValue) + ps.map(function (p) {
          return "<br>" + esc(p.seriesName) + ": " + (p.value == null ? "—" : esc(Number(p.value).toLocaleString()));
        }).join(""); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: el.clientWidth < 500 ? 56 : 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: years.map(String) },
      yAxis: { type: "value", scale: true, axisLabel: { formatter: function (v) {
        if (yuan && Math.abs(v) >= 1e8) return (v / 1e8).toFixed(1) + "亿";
        if (yuan && Math.abs(v) >= 1e4) return (v / 1e4).toFixed(0) + "万";
        return Number(v).toLocaleString(); } } },
      series: series.map(function (s) { return { name: s.name, type: "line", data: s.data, connectNulls: false, itemStyle: { color: s.color } }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawFinance(data) {
    var s = data.series, L = data.labels;
    lineChart("fin-budget", s.years, [{ name: L.budget, data: s.budget, color: "#1f5fa8" },
      { name: L.public_funds, data: s.public_funds, color: "#b7791f" }], true);
    lineChart("fin-per-student", s.years, [{ name: L.per_student, data: s.per_student, color: "#1f5fa8" }], false);
    lineChart("fin-pay", s.years, [{ name: L.teacher_pay, data: s.teacher_pay, color: "#3fa66a" },
      { name: L.civil_pay, data: s.civil_pay, color: "#e0675a" }], false);
  }

  function drawFinanceCity(data) {
    var palette = ["#1f5fa8", "#3fa66a", "#e0675a", "#b7791f", "#7a4fa8", "#2a9d9d", "#555"];
    var codes = Object.keys(data.counties), years = [];
    codes.forEach(function (c) { data.counties[c].years.forEach(function (y) { if (years.indexOf(y) < 0) years.push(y); }); });
    years.sort();
    function pick(series, key) { return years.map(function (y) { var i = series.years.indexOf(y); return i < 0 ? null : series[key][i]; }); }
    function lines(key) {
      return codes.map(function (c, i) { return { name: data.names[c], data: pick(data.counties[c], key), color: palette[i % palette.length] }; });
    }
    lineChart("fin-budget", years, lines("budget"), true);
    lineChart("fin-per-student", years, lines("per_student"), false);
  }

  function init() {
    document.querySelectorAll("select.autosubmit").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    var data = pageData();
    if (!data) return;
    if (data.kind === "city") { drawCityMap(data); drawCityTrend(data); }
    if (data.kind === "county") { drawCountyBands(data); }
    if (data.kind === "forecast") { drawForecast(data); }
    if (data.kind === "plan") { drawPlanMap(data); }
    if (data.kind === "finance") { drawFinance(data); }
    if (data.kind === "finance_city") { drawFinanceCity(data); }
    if (data.kind === "zones") {
      if (data.has_current) drawZoneMap("zones-current", data, "current_school_id");
      drawZoneMap("zones-proposed", data, "proposed_school_id");
      // The legend's swatches take the colours the maps give each school (same index).
      document.querySelectorAll("#zone-legend .swatch[data-i]").forEach(function (el) {
        el.style.background = PALETTE[Number(el.getAttribute("data-i")) % PALETTE.length];
      });
    }
  }

  // The phone menu's button is a label for a checkbox (it opens without script); from the
  // keyboard, Enter or Space on it toggles the box too.
  function menuKeys() {
    var label = document.querySelector(".navtoggle");
    var box = document.getElementById("navtoggle");
    if (!label || !box) return;
    label.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); box.checked = !box.checked; }
    });
  }

  document.addEventListener("DOMContentLoaded", menuKeys);
  document.addEventListener("DOMContentLoaded", init);
  // Pages swapped in by htmx (year picker) carry their own page data.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll(".chart").forEach(function (el) {
      if (window.echarts) { var c = echarts.getInstanceByDom(el); if (c) c.dispose(); }
    });
    init();
  });
})();
