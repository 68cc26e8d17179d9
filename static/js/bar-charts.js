// Counts per month drawn as bars: the managers' dashboard's trends (new cases, contacts,
// ibasho and family-class attendance) and the case page's ibasho visits. Every holder names
// its json_script island in data-chart ({labels, datasets: [{label, values, color}],
// stacked}); the table beside it holds the same numbers for screen readers and for anyone
// without the chart, so the canvas is hidden from assistive technology.
(function () {
  if (!window.Chart) return;
  document.querySelectorAll("[data-chart]").forEach(function (holder) {
    const source = document.getElementById(holder.dataset.chart);
    if (!source) return;
    const chart = JSON.parse(source.textContent);
    holder.style.height = "220px";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("aria-hidden", "true");
    holder.appendChild(canvas);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set) {
          return { label: set.label, data: set.values, backgroundColor: set.color };
        }),
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { display: chart.datasets.length > 1 } },
        scales: {
          x: { stacked: chart.stacked },
          y: { stacked: chart.stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  });
})();
