/* Draws the KPI dashboard's charts from the data the page embeds with json_script
   (reporting/templates/reporting/dashboard/dashboard.html), and wires the report's print
   button. Chart.js is vendored in vendor/chartjs/ (no CDN). */
"use strict";

(function () {
  const SEVERITY_COLOURS = { P0: "#b71c1c", P1: "#ef6c00", P2: "#f9a825", P3: "#2e7d32" };
  const SERIES_COLOURS = { mtta: "#1565c0", mttr: "#6a1b9a", compliance: "#00838f" };
  const FALLBACK_COLOURS = ["#455a64", "#5d4037", "#0277bd", "#558b2f", "#ad1457"];

  function embedded(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function colour(key, index) {
    return SEVERITY_COLOURS[key] || SERIES_COLOURS[key] || FALLBACK_COLOURS[index % FALLBACK_COLOURS.length];
  }

  // The embedded datasets as Chart.js datasets: same labels and numbers, plus colours.
  function datasets(data, extra) {
    return data.datasets.map(function (dataset, index) {
      const paint = colour(dataset.key, index);
      return Object.assign(
        { label: dataset.label, data: dataset.data, key: dataset.key, backgroundColor: paint, borderColor: paint },
        extra ? extra(dataset, index) : {}
      );
    });
  }

  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  function drawFrequency(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets(data) },
      options: Object.assign({}, common, {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Incidents" } },
        },
      }),
    });
  }

  function drawResponseTrend(canvas, data) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: datasets(data, function (dataset) {
          return { yAxisID: dataset.key === "mttr" ? "hours" : "minutes", spanGaps: true, tension: 0.2 };
        }),
      },
      options: Object.assign({}, common, {
        scales: {
          minutes: { position: "left", beginAtZero: true, title: { display: true, text: "MTTA (minutes)" } },
          hours: {
            position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
            title: { display: true, text: "MTTR (hours)" },
          },
        },
      }),
    });
  }

  function drawSla(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets(data) },
      options: Object.assign({}, common, {
        scales: { y: { min: 0, max: 100, title: { display: true, text: "% acknowledged in time" } } },
        plugins: {
          tooltip: {
            callbacks: {
              footer: function (items) {
                const i = items[0].dataIndex;
                return data.met[i] + " met, " + data.breached[i] + " breached";
              },
            },
          },
        },
      }),
    });
  }

  const CHARTS = [
    ["chart-frequency", "data-frequency", drawFrequency],
    ["chart-response-trend", "data-response-trend", drawResponseTrend],
    ["chart-sla", "data-sla", drawSla],
  ];

  function drawAll() {
    CHARTS.forEach(function (entry) {
      const canvas = document.getElementById(entry[0]);
      const data = embedded(entry[1]);
      if (canvas && data && typeof Chart !== "undefined") {
        entry[2](canvas, data);
      }
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
