/**
 * `sessions history`: the health check runs and the cleanups, newest first, from their records (kept 90 days), with
 * a small chart of the fleet over the runs shown. A run done by `sessions check --all` or `npm run dev` is there too.
 */
import type { CleanupRecord } from "../../jobs/cleanup-log";
import type { RunRecord } from "../../jobs/runs";
import { SESSION_STATUSES } from "../../sessions";
import { UsageError, type Command } from "../command";
import { sparkChart } from "../chart";
import { count, renderTable } from "../format";
import { formatDuration, parseSince } from "../since";

const DEFAULT_LIMIT = 30;

export function parseLimit(raw: string | boolean | undefined, fallback: number, command: string): number {
  if (raw === undefined || typeof raw === "boolean") return fallback;
  const n = /^\d{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= 1))
    throw new UsageError(
      `--limit must be a whole number, at least 1 (got "${raw}").`,
      `Run \`sessions ${command} --help\`.`,
    );
  return n;
}

const durationMs = (from: string, to: string | undefined) =>
  to ? Math.max(0, Date.parse(to) - Date.parse(from)) : null;

/** "2026-12-03 07:00" (UTC, as stored). */
export const shortTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

/** The stable JSON shape of a run record (`history --json`, `status --json`). */
export function runJson(r: RunRecord) {
  const complete = r.dispatchComplete && r.processed >= r.queued;
  return {
    runId: r.runId,
    source: r.source ?? "schedule",
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? null,
    durationMs: durationMs(r.startedAt, r.finishedAt),
    finished: r.finishedAt !== undefined,
    complete,
    queued: r.queued,
    checked: r.checked,
    healthy: r.healthy,
    newlyFailed: r.failed,
    frozen: r.frozen ?? 0,
    floodWaited: r.floodWaited,
    transient: r.transient,
    skipped: r.skipped,
    gaveUp: r.gaveUp,
    notified: r.notified ?? null,
    fleet: r.fleet ? { ...r.fleet } : null,
  };
}

export function cleanupJson(c: CleanupRecord) {
  return {
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    durationMs: durationMs(c.startedAt, c.finishedAt),
    actor: c.actor,
    olderThanDays: c.olderThanDays,
    deleted: c.deleted,
    kept: c.kept,
    fleet: { ...c.fleet },
  };
}

export const RUN_JSON_SHAPE = [
  '{ "runId": "hc-…", "source": "schedule" | "local", "startedAt": ISO, "finishedAt": ISO | null,',
  '  "durationMs": 0 | null, "finished": true, "complete": true, "queued": 0, "checked": 0, "healthy": 0,',
  '  "newlyFailed": 0, "frozen": 0, "floodWaited": 0, "transient": 0, "skipped": 0, "gaveUp": 0,',
  '  "notified": true | null, "fleet": { "active": 0, "paused": 0, "error": 0, "deleted": 0 } | null }',
];
export const CLEANUP_JSON_SHAPE = [
  '{ "startedAt": ISO, "finishedAt": ISO, "durationMs": 0, "actor": "schedule:cleanup", "olderThanDays": 30,',
  '  "deleted": 0, "kept": 0, "fleet": { "active": 0, "paused": 0, "error": 0, "deleted": 0 } }',
];

export const command: Command = {
  name: "history",
  description: [
    "The health check runs, newest first: when, how many were checked, fine, newly failed, frozen and",
    "flood-waited, and how long the run took; a chart of the fleet per status over those runs; then the cleanups.",
    "Run records are kept 90 days. Runs of `sessions check --all` and `npm run dev` are listed too (source local).",
  ].join("\n"),
  options: {
    limit: { type: "string", value: "N", help: `at most N runs and N cleanups (default ${DEFAULT_LIMIT})` },
    since: {
      type: "string",
      value: "time",
      help: "only since then: 24h, 7d, 2w or a date (default: all kept)",
    },
    json: { type: "boolean", help: "print JSON for scripts (shape below)" },
  },
  examples: ["sessions history", "sessions history --since 7d", "sessions history --json | jq '.runs[0]'"],
  notes: [
    "JSON shape (--json), newest first:",
    '  { "runs": [ run… ], "cleanups": [ cleanup… ] }, where a run is',
    ...RUN_JSON_SHAPE.map((l) => `    ${l}`),
    "  and a cleanup is",
    ...CLEANUP_JSON_SHAPE.map((l) => `    ${l}`),
  ].join("\n"),
  async run(ctx, args) {
    const limit = parseLimit(args.values.limit, DEFAULT_LIMIT, "history");
    const since =
      typeof args.values.since === "string"
        ? parseSince(args.values.since, new Date(), "history")
        : undefined;
    const store = await ctx.store();
    const [runs, cleanups] = await Promise.all([
      store.runs.recent({ limit, ...(since ? { since } : {}) }),
      store.cleanups.recent({ limit, ...(since ? { since } : {}) }),
    ]);
    if (args.values.json) {
      ctx.out(JSON.stringify({ runs: runs.map(runJson), cleanups: cleanups.map(cleanupJson) }, null, 2));
      return 0;
    }
    const { colors } = ctx;
    ctx.out(colors.bold("Health checks"));
    if (runs.length === 0) {
      ctx.out(
        "  No health check runs recorded yet. The daily schedule writes one per run; `sessions check --all` too.",
      );
    } else {
      const rows = runs.map((r) => [
        shortTime(r.startedAt),
        count(r.checked),
        count(r.healthy),
        r.failed > 0 ? colors.red(count(r.failed)) : "0",
        count(r.frozen ?? 0),
        count(r.floodWaited),
        r.finishedAt
          ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt))
          : colors.yellow("running"),
        r.source === "local" ? "local" : "schedule",
      ]);
      for (const line of renderTable(
        ["DATE (UTC)", "CHECKED", "FINE", "NEWLY FAILED", "FROZEN", "FLOOD-WAITED", "DURATION", "SOURCE"],
        rows,
        colors,
      ))
        ctx.out(line);
      const points = runs.filter((r) => r.fleet).reverse();
      if (points.length >= 2) {
        ctx.out();
        ctx.out(
          `Fleet over these ${count(points.length)} runs, oldest to newest (${shortTime(points[0]!.startedAt)} → ${shortTime(points.at(-1)!.startedAt)}):`,
        );
        const paint = { active: colors.green, paused: colors.yellow, error: colors.red, deleted: colors.dim };
        for (const line of sparkChart(
          [
            ...SESSION_STATUSES.map((s) => ({
              label: s,
              values: points.map((p) => p.fleet![s]),
              paint: paint[s],
            })),
            { label: "newly failed", values: points.map((p) => p.failed), paint: colors.red },
          ],
          count,
        ))
          ctx.out(line);
      }
    }
    ctx.out();
    ctx.out(colors.bold("Cleanups"));
    if (cleanups.length === 0) {
      ctx.out("  No cleanups recorded yet. The weekly schedule writes one per run; `sessions cleanup` too.");
    } else {
      for (const line of renderTable(
        ["DATE (UTC)", "DELETED", "KEPT", "OLDER THAN", "BY", "DURATION"],
        cleanups.map((c) => [
          shortTime(c.startedAt),
          count(c.deleted),
          count(c.kept),
          `${c.olderThanDays} d`,
          c.actor,
          formatDuration(Date.parse(c.finishedAt) - Date.parse(c.startedAt)),
        ]),
        colors,
      ))
        ctx.out(line);
    }
    return 0;
  },
};
