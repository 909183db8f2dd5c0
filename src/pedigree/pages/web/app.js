// pedigree's web page: plain DOM, no framework, no build step. Every string
// from the server (the ledger, a picture, a file) goes through textContent,
// never innerHTML; the ancestry SVG is rebuilt from an allow-list of elements.
// The same file runs behind `pedigree serve` (the JSON API) and in a static
// site written by `pedigree site` (<html data-pedigree="static">): there the
// same JSON comes from files, and search reads the sharded index in search/.
"use strict";

const $ = (id) => document.getElementById(id);
const STATIC = document.documentElement.dataset.pedigree === "static";
const isSha = (s) => /^[0-9a-f]{64}$/.test(s || "");
// A static site's file for a model: model/XX/SHA256.EXT (docs/site.md).
const modelFile = (sha, ext) => "model/" + sha.slice(0, 2) + "/" + sha + ext;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const short = (sha) => (sha || "").slice(0, 12);
const num = (x) => (x === null || x === undefined ? "" : String(Number(Number(x).toPrecision(4))));
const pct = (x) => (x === null || x === undefined ? "?" : (100 * x).toFixed(1) + "%");
const modelLink = (sha, name) =>
  /^[0-9a-f]{64}$/.test(sha || "") ? el("a", { href: "#/model/" + sha }, name || short(sha)) : el("span", {}, name || sha || "?");

async function getJson(url, options) {
  const res = await fetch(url, options);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : "HTTP " + res.status;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return body;
}

function setStatus(id, text, isError) {
  const node = $(id);
  node.textContent = text || "";
  node.classList.toggle("error", !!isError);
}

// ---- verdict rendering ------------------------------------------------------

function shareText(s) {
  return s ? pct(s.estimate) + " (" + pct(s.low) + " to " + pct(s.high) + ")" : "none";
}

function renderVerdict(r) {
  const out = el("div", { class: "report" });
  out.append(el("div", { class: "verdict " + r.verdict, id: "verdict", "data-verdict": r.verdict },
    el("div", { class: "class" }, r.verdict),
    el("div", {}, "confidence " + pct(r.confidence)),
    el("div", {}, r.summary)));
  if (r.verdict === "unknown") {
    const reasons = (r.unknowns || []).slice();
    if (r.fingerprint && r.fingerprint.reasons)
      for (const x of r.fingerprint.reasons) reasons.push("fingerprint " + x.code + ": " + x.detail);
    out.append(el("div", { class: "reasons", id: "unknown-reasons" },
      el("strong", {}, "Why unknown"),
      el("ul", {}, reasons.length ? reasons.map((x) => el("li", {}, x)) : [el("li", {}, "nothing the trust policy accepts decides it")])));
  }
  if (r.licence_note) out.append(el("p", { class: "licence" }, el("strong", {}, "Licence: "), r.licence_note));
  // The licence consequence (check --json's "licence"): commercial use, why, and the licences seen.
  if (r.licence) {
    const l = r.licence;
    out.append(el("div", { class: "licence", id: "licence", "data-commercial-use": l.commercial_use },
      el("strong", {}, "Commercial use: " + l.commercial_use),
      (l.reasons || []).length ? el("ul", {}, l.reasons.map((x) => el("li", {}, x))) : null,
      (l.licences || []).length ? el("p", { class: "small" }, "Licences: " + l.licences.join("; ")) : null));
  }
  const t = r.target || {};
  if (t.sha256) out.append(el("p", {}, "Decided on ", modelLink(t.sha256, t.sha256), t.matched_by ? " (matched by " + t.matched_by + (t.weak_match ? ", weak" : "") + ")" : ""));

  if ((r.paths || []).length) {
    out.append(el("h2", {}, "Paths to NAI"));
    for (const p of r.paths) {
      const steps = [];
      for (const s of p.steps) {
        if (steps.length) steps.push(" → ");
        steps.push(modelLink(s.sha256, s.name));
        if (s.relation) steps.push(el("span", { class: "small" }, " (" + s.relation + (s.weight !== null && s.weight !== undefined ? " " + num(s.weight) : "") + ")"));
      }
      out.append(el("div", { class: "path" }, steps, el("span", { class: "small" }, "  share " + pct(p.product) + ", " + p.root_role)));
    }
  }
  const share = r.nai_share || {};
  out.append(el("h2", {}, "NAI share"),
    el("table", {}, el("tbody", {},
      el("tr", {}, el("th", {}, "declared"), el("td", {}, shareText(share.declared))),
      el("tr", {}, el("th", {}, "fingerprint"), el("td", {}, shareText(share.fingerprint))),
      r.fingerprint ? el("tr", {}, el("th", {}, "fingerprint outcome"), el("td", {}, r.fingerprint.outcome)) : null)));
  if ((r.components || []).length) {
    out.append(el("h2", {}, "Components"), el("table", {}, el("tbody", {},
      r.components.map((c) => el("tr", {}, el("th", {}, c.component), el("td", {}, c.nai), el("td", {}, c.summary))))));
  }
  out.append(renderEvidence(r));
  if ((r.candidates || []).length > 1 || (r.candidates || []).some((c) => !c.trusted)) {
    out.append(el("h2", {}, "Candidates"), el("ul", {}, r.candidates.map((c) =>
      el("li", {}, modelLink(c.sha256, c.name), " " + c.verdict + " via " + c.via + (c.trusted ? "" : " (untrusted: never decides)")))));
  }
  if (r.image) {
    out.append(el("h2", {}, "Picture"), el("ul", {}, (r.image.models || []).map((m) =>
      el("li", {}, (m.name || "") + " " + (m.hash || "") + " (" + m.origin + ")"))));
  }
  if ((r.notes || []).length) out.append(el("h2", {}, "Notes"), el("ul", { class: "small" }, r.notes.map((n) => el("li", {}, n))));
  // Only an artifact the ledger knows has an ancestry graph (asking for another is a 404).
  const known = (r.candidates || []).some((c) => c.sha256 === t.sha256);
  if (known && /^[0-9a-f]{64}$/.test(t.sha256)) out.append(graphBox(t.sha256));
  return out;
}

