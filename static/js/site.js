(function () {
  "use strict";

  // The words this script shows, in the page's language (templates/base.html renders them).
  var WORDS = JSON.parse(document.getElementById("js-messages").textContent);
  var MESSAGES = {
    403: WORDS.expired,
    413: WORDS.tooLarge,
    429: WORDS.throttled,
    503: WORDS.unavailable,
    network: WORDS.network,
    other: WORDS.other
  };

  // Said once by screen readers: the region is emptied first so a repeated text is heard again.
  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function formOf(source) {
    return source && source.closest ? source.closest("form") : null;
  }

  // A new alert box each time, so a screen reader announces even a repeated message.
  function showProblem(source, text) {
    var host = formOf(source) || document.getElementById("flashes");
    if (!host) return;
    clearProblem(host);
    var box = document.createElement("div");
    box.className = "alert alert-danger request-problem mt-3 mb-0";
    box.setAttribute("role", "alert");
    box.textContent = text;
    host.appendChild(box);
  }

  function clearProblem(host) {
    var box = host ? host.querySelector(":scope > .request-problem") : null;
    if (box) box.remove();
  }

  // htmx 4 swaps every status; a 422 is a form with its errors, the rest get a few kind words.
  document.addEventListener("htmx:before:swap", function (event) {
    var ctx = event.detail.ctx;
    var status = ctx.response ? ctx.response.status : 0;
    if (status === 403 || status === 413 || status === 429 || status >= 500) {
      event.preventDefault();
      var text = MESSAGES[status] || MESSAGES.other;
      var parsed = new DOMParser().parseFromString(ctx.text || "", "text/html");
      var message = parsed.querySelector("[data-error-message]");
      if (message) text = message.textContent.trim().replace(/\s+/g, " ");
      showProblem(ctx.sourceElement, text);
    } else {
      clearProblem(formOf(ctx.sourceElement));
    }
  });

  // Signing up in place starts a session with a new CSRF token: the response names it, and
  // the page's forms and htmx's header take it, so they keep working without a reload.
  document.addEventListener("htmx:after:request", function (event) {
    var ctx = event.detail.ctx;
    var token = ctx && ctx.response ? ctx.response.headers.get("X-CSRF-Token") : null;
    if (!token) return;
    document.body.setAttribute("hx-headers:inherited", JSON.stringify({ "X-CSRF-Token": token }));
    document.querySelectorAll("input[name='csrf_token']").forEach(function (input) {
      input.value = token;
    });
  });

  document.addEventListener("htmx:error", function (event) {
    var ctx = event.detail.ctx;
    if (ctx && ctx.response) return;
    showProblem(ctx ? ctx.sourceElement : null, MESSAGES.network);
  });

  // After a swap, focus goes to the first invalid field (its description says what is wrong)
  // or to what the fragment marks; otherwise its message is read out.
  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail.ctx;
    var target = ctx && ctx.target && ctx.target.isConnected ? ctx.target : null;
    if (!target && ctx && ctx.target && ctx.target.id) {
      target = document.getElementById(ctx.target.id);
    }
    if (!target) return;
    var focusable = target.querySelector("[aria-invalid='true']") ||
      target.querySelector("[data-focus-after-swap]");
    if (target.matches("[data-focus-after-swap]")) focusable = focusable || target;
    if (focusable) {
      focusable.focus();
      return;
    }
    var status = target.querySelector("[role='status'], [role='alert']");
    if (status && status.textContent.trim()) announce(status.textContent.trim());
    // The swap took the focused control away (the cookie banner's buttons): keyboard users
    // go on from the start of the content rather than from the top of the page.
    if (!document.activeElement || document.activeElement === document.body) {
      var main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true });
    }
  });

  // A dialog opens on its first field rather than on its frame.
  document.addEventListener("shown.bs.modal", function (event) {
    var field = event.target.querySelector(
      "input:not([type='hidden']):not([disabled]), select:not([disabled]), textarea:not([disabled])"
    );
    if (field) field.focus();
  });

  // With TILES_BASE_URL, a tile comes from the bucket. One still waiting to be uploaded there
  // (the store was down at sign-up) fails to load: the site serves it at /tiles/<name> meanwhile.
  function tileFromSite(img) {
    if (!img.hasAttribute("data-tile")) return;
    var source = new URL(img.getAttribute("src") || "", window.location.href);
    if (source.origin === window.location.origin) return;
    img.src = "/tiles/" + source.pathname.split("/").pop();
  }

  document.addEventListener("error", function (event) {
    if (event.target instanceof HTMLImageElement) tileFromSite(event.target);
  }, true);

  // Some tiles may have failed before this deferred script ran.
  document.querySelectorAll("img[data-tile]").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) tileFromSite(img);
  });
})();
