// A refused form: the focus moves to its first error, so a keyboard or screen-reader user
// lands where the correction is needed and hears the message (a field's error is tied to it
// by aria-describedby; a form-level error is a role="alert" box). On the page's load and
// after every htmx swap, inside what was loaded or swapped only: a page or a swap without
// errors leaves the focus where it was.
(function () {
  function visible(element) {
    return element.getClientRects().length > 0;
  }

  // The first invalid control of a form, else the form's error box (not a control: made
  // focusable without entering the Tab order).
  function firstError(root) {
    const controls = Array.from(root.querySelectorAll('[aria-invalid="true"]'));
    if (root.matches && root.matches('[aria-invalid="true"]')) controls.unshift(root);
    const control = controls.find(function (element) {
      return element.closest("form") && !element.disabled && visible(element);
    });
    if (control) return control;
    const alerts = Array.from(root.querySelectorAll(".alert-danger"));
    if (root.matches && root.matches(".alert-danger")) alerts.unshift(root);
    const alert = alerts.find(function (element) {
      return element.closest("form") && visible(element);
    });
    if (alert && !alert.hasAttribute("tabindex")) alert.setAttribute("tabindex", "-1");
    return alert || null;
  }

  function focusFirstError(roots) {
    for (const root of roots) {
      if (!root.isConnected) continue;
      const target = firstError(root);
      if (target) {
        target.focus();
        return;
      }
    }
  }

  focusFirstError([document.querySelector("main") || document.body]);

  // One swap can settle several elements (an out-of-band part too): they are looked at
  // together once it is done, after htmx's own autofocus, in the order they settled.
  let pending = [];
  document.addEventListener("htmx:afterSettle", function (event) {
    if (pending.length === 0) {
      window.setTimeout(function () {
        const roots = pending;
        pending = [];
        focusFirstError(roots);
      }, 0);
    }
    pending.push(event.target);
  });
})();
