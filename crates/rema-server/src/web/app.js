"use strict";
// The page of rema-server: read a table (POST /v1/tables), run the analysis
// (POST /v1/analyses) and, when asked, the small-study tests (POST /v1/bias),
// then show the tables, the plots and the methods text of the stored result.
const $ = (id) => document.getElementById(id);
const missing = (x) => x === null || x === undefined || Number.isNaN(x);
// Numbers as the text output prints them: 4 decimals (Rust's `{:.4}`),
// never in exponent notation.
const fmt = (x, d = 4) => missing(x) ? "–" : x.toFixed(d);
// p-values as the text output (and metafor) prints them: 4 decimals, <.0001 below.
const fmtP = (p) => missing(p) ? "–" : (p < 1e-4 ? "<.0001" : p.toFixed(4));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const urls = {};
// The API token: typed into the page, kept in this variable only (never in
// storage, a cookie or a URL), sent as `Authorization: Bearer`.
let token = "";
// The columns of the table last read, and the CSV text a workbook became.
let columns = [];
let workbookCsv = null;
let fileName = null;

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

// ---- errors, shown next to the control that caused them ----------------

const controls = ["token", "csv", "file", "sheet", "measure", "method", "test", "level", "tau2ci", "by", "mods", "bias",
  "loo", "permutations", "seed"];
const labels = { token: "API token", csv: "Data", file: "File", sheet: "Sheet", measure: "Measure", method: "Method",
  test: "Test", level: "Level", tau2ci: "Confidence intervals for τ²", by: "Subgroup column", mods: "Moderators",
  bias: "Small-study tests", loo: "Leave-one-out", permutations: "Permutation test", seed: "Seed" };
// The spec's options that have a control of their own; any other option the
// API names is shown in the general error box.
const specControls = { measure: "measure", method: "method", random: "method", test: "test", level: "level",
  tau2_ci: "tau2ci", by: "by", tau2_common: "by", mods: "mods", newmods: "mods", sheet: "sheet",
  leave_one_out: "loo", permutations: "permutations", permutation_stat: "permutations", seed: "seed" };

function clearErrors() {
  for (const c of controls) {
    $("err-" + c).hidden = true;
    $("err-" + c).textContent = "";
    $(c).removeAttribute("aria-invalid");
  }
  $("error").hidden = true;
  $("error").textContent = "";
}

