// Assessment trends: one small chart per instrument (their scales differ), oldest first,
// with the screening cut-off drawn as a dashed line where the instrument has one.
(function () {
  const holder = document.getElementById("trend-charts");
  const series = JSON.parse(document.getElementById("trend-data").textContent);
  if (!holder || !window.Chart) return;
  series.forEach((s) => {
    const box = document.createElement("div");
    box.className = "col-md-6";
    box.style.height = "240px";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", s.label);
    box.appendChild(canvas);
    holder.appendChild(box);
    const datasets = [{ label: s.label, data: s.points.map((p) => p.y), borderColor: "#0d6efd", tension: 0.2 }];
    if (s.cutoff !== null) {
      datasets.push({ label: s.cutoff_label, data: s.points.map(() => s.cutoff), borderColor: "#dc3545", borderDash: [6, 4], pointRadius: 0 });
    }
    new window.Chart(canvas, {
      type: "line",
      data: { labels: s.points.map((p) => p.x), datasets: datasets },
      options: { maintainAspectRatio: false, scales: { y: { min: s.min, max: s.max } } },
    });
  });
})();
