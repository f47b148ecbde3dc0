/**
 * `sessions status`: the fleet on one screen. Counts by status; those frozen by Telegram, in a flood wait, with a
 * logout at Telegram still pending; the last health check and cleanup from their records; when the next ones run.
 */
import type { CleanupRecord } from "../../jobs/cleanup-log";
import type { RunRecord } from "../../jobs/runs";
import {
  SESSION_STATUSES,
  isRestricted,
  type Session,
  type SessionRepository,
  type SessionStatus,
} from "../../sessions";
import type { Command } from "../command";
import type { CliContext } from "../context";
import { cloudWatchAlarms, sqsQueueDepths, stackHealth, stackOutputs, type StackHealth } from "../deployed";
import { count, relativeTime, statusLabel, type Colors } from "../format";
import { formatDuration } from "../since";
import { CLEANUP_JSON_SHAPE, cleanupJson, RUN_JSON_SHAPE, runJson, shortTime } from "./history";
import { listAll } from "./list";

/** The schedules as the service stack deploys them by default (infra/settings.ts), and `npm run dev`'s timers. */
const DEPLOYED = { healthCheck: "daily at 03:00 UTC", cleanup: "Sundays at 00:00 UTC" };
const DEV = { healthCheckMs: 86_400_000, cleanupMs: 7 * 86_400_000 };

function nextDaily(now: Date, hour: number): Date {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  return at > now ? at : new Date(at.getTime() + 86_400_000);
}

function nextSunday(now: Date): Date {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  at.setUTCDate(at.getUTCDate() + ((7 - at.getUTCDay()) % 7));
  return at > now ? at : new Date(at.getTime() + 7 * 86_400_000);
}

export interface FleetFacts {
  readonly counts: Record<SessionStatus, number>;
  readonly frozen: number;
  readonly floodWaited: number;
  /** Limited by Telegram, as @SpamBot last said (`sessions spambot`). */
  readonly restricted: number;
  readonly pendingRevocations: number;
}