// The control an API error is about, from its `field`: `spec.by`, `csv, line
// 4, column \`ai\``, `rows[2].ai`, or null. `fallback` is the control of the
// request as a whole (the small-study tests for POST /v1/bias).
function controlFor(e, fallback) {
  if (e.code === "unauthorized" || e.code === "too_many_failures") { return "token"; }
  const field = e.field || "";
  const spec = /^spec\.([a-z_0-9]+)/.exec(field);
  if (spec) { return specControls[spec[1]] || fallback || null; }
  if (/^options/.test(field)) { return fallback || null; }
  if ($("sheet").value.trim() && /\bsheet `/.test(e.message) && /has no sheet/.test(e.message)) { return "sheet"; }
  if (/^(csv|rows|name)/.test(field) || e.code === "invalid_data") {
    const col = /column `([^`]+)`/.exec(field + " " + e.message);
    if (col && selectedMods().includes(col[1])) { return "mods"; }
    if (col && $("by").value === col[1]) { return "by"; }
    return fileName && e.code !== "analysis_failed" ? "file" : "csv";
  }
  return fallback || null;
}

function showError(err, fallback) {
  const e = (err && err.error) || { code: "network", message: String(err), field: null };
  const c = controlFor(e, fallback);
  const text = e.message + (e.field && !e.message.includes(e.field) ? " (" + e.field + ")" : "");
  if (c) {
    const box = $("err-" + c);
    box.innerHTML = "<strong>" + esc(e.code) + "</strong>: " + esc(text);
    box.hidden = false;
    $(c).setAttribute("aria-invalid", "true");
    $("error").innerHTML = "<strong>" + esc(e.code) + "</strong>: " + esc(e.message) +
      " <a href='#" + c + "' id='error-link'>Go to " + esc(labels[c]) + "</a>";
    $("error-link").addEventListener("click", (ev) => {
      ev.preventDefault();
      (c === "mods" ? document.querySelector("#mods-list input") || $("run") : $(c)).focus();
    });
  } else {
    $("error").innerHTML = "<strong>" + esc(e.code) + "</strong>: " + esc(text);
  }
  $("error").hidden = false;
  document.body.dataset.state = "error";
  $("status").textContent = "";
}

// ---- reading the data: its columns become the subgroup and moderator choices

function selectedMods() {
  return Array.from(document.querySelectorAll("#mods-list input:checked")).map((i) => i.value);
}

function setColumns(cols, info) {
  const by = $("by").value;
  const mods = selectedMods();
  columns = cols;
  $("by").innerHTML = "<option value=''>none</option>" +
    cols.map((c) => "<option value='" + esc(c) + "'>" + esc(c) + "</option>").join("");
  if (cols.includes(by)) { $("by").value = by; }
  $("mods-list").innerHTML = cols.map((c, i) =>
    "<label class='check'><input type='checkbox' id='mod-" + i + "' value='" + esc(c) + "'" +
    (mods.includes(c) ? " checked" : "") + "> " + esc(c) + "</label>").join("");
  $("mods-help").textContent = cols.length ? "Tick the columns to regress the effects on." :
    "The columns of the data appear here once it is read.";
  $("columns-info").textContent = info;
}

let readSeq = 0;
// Reads `body` (CSV text or a workbook's bytes) with POST /v1/tables.
async function readTable(body, name) {
  const seq = ++readSeq;
  for (const c of ["csv", "file", "sheet"]) { $("err-" + c).hidden = true; $(c).removeAttribute("aria-invalid"); }
  const q = new URLSearchParams();
  if (name) { q.set("name", name); }
  if ($("sheet").value.trim()) { q.set("sheet", $("sheet").value.trim()); }
  const res = await api("v1/tables?" + q.toString(), { method: "POST",
    headers: { "content-type": "application/octet-stream" }, body });
  const answer = await res.json();
  if (seq !== readSeq) { return false; }
  if (!res.ok) {
    showError(answer, name && body instanceof ArrayBuffer ? "file" : "csv");
    setColumns([], "The data could not be read.");
    return false;
  }
  workbookCsv = answer.csv;
  if (workbookCsv !== null) { $("csv").value = workbookCsv; }
  setColumns(answer.columns, answer.source + ": " + answer.rows + " studies; columns " + answer.columns.join(", ") + ".");
  $("error").hidden = true;
  return true;
}

$("file").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (!f) { return; }
  fileName = f.name;
  const bytes = await f.arrayBuffer();
  const head = new Uint8Array(bytes.slice(0, 4));
  const workbook = head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
  if (!workbook) { $("csv").value = new TextDecoder().decode(bytes); }
  await readTable(workbook ? bytes : $("csv").value, f.name);
});

let typing = null;
$("csv").addEventListener("input", () => {
  fileName = null;
  workbookCsv = null;
  clearTimeout(typing);
  typing = setTimeout(() => { if ($("csv").value.trim()) { readTable($("csv").value, null); } }, 400);
});
$("sheet").addEventListener("change", () => {
  const f = $("file").files[0];
  if (f) { $("file").dispatchEvent(new Event("change")); }
});
$("token").addEventListener("input", (ev) => {
  token = ev.target.value.trim();
  if (!columns.length && $("csv").value.trim()) { readTable($("csv").value, fileName); }
});

// ---- the result ------------------------------------------------------------

function row(cells, tag = "td") {
  return "<tr>" + cells.map((c) => "<" + tag + ">" + c + "</" + tag + ">").join("") + "</tr>";
}
function head(cells) {
  return "<thead>" + row(cells.map((c) => c), "th").replace(/<th>/g, "<th scope='col'>") + "</thead>";
}
const range = (lo, hi) => fmt(lo) + " to " + fmt(hi);

function renderSummary(r) {
  const ci = r.level + "% CI";
  let html = head(["", "estimate", "se", ci, "p", r.level + "% prediction interval"]);
  html += "<tbody>" + row([esc(r.measure) + ", analysis scale (" + esc(r.method) + ", " + esc(r.test) + ")",
    fmt(r.estimate), fmt(r.se), range(r.ci_lower, r.ci_upper), fmtP(r.pval), range(r.pi_lower, r.pi_upper)]);
  if (r.transformed) {
    const t = r.transformed;
    html += row([esc(t.scale), fmt(t.estimate), "", range(t.ci_lower, t.ci_upper), "", range(t.pi_lower, t.pi_upper)]);
  }
  html += row(["heterogeneity", "k", "&tau;&sup2;", "I&sup2; (%)", "H&sup2;", "Q (df), p"].map((c) => "<strong>" + c + "</strong>"));
  const withCi = (x, lo, hi) => fmt(x) + (missing(lo) ? "" : " [" + fmt(lo) + ", " + fmt(hi) + "]");
  html += row(["", String(r.k), withCi(r.tau2, r.tau2_ci_lower, r.tau2_ci_upper),
    withCi(r.i2, r.i2_ci_lower, r.i2_ci_upper), fmt(r.h2), fmt(r.q) + " (" + r.q_df + "), " + fmtP(r.q_pval)]) + "</tbody>";
  $("summary").innerHTML = html;
}

