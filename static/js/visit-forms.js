// The visit page. Two small helps, neither needed for the page to work:
// - the "next step after a refusal" choice shows only while "refused" is picked (the
//   announcement's response, the visit's outcome);
// - a check-in or check-out button is pressed once: a second tap on a slow phone network
//   would only repeat what the server already ignores, so the button is disabled while the
//   first one is sent.
(function () {
  document.querySelectorAll(".visit-refusal-only").forEach(function (block) {
    const form = block.closest("form");
    if (!form) return;
    const radios = form.querySelectorAll('input[type="radio"][name$="response"], input[type="radio"][name$="outcome"]');
    function update() {
      const chosen = form.querySelector('input[type="radio"][name$="response"]:checked, input[type="radio"][name$="outcome"]:checked');
      block.classList.toggle("d-none", !(chosen && chosen.value === "refused"));
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
  document.querySelectorAll("form.visit-one-tap").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        // After the submit has started: a disabled button sends nothing.
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
})();
