/**
 * The Mini App's fleet page: read-only, for admins. The same chart as the bot's 📈 Fleet photo (the SVG ECharts
 * draws, shown as an image) and the counts: sessions per status now, and the last health check.
 *
 *   GET  /fleet        the page (static: it knows nothing until it asks)
 *   POST /fleet/data   {initData} → the chart's SVG, the counts and the texts, in the admin's language
 *
 * The call is checked like the login form's: a small JSON body, initData signed with our bot token and fresh, the
 * user it names an admin. A forged call is refused (401) before anything is read; a stranger's (403) after reading
 * only whether they are an admin: neither reads a session or a run record. The page has no inline handlers and loads
 * nothing from elsewhere: its script and style are allowed by hash, and the chart is an image made in the page from
 * the SVG text (`blob:`), so the SVG's own style attributes never run as the page's.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { AdminRepository } from "../bot-state/admins";
import { LOCALES, fleetChartLabels, languageFromCode } from "../bot/locales";
import { CHARTED_STATUSES, STATUS_COLOURS, hasFleetData, readFleetPicture } from "../chart/fleet-history";
import type { HealthCheckRuns } from "../jobs/runs";
import type { Logger } from "../log";
import { redactText } from "../log";
import type { SessionRepository } from "../sessions/repository";
import { htmlPage, jsonAnswer, pageCsp, parseBody, plain } from "./http";
import { verifyInitData } from "./init-data";
import { FLEET_DATA_PATH, FLEET_PATH } from "./routes";

export interface FleetPageDeps {
  readonly botToken: () => Promise<string>;
  readonly admins: Pick<AdminRepository, "get">;
  readonly runs: Pick<HealthCheckRuns, "recent">;
  readonly sessions: Pick<SessionRepository, "countByStatus">;
  readonly logger: Logger;
  readonly now?: () => Date;
}

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** What the page renders (texts are plain, shown with textContent; the SVG becomes an image). */
interface FleetAnswer {
  readonly error?: string;
  readonly message?: string;
  readonly title?: string;
  readonly svg?: string;
  readonly counts?: { readonly label: string; readonly value: number }[];
  readonly nowLabel?: string;
  readonly lastRun?: string;
}

export function isFleetRequest(path: string): boolean {
  return path === FLEET_PATH || path.startsWith(`${FLEET_PATH}/`);
}

export function createFleetPageHandler(deps: FleetPageDeps): Handler {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    const method = event.requestContext?.http?.method ?? "";
    const path = event.rawPath ?? "";
    if (path === FLEET_PATH && (method === "GET" || method === "HEAD"))
      return htmlPage(FLEET_PAGE_HTML, FLEET_PAGE_CSP);
    if (path !== FLEET_DATA_PATH || method !== "POST") return json(404, { error: "not-found" });
    const body = parseBody(event);
    const fallback = LOCALES[languageFromCode(undefined)];
    if (!body) return json(400, { error: "bad-request", message: fallback.miniapp.openFromBot });
    try {
      const check = verifyInitData(body.initData, await deps.botToken(), { now: now() });
      if (!check.ok) {
        deps.logger.warn("Fleet page refused: initData not valid", {
          reason: check.reason,
          sourceIp: event.requestContext?.http?.sourceIp,
        });
        const stale = check.reason === "expired" || check.reason === "future";
        return json(401, {
          error: "init-data",
          message: stale ? fallback.miniapp.reopen : fallback.miniapp.openFromBot,
        });
      }
      const adminId = String(check.user.id);
      const admin = await deps.admins.get(adminId);
      const t = LOCALES[admin?.language ?? languageFromCode(check.user.languageCode)];
      if (!admin) {
        deps.logger.warn("Fleet page refused: not an admin", { userId: adminId });
        return json(403, { error: "not-admin", message: t.miniapp.notAdmin });
      }
      const at = now();
      const [picture, counts] = await Promise.all([
        readFleetPicture(deps.runs, at),
        deps.sessions.countByStatus({ maxAgeMs: 30_000 }),
      ]);
      // The chart library only when there is something to draw (it is a chunk of its own in the asset).
      const svg = hasFleetData(picture.days)
        ? (await import("../chart/fleet-chart.js")).fleetChartSvg(picture.days, fleetChartLabels(t))
        : undefined;
      const last = picture.lastRun;
      return json(200, {
        title: t.fleet.pageTitle,
        ...(svg ? { svg } : { message: plain(t.fleet.noRuns) }),
        nowLabel: t.fleet.now,
        counts: CHARTED_STATUSES.map((s) => ({ label: t.statusName[s], value: counts[s] })),
        ...(last
          ? {
              lastRun: `${t.fleet.lastRun} ${t.fleet.lastRunLine(utcMinute(last.finishedAt ?? last.startedAt), last.checked, last.failed)}`,
            }
          : {}),
      });
    } catch (err) {
      deps.logger.error("Fleet page call failed", {
        error: redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      });
      return json(503, { error: "unavailable", message: fallback.miniapp.retry });
    }
  };
}