function renderSubgroups(r) {
  $("subgroups-section").hidden = !r.subgroups;
  if (!r.subgroups) { return; }
  const back = r.subgroups.some((g) => g.transformed);
  let html = head(["subgroup", "k", "estimate", r.level + "% CI", "p"].concat(back ? [r.subgroups[0].transformed ? esc(r.subgroups[0].transformed.scale) : "", r.level + "% CI"] : [])
    .concat(["&tau;&sup2;", "I&sup2; (%)"])) + "<tbody>";
  for (const g of r.subgroups) {
    const t = g.transformed;
    html += row([esc(g.level), String(g.k), fmt(g.estimate), range(g.ci_lower, g.ci_upper), fmtP(g.pval)]
      .concat(back ? [t ? fmt(t.estimate) : "–", t ? range(t.ci_lower, t.ci_upper) : "–"] : [])
      .concat([fmt(g.tau2), fmt(g.i2, 1)]));
  }
  $("subgroups").innerHTML = html + "</tbody>";
  $("subgroup-test").textContent = missing(r.q_between) ? "" :
    "Test for subgroup differences: Q = " + fmt(r.q_between) + ", df = " + r.q_between_df + ", p = " + fmtP(r.q_between_pval) +
    (missing(r.tau2_common) ? "" : " (one τ² shared by the subgroups: " + fmt(r.tau2_common) + ")");
}

function renderMetaRegression(r) {
  $("metareg-section").hidden = !r.coefficients;
  if (!r.coefficients) { return; }
  const t = r.coefficients.some((c) => !missing(c.tval));
  let html = head(["coefficient", "estimate", "se", t ? "t" : "z", "p", r.level + "% CI"]) + "<tbody>";
  for (const c of r.coefficients) {
    html += row([esc(c.name), fmt(c.estimate), fmt(c.se), fmt(t ? c.tval : c.zval), fmtP(c.pval), range(c.ci_lower, c.ci_upper)]);
  }
  $("coefficients").innerHTML = html + "</tbody>";
  const stat = t ? "F" : "QM";
  $("moderator-test").textContent = missing(r.qm) ? "" :
    "Test of moderators: " + stat + " = " + fmt(r.qm) + ", df = " + r.qm_df + ", p = " + fmtP(r.qm_pval) +
    (missing(r.qe) ? "" : "; residual heterogeneity QE = " + fmt(r.qe) + ", p = " + fmtP(r.qe_pval)) +
    (missing(r.r2) ? "" : "; R² = " + fmt(r.r2, 2) + "%");
}

function renderBias(b) {
  $("bias-section").hidden = !b;
  if (!b) { return; }
  let html = head(["method", "statistic", "p", "estimate", b.level + "% CI"]) + "<tbody>";
  if (b.egger) {
    const e = b.egger;
    const stat = missing(e.t) ? "z = " + fmt(e.z) : "t = " + fmt(e.t) + ", df = " + e.df;
    html += row(["Egger's regression test (standard error)", stat, fmtP(e.pval),
      "limit estimate " + fmt(e.limit_estimate), range(e.limit_ci_lower, e.limit_ci_upper)]);
  }
  if (b.begg) {
    html += row(["Rank correlation (Begg)", "Kendall's τ = " + fmt(b.begg.tau), fmtP(b.begg.pval), "", ""]);
  }
  if (b.trimfill) {
    const f = b.trimfill;
    html += row(["Trim and fill (" + esc(f.estimator) + ")", f.k0 + " studies filled on the " + esc(f.side), fmtP(f.pval),
      "adjusted " + fmt(f.estimate), range(f.ci_lower, f.ci_upper)]);
  }
  const n = (x) => "N = " + (missing(x) ? "–" : String(x));
  if (b.fsn && b.fsn.rosenthal) {
    html += row(["Fail-safe N (Rosenthal)", n(b.fsn.rosenthal.fsnum), fmtP(b.fsn.rosenthal.pval), "", ""]);
  }
  if (b.fsn && b.fsn.orwin) {
    html += row(["Fail-safe N (Orwin, target " + fmt(b.fsn.orwin.target) + ")", n(b.fsn.orwin.fsnum), "", "", ""]);
  }
  $("bias-table").innerHTML = html + "</tbody>";
}

