(function () {
  "use strict";

  var MESSAGES = {
    403: "This form has expired or did not come from this site. Reload the page and try again.",
    413: "That was more data than this form accepts.",
    429: "Too many attempts. Please wait a moment and try again.",
    503: "The site is briefly unavailable. Please try again in a few seconds.",
    network: "We could not reach the site. Check your connection and try again.",
    other: "Something went wrong on our side. Please try again."
  };

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function showProblem(source, text) {
    var form = source && source.closest ? source.closest("form") : null;
    var host = form || document.getElementById("flashes");
    if (!host) return;
    var box = host.querySelector(":scope > .request-problem");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-danger request-problem mt-2";
      box.setAttribute("role", "alert");
      host.appendChild(box);
    }
    box.textContent = text;
    announce(text);
  }

  function clearProblem(source) {
    var form = source && source.closest ? source.closest("form") : null;
    var box = form ? form.querySelector(":scope > .request-problem") : null;
    if (box) box.remove();
  }

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
      clearProblem(ctx.sourceElement);
    }
  });

  document.addEventListener("htmx:error", function (event) {
    var ctx = event.detail.ctx;
    if (ctx && ctx.response) return;
    showProblem(ctx ? ctx.sourceElement : null, MESSAGES.network);
  });

  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail.ctx;
    var target = ctx && ctx.target && ctx.target.isConnected ? ctx.target : null;
    if (!target && ctx && ctx.target && ctx.target.id) {
      target = document.getElementById(ctx.target.id);
    }
    if (!target) return;
    var invalid = target.querySelector("[aria-invalid='true']");
    var focusable = invalid || target.querySelector("[data-focus-after-swap]");
    if (focusable) {
      focusable.focus();
    }
    var status = target.querySelector("[role='status'], [role='alert']");
    if (status && status.textContent.trim()) announce(status.textContent.trim());
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.querySelector(".copy-label");
      if (label) label.textContent = "Copied";
      announce("Copied to the clipboard");
    });
  });
})();
