// The ibasho on the case page: visits per month over the last twelve (Tokyo) months, as bars.
// The data comes from the json_script island; the table beside the chart holds the same
// numbers for screen readers and for anyone without the chart, so the canvas is hidden from
// assistive technology.
(function () {
  const holder = document.getElementById("ibasho-trend-chart");
  const source = document.getElementById("ibasho-trend-data");
  if (!holder || !source || !window.Chart) return;
  const trend = JSON.parse(source.textContent);
  holder.style.height = "220px";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  holder.appendChild(canvas);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: trend.labels,
      datasets: [{ label: trend.label, data: trend.values, backgroundColor: "#198754" }],
    },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
})();