function renderPermutation(r) {
  const p = r.permutation;
  $("perm-section").hidden = !p;
  if (!p) { return; }
  const what = r.coefficients ? "the test of moderators" : "the pooled effect";
  let text = "Permutation test of " + what + ": p = " + fmtP(p.qm_pval) + " (" + p.iterations +
    (p.exact ? " arrangements, exact" : " permutations, seed " + p.seed) + (p.failed ? ", " + p.failed + " failed" : "") + ")";
  if (r.coefficients) {
    text += "; per coefficient: " + r.coefficients.filter((c) => !missing(c.pval_perm))
      .map((c) => c.name + " p = " + fmtP(c.pval_perm)).join(", ");
  }
  $("permutation-text").textContent = text + ".";
}

function renderLeaveOneOut(r) {
  const l = r.leave_one_out;
  $("loo-section").hidden = !l;
  if (!l) { return; }
  let html = head(["omitted", "estimate", r.level + "% CI", "p", "&tau;&sup2;", "I&sup2; (%)"]) + "<tbody>";
  for (const x of l) {
    html += row([esc(x.omitted), fmt(x.estimate), range(x.ci_lower, x.ci_upper), fmtP(x.pval), fmt(x.tau2), fmt(x.i2, 1)]);
  }
  $("loo-table").innerHTML = html + "</tbody>";
}

function renderStudies(r) {
  let s = head(["study", "yi", "vi", r.level + "% CI", "weight (%)"]) + "<tbody>";
  for (const st of r.studies) {
    s += row([esc(st.study), fmt(st.yi), fmt(st.vi), range(st.ci_lower, st.ci_upper), fmt(st.weight, 2)]);
  }
  $("studies").innerHTML = s + "</tbody>";
}

function setBlob(key, link, blob, name) {
  if (urls[key]) { URL.revokeObjectURL(urls[key]); }
  urls[key] = URL.createObjectURL(blob);
  link.href = urls[key];
  link.download = name;
}

// A download from the API: a plain link when the server needs no token; with
// a token the file is fetched with the header on the first click and offered
// as a blob: link (a link cannot carry the header).
function offer(link, path, name) {
  link.dataset.path = path;
  link.download = name;
  link.href = token ? "#" : path;
  link.hidden = false;
}

document.addEventListener("click", async (ev) => {
  const link = ev.target.closest ? ev.target.closest("a.fetched") : null;
  if (!link || !token || link.href.startsWith("blob:")) { return; }
  ev.preventDefault();
  const res = await api(link.dataset.path);
  if (!res.ok) { showError(await res.json().catch(() => ({}))); return; }
  setBlob(link.id, link, await res.blob(), link.download);
  link.click();
});

async function loadSvg(path, target) {
  const res = await api(path);
  if (res.ok) { const svg = await res.text(); $(target).innerHTML = svg; return svg; }
  const body = await res.json().catch(() => ({}));
  const msg = body.error ? body.error.message : "the plot could not be fetched";
  $(target).innerHTML = "<p class='muted' id='" + target + "-unavailable'>" + esc(msg) + "</p>";
  return null;
}

