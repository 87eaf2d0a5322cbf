// gauntlet's web view: the layers a packet crosses, what each passed and stopped, the latest
// stopped packets with their decision chains, and the services' backends. Read-only. Every
// string that came from traffic is put into the page as text (textContent), never as HTML.
"use strict";

const LAYER_NAMES = {
  parse: ["parse", "malformed frames"],
  neighbour: ["neighbour", "ARP / ND"],
  conntrack: ["conntrack", "flow state"],
  local: ["local", "gauntlet's own addresses"],
  firewall: ["firewall", "5-tuple ACL"],
  allowlist: ["egress allow-list", "what pods may reach"],
  handoff: ["handoff", "to the worker owning the flow"],
  proxy: ["reverse proxy", "SNI / Host / path → service"],
  waf: ["WAF", "HTTP inspection"],
  loadbalancer: ["load balancer", "Maglev → backend"],
  nat: { ingress: ["Service", "VIP → pod (DNAT)"], egress: ["NAT gateway", "pod → public IP"] },
  forward: { ingress: ["pod", "out of the inside port"], egress: ["internet", "out of the outside port"] },
};

let direction = "ingress";
let view = null;       // the latest data: {mode, summary, stopped, services}
let previous = null;   // the data before it, for rates
let selected = null;   // the selected stopped packet (kept when newer stops push it out)

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function layerName(layer) {
  const n = LAYER_NAMES[layer] || [layer, ""];
  return Array.isArray(n) ? n : n[direction];
}

// Layers that judge one direction only (pipeline/vocabulary.h); the rest serve both.
const ONE_DIRECTION = { firewall: "ingress", waf: "ingress", loadbalancer: "ingress", allowlist: "egress" };

function layerRows(summary) {
  return (summary.layers || []).filter((l) => l.direction === direction &&
                                              (ONE_DIRECTION[l.layer] || direction) === direction);
}

function passed(l) { return l.pass + l.forward + l.answer + l.consume; }

function rate(layer, field) {
  if (!previous || view.mode !== "live") return null;
  const before = layerRows(previous.summary).find((l) => l.layer === layer);
  const now = layerRows(view.summary).find((l) => l.layer === layer);
  const dt = (view.at - previous.at) / 1000;
  if (!before || !now || dt <= 0) return null;
  return Math.max(0, (field(now) - field(before)) / dt);
}

function fmt(n) { return n >= 1e6 ? (n / 1e6).toFixed(2) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(Math.round(n)); }

function renderLayers() {
  const list = document.getElementById("layers");
  const chain = selectedChain();
  list.replaceChildren();
  const rx = view.summary.rx || {};
  const start = direction === "ingress" ? ["internet", "arrives on the outside port", rx.outside]
                                        : ["pod", "arrives on the inside port", rx.inside];
  list.append(el("li", { class: "layer endpoint", "data-layer": "source" },
                 el("h3", {}, start[0]), el("div", { class: "what" }, start[1]),
                 el("div", {}, "packets " + fmt(start[2] || 0))));
  for (const l of layerRows(view.summary)) {
    const [name, what] = layerName(l.layer);
    const box = el("li", { class: "layer", "data-layer": l.layer },
                   el("h3", {}, name), el("div", { class: "what" }, what),
                   el("div", { class: "passed" }, "passed " + fmt(passed(l))),
                   el("div", { class: "stopped" }, "stopped " + fmt(l.stop)));
    const pr = rate(l.layer, passed), sr = rate(l.layer, (x) => x.stop);
    if (pr !== null) box.append(el("div", { class: "what rate" }, fmt(pr) + "/s passed, " + fmt(sr) + "/s stopped"));
    const step = chain && chain.find((s) => s.layer === l.layer);
    if (step) box.classList.add(step.outcome === "stop" ? "hit-stop" : "hit-pass");
    list.append(box);
  }
}

function selectedChain() {
  return selected ? selected.chain || [] : null;
}

function endpoint(addr, port) { return port === undefined ? addr : addr.includes(":") ? "[" + addr + "]:" + port : addr + ":" + port; }

function wafRules(p) {
  return p.waf && p.waf.matches ? p.waf.matches.map((m) => m.rule).join(" ") : "";
}

function wafDetails(w) {
  const parts = [];
  if (w.matches) parts.push("rules " + w.matches.map((m) => m.rule + " in " + m.field).join(", "));
  if (w.score !== undefined) parts.push("score " + w.score);
  if (w.sni) parts.push("server name " + w.sni);
  if (w.violation) parts.push("violation " + w.violation);
  if (w.excerpt !== undefined) parts.push("matched text: " + w.excerpt);
  return "WAF: " + parts.join("; ");
}

