// oss-tracker site: draws each page's charts with plotly.js from the figures the page carries
// (a JSON script element: data, never code), and switches a chart to a log scale and back.
"use strict";
(function () {
  function draw() {
    var node = document.getElementById("figures");
    if (!node || !window.Plotly) {
      return;
    }
    var figures = JSON.parse(node.textContent);
    var config = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]};
    document.querySelectorAll("[data-chart]").forEach(function (div) {
      var figure = figures[Number(div.getAttribute("data-chart"))];
      window.Plotly.newPlot(div, figure.data, figure.layout, config);
    });
    document.querySelectorAll("button[data-log]").forEach(function (button) {
      button.addEventListener("click", function () {
        var div = document.querySelector('[data-chart="' + button.getAttribute("data-log") + '"]');
        var log = button.getAttribute("aria-pressed") !== "true";
        window.Plotly.relayout(div, {"yaxis.type": log ? "log" : "linear"});
        button.setAttribute("aria-pressed", log ? "true" : "false");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
