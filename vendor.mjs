// `make setup` builds static/vendor/ from node_modules with this script: of Bootstrap only the
// rules and the JavaScript components the site uses, and of Bootstrap Icons only the icons it
// shows (as CSS masks, so no 130 KB font). What it keeps is read from the templates, partials,
// scripts and Python code, so a class, icon or component new to them arrives with the next
// `make setup` (`make run` and `make test` run it first).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { PurgeCSS } from "purgecss";

const VENDOR = process.argv[2] || "static/vendor";
const BOOTSTRAP = "node_modules/bootstrap";
const ICONS = "node_modules/bootstrap-icons/icons";
const SOURCES = ["templates", "partials", "static/js", "routes", "web", "accounts", "services"];
// Classes that Bootstrap's JavaScript adds (modal, collapse, dismissed alerts).
const ADDED_BY_SCRIPTS = ["show", "showing", "hiding", "fade", "collapsing", "collapsed",
  "modal-backdrop", "modal-open", "modal-static"];
// data-bs-toggle values that name another component.
const TOGGLES = { pill: "tab", list: "tab" };

const files = SOURCES.flatMap((folder) =>
  readdirSync(folder, { recursive: true })
    .filter((name) => /\.(html|js|py)$/.test(name))
    .map((name) => join(folder, name)));
const everything = files.map((file) => readFileSync(file, "utf8")).join("\n");

// `class="alert-{{ style }}"` keeps alert-<word> for every word found, such as "info" in Python.
const prefixes = [...new Set([...everything.matchAll(/([a-z][a-z0-9-]*-)\{\{/g)].map((m) => m[1]))];
function words(content) {
  const found = content.match(/[A-Za-z0-9_-]+/g) || [];
  return [...found, ...prefixes.flatMap((prefix) => found.map((word) => prefix + word))];
}

function withoutSourceMap(css) {
  return css.replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, "");
}

async function stylesheets() {
  const purged = await new PurgeCSS().purge({
    content: files,
    css: [`${BOOTSTRAP}/dist/css/bootstrap.min.css`, `${BOOTSTRAP}/dist/css/bootstrap.rtl.min.css`],
    extractors: [{ extractor: words, extensions: ["html", "js", "py"] }],
    safelist: ADDED_BY_SCRIPTS,
    keyframes: true,
    fontFace: true,
  });
  writeFileSync(`${VENDOR}/bootstrap/bootstrap.min.css`, withoutSourceMap(purged[0].css));
  writeFileSync(`${VENDOR}/bootstrap/bootstrap.rtl.min.css`, withoutSourceMap(purged[1].css));
}

// Each component the markup toggles or a script names (`bootstrap.Modal`, `shown.bs.modal`).
function components() {
  const named = [
    ...[...everything.matchAll(/data-bs-(?:toggle|dismiss)="([a-z]+)"/g)].map((m) => m[1]),
    ...[...everything.matchAll(/\.bs\.([a-z]+)/g)].map((m) => m[1]),
    ...[...everything.matchAll(/bootstrap\.([A-Z][a-z]+)/g)].map((m) => m[1].toLowerCase()),
  ].map((name) => TOGGLES[name] || name);
  const available = readdirSync(`${BOOTSTRAP}/js/src`).map((name) => name.replace(/\.js$/, ""));
  return [...new Set(named)].filter((name) => available.includes(name)).sort();
}

async function script() {
  const names = components();
  const classes = names.map((name) => name[0].toUpperCase() + name.slice(1));
  const entry = names.map((name, i) => `import ${classes[i]} from "./js/src/${name}.js";`);
  entry.push(`window.bootstrap = { ${classes.join(", ")} };`);
  const { version } = JSON.parse(readFileSync(`${BOOTSTRAP}/package.json`, "utf8"));
  await build({
    stdin: { contents: entry.join("\n"), resolveDir: BOOTSTRAP, sourcefile: "bootstrap.js" },
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2019",
    sourcemap: true,
    banner: { js: `/*! Bootstrap v${version} (${classes.join(", ")}) | MIT License | https://getbootstrap.com */` },
    outfile: `${VENDOR}/bootstrap/bootstrap.min.js`,
    logLevel: "warning",
  });
  return classes;
}

// An icon is a box of the text's size and colour, cut out by the icon's SVG: `<i class="bi
// bi-download">` looks as it did with the font.
function icons() {
  const available = new Set(readdirSync(ICONS).map((name) => name.replace(/\.svg$/, "")));
  const used = [...new Set([...everything.matchAll(/\bbi-([a-z0-9-]+)/g)].map((m) => m[1]))]
    .filter((name) => available.has(name)).sort();
  const rules = used.map((name) => {
    const svg = readFileSync(`${ICONS}/${name}.svg`, "utf8")
      .replace(/\s(width|height|fill|class)="[^"]*"/g, "")
      .replace(/\s+/g, " ").replace(/> </g, "><").trim()
      .replace(/"/g, "'")
      .replace(/[%#<>]/g, encodeURIComponent);
    return `.bi-${name}{--bi:url("data:image/svg+xml,${svg}")}`;
  });
  const { version } = JSON.parse(readFileSync("node_modules/bootstrap-icons/package.json", "utf8"));
  writeFileSync(`${VENDOR}/bootstrap-icons/icons.css`, [
    `/*! Bootstrap Icons v${version} (${used.join(", ")}) | MIT License | https://icons.getbootstrap.com */`,
    // An unknown icon name shows nothing rather than a square.
    ".bi{--bi:linear-gradient(#0000,#0000);display:inline-block;width:1em;height:1em;"
      + "vertical-align:-.125em;background-color:currentColor;"
      + "-webkit-mask:var(--bi) center/contain no-repeat;mask:var(--bi) center/contain no-repeat}",
    "@media (forced-colors:active){.bi{forced-color-adjust:none}}",
    ...rules,
  ].join("\n") + "\n");
  return used;
}

mkdirSync(`${VENDOR}/bootstrap`, { recursive: true });
mkdirSync(`${VENDOR}/bootstrap-icons`, { recursive: true });
const [, classes] = await Promise.all([stylesheets(), script()]);
const used = icons();
console.log(`${VENDOR}: Bootstrap's used rules, ${classes.join(", ")}; icons ${used.join(", ")}`);
