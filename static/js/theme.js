// Run before the first paint: the colour theme, and whether passkeys can run here, so that
// site.css shows their buttons from the start instead of passkeys.js pushing the page down.
(function () {
  "use strict";
  var root = document.documentElement;
  var query = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    root.setAttribute("data-bs-theme", query.matches ? "dark" : "light");
  }
  apply();
  query.addEventListener("change", apply);

  var credential = window.PublicKeyCredential;
  if (typeof credential === "function" &&
    typeof credential.parseCreationOptionsFromJSON === "function" &&
    typeof credential.parseRequestOptionsFromJSON === "function" &&
    !!navigator.credentials && window.isSecureContext) {
    root.setAttribute("data-passkeys", "");
  }
})();
