// Assessment trend: one line per instrument, with its screening cut-off where it has one.
(function () {
  const canvas = document.getElementById("trend-chart");
  const data = JSON.parse(document.getElementById("trend-data").textContent);
  if (!canvas || !window.Chart) return;
  const colours = ["#0d6efd", "#198754", "#dc3545", "#6f42c1", "#fd7e14"];
  new window.Chart(canvas, {
    type: "line",
    data: {
      datasets: data.map((series, i) => ({
        label: series.label,
        data: series.points,
        borderColor: colours[i % colours.length],
        tension: 0.2,
      })),
    },
    options: {
      maintainAspectRatio: false,
      parsing: { xAxisKey: "x", yAxisKey: "y" },
      scales: { x: { type: "category" }, y: { beginAtZero: true } },
    },
  });
})();
