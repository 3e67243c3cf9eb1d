// The dashboard's charts, drawn by Chart.js from the figures each chart carries
// as JSON (json_script) next to its canvas. A click on a bar or a point opens
// the list behind it, as the same number in the table below does. Printing
// opens every table and fits the charts to the page.
//
// The tables are the page; the charts come after them. Chart.js (200 kB) is
// not part of the page: once the page has loaded, the script is inserted when
// the first chart is about to scroll into view, and each chart is drawn when
// it comes near the screen. Without JavaScript the tables stand alone.
(function () {
  "use strict";

  // Where Chart.js is served, from this script's own tag (data-chart-src).
  var tag = document.currentScript;
  var CHART_SRC = tag && tag.getAttribute("data-chart-src");
  // "About to scroll into view": this far below (or above) the screen.
  var AHEAD = "200px 0px";

  // The rating levels keep the colours of the results pages (results.css);
  // lines also differ in dash and point shape, for readers who do not see colour.
  var LEVEL_COLOURS = {
    HTXSNV: "#146c43",
    HTTNV: "#0a58ca",
    HTNV: "#6c757d",
    KHTNV: "#b02a37",
    "-": "#ced4da",
  };
  var STAGE_COLOURS = { proposed: "#9ec5fe", decided: "#0a58ca" };
  var STAGE_BORDERS = { proposed: "#0a58ca", decided: "#0a58ca" };
  var SPARE_COLOURS = ["#fd7e14", "#6f42c1", "#20c997", "#d63384"];
  var POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "star", "crossRot"];
  var DASHES = [[], [6, 3], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2]];

  var charts = [];
  var locale = document.documentElement.lang || undefined;
  var calm =
    window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function colourOf(dataset, index) {
    return (
      LEVEL_COLOURS[dataset.key] ||
      STAGE_COLOURS[dataset.key] ||
      SPARE_COLOURS[index % SPARE_COLOURS.length]
    );
  }

  function formatNumber(value, digits) {
    return Number(value).toLocaleString(locale, {
      minimumFractionDigits: digits || 0,
      maximumFractionDigits: digits || 0,
    });
  }

  function datasetsOf(figures) {
    return figures.datasets.map(function (dataset, index) {
      var colour = colourOf(dataset, index);
      var drawn = {
        label: dataset.label,
        data: dataset.data,
        links: dataset.links,
        percents: dataset.percents,
        counts: dataset.counts,
        backgroundColor: colour,
        borderColor: STAGE_BORDERS[dataset.key] || colour,
      };
      if (figures.type === "line") {
        drawn.borderWidth = 2;
        drawn.borderDash = DASHES[index % DASHES.length];
        drawn.pointStyle = POINT_STYLES[index % POINT_STYLES.length];
        drawn.pointRadius = 4;
        drawn.pointHoverRadius = 6;
        drawn.spanGaps = false;
      } else {
        drawn.borderWidth = dataset.key === "proposed" ? 1 : 0;
        drawn.maxBarThickness = 48;
      }
      return drawn;
    });
  }

  // Long names (organization types) break into lines rather than being cut.
  function wrap(label, width) {
    var lines = [];
    String(label)
      .split(" ")
      .forEach(function (word) {
        var last = lines.length - 1;
        if (last >= 0 && (lines[last] + " " + word).length <= width) {
          lines[last] += " " + word;
        } else {
          lines.push(word);
        }
      });
    return lines.length > 1 ? lines : label;
  }

  function tooltipLabel(context) {
    var dataset = context.dataset;
    var value = context.parsed[context.chart.options.indexAxis === "y" ? "x" : "y"];
    if (value === null || value === undefined) {
      return null;
    }
    if (dataset.counts) {
      return (
        dataset.label +
        ": " +
        formatNumber(value, 1) +
        "% (" +
        formatNumber(dataset.counts[context.dataIndex]) +
        ")"
      );
    }
    var text = dataset.label + ": " + formatNumber(value);
    if (dataset.percents) {
      text += " (" + dataset.percents[context.dataIndex] + "%)";
    }
    return text;
  }

  function linkAt(chart, elements) {
    if (!elements.length) {
      return null;
    }
    var element = elements[0];
    var links = chart.data.datasets[element.datasetIndex].links || [];
    return links[element.index] || null;
  }

  function configOf(figures) {
    var horizontal = Boolean(figures.horizontal);
    var stacked = Boolean(figures.stacked);
    var valueAxis = {
      beginAtZero: true,
      stacked: stacked,
      title: { display: Boolean(figures.axis), text: figures.axis },
      ticks: { precision: 0 },
    };
    if (figures.percent) {
      valueAxis.max = 100;
      valueAxis.ticks = {
        callback: function (value) {
          return value + "%";
        },
      };
    }
    var categoryAxis = {
      stacked: stacked,
      ticks: {
        autoSkip: false,
        callback: function (value) {
          return wrap(this.getLabelForValue(value), this.chart.width < 480 ? 16 : 28);
        },
      },
    };
    var scales = horizontal
      ? { x: valueAxis, y: categoryAxis }
      : { x: categoryAxis, y: valueAxis };
    return {
      type: figures.type,
      data: { labels: figures.labels, datasets: datasetsOf(figures) },
      options: {
        locale: locale,
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        responsive: true,
        animation: calm ? false : { duration: 400 },
        interaction: { mode: "nearest", intersect: true },
        scales: scales,
        plugins: {
          legend: {
            position: "bottom",
            labels: { usePointStyle: figures.type === "line", boxWidth: 12, boxHeight: 12 },
          },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) {
                  return "";
                }
                var titles = figures.titles || figures.labels;
                return titles[items[0].dataIndex];
              },
              label: tooltipLabel,
            },
          },
        },
        onClick: function (event, elements, chart) {
          var link = linkAt(chart, elements);
          if (link) {
            window.location.assign(link);
          }
        },
        onHover: function (event, elements, chart) {
          chart.canvas.style.cursor = linkAt(chart, elements) ? "pointer" : "default";
        },
      },
    };
  }

  // `still`: drawn at once, without animation (for paper).
  function draw(canvas, still) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || window.Chart.getChart(canvas)) {
      return;
    }
    var config = configOf(JSON.parse(source.textContent));
    if (still) {
      config.options.animation = false;
    }
    charts.push(new window.Chart(canvas, config));
    canvas.parentNode.classList.add("dashboard-chart-drawn");
  }

  function canvases() {
    return Array.prototype.slice.call(document.querySelectorAll("canvas[data-chart]"));
  }

  // Chart.js, loaded once, then `ready` called (at once if it is there
  // already); `failed`, if given, when it cannot be loaded.
  var waiting = [];
  var loading = null;

  function settle(loaded) {
    var callbacks = waiting;
    waiting = [];
    callbacks.forEach(function (callback) {
      var call = loaded ? callback.ready : callback.failed;
      if (call) {
        call();
      }
    });
  }

  function withChart(ready, failed) {
    if (window.Chart) {
      ready();
      return;
    }
    waiting.push({ ready: ready, failed: failed });
    if (!CHART_SRC) {
      settle(false);
      return;
    }
    if (loading) {
      return;
    }
    loading = document.createElement("script");
    loading.src = CHART_SRC;
    loading.addEventListener("load", function () {
      settle(Boolean(window.Chart));
    });
    // Offline or refused: the tables still hold every figure; a chart that
    // comes into view later tries again.
    loading.addEventListener("error", function () {
      loading.remove();
      loading = null;
      settle(false);
    });
    document.head.appendChild(loading);
  }

  function drawAll(still) {
    canvases().forEach(function (canvas) {
      draw(canvas, still);
    });
  }

  function watch() {
    var found = canvases();
    if (!found.length) {
      return;
    }
    if (!("IntersectionObserver" in window)) {
      withChart(drawAll);
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) {
            return;
          }
          var canvas = entry.target;
          observer.unobserve(canvas);
          withChart(function () {
            draw(canvas);
          });
        });
      },
      { rootMargin: AHEAD }
    );
    found.forEach(function (canvas) {
      observer.observe(canvas);
    });
  }

  // After the tables: the page is laid out and painted before any chart.
  if (document.readyState === "complete") {
    watch();
  } else {
    window.addEventListener("load", watch);
  }

  // Printing: every table open, every chart drawn at the page's width. A chart
  // Chart.js has not been loaded for is left off the paper (dashboard.css).
  var opened = [];

  function beforePrint() {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.open = true;
      opened.push(details);
    });
    if (window.Chart) {
      drawAll(true);
    }
    charts.forEach(function (chart) {
      chart.resize();
    });
  }

  function afterPrint() {
    opened.forEach(function (details) {
      details.open = false;
    });
    opened = [];
    charts.forEach(function (chart) {
      chart.resize();
    });
  }

  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  // Chromium lays the page out for paper after "beforeprint"; redraw then too.
  if (window.matchMedia) {
    window.matchMedia("print").addEventListener("change", function (query) {
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  document.querySelectorAll("[data-dashboard-print]").forEach(function (button) {
    button.hidden = false;
    // Chart.js first, so that the paper carries every chart.
    button.addEventListener("click", function () {
      withChart(
        function () {
          drawAll(true);
          window.print();
        },
        function () {
          window.print();
        }
      );
    });
  });
})();