/** "2026-11-27 17:55 UTC", as the bot writes times. */
function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:var(--tg-bg,#fff);--fg:var(--tg-fg,#111);--hint:var(--tg-hint,#777)}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1240px;margin:0 auto;padding:16px 12px}
h1{font-size:20px;margin:0 0 10px}
#wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
#chart{display:block;width:100%;height:auto;border-radius:8px;background:#fff}
table{border-collapse:collapse;margin-top:14px}
th{text-align:left;font-weight:600;padding:2px 0 6px}
td{padding:2px 18px 2px 0}td.n{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
#last,#status{color:var(--hint);margin-top:10px}
#status.error{color:#d33}
[hidden]{display:none!important}
`;

const SCRIPT = `
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var fragment = new URLSearchParams(location.hash.slice(1));
  var initData = fragment.get("tgWebAppData") || "";
  try {
    var theme = JSON.parse(fragment.get("tgWebAppThemeParams") || "{}");
    var vars = { bg_color: "--tg-bg", text_color: "--tg-fg", hint_color: "--tg-hint" };
    Object.keys(vars).forEach(function (k) {
      if (/^#[0-9a-fA-F]{3,8}$/.test(theme[k] || "")) document.documentElement.style.setProperty(vars[k], theme[k]);
    });
  } catch (e) { /* no theme: the defaults */ }
  function postEvent(type) {
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, "{}");
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: {} }), "*");
    } catch (e) { /* outside Telegram */ }
  }
  function status(text, error) { var s = $("status"); s.textContent = text || ""; s.className = error ? "error" : ""; }
  var COLOURS = ${JSON.stringify(CHARTED_STATUSES.map((s) => STATUS_COLOURS[s]))};
  function render(a) {
    if (a.title) { $("title").textContent = a.title; document.title = a.title; }
    status(a.message || "", !!a.error);
    if (a.svg) {
      var img = $("chart");
      img.onload = function () { document.body.setAttribute("data-ready", "chart"); };
      img.src = URL.createObjectURL(new Blob([a.svg], { type: "image/svg+xml" }));
      img.alt = a.title || "";
      img.hidden = false;
    } else if (!a.error) {
      document.body.setAttribute("data-ready", "empty");
    }
    if (a.counts) {
      var table = $("counts");
      var head = document.createElement("tr");
      var th = document.createElement("th");
      th.colSpan = 2;
      th.textContent = a.nowLabel || "";
      head.appendChild(th);
      table.appendChild(head);
      a.counts.forEach(function (c, i) {
        var tr = document.createElement("tr");
        var name = document.createElement("td");
        var dot = document.createElement("span");
        dot.className = "dot";
        dot.style.background = COLOURS[i] || "#999";
        name.appendChild(dot);
        name.appendChild(document.createTextNode(c.label));
        var n = document.createElement("td");
        n.className = "n";
        n.textContent = String(c.value);
        tr.appendChild(name);
        tr.appendChild(n);
        table.appendChild(tr);
      });
      table.hidden = false;
    }
    if (a.lastRun) $("last").textContent = a.lastRun;
    if (a.error) document.body.setAttribute("data-ready", "refused");
  }
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  if (!initData) { render({ error: "no-init-data", message: "Open this page from the bot's button in Telegram." }); return; }
  fetch(new URL("fleet/data", location.href), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ initData: initData }),
    credentials: "omit",
    cache: "no-store",
  }).then(function (r) {
    return r.json().catch(function () { return { error: "http", message: "HTTP " + r.status }; });
  }).then(render, function () { render({ error: "network", message: "Network error" }); });
})();
`;

export const FLEET_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Session Keeper</title>
<style>${STYLE}</style>
</head><body><main>
<h1 id="title">Session Keeper</h1>
<p id="status" role="status" aria-live="polite"></p>
<div id="wrap"><img id="chart" hidden></div>
<table id="counts" hidden></table>
<p id="last"></p>
</main>
<script>${SCRIPT}</script>
</body></html>
`;

/**
 * Its own inline script and style, calls to its own origin, and images it makes itself (`blob:`). The colour dots
 * are set through the DOM (`element.style`), which a CSP does not govern; no `style=` attribute is in the markup.
 */
export const FLEET_PAGE_CSP = pageCsp(SCRIPT, STYLE, ["img-src blob:"]);

/** A JSON answer the page renders as it is. */
function json(statusCode: number, body: FleetAnswer) {
  return jsonAnswer(statusCode, body);
}