/** Reads the live sessions (not deleted) page by page through the status index, and the pending logouts. */
export async function fleetFacts(repo: SessionRepository, now: Date): Promise<FleetFacts> {
  const [counts, live] = await Promise.all([
    repo.countByStatus(),
    Promise.all((["active", "paused", "error"] as const).map((s) => listAll(repo, s))),
  ]);
  const sessions: Session[] = live.flat();
  let pendingRevocations = 0;
  let cursor: string | undefined;
  do {
    const page = await repo.listPendingRevocations({ limit: 100, ...(cursor ? { cursor } : {}) });
    pendingRevocations += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  // The old keys of sessions logged in again or imported over, whose logout is pending too.
  do {
    const page = await repo.listPendingReplacedKeys({ limit: 100, ...(cursor ? { cursor } : {}) });
    pendingRevocations += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return {
    counts,
    frozen: sessions.filter((s) => s.frozen).length,
    floodWaited: sessions.filter((s) => s.floodWaitUntil && Date.parse(s.floodWaitUntil) > now.getTime())
      .length,
    restricted: sessions.filter((s) => isRestricted(s.restriction, now)).length,
    pendingRevocations,
  };
}

function nextRuns(
  target: "local" | "aws",
  lastRun: RunRecord | undefined,
  lastCleanup: CleanupRecord | undefined,
  now: Date,
) {
  if (target === "aws") {
    return {
      healthCheck: nextDaily(now, 3).toISOString(),
      cleanup: nextSunday(now).toISOString(),
      basis: `the deployed schedules (by default: health check ${DEPLOYED.healthCheck}, cleanup ${DEPLOYED.cleanup})`,
    };
  }
  const after = (iso: string | undefined, ms: number) =>
    iso ? new Date(Date.parse(iso) + ms).toISOString() : null;
  return {
    healthCheck: after(lastRun?.startedAt, DEV.healthCheckMs),
    cleanup: after(lastCleanup?.startedAt, DEV.cleanupMs),
    basis: "npm run dev's timers (by default every 24h and every 7d from when it started)",
  };
}

/**
 * The "AWS" block: each dead-letter queue's depth, the alarms in ALARM; "–" on a local stack. A part that could not
 * be read says why (and what to do) instead of a number.
 */
export function stackHealthLines(health: StackHealth | null, colors: Colors): string[] {
  const label = (l: string) => colors.dim(l.padEnd(16));
  if (!health) return [`  ${label("dead letters")}–`, `  ${label("alarms")}–`];
  const lines: string[] = [];
  const queues = health.deadLetterQueues
    .filter((q) => q.error === null)
    .map((q) => (q.depth! > 0 ? colors.red(`${q.name} ${count(q.depth!)}`) : `${q.name} 0`));
  if (queues.length) lines.push(`  ${label("dead letters")}${queues.join(" · ")}`);
  for (const q of health.deadLetterQueues.filter((q) => q.error !== null))
    lines.push(`  ${label(queues.length ? "" : "dead letters")}${colors.yellow(`${q.name}: ${q.error}`)}`);
  const a = health.alarms;
  if (a.error !== null) lines.push(`  ${label("alarms")}${colors.yellow(a.error)}`);
  else if (a.inAlarm.length === 0)
    lines.push(`  ${label("alarms")}none in ALARM (${count(a.watched)} watched)`);
  else {
    lines.push(
      `  ${label("alarms")}${colors.red(`${count(a.inAlarm.length)} in ALARM`)} of ${count(a.watched)}:`,
    );
    for (const f of a.inAlarm)
      lines.push(
        `    ${colors.red(f.name)}${f.since ? ` since ${shortTime(f.since)} UTC` : ""}: ${f.reason}`,
      );
  }
  return lines;
}

async function statusJson(ctx: CliContext) {
  const now = new Date();
  const store = await ctx.store();
  const region = store.config.region;
  const [facts, runs, cleanups, stack] = await Promise.all([
    fleetFacts(store.sessions, now),
    store.runs.recent({ limit: 1 }),
    store.cleanups.recent({ limit: 1 }),
    store.config.target === "aws"
      ? stackHealth(stackOutputs(ctx.env), {
          queues: sqsQueueDepths(region),
          alarms: cloudWatchAlarms(region),
        })
      : Promise.resolve(null),
  ]);
  const total = SESSION_STATUSES.reduce((n, s) => n + facts.counts[s], 0);
  return {
    target: store.config.target,
    counts: { ...facts.counts, total },
    frozen: facts.frozen,
    floodWaited: facts.floodWaited,
    restricted: facts.restricted,
    pendingRevocations: facts.pendingRevocations,
    lastHealthCheck: runs[0] ? runJson(runs[0]) : null,
    lastCleanup: cleanups[0] ? cleanupJson(cleanups[0]) : null,
    next: nextRuns(store.config.target, runs[0], cleanups[0], now),
    stack,
  };
}

export const command: Command = {
  name: "status",
  description: [
    "The fleet on one screen: sessions per status; how many Telegram froze, are in a flood wait, are restricted (as",
    "@SpamBot last said), or wait for their",
    "logout at Telegram to be confirmed; the last health check (when, checked, fine, newly failed, how long) and the",
    "last cleanup; when the next ones run. Reads the status index page by page; never scans.",
    "Deployed: the depth of each dead-letter queue and every alarm of the stack in ALARM (names from the stack",
    "outputs in cdk-outputs.json); a local stack has neither (–).",
  ].join("\n"),
  options: { json: { type: "boolean", help: "print JSON for scripts (shape below)" } },
  examples: ["sessions status", "sessions status --json | jq .counts"],
  notes: [
    "JSON shape (--json):",
    '  { "target": "local" | "aws", "counts": { "active": 0, "paused": 0, "error": 0, "deleted": 0, "total": 0 },',
    '    "frozen": 0, "floodWaited": 0, "restricted": 0, "pendingRevocations": 0,',
    '    "lastHealthCheck": run | null, "lastCleanup": cleanup | null,',
    '    "next": { "healthCheck": ISO | null, "cleanup": ISO | null, "basis": "…" },',
    '    "stack": null (local) | { "deadLetterQueues": [ { "name": "health checks", "depth": 0 | null,',
    '      "error": "…" | null } ], "alarms": { "watched": 8, "inAlarm": [ { "name", "reason", "since" } ],',
    '      "error": "…" | null } } }',
    "  where a run is",
    ...RUN_JSON_SHAPE.map((l) => `    ${l}`),
    "  and a cleanup is",
    ...CLEANUP_JSON_SHAPE.map((l) => `    ${l}`),
  ].join("\n"),
  async run(ctx, args) {
    const s = await statusJson(ctx);
    if (args.values.json) {
      ctx.out(JSON.stringify(s, null, 2));
      return 0;
    }
    const { colors } = ctx;
    const now = new Date();
    const at = (iso: string | null) =>
      iso ? `${shortTime(iso)} UTC (${relativeTime(iso, now)})` : "not known yet";
    const label = (l: string) => colors.dim(l.padEnd(16));
    ctx.out(
      `${colors.bold("Sessions")}  ${count(s.counts.total)} in all (${s.target === "aws" ? "deployed stack" : "local stack"})`,
    );
    ctx.out(
      `  ${SESSION_STATUSES.map((st) => `${statusLabel(st, colors)} ${count(s.counts[st])}`).join("   ")}`,
    );
    const flag = (n: number, text: string) => (n > 0 ? colors.yellow(`${count(n)} ${text}`) : `0 ${text}`);
    ctx.out(
      `  ${flag(s.frozen, "frozen by Telegram")} · ${flag(s.floodWaited, "in a flood wait")} · ${flag(s.restricted, "restricted")} · ` +
        `${flag(s.pendingRevocations, "logouts pending")}`,
    );
    ctx.out();
    ctx.out(colors.bold("Health check"));
    const r = s.lastHealthCheck;
    if (!r) ctx.out(`  ${label("last")}none recorded yet`);
    else {
      ctx.out(`  ${label("last")}${at(r.startedAt)}${r.source === "local" ? ", local" : ""}`);
      ctx.out(
        `  ${label("result")}${count(r.checked)} checked, ${count(r.healthy)} fine, ` +
          `${r.newlyFailed > 0 ? colors.red(`${count(r.newlyFailed)} newly failed`) : "0 newly failed"}, ` +
          `${count(r.frozen)} frozen, ${count(r.floodWaited)} flood-waited` +
          (r.durationMs !== null
            ? `, took ${formatDuration(r.durationMs)}`
            : colors.yellow(", still running")),
      );
    }
    ctx.out(`  ${label("next")}${at(s.next.healthCheck)}`);
    ctx.out();
    ctx.out(colors.bold("Cleanup"));
    const c = s.lastCleanup;
    if (!c) ctx.out(`  ${label("last")}none recorded yet`);
    else {
      ctx.out(`  ${label("last")}${at(c.startedAt)} by ${c.actor}`);
      ctx.out(
        `  ${label("result")}${count(c.deleted)} deleted (in error over ${c.olderThanDays} days), ${count(c.kept)} kept`,
      );
    }
    ctx.out(`  ${label("next")}${at(s.next.cleanup)}`);
    ctx.out();
    ctx.out(colors.bold("AWS"));
    for (const line of stackHealthLines(s.stack, colors)) ctx.out(line);
    ctx.out();
    ctx.out(colors.dim(`Next runs from ${s.next.basis}.`));
    return 0;
  },
};