function renderStopped() {
  const body = document.querySelector("#stopped tbody");
  body.replaceChildren();
  const rows = (view.stopped || []).filter((s) => s.direction === direction).slice().reverse();
  for (const s of rows) {
    const tr = el("tr", { "data-seq": String(s.seq) },
                  el("td", {}, s.seq), el("td", {}, s.time || ""), el("td", {}, s.layer || ""),
                  el("td", {}, s.reason || ""), el("td", {}, s.rule || wafRules(s)),
                  el("td", {}, endpoint(s.src || "", s.sport)), el("td", {}, endpoint(s.dst || "", s.dport)),
                  el("td", {}, s.proto || ""));
    if (selected && s.seq === selected.seq && s.time === selected.time) tr.classList.add("selected");
    tr.addEventListener("click", () => { selected = s; render(); });
    body.append(tr);
  }
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: "8", class: "muted" }, "nothing stopped in this direction")));
  const box = document.getElementById("chain");
  const p = selected && selected.direction === direction ? selected : null;
  box.hidden = !p;
  if (!p) return;
  const ol = el("ol");
  for (const step of p.chain || []) {
    const [name] = LAYER_NAMES[step.layer] ? layerName(step.layer) : [step.layer];
    const text = name + ": " + step.outcome + (step.reason ? " (" + step.reason + ")" : "") +
                 (step.rule ? " rule " + step.rule : "");
    ol.append(el("li", { class: step.outcome === "stop" ? "stop" : "" }, text));
  }
  const extra = [];
  if (p.waf) extra.push(el("div", { class: "waf" }, wafDetails(p.waf)));
  if (p.lb) extra.push(el("div", {}, "load balancer: service " + p.lb.service + ", backend " + p.lb.backend));
  box.replaceChildren(el("strong", {}, "#" + p.seq + " " + endpoint(p.src || "", p.sport) + " → " +
                         endpoint(p.dst || "", p.dport) + " " + (p.proto || "")), ol, ...extra);
}

function renderServices() {
  const root = document.getElementById("services");
  root.replaceChildren();
  const services = view.services || [];
  if (!services.length) root.append(el("p", { class: "muted" }, "no services configured"));
  for (const svc of services) {
    const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "backend"), el("th", {}, "weight"),
                     el("th", {}, "health"), el("th", {}, "flows"), el("th", {}, "Maglev share"))));
    const body = el("tbody");
    for (const b of svc.backends || []) {
      const share = Math.max(0, Math.min(1, b.share || 0));
      const bar = el("span", { class: "bar" }, el("span", { style: "width:" + (share * 100).toFixed(2) + "%" }));
      body.append(el("tr", {}, el("td", {}, endpoint(b.address, b.port)), el("td", {}, b.weight),
                     el("td", { class: b.health ? "health-" + b.health : "muted" }, b.health || "not checked"),
                     el("td", {}, b.flows === undefined ? "" : b.flows),
                     el("td", {}, bar, " " + (share * 100).toFixed(1) + "%")));
    }
    table.append(body);
    // A pool-only service (no VIP, no ports) is reached through an l7-route VIP's routes; an
    // l7-route VIP has no backends of its own.
    const pool = !(svc.ports || []).length;
    const title = svc.name + " — " + (pool ? "pool, reached through routes"
                                           : endpoint(svc.vip, (svc.ports || []).join(",")));
    root.append(el("h3", {}, title));
    if ((svc.backends || []).length) root.append(table);
    else root.append(el("p", { class: "muted" }, "routes by SNI, Host and path to the pools"));
  }
}

function render() {
  if (!view) return;
  document.getElementById("mode").textContent = view.mode === "live" ? "live" : "replay report";
  document.getElementById("generation").textContent = "generation " + (view.summary.generation ?? "?");
  for (const d of ["ingress", "egress"])
    document.getElementById("show-" + d).setAttribute("aria-selected", String(d === direction));
  renderLayers();
  renderStopped();
  renderServices();
}

async function poll() {
  try {
    const r = await fetch("api/view", { cache: "no-store" });
    if (r.ok) {
      const next = await r.json();
      next.at = Date.now();
      previous = view;
      view = next;
      render();
    }
  } catch (e) { /* the dataplane went away: keep the last picture */ }
  setTimeout(poll, 1000);
}

for (const d of ["ingress", "egress"]) {
  document.getElementById("show-" + d).addEventListener("click", () => { direction = d; selected = null; render(); });
}
if (window.GAUNTLET_SNAPSHOT) {
  view = window.GAUNTLET_SNAPSHOT;
  view.at = Date.now();
  render();
} else {
  poll();
}
