// Passkeys (WebAuthn) with the browser's own JSON helpers: no library. The buttons are
// rendered `hidden`; this script shows them only where the browser can run the ceremony, so
// without JavaScript or support every other way in stays as it was.
(function () {
  "use strict";

  // theme.js tells, before the first paint, whether this browser can run the ceremony.
  var supported = document.documentElement.hasAttribute("data-passkeys");

  // The words this script shows, in the page's language (templates/base.html renders them).
  var WORDS = JSON.parse(document.getElementById("js-messages").textContent);
  var MESSAGES = {
    cancelled: WORDS.passkeyCancelled,
    exists: WORDS.passkeyExists,
    refused: WORDS.passkeyRefused,
    network: WORDS.network,
    403: WORDS.pageExpired,
    429: WORDS.throttled,
    503: WORDS.unavailable,
    other: WORDS.other
  };

  function Problem(message) {
    this.message = message;
  }

  function reveal(root) {
    if (!supported) return;
    root.querySelectorAll("[data-passkey-action][hidden]").forEach(function (box) {
      box.hidden = false;
    });
    root.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
      note.hidden = true;
    });
  }

  // The page's CSRF token, where htmx reads it: <body hx-headers:inherited>.
  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers:inherited") || "{}");
      return headers["X-CSRF-Token"] || "";
    } catch (error) {
      return "";
    }
  }

  // A guard may answer with a redirect (log in, confirm it is you): follow it. Null then.
  async function post(url, body) {
    var response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Accept": "application/json",
          "Content-Type": "application/json",
          "X-CSRF-Token": csrfToken()
        },
        body: JSON.stringify(body)
      });
    } catch (error) {
      throw new Problem(MESSAGES.network);
    }
    if (response.redirected) {
      window.location.assign(response.url);
      return null;
    }
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    var data = json ? await response.json() : {};
    if (!response.ok) {
      throw new Problem(data.error || MESSAGES[response.status] || MESSAGES.other);
    }
    return data;
  }

  function messageOf(error) {
    if (error instanceof Problem) return error.message;
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") return MESSAGES.cancelled;
    if (name === "InvalidStateError") return MESSAGES.exists;
    if (name === "SecurityError" || name === "NotSupportedError") return MESSAGES.refused;
    return MESSAGES.other;
  }

  // A new alert each time, so a screen reader announces even a repeated message.
  function showProblem(box, text) {
    clearProblem(box);
    var alert = document.createElement("div");
    alert.className = "alert alert-danger passkey-problem mt-3 mb-0";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    box.appendChild(alert);
  }

  function clearProblem(box) {
    var old = box.querySelector(":scope > .passkey-problem");
    if (old) old.remove();
  }

  function busy(box, on) {
    var button = box.querySelector("[data-passkey-start]");
    if (button) button.disabled = on;
    box.classList.toggle("htmx-request", on);
    if (on) box.setAttribute("aria-busy", "true"); else box.removeAttribute("aria-busy");
  }

  async function ceremony(box) {
    var register = box.getAttribute("data-passkey-action") === "register";
    var options = await post(box.getAttribute("data-options-url"), {});
    if (!options) return true;
    var credential = register
      ? await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)
      })
      : await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)
      });
    if (!credential) throw new Problem(MESSAGES.cancelled);
    var body = { credential: credential.toJSON() };
    var name = box.querySelector("[data-passkey-name]");
    if (name) body.name = name.value;
    if (box.hasAttribute("data-next")) body.next = box.getAttribute("data-next");
    var remember = document.getElementById(box.getAttribute("data-remember") || "");
    if (remember) body.remember = remember.checked;
    var answer = await post(box.getAttribute("data-verify-url"), body);
    if (!answer) return true;
    if (answer.redirect) {
      window.location.assign(answer.redirect);
      return true;
    }
    return false;
  }

  async function start(box) {
    if (box.getAttribute("aria-busy") === "true") return;
    clearProblem(box);
    busy(box, true);
    var leaving = false;
    try {
      leaving = await ceremony(box);
    } catch (error) {
      showProblem(box, messageOf(error));
    } finally {
      if (!leaving) busy(box, false);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-passkey-start]") : null;
    var box = button ? button.closest("[data-passkey-action]") : null;
    if (box && supported) start(box);
  });

  // Enter in the name field adds the passkey, as it would submit a form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches("[data-passkey-name]")) return;
    var box = event.target.closest("[data-passkey-action]");
    if (!box || !supported) return;
    event.preventDefault();
    start(box);
  });

  document.addEventListener("htmx:after:swap", function () { reveal(document); });
  reveal(document);
})();