async function render(id, r, bias) {
  renderSummary(r);
  renderSubgroups(r);
  renderMetaRegression(r);
  renderBias(bias);
  renderPermutation(r);
  renderLeaveOneOut(r);
  renderStudies(r);
  $("notes").innerHTML = r.notes.concat(bias ? bias.notes : []).map((n) => "<li>" + esc(n) + "</li>").join("") ||
    "<li>None.</li>";
  setBlob("json", $("download-json"), new Blob([JSON.stringify(bias ? { analysis: r, small_study: bias } : r, null, 2) + "\n"],
    { type: "application/json" }), "rema-" + id + ".json");
  const base = "v1/analyses/" + id;
  offer($("download-csv"), base + "/result.csv", "rema-" + id + ".csv");
  // With a token the stored analysis is fetched with the header, so a plain
  // link would be refused; without one the link works as it is.
  if (token) { $("permalink").removeAttribute("href"); } else { $("permalink").href = base; }
  $("permalink").textContent = id;
  $("output").hidden = false;

  const svg = await loadSvg(base + "/forest.svg", "forest");
  $("download-svg").hidden = !svg;
  $("download-png").hidden = !svg;
  if (svg) {
    if (token) { setBlob("svg", $("download-svg"), new Blob([svg], { type: "image/svg+xml" }), "rema-" + id + "-forest.svg"); }
    else { $("download-svg").href = base + "/forest.svg"; $("download-svg").download = "rema-" + id + "-forest.svg"; }
    offer($("download-png"), base + "/forest.png", "rema-" + id + "-forest.png");
  }
  const funnel = !r.coefficients && await loadSvg(base + "/funnel.svg", "funnel");
  $("funnel-section").hidden = !funnel;
  $("download-funnel-svg").hidden = !funnel;
  $("download-funnel-png").hidden = !funnel;
  if (funnel) {
    offer($("download-funnel-svg"), base + "/funnel.svg", "rema-" + id + "-funnel.svg");
    offer($("download-funnel-png"), base + "/funnel.png", "rema-" + id + "-funnel.png");
  }
  const methods = await api(base + "/methods.txt");
  $("methods").innerHTML = methods.ok ?
    (await methods.text()).trim().split(/\n\n+/).map((p) => "<p>" + esc(p) + "</p>").join("") : "";
}

function spec() {
  const s = { measure: $("measure").value, method: $("method").value, test: $("test").value,
    level: Number($("level").value), tau2_ci: $("tau2ci").checked };
  if ($("by").value) { s.by = $("by").value; }
  const mods = selectedMods();
  if (mods.length) { s.mods = mods; }
  if ($("loo").checked) { s.leave_one_out = true; }
  const perms = Number($("permutations").value);
  if ($("permutations").value.trim() && perms !== 0) {
    s.permutations = String($("permutations").value.trim());
    s.seed = Number($("seed").value);
  }
  return s;
}

async function run() {
  clearErrors();
  $("run").disabled = true;
  document.body.dataset.state = "running";
  $("status").textContent = "Running…";
  const csv = $("csv").value;
  const name = fileName || undefined;
  const post = (path, body) => api(path, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify(body) });
  try {
    const res = await post("v1/analyses", { csv, spec: spec(), name });
    const body = await res.json();
    if (!res.ok) { $("output").hidden = true; showError(body); return; }
    let bias = null;
    if ($("bias").checked) {
      // The small-study tests refit the model without subgroups or moderators.
      const s = spec();
      delete s.by; delete s.mods; delete s.leave_one_out; delete s.permutations; delete s.seed;
      const b = await post("v1/bias", { csv, spec: s, name });
      bias = await b.json();
      if (!b.ok) { showError(bias, "bias"); bias = null; }
    }
    await render(body.id, body.result, bias);
    if (document.body.dataset.state !== "error") {
      document.body.dataset.state = "done";
      $("status").textContent = "Done: " + body.result.k + " studies.";
    }
  } catch (e) {
    showError(e);
  } finally {
    $("run").disabled = false;
  }
}

$("form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });

// Links can carry the data and options (never the token):
// ?csv=...&measure=RR&method=REML&test=z&by=alloc&mods=ablat,year&bias=1&loo=1&permutations=1000&seed=1&run=1
// (used by the browser tests, and handy for sharing small examples).
(async () => {
  const params = new URLSearchParams(location.search);
  for (const key of ["csv", "measure", "method", "test", "level", "permutations", "seed"]) {
    if (params.has(key)) { $(key).value = params.get(key); }
  }
  if (params.has("tau2_ci")) { $("tau2ci").checked = true; }
  if (params.has("bias")) { $("bias").checked = true; }
  if (params.has("loo")) { $("loo").checked = true; }
  if (params.has("csv") && $("csv").value.trim()) {
    await readTable($("csv").value, null).catch(() => false);
    if (params.has("by")) { $("by").value = params.get("by"); }
    const mods = (params.get("mods") || "").split(",").filter((m) => m);
    for (const input of document.querySelectorAll("#mods-list input")) { input.checked = mods.includes(input.value); }
  }
  if (params.get("run") === "1") { run(); }
})();