function renderEvidence(r) {
  const signers = {};
  for (const ref of r.references || []) if (ref.signer) signers[ref.signer] = ref.signer_identity;
  const rows = (r.evidence || []).map((e) => el("tr", { class: e.counts ? "" : "counts-no" },
    el("td", {}, e.kind), el("td", {}, e.strength),
    el("td", {}, el("span", { class: "badge " + (e.counts ? "trusted" : "untrusted") }, e.counts ? "counts" : "does not count")),
    el("td", {}, e.summary),
    el("td", {}, e.signer ? el("span", { title: e.signer }, (signers[e.signer] || "key " + short(e.signer)))
      : e.kind === "metadata" ? "the file's own metadata (forgeable)" : "—")));
  return el("div", {}, el("h2", {}, "Evidence"),
    el("table", { class: "wide", id: "evidence" },
      el("thead", {}, el("tr", {}, ["kind", "strength", "counts", "what it says", "signed by"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)));
}

// ---- the ancestry graph (SVG from Graphviz, rebuilt from an allow-list) ----------

const SVG_NS = "http://www.w3.org/2000/svg";
const SVG_TAGS = new Set(["svg", "g", "title", "path", "polygon", "polyline", "ellipse", "text", "line", "rect"]);
const SVG_ATTRS = new Set(["viewBox", "width", "height", "transform", "class", "id", "d", "points", "cx", "cy", "rx", "ry",
  "x", "y", "x1", "y1", "x2", "y2", "fill", "stroke", "stroke-width", "stroke-dasharray", "font-family", "font-size", "text-anchor"]);

function cleanSvg(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.nodeValue);
  if (node.nodeType !== Node.ELEMENT_NODE || !SVG_TAGS.has(node.localName)) return null;
  const out = document.createElementNS(SVG_NS, node.localName);
  for (const a of Array.from(node.attributes)) if (SVG_ATTRS.has(a.name)) out.setAttribute(a.name, a.value);
  for (const c of Array.from(node.childNodes)) { const k = cleanSvg(c); if (k) out.append(k); }
  return out;
}

function graphBox(sha) {
  const box = el("div", { class: "graph", id: "graph" }, el("span", { class: "small" }, "drawing the ancestry…"));
  fetch(STATIC ? modelFile(sha, ".svg") : "/api/graph/" + sha + ".svg").then(async (res) => {
    if (!res.ok) { box.textContent = "no ancestry graph (HTTP " + res.status + ")"; return; }
    const doc = new DOMParser().parseFromString(await res.text(), "image/svg+xml");
    const svg = cleanSvg(doc.documentElement);
    box.replaceChildren(svg || document.createTextNode("unreadable graph"));
    for (const g of box.querySelectorAll("g.node")) {
      const title = g.querySelector("title");
      const id = title ? title.textContent.trim() : "";
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      g.setAttribute("data-sha256", id);
      g.addEventListener("click", () => { location.hash = "#/model/" + id; });
    }
  }).catch(() => { box.textContent = "no ancestry graph"; });
  return el("div", {}, el("h2", {}, "Ancestry"), box);
}

// ---- the check view ------------------------------------------------------------

async function showReport(promise, label) {
  setStatus("check-status", label);
  $("check-result").replaceChildren();
  try {
    const report = await promise;
    setStatus("check-status", "");
    $("check-result").replaceChildren(renderVerdict(report));
  } catch (e) {
    setStatus("check-status", "error: " + e.message, true);
  }
}

function checkText(q) {
  return showReport(getJson("/api/check?q=" + encodeURIComponent(q)), "checking…");
}

function checkFile(file) {
  const isPicture = /^image\//.test(file.type) || /\.(png|jpe?g|webp)$/i.test(file.name);
  const url = isPicture ? "/api/check?name=" + encodeURIComponent(file.name)
                        : "/api/upload?name=" + encodeURIComponent(file.name);
  const type = isPicture ? (file.type || "image/png") : "application/octet-stream";
  return showReport(getJson(url, { method: "POST", headers: { "Content-Type": type }, body: file }),
    isPicture ? "reading the picture…" : "hashing and fingerprinting " + file.name + " as it uploads…");
}

function setupCheck() {
  $("check-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = $("check-input").value.trim();
    if (q) location.hash = "#/check?q=" + encodeURIComponent(q);
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    const f = ev.dataTransfer && ev.dataTransfer.files[0];
    if (f) checkFile(f);
  });
  $("file-input").addEventListener("change", () => { const f = $("file-input").files[0]; if (f) checkFile(f); });
}

