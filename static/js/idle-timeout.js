// The idle timeout of a shared centre PC (accounts/idle.py). The server signs a session out
// after the centre's idle time without a request; this script warns a minute before, keeps
// the session alive while someone is typing or clicking on the page, and goes to the login
// page once the time is up. Everything it needs is in <body data-idle-*> (the CSP allows
// no inline script).
(function () {
  "use strict";

  var body = document.body;
  var timeout = parseInt(body.dataset.idleTimeout || "", 10);
  if (!timeout) {
    return;
  }
  var warning = parseInt(body.dataset.idleWarning || "60", 10);
  var lastServerContact = Date.now();
  var lastInput = 0;
  var banner = null;
  var warnTimer = null;
  var endTimer = null;

  function csrfToken() {
    // The token htmx sends too (base.html's data-hx-headers): the cookie is HttpOnly.
    try {
      return JSON.parse(body.getAttribute("data-hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function schedule(seconds) {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(onWarn, Math.max(seconds - warning, 0) * 1000);
    endTimer = window.setTimeout(onEnd, Math.max(seconds, 1) * 1000);
  }

  function hideBanner() {
    if (banner) {
      banner.remove();
      banner = null;
    }
  }

  function contact(idleSeconds) {
    lastServerContact = Date.now();
    hideBanner();
    schedule(timeout - (idleSeconds || 0));
  }

  function keepAlive() {
    // How long ago the last key or click was: the server counts the idle time from then.
    var idleSeconds = lastInput > lastServerContact ? Math.floor((Date.now() - lastInput) / 1000) : 0;
    var form = new URLSearchParams({ idle: String(idleSeconds) });
    window
      .fetch(body.dataset.idleKeepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
        body: form,
      })
      .then(function (response) {
        if (response.status === 204) {
          contact(idleSeconds);
        } else {
          leave();
        }
      });
  }

  function showBanner() {
    if (banner) {
      return;
    }
    banner = document.createElement("div");
    banner.className =
      "alert alert-warning position-fixed bottom-0 end-0 m-3 shadow z-3 d-flex align-items-center gap-2";
    banner.setAttribute("role", "alert");
    banner.dataset.testid = "idle-warning";
    var text = document.createElement("span");
    text.textContent = body.dataset.idleWarningText || "";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-primary";
    button.textContent = body.dataset.idleContinueText || "OK";
    button.addEventListener("click", function () {
      lastInput = 0; // the click itself: idle for no time
      keepAlive();
    });
    banner.append(text, button);
    body.append(banner);
    button.focus();
  }

  function onWarn() {
    if (lastInput > lastServerContact) {
      keepAlive(); // someone is at the keyboard: not idle
    } else {
      showBanner();
    }
  }

  function leave() {
    var here = window.location.pathname + window.location.search;
    window.location.assign(body.dataset.idleLoginUrl + "?next=" + encodeURIComponent(here));
  }

  function onEnd() {
    if (lastInput > lastServerContact) {
      keepAlive();
      return;
    }
    // Another tab may have kept the session alive: ask before leaving.
    window
      .fetch(body.dataset.idleStatusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        return response.json();
      })
      .then(function (state) {
        if (state.remaining > 0) {
          if (state.remaining > warning) {
            hideBanner();
          }
          schedule(state.remaining);
        } else {
          leave();
        }
      })
      .catch(leave);
  }

  ["keydown", "pointerdown", "input"].forEach(function (name) {
    document.addEventListener(
      name,
      function () {
        lastInput = Date.now();
      },
      { passive: true, capture: true },
    );
  });
  // Every htmx request reached the server, which noted the activity.
  body.addEventListener("htmx:afterRequest", function () {
    contact(0);
  });
  schedule(timeout);
})();
