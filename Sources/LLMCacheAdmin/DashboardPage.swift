import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /dashboard`: one self-contained page (no build step, no external fonts or scripts,
/// works offline) that draws `GET /stats?view=dashboard` every two seconds. It holds no data
/// itself; with a token configured it asks for the token once, keeps it in the tab's
/// `sessionStorage` and sends it as `Authorization: Bearer` — never in a URL.
///
/// Every number it shows carries its `/stats` path (`data-field`, a JSON array) and the raw
/// value (`data-value`), so a browser test can check the page against `/stats`.
/// `window.llmcacheDashboard.when(state)` resolves once the page is `live`, `disconnected` or
/// `locked` (asking for a token); `#refresh=MS` in the address changes the period.
enum DashboardPage {
    static func response(status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>llmcache dashboard</title>
        <style>
        :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#687085; --line:#e2e5ea; --accent:#2563eb;
          --hit:#16a34a; --miss:#dc2626; --coal:#7c3aed; --byp:#94a3b8; --ref:#0891b2; --err:#f59e0b; --plug:#db2777;
          --disk:#d97706; --stale:#a16207; --part:#0d9488; }
        @media (prefers-color-scheme: dark) { :root { --bg:#11141a; --card:#1a1f29; --ink:#e6e9ef; --muted:#97a0b3;
          --line:#2b3240; } }
        * { box-sizing: border-box; }
        body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg);
          color:var(--ink); }
        header { display:flex; align-items:center; gap:12px; padding:12px 20px; border-bottom:1px solid var(--line);
          background:var(--card); position:sticky; top:0; z-index:1; }
        header h1 { font-size:17px; margin:0; }
        .badge { padding:2px 10px; border-radius:99px; font-size:12px; font-weight:600; background:var(--line); }
        body[data-state=live] .badge { background:#dcfce7; color:#166534; }
        body[data-state=disconnected] .badge { background:#fee2e2; color:#991b1b; }
        body[data-state=locked] .badge { background:#fef9c3; color:#854d0e; }
        body[data-state=disconnected] main { opacity:.55; }
        .meta { color:var(--muted); font-size:12px; margin-left:auto; }
        main { padding:16px 20px; display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(330px, 1fr)); }
        section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
        section.wide { grid-column:1 / -1; }
        h2 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 10px; }
        .tiles { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:10px; }
        .tile { border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
        .tile .label { color:var(--muted); font-size:12px; }
        .tile .big { font-size:24px; font-weight:650; font-variant-numeric:tabular-nums; }
        table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
        th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); vertical-align:top; }
        th { color:var(--muted); font-weight:500; font-size:12px; }
        td.n, th.n { text-align:right; }
        .empty { color:var(--muted); font-style:italic; }
        svg { width:100%; height:170px; display:block; }
        .legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--muted); margin-top:6px; }
        .legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
        pre { max-height:320px; overflow:auto; background:var(--bg); padding:10px; border-radius:6px; font-size:12px; }
        #lock { display:none; }
        body[data-state=locked] #lock { display:block; }
        body[data-state=locked] main { display:none; }
        #lock form { display:flex; gap:8px; max-width:520px; }
        #lock input { flex:1; padding:6px 8px; font:inherit; }
        .explain { font-family:ui-monospace, monospace; font-size:12px; word-break:break-word; }
        #problem { color:#991b1b; font-size:12px; }
        </style>
        </head>
        <body data-state="loading">
        <header>
          <h1>llmcache</h1><span class="badge" id="state">loading</span>
          <span id="problem"></span>
          <span class="meta">updated <span id="updated">never</span> · up <span id="uptime">–</span></span>
        </header>
        <section id="lock" style="margin:20px">
          <h2>Admin token</h2>
          <p>This admin API needs its bearer token. It is kept in this tab only (session storage) and sent as a
            header, never in an address.</p>
          <form id="token-form"><input id="token" type="password" autocomplete="off" placeholder="token">
            <button type="submit">Open</button></form>
        </section>
        <main>
          <section class="wide"><h2>Hit ratio</h2><div class="tiles" id="ratios"></div></section>
          <section class="wide"><h2>Hit ratio, last hour</h2><svg id="ratio-chart" viewBox="0 0 720 170"
            preserveAspectRatio="none" role="img" aria-label="hit ratio over the last hour"></svg>
            <div class="legend" id="ratio-legend"></div></section>
          <section class="wide"><h2>Requests per second by status, last hour</h2><svg id="rate-chart"
            viewBox="0 0 720 170" preserveAspectRatio="none" role="img" aria-label="requests per second"></svg>
            <div class="legend" id="rate-legend"></div></section>
          <section><h2>Requests</h2><table id="requests"></table></section>
          <section><h2>Saved</h2><div class="tiles" id="saved"></div></section>
          <section><h2>Saved per model</h2><table id="models"></table></section>
          <section><h2>The provider's own prompt cache (calls that went upstream)</h2>
            <div class="tiles" id="provider-cache"></div></section>
          <section><h2>Misses by route</h2><table id="miss-routes"></table></section>
          <section><h2>Misses by model</h2><table id="miss-models"></table></section>
          <section class="wide"><h2>Recent misses (newest ten)</h2><table id="recent"></table></section>
          <section><h2>Memory</h2><table id="memory"></table></section>
          <section><h2>Disk tier</h2><table id="disk"></table></section>
          <section><h2>Shared tier</h2><table id="shared"></table></section>
          <section><h2>Configuration</h2><table id="reload"></table><pre id="config"></pre></section>
        </main>
        <script>
        "use strict";
        const STATUSES = ["HIT", "STALE", "PARTIAL", "MISS", "COALESCED", "REFRESH", "BYPASS", "PLUGIN", "ERROR"];
        const COLORS = { HIT: "--hit", MISS: "--miss", COALESCED: "--coal", REFRESH: "--ref", BYPASS: "--byp",
          ERROR: "--err", PLUGIN: "--plug", STALE: "--stale", PARTIAL: "--part", overall: "--accent", memory: "--hit", disk: "--disk", shared: "--ref" };
        const TOKEN_KEY = "llmcache.admin.token";
        const period = Math.max(100, Number((location.hash.match(/refresh=(\d+)/) || [])[1] || 2000));
        const waiters = [];
        let downSince = null;
        const dashboard = window.llmcacheDashboard = {
          state: "loading", renders: 0,
          when(state) {
            return dashboard.state === state ? Promise.resolve(dashboard.renders)
              : new Promise(resolve => waiters.push({ state, resolve }));
          },
        };
        function setState(state, problem) {
          dashboard.state = state;
          document.body.dataset.state = state;
          document.getElementById("state").textContent = state;
          document.getElementById("problem").textContent = problem || "";
          for (let i = waiters.length - 1; i >= 0; i--) {
            if (waiters[i].state === state) { waiters[i].resolve(dashboard.renders); waiters.splice(i, 1); }
          }
        }
        const color = name => getComputedStyle(document.documentElement).getPropertyValue(COLORS[name] || "--muted").trim();
        const el = (tag, attrs, text) => {
          const node = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
          if (text !== undefined) node.textContent = text;
          return node;
        };
        const at = (stats, path) => path.reduce((v, k) => (v == null ? undefined : v[k]), stats);
        const int = v => v == null ? "–" : Math.round(v).toLocaleString("en-US");
        const pct = v => v == null ? "–" : (v * 100).toFixed(1) + " %";
        const dollars = v => v == null ? "–" : "$" + (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));
        const bytes = v => {
          if (v == null) return "–";
          const units = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
          while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
          return (i ? v.toFixed(1) : v) + " " + units[i];
        };
        const plain = v => v == null ? "–" : typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v);
        // A value shown with its /stats path and raw value, for people and for tests.
        function field(tag, stats, path, format, extra) {
          const value = at(stats, path);
          const node = el(tag, Object.assign({ "data-field": JSON.stringify(path),
            "data-value": JSON.stringify(value === undefined ? null : value) }, extra || {}), (format || plain)(value));
          return node;
        }
        function tile(stats, label, path, format) {
          const node = el("div", { class: "tile" });
          node.append(el("div", { class: "label" }, label), field("div", stats, path, format, { class: "big" }));
          return node;
        }
        function rows(table, header, list, empty) {
          table.replaceChildren();
          const head = el("tr");
          header.forEach(([name, numeric]) => head.append(el("th", numeric ? { class: "n" } : {}, name)));
          table.append(head);
          if (!list.length) { const tr = el("tr"); tr.append(el("td", { class: "empty", colspan: header.length }, empty)); table.append(tr); }
          list.forEach(cells => { const tr = el("tr"); cells.forEach(c => tr.append(c)); table.append(tr); });
        }
        const pairs = (table, stats, list) => rows(table, [["", false], ["", true]],
          list.filter(([, path]) => at(stats, path) !== undefined)
            .map(([label, path, format]) => [el("td", {}, label), field("td", stats, path, format, { class: "n" })]), "–");

        function render(stats) {
          const tiers = Object.keys(stats.tiers || {});
          document.getElementById("ratios").replaceChildren(
            tile(stats, "overall", ["hit_ratio"], pct),
            ...tiers.map(t => tile(stats, t + " tier", ["tiers", t, "hit_ratio"], pct)),
            tile(stats, "upstream calls", ["upstream", "requests"], int),
            avoided(stats));
          rows(document.getElementById("requests"), [["status", false], ["requests", true]],
            STATUSES.filter(s => at(stats, ["requests", s]) !== undefined)
              .map(s => [el("td", {}, s), field("td", stats, ["requests", s], int, { class: "n" })]), "none yet");
          document.getElementById("saved").replaceChildren(
            tile(stats, "dollars", ["saved", "dollars"], dollars),
            tile(stats, "input tokens", ["saved", "input_tokens"], int),
            tile(stats, "output tokens", ["saved", "output_tokens"], int),
            tile(stats, "hits of unpriced models", ["saved", "unpriced_hits"], int));
          document.getElementById("provider-cache").replaceChildren(
            tile(stats, "net discount", ["provider_cache", "net_dollars"], dollars),
            tile(stats, "tokens read from it", ["provider_cache", "read_tokens"], int),
            tile(stats, "tokens written to it", ["provider_cache", "write_tokens"], int),
            tile(stats, "calls", ["provider_cache", "calls"], int));
          const models = Object.keys(at(stats, ["saved", "by_model"]) || {}).sort();
          rows(document.getElementById("models"), [["model", false], ["hits", true], ["tokens in", true],
            ["tokens out", true], ["dollars", true]],
            models.map(m => [el("td", {}, m), ...[["hits", int], ["input_tokens", int], ["output_tokens", int],
              ["dollars", dollars]].map(([k, f]) => field("td", stats, ["saved", "by_model", m, k], f, { class: "n" }))]),
            "no answers served from cache yet");
          for (const [id, kind, label] of [["miss-routes", "by_route", "route"], ["miss-models", "by_model", "model"]]) {
            const names = Object.keys(at(stats, ["misses", kind]) || {});
            names.sort((a, b) => stats.misses[kind][b] - stats.misses[kind][a] || (a < b ? -1 : 1));
            rows(document.getElementById(id), [[label, false], ["misses", true]],
              names.map(n => [el("td", {}, n), field("td", stats, ["misses", kind, n], int, { class: "n" })]), "no misses");
          }
          rows(document.getElementById("recent"), [["time", false], ["route", false], ["model", false],
            ["why it missed", false]],
            (stats.recent_misses || []).slice(0, 10).map(m => [el("td", {}, new Date(m.time).toLocaleTimeString()),
              el("td", {}, m.method + " " + m.path + (m.namespace ? " [" + m.namespace + "]" : "")
                + (m.offline ? " (offline)" : "")),
              el("td", {}, m.model),
              el("td", { class: "explain", "data-key": m.key, title: m.explanation || "" },
                (m.explanation || "being explained").replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, "$1…"))]), "no misses");
          pairs(document.getElementById("memory"), stats, [
            ["governor level", ["governor", "level"]], ["budget", ["governor", "budget_bytes"], bytes],
            ["resident", ["governor", "resident_bytes"], bytes], ["L1 limit (governor)", ["governor", "memory_tier_limit"], bytes],
            ["to soft pressure", ["governor", "transitions", "soft"], int],
            ["to hard pressure", ["governor", "transitions", "hard"], int],
            ["heap trims", ["governor", "heap_trims"], int],
            ["L1 bytes", ["tiers", "memory", "bytes"], bytes], ["L1 byte limit", ["tiers", "memory", "byte_limit"], bytes],
            ["L1 entries", ["tiers", "memory", "entries"], int],
            ...Object.keys(at(stats, ["tiers", "memory", "evictions"]) || {}).sort()
              .map(r => ["evicted: " + r, ["tiers", "memory", "evictions", r], int])]);
          if (!stats.governor) document.getElementById("memory").prepend(el("caption", { class: "empty" }, "memory governor off"));
          pairs(document.getElementById("disk"), stats, [
            ["entries", ["tiers", "disk", "entries"], int], ["stored bytes", ["tiers", "disk", "bytes"], bytes],
            ["raw bytes", ["tiers", "disk", "raw_bytes"], bytes], ["file bytes", ["tiers", "disk", "file_bytes"], bytes],
            ["compression ratio", ["tiers", "disk", "compression_ratio"], v => v == null ? "–" : v.toFixed(2) + "×"],
            ["file bytes per entry", ["tiers", "disk", "file_bytes_per_entry"], int],
            ["LMDB overhead per entry", ["tiers", "disk", "overhead_bytes_per_entry"], int],
            ...(at(stats, ["tiers", "disk", "dictionaries"]) || []).map((d, i) => [
              (d.id ? "dictionary " + d.id : "no dictionary") + (d.current ? " (current)" : "") + ", " + int(d.records) + " writes",
              ["tiers", "disk", "dictionaries", i, "payload_ratio"], v => v == null ? "–" : v.toFixed(2) + "×"]),
            ["pending writes", ["tiers", "disk", "pending_writes"], int],
            ["corrupt records", ["tiers", "disk", "corrupt_records"], int]]);
          if (!stats.tiers.disk) document.getElementById("disk").prepend(el("caption", { class: "empty" }, "no disk tier"));
          pairs(document.getElementById("shared"), stats, [
            ["failing", ["tiers", "shared", "failing"]], ["errors", ["tiers", "shared", "errors"], int],
            ["pending writes", ["tiers", "shared", "pending_writes"], int],
            ["waits on other instances", ["tiers", "shared", "lease_waits"], int],
            ["mean lookup µs", ["tiers", "shared", "mean_lookup_microseconds"]],
            ["last error", ["tiers", "shared", "last_error"]]]);
          if (!stats.tiers.shared) document.getElementById("shared").prepend(el("caption", { class: "empty" }, "no shared tier"));
          pairs(document.getElementById("reload"), stats, [
            ["reloads applied", ["config", "reloads"], int], ["reloads rejected", ["config", "rejections"], int],
            ["last reload", ["config", "last_reload", "time"]], ["last reload applied", ["config", "last_reload", "applied"]],
            ["last reload error", ["config", "last_reload", "error"]]]);
          const config = at(stats, ["configuration", "yaml"]);
          document.getElementById("config").textContent = config == null ? "(not known)" : config;
          const buckets = at(stats, ["history", "buckets"]) || [];
          chartRatios(buckets, tiers);
          chartRates(buckets);
          document.getElementById("uptime").textContent = int(stats.uptime_seconds) + " s";
          document.getElementById("updated").textContent = new Date().toLocaleTimeString();
        }
        function avoided(stats) {
          const node = tile(stats, "upstream calls avoided", ["requests", "HIT"], int);
          const value = (at(stats, ["requests", "HIT"]) || 0) + (at(stats, ["requests", "COALESCED"]) || 0);
          const big = node.querySelector(".big");
          big.dataset.field = JSON.stringify(["avoided"]);
          big.dataset.value = JSON.stringify(value);
          big.textContent = int(value);
          return node;
        }
        const SVG = "http://www.w3.org/2000/svg";
        const svgEl = (tag, attrs) => { const n = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); return n; };
        const W = 720, H = 170, PAD = 18;
        function xOf(bucket, end) { return PAD + (W - 2 * PAD) * (1 - (end - Date.parse(bucket.start)) / 3600e3); }
        function axes(svg, labels) {
          svg.replaceChildren();
          labels.forEach(([y, text]) => {
            svg.append(svgEl("line", { x1: PAD, x2: W - PAD, y1: y, y2: y, stroke: color("--line"), "stroke-width": 1 }));
            const t = svgEl("text", { x: 2, y: y - 2, "font-size": 10, fill: color("--muted") }); t.textContent = text; svg.append(t);
          });
        }
        function legend(id, names) {
          document.getElementById(id).replaceChildren(...names.map(n => {
            const s = el("span"); const i = el("i"); i.style.background = color(n); s.append(i, n); return s; }));
        }
        function chartRatios(buckets, tiers) {
          const svg = document.getElementById("ratio-chart");
          const y = r => H - PAD - (H - 2 * PAD) * r;
          axes(svg, [[y(0), "0 %"], [y(0.5), "50 %"], [y(1), "100 %"]]);
          const end = Date.now();
          const series = [["overall", b => b.hit_ratio], ...tiers.map(t => [t, b => b.tiers && b.tiers[t] ? b.tiers[t].hit_ratio : null])];
          series.forEach(([name, pick], index) => {
            let d = "";
            let pen = false;
            buckets.forEach(b => {
              const r = pick(b);
              if (r == null) { pen = false; return; }
              d += (pen ? "L" : "M") + xOf(b, end).toFixed(1) + "," + y(r).toFixed(1);
              pen = true;
              svg.append(svgEl("circle", { cx: xOf(b, end), cy: y(r), r: index ? 1.5 : 2.5, fill: color(name) }));
            });
            if (d) svg.append(svgEl("path", { d, fill: "none", stroke: color(name), "stroke-width": index ? 1.5 : 2.5 }));
          });
          legend("ratio-legend", series.map(s => s[0]));
        }
        function chartRates(buckets) {
          const svg = document.getElementById("rate-chart");
          const rates = buckets.map(b => STATUSES.map(s => (b.requests[s] || 0) / Math.max(b.seconds, 1)));
          const top = Math.max(1, ...rates.map(r => r.reduce((a, v) => a + v, 0)));
          const y = v => H - PAD - (H - 2 * PAD) * v / top;
          axes(svg, [[y(0), "0"], [y(top), top.toFixed(top < 10 ? 1 : 0) + "/s"]]);
          const end = Date.now();
          const width = Math.max(2, (W - 2 * PAD) / 360 - 0.5);
          buckets.forEach((b, i) => {
            let base = 0;
            STATUSES.forEach((s, j) => {
              const v = rates[i][j];
              if (!v) return;
              svg.append(svgEl("rect", { x: xOf(b, end) - width, y: y(base + v), width, height: y(base) - y(base + v), fill: color(s) }));
              base += v;
            });
          });
          legend("rate-legend", STATUSES);
        }
        async function refresh() {
          const token = sessionStorage.getItem(TOKEN_KEY);
          try {
            const response = await fetch("/stats?view=dashboard", { cache: "no-store",
              headers: token ? { Authorization: "Bearer " + token } : {} });
            if (response.status === 401) {
              sessionStorage.removeItem(TOKEN_KEY);
              setState("locked", token ? "that token was refused" : "");
              return;
            }
            if (!response.ok) throw new Error("the proxy answered " + response.status);
            const stats = await response.json();
            render(stats);
            dashboard.renders++;
            dashboard.stats = stats;
            downSince = null;
            setState("live");
          } catch (error) {
            downSince = downSince || new Date();
            setState("disconnected", "no answer from the proxy since " + downSince.toLocaleTimeString() + " — retrying");
          } finally {
            if (dashboard.state !== "locked") setTimeout(refresh, period);
          }
        }
        document.getElementById("token-form").addEventListener("submit", event => {
          event.preventDefault();
          const input = document.getElementById("token");
          if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value);
          input.value = "";
          setState("loading");
          refresh();
        });
        refresh();
        </script>
        </body>
        </html>
        """#
}