// ---- browse and model pages -----------------------------------------------------

// ---- the static site's search (docs/site.md): sorted entries cut into shards,
// a manifest of each shard's first key; keys compare as UTF-8 bytes, as sorted.

const utf8 = new TextEncoder();
function compareBytes(a, b) {
  const x = utf8.encode(a), y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
const lowerAscii = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const manifests = {};

// Entries of search/KIND whose key starts with `key`, at most `limit`.
async function prefixEntries(kind, key, limit) {
  const m = manifests[kind] || (manifests[kind] = await getJson("search/" + kind + ".json"));
  let start = 0, lo = 0, hi = m.shards.length - 1;
  while (lo <= hi) {  // the last shard whose first key is below `key`
    const mid = (lo + hi) >> 1;
    if (compareBytes(m.shards[mid].first, key) < 0) { start = mid; lo = mid + 1; } else hi = mid - 1;
  }
  const out = [];
  for (let s = start; s < m.shards.length && out.length < limit; s++) {
    const shard = await getJson("search/" + m.shards[s].file);
    for (const e of shard.entries) {
      if (compareBytes(e[0], key) < 0) continue;
      if (!e[0].startsWith(key)) return out;
      out.push(e);
      if (out.length >= limit) break;
    }
  }
  return out;
}

// What /api/search answers, from the static index: hashes (8 hex digits or
// more, any kind, by prefix), then names by prefix.
async function staticSearch(q, limit) {
  const key = lowerAscii(q);
  const results = [], seen = new Set();
  const add = (e, by) => {
    if (seen.has(e[1]) || results.length >= limit) return;
    seen.add(e[1]);
    results.push({ sha256: e[1], name: e[2], matched_by: by, trusted: e[4] });
  };
  if (/^[0-9a-f]{8,64}$/.test(key))
    for (const e of await prefixEntries("hashes", key, limit)) add(e, e[0] === key ? e[3] : e[3] + "-prefix");
  for (const e of await prefixEntries("names", key, limit)) add(e, "name-prefix");
  return { schema: "pedigree-search/1", query: q, results };
}

async function search(q) {
  $("search-input").value = q;
  $("search-results").replaceChildren();
  if (!q) return;
  setStatus("search-status", "searching…");
  try {
    const r = STATIC ? await staticSearch(q, 50) : await getJson("/api/search?q=" + encodeURIComponent(q));
    setStatus("search-status", r.results.length + " result(s)");
    $("search-results").replaceChildren(...r.results.map((m) =>
      el("li", {}, modelLink(m.sha256, m.name || short(m.sha256)), " ", el("span", { class: "hash" }, short(m.sha256)),
        el("span", { class: "small" }, " by " + m.matched_by + (m.trusted ? "" : " (untrusted)")))));
  } catch (e) { setStatus("search-status", "error: " + e.message, true); }
}

function statusBadge(status, trusted) {
  const s = trusted ? "trusted" : status === "valid" ? "untrusted" : status;
  return el("span", { class: "badge " + s }, s);
}

async function showModel(sha) {
  $("model-page").replaceChildren();
  setStatus("model-status", "loading…");
  try {
    if (STATIC && !isSha(sha)) throw new Error("a model is named by its 64-hex SHA-256");
    const m = await getJson(STATIC ? modelFile(sha, ".json") : "/api/model/" + encodeURIComponent(sha));
    setStatus("model-status", "");
    const page = el("div", {}, el("h1", { id: "model-name" }, m.name),
      el("p", { class: "hash" }, m.sha256), m.role ? el("p", {}, "reference role: " + m.role) : null,
      m.published ? el("p", {}, "published " + m.published) : null);
    const ids = [];
    for (const mod of m.models) for (const [k, v] of Object.entries(mod.hashes || {}))
      ids.push(el("tr", {}, el("th", {}, k), el("td", { class: "hash" }, v), el("td", {}, statusBadge(mod.from.status, mod.from.status === "trusted"))));
    page.append(el("h2", {}, "Identities"), el("table", {}, el("tbody", {}, ids)));
    page.append(el("h2", {}, "Events"), el("table", { class: "wide", id: "events" },
      el("thead", {}, el("tr", {}, ["predicate", "signed by", "status", "event"].map((h) => el("th", {}, h)))),
      el("tbody", {}, m.events.map((e) => el("tr", {}, el("td", {}, e.predicate || "?"),
        el("td", {}, e.signer_identity || "key " + short(e.signer)), el("td", {}, statusBadge(e.status, e.trusted), e.error ? " " + e.error : ""),
        el("td", { class: "hash" }, short(e.id)))))));
    const edgeList = (edges) => el("ul", {}, edges.map((e) => el("li", {}, modelLink(e.sha256, e.name || short(e.sha256)),
      " " + e.relation + (e.weight !== null ? " " + num(e.weight) : "") + " ", statusBadge(e.trusted ? "trusted" : "untrusted", e.trusted))));
    page.append(el("h2", {}, "Parents"), m.parents.length ? edgeList(m.parents) : el("p", { class: "small" }, "none declared"));
    page.append(el("h2", {}, "Children"), m.children.length ? edgeList(m.children) : el("p", { class: "small" }, "none declared"),
      m.children_truncated ? el("p", { class: "small" }, "(first " + m.children.length + " only)") : "");
    page.append(el("h2", {}, "Verdict"), renderVerdict(m.check));
    $("model-page").replaceChildren(page);
  } catch (e) {
    setStatus("model-status", "error: " + (e.status === 404 ? "this ledger has no event about " + sha : e.message), true);
  }
}

// ---- routing ------------------------------------------------------------------------

function route() {
  const h = location.hash || "#/";
  const [path, query] = h.slice(1).split("?");
  const params = new URLSearchParams(query || "");
  for (const v of ["check", "browse", "model"]) $("view-" + v).hidden = true;
  // A static site has no checks of pasted text or files (no server): its
  // front page is the search, which finds any hash or name in the ledger.
  if (STATIC && !path.startsWith("/model/")) {
    $("view-browse").hidden = false;
    search(params.get("q") || "");
  } else if (path.startsWith("/model/")) {
    $("view-model").hidden = false;
    showModel(path.slice("/model/".length));
  } else if (path === "/browse") {
    $("view-browse").hidden = false;
    search(params.get("q") || "");
  } else {
    $("view-check").hidden = false;
    const q = params.get("q");
    if (path === "/check" && q) { $("check-input").value = q; checkText(q); }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (STATIC) $("nav-check").hidden = true;
  setupCheck();
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = "#/browse?q=" + encodeURIComponent($("search-input").value.trim());
  });
  window.addEventListener("hashchange", route);
  route();
  getJson(STATIC ? "pedigree-site.json" : "/api/info").then((i) => {
    $("ledger-info").textContent = "pedigree " + i.version + " · ledger " + i.ledger + " · " + i.events.valid + " valid events";
  }).catch(() => {});
});
