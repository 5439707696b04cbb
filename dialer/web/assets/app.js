// switchio dial's live view: polls /api/stats every second, draws the
// figures and charts, and sends the controls with the token in the
// X-Switchio-Token header (see the package doc of dialer/web).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const WINDOW_S = 600;

  // The token: from the page (loopback) or the URL's fragment, else typed.
  let token = "";
  const meta = document.querySelector('meta[name="switchio-token"]');
  if (meta) token = meta.content;
  const m = /(?:^#|&)token=([0-9a-f]+)/.exec(location.hash);
  if (m) {
    token = token || m[1];
    history.replaceState(null, "", location.pathname + location.search);
  }
  if (!token) $("tokenrow").hidden = false;
  $("token").addEventListener("input", (e) => { token = e.target.value.trim(); });

  function say(text, ok) {
    const el = $("msg");
    el.textContent = text;
    el.className = ok ? "msg ok" : "msg";
    el.hidden = !text;
  }

  async function post(path, body) {
    if (!token) { say("Enter the token first."); return false; }
    try {
      const r = await fetch(path, {
        method: "POST", cache: "no-store", credentials: "omit",
        headers: { "Content-Type": "application/json", "X-Switchio-Token": token },
        body: JSON.stringify(body || {}),
      });
      if (!r.ok) { say((await r.text()).trim() || r.statusText); return false; }
      say("Done: " + path.replace("/api/", ""), true);
      poll();
      return true;
    } catch (e) { say("Request failed: " + e); return false; }
  }

  function num(id) { return Number($(id).value); }
  function control(form, path, field, parse) {
    $(form).addEventListener("submit", (e) => {
      e.preventDefault();
      const v = parse(num(field));
      if (!Number.isFinite(v)) { say("Not a number."); return; }
      post(path, { [path.replace("/api/", "").replace("hold", "hold_s")]: v });
    });
  }
  control("f-rate", "/api/rate", "in-rate", (v) => v);
  control("f-limit", "/api/limit", "in-limit", (v) => Math.round(v));
  control("f-hold", "/api/hold", "in-hold", (v) => v);
  $("stop").addEventListener("click", () => post("/api/stop"));
  // Two hang-ups, each confirmed with what it does: one keeps the run
  // going, the other ends it (as Ctrl-C).
  $("hangup").addEventListener("click", () => {
    if (confirm("Hang up the " + $("active").textContent + " calls this dialer has up now?\n\n" +
      "Offering goes on at the current rate: the run does not stop.")) post("/api/hangup");
  });
  $("hupall").addEventListener("click", () => {
    if (confirm("Stop the run?\n\nNo more calls are offered and this dialer's calls are hung up (as Ctrl-C). " +
      "The run then ends with its summary and this page stops updating.")) post("/api/hupall");
  });

  const fmt = (v, d) => (v == null ? "–" : Number(v).toLocaleString("en", { maximumFractionDigits: d || 0 }));
  function hms(s) {
    if (s == null) return "–";
    s = Math.round(s);
    const h = Math.floor(s / 3600), mi = Math.floor((s % 3600) / 60), se = s % 60;
    return (h ? h + ":" + String(mi).padStart(2, "0") : mi) + ":" + String(se).padStart(2, "0");
  }
  function cell(tr, text) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }

  // Inputs show the current value until the user edits them.
  function fill(id, v) {
    const el = $(id);
    if (document.activeElement !== el && !el.dataset.edited) el.value = v;
  }
  for (const id of ["in-rate", "in-limit", "in-hold"]) {
    $(id).addEventListener("input", (e) => { e.target.dataset.edited = "1"; });
    $(id).form.addEventListener("submit", () => { delete $(id).dataset.edited; });
  }

  let appsKey = "";
  function drawApps(apps) {
    const body = $("apps").tBodies[0];
    const key = apps.map((a) => a.id).join("\n");
    if (key !== appsKey) {
      appsKey = key;
      body.replaceChildren();
      for (const a of apps) {
        const tr = body.insertRow();
        cell(tr, a.label).title = a.id;
        cell(tr, "");
        const td = cell(tr, "");
        const inp = document.createElement("input");
        inp.type = "number"; inp.min = "0"; inp.step = "1"; inp.placeholder = "weight";
        inp.dataset.app = a.id;
        td.appendChild(inp);
        const b = document.createElement("button");
        b.textContent = "Set weight";
        b.addEventListener("click", () => {
          const w = Number(inp.value);
          if (inp.value === "" || !Number.isInteger(w)) { say("Weight: a whole number."); return; }
          post("/api/weight", { app: a.id, weight: w });
        });
        cell(tr, "").appendChild(b);
      }
    }
    apps.forEach((a, i) => {
      const tr = body.rows[i];
      tr.cells[1].textContent = fmt(a.calls);
      const inp = tr.cells[2].firstChild;
      if (a.weight != null && document.activeElement !== inp) inp.placeholder = String(a.weight);
    });
  }

  function drawServers(servers) {
    const body = $("servers").tBodies[0];
    body.replaceChildren();
    for (const s of servers) {
      const tr = body.insertRow();
      const state = s.lost ? "lost" : s.down ? "down" : s.saturated ? "saturated" : "up";
      if (state !== "up") tr.className = "bad";
      cell(tr, s.addr).title = s.dest;
      cell(tr, state);
      cell(tr, fmt(s.active)); cell(tr, fmt(s.backlog));
      cell(tr, fmt(s.offered)); cell(tr, fmt(s.answered)); cell(tr, fmt(s.failed));
      cell(tr, s.setup_mean_ms ? fmt(s.setup_mean_ms, 1) + " ms" : "–");
      cell(tr, fmt(s.completed_cps, 1));
      cell(tr, s.saturated_cps ? "~" + fmt(s.saturated_cps) + " cps" : "–");
    }
  }

  function drawChanges(changes) {
    const ol = $("changes");
    if (ol.childElementCount === changes.length) return;
    ol.replaceChildren();
    for (const c of changes) {
      const li = document.createElement("li");
      li.textContent = "+" + fmt(c.at_s, 2) + " s  " + c.setting + " = " + c.value;
      ol.appendChild(li);
    }
  }

  // Charts: columns of points, trimmed to the window.
  const cols = { t: [], rate: [], off: [], ans: [], act: [], setup: [] };
  let seq = 0, charts = null;
  function chart(el, series, data) {
    const w = Math.max(el.clientWidth, 300);
    return new uPlot({ width: w, height: 240, series: [{}].concat(series), axes: [{}, { size: 60 }],
      legend: { live: true } }, data, el);
  }
  const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  function makeCharts(servers) {
    charts = {
      rate: chart($("c-rate"), [
        { label: "offered/s", stroke: palette[0], width: 2 },
        { label: "answered/s", stroke: palette[2], width: 2 },
        { label: "target", stroke: "#9aa3b2", dash: [6, 4] },
      ], [cols.t, cols.off, cols.ans, cols.rate]),
      active: chart($("c-active"), [{ label: "active", stroke: palette[1], width: 2, fill: "rgba(242,142,43,.12)" }], [cols.t, cols.act]),
      setup: chart($("c-setup"), servers.map((s, i) => ({ label: s.addr, stroke: palette[i % palette.length], width: 2, spanGaps: false })),
        [cols.t].concat(servers.map((_, i) => cols.setup[i]))),
    };
  }
  function addPoints(points, servers) {
    for (const p of points) {
      cols.t.push(p.t); cols.rate.push(p.rate); cols.off.push(p.offered_cps); cols.ans.push(p.answered_cps); cols.act.push(p.active);
      servers.forEach((_, i) => { (cols.setup[i] = cols.setup[i] || []).push(p.setup_mean_ms[i] ?? null); });
    }
    const drop = cols.t.length - WINDOW_S;
    if (drop > 0) for (const k of ["t", "rate", "off", "ans", "act"]) cols[k].splice(0, drop);
    if (drop > 0) cols.setup.forEach((c) => c.splice(0, drop));
    if (typeof uPlot === "undefined") return;
    if (!charts) makeCharts(servers);
    charts.rate.setData([cols.t, cols.off, cols.ans, cols.rate]);
    charts.active.setData([cols.t, cols.act]);
    charts.setup.setData([cols.t].concat(servers.map((_, i) => cols.setup[i] || [])));
  }
  window.addEventListener("resize", () => {
    if (!charts) return;
    for (const k in charts) charts[k].setSize({ width: Math.max(charts[k].root.parentElement.clientWidth, 300), height: 240 });
  });

  let updates = 0, busy = false;
  async function poll() {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch("/api/stats?since=" + seq, { cache: "no-store", credentials: "omit" });
      if (!r.ok) throw new Error((await r.text()).trim() || r.statusText);
      const s = await r.json();
      $("state").textContent = s.state;
      $("state").className = "state " + s.state;
      $("offered").textContent = fmt(s.offered);
      $("answered").textContent = fmt(s.answered);
      $("failed").textContent = fmt(s.failed);
      $("active").textContent = fmt(s.active);
      $("peak_active").textContent = fmt(s.peak_active);
      $("limit").textContent = fmt(s.limit);
      $("rate").textContent = fmt(s.rate, 2);
      $("offered_cps").textContent = fmt(s.offered_cps, 1);
      $("answered_cps").textContent = fmt(s.answered_cps, 1);
      $("hold").textContent = fmt(s.hold_s, 2);
      $("elapsed").textContent = hms(s.elapsed_s);
      $("max_offered").textContent = s.max_offered ? fmt(s.max_offered) : "none";
      $("eta").textContent = hms(s.eta_s);
      fill("in-rate", s.rate); fill("in-limit", s.limit); fill("in-hold", s.hold_s);
      drawApps(s.apps);
      drawServers(s.servers);
      drawChanges(s.changes);
      if (s.points.length && s.seq > seq) addPoints(s.points, s.servers);
      seq = s.seq;
      $("conn").textContent = s.all_servers_lost ? "Every server is lost." : "";
      document.body.dataset.updates = String(++updates);
    } catch (e) {
      $("conn").textContent = "Not updating: " + e.message;
    } finally {
      busy = false;
    }
  }
  poll();
  setInterval(poll, 1000);
})();
