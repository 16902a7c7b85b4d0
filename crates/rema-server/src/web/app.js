"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (x, d = 4) => (x === null || x === undefined || Number.isNaN(x)) ? "–" :
  (Math.abs(x) !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6) ? x.toExponential(3) : x.toFixed(d));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
let jsonUrl = null;
let svgUrl = null;
// The API token: typed into the page, kept in this variable only (never in
// storage, a cookie or a URL), sent as `Authorization: Bearer`.
let token = "";

$("token").addEventListener("input", (ev) => { token = ev.target.value.trim(); });

function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) { headers.authorization = "Bearer " + token; }
  return fetch(path, Object.assign({}, options, { headers, credentials: "omit" }));
}

// Whether the server needs a token: say so when it runs open.
fetch("healthz").then((res) => res.json()).then((h) => {
  $("open-notice").hidden = h.access !== "open";
  document.body.dataset.access = h.access;
}).catch(() => {});

$("file").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (f) { $("csv").value = await f.text(); }
});

function showError(err) {
  const e = err.error || { code: "network", message: String(err), field: null };
  $("error").innerHTML = "<strong>" + esc(e.code) + "</strong>: " + esc(e.message) +
    (e.field ? " <span class='muted'>(" + esc(e.field) + ")</span>" : "");
  $("error").hidden = false;
  document.body.dataset.state = "error";
}

function row(cells, tag = "td") {
  return "<tr>" + cells.map((c) => "<" + tag + ">" + c + "</" + tag + ">").join("") + "</tr>";
}

function render(id, r) {
  const ci = r.level + "% CI";
  let html = row(["", "estimate", "se", ci, "p", "prediction interval"], "th");
  html += row([esc(r.measure) + ", analysis scale (" + esc(r.method) + ", " + esc(r.test) + ")", fmt(r.estimate), fmt(r.se),
    fmt(r.ci_lower) + " to " + fmt(r.ci_upper), fmt(r.pval), fmt(r.pi_lower) + " to " + fmt(r.pi_upper)]);
  if (r.transformed) {
    const t = r.transformed;
    html += row([esc(t.scale), fmt(t.estimate), "", fmt(t.ci_lower) + " to " + fmt(t.ci_upper), "",
      fmt(t.pi_lower) + " to " + fmt(t.pi_upper)]);
  }
  html += row(["heterogeneity", "k", "&tau;&sup2;", "I&sup2; (%)", "H&sup2;", "Q (df), p"], "th");
  const withCi = (x, lo, hi) => fmt(x) + (lo !== undefined ? " [" + fmt(lo) + ", " + fmt(hi) + "]" : "");
  html += row(["", String(r.k), withCi(r.tau2, r.tau2_ci_lower, r.tau2_ci_upper),
    withCi(r.i2, r.i2_ci_lower, r.i2_ci_upper), fmt(r.h2), fmt(r.q) + " (" + r.q_df + "), " + fmt(r.q_pval)]);
  $("summary").innerHTML = html;

  let s = row(["study", "yi", "vi", ci, "weight (%)"], "th");
  for (const st of r.studies) {
    s += row([esc(st.study), fmt(st.yi), fmt(st.vi), fmt(st.ci_lower) + " to " + fmt(st.ci_upper), fmt(st.weight, 2)]);
  }
  $("studies").innerHTML = s;
  $("notes").innerHTML = r.notes.map((n) => "<li>" + esc(n) + "</li>").join("");

  if (jsonUrl) { URL.revokeObjectURL(jsonUrl); }
  jsonUrl = URL.createObjectURL(new Blob([JSON.stringify(r, null, 2) + "\n"], { type: "application/json" }));
  $("download-json").href = jsonUrl;
  $("download-json").download = "rema-" + id + ".json";
  // With a token the stored analysis is fetched with the header, so a plain
  // link would be refused; without one the link works as it is.
  if (token) { $("permalink").removeAttribute("href"); } else { $("permalink").href = "v1/analyses/" + id; }
  $("permalink").textContent = id;
  $("output").hidden = false;
}

async function loadForest(id) {
  const url = "v1/analyses/" + id + "/forest.svg";
  const res = await api(url);
  if (res.ok) {
    const svg = await res.text();
    $("forest").innerHTML = svg;
    if (svgUrl) { URL.revokeObjectURL(svgUrl); svgUrl = null; }
    if (token) { svgUrl = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" })); }
    $("download-svg").href = svgUrl || url;
    $("download-svg").download = "rema-" + id + ".svg";
    $("download-svg").hidden = false;
  } else {
    const body = await res.json().catch(() => ({}));
    const msg = body.error ? body.error.message : "the forest plot could not be fetched";
    $("forest").innerHTML = "<p class='muted' id='forest-unavailable'>" + esc(msg) + "</p>";
    $("download-svg").hidden = true;
  }
}

async function run() {
  $("error").hidden = true;
  $("run").disabled = true;
  document.body.dataset.state = "running";
  const spec = { measure: $("measure").value, method: $("method").value, test: $("test").value,
                 level: Number($("level").value), tau2_ci: $("tau2ci").checked };
  try {
    const res = await api("v1/analyses", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ csv: $("csv").value, spec, name: $("file").files[0]?.name }) });
    const body = await res.json();
    if (!res.ok) { $("output").hidden = true; showError(body); return; }
    render(body.id, body.result);
    await loadForest(body.id);
    document.body.dataset.state = "done";
  } catch (e) {
    showError(e);
  } finally {
    $("run").disabled = false;
  }
}

$("form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });

// Links can carry the data and options (never the token):
// ?csv=...&measure=RR&method=REML&test=z&run=1 (used by the browser test, and
// handy for sharing small examples).
const params = new URLSearchParams(location.search);
for (const key of ["csv", "measure", "method", "test", "level"]) {
  if (params.has(key)) { $(key).value = params.get(key); }
}
if (params.has("tau2_ci")) { $("tau2ci").checked = true; }
if (params.get("run") === "1") { run(); }
