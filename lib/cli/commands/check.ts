/**
 * `sessions check <phone>` and `sessions check --all`: the health check now, from the terminal (SEED.md "Health
 * checks"). The same userbot call as the scheduled run (getMe through the session, under its lease and a deadline),
 * recording the result the same way: a dead session is moved to `error` and paused. Nothing is sent to the admins:
 * the operator is watching.
 */
import { checkAll, type CheckProgress } from "../../jobs/check-all";
import { DEFAULT_CHECK_DEADLINE_MS } from "../../jobs/scale";
import type { HealthCheckSummary } from "../../jobs/summary";
import { normalizePhone, type Phone } from "../../sessions";
import type { CheckResult } from "../../telegram/contract";
import { EXIT, UsageError, type Command } from "../command";
import type { CliContext } from "../context";
import { accountLabel, count, plural, relativeTime } from "../format";
import { createProgress, formatDuration } from "../progress";
import { cliLogger, loadUserbots } from "../userbots";
import { PHONE_ARG } from "./show";
import { frozenNote } from "../../jobs/summary";

const MAX_CONCURRENCY = 50;
const DEFAULT_CONCURRENCY = 10;

function parseConcurrency(raw: string | boolean | undefined): number {
  if (raw === undefined || typeof raw === "boolean") return DEFAULT_CONCURRENCY;
  const n = /^\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= 1 && n <= MAX_CONCURRENCY))
    throw new UsageError(
      `--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (got "${raw}").`,
      "Run `sessions check --help`.",
    );
  return n;
}

/** One session's result in words, and whether it counts as a success (only a healthy session does). */
export function describeCheck(result: CheckResult, ctx: CliContext): { line: string; ok: boolean } {
  const { green, red, yellow } = ctx.colors;
  const phone = result.phone;
  switch (result.outcome) {
    case "healthy":
      return {
        line: `${green("OK")}  ${phone} is healthy: Telegram answered as ${accountLabel(result.account)} (id ${result.account.userId}).`,
        ok: true,
      };
    case "failed":
      return {
        line:
          `${red("FAILED")}  ${phone}: ${result.failure.message}. Now in status error and paused; ` +
          `log it in again (\`sessions add ${phone}\`, or the AdminBot's ➕ Add Session).`,
        ok: false,
      };
    case "flood-wait":
      return {
        line: `${yellow("WAIT")}  ${phone}: Telegram asked to wait (flood wait) until ${result.until} (${relativeTime(result.until)}). Not a failure; check again after that.`,
        ok: false,
      };
    case "transient":
      return {
        line:
          `${yellow("NOT CHECKED")}  ${phone}: ${result.failure.message} (${plural(result.failures, "failure")} in a row). ` +
          "Not marked as an error yet; try again later.",
        ok: false,
      };
    case "skipped":
      return { line: `${yellow("SKIPPED")}  ${phone}: ${skipReason(result.reason, phone)}`, ok: false };
    case "frozen":
      // The key works (getMe answered) but Telegram restricts the account: a person has to appeal; a new login
      // would not help, so it is neither an error nor healthy.
      return { line: `${red("FROZEN")}  ${phone}: ${frozenNote(phone, result.freeze).reason}.`, ok: false };
  }
}

function skipReason(reason: "not-active" | "leased" | "flood-wait" | "not-found", phone: Phone): string {
  switch (reason) {
    case "not-found":
      return `no session for this phone. \`sessions list\` shows the stored ones.`;
    case "not-active":
      return `only an active session is checked. \`sessions show ${phone}\` shows its status.`;
    case "leased":
      return "another job is using it right now (it holds its lease); try again in a minute.";
    case "flood-wait":
      return "Telegram's flood wait has not ended yet; `sessions show` says until when.";
  }
}

async function checkOne(ctx: CliContext, phone: Phone, json: boolean): Promise<number> {
  const userbots = await loadUserbots(ctx);
  const result = await userbots.userbots.checkSession(phone, {
    deadlineMs: DEFAULT_CHECK_DEADLINE_MS,
    actor: ctx.actor,
  });
  const { line, ok } = describeCheck(result, ctx);
  if (json) ctx.out(JSON.stringify({ ...result, ok }, null, 2));
  else ctx.out(line);
  return ok ? EXIT.ok : EXIT.failed;
}

/** In a pipe or a log there is no bar: a line at every tenth of the run instead, and at the end. */
function progressReporter(ctx: CliContext): (p: CheckProgress) => void {
  let bar: ReturnType<typeof createProgress> | undefined;
  let step = 1;
  let lastLine = 0;
  return (p) => {
    if (ctx.term.stderr.isTTY) {
      bar ??= createProgress({ total: p.total, label: "Checking", stream: ctx.term.stderr });
      bar.tick();
      if (p.done === p.total) bar.stop();
      return;
    }
    step = Math.max(1, Math.ceil(p.total / 10));
    if (p.done === p.total || p.done - lastLine >= step) {
      lastLine = p.done;
      ctx.err(`Checked ${count(p.done)}/${count(p.total)}`);
    }
  };
}

export function summaryLines(summary: HealthCheckSummary, ctx: CliContext): string[] {
  const { counts } = summary;
  const { red, bold } = ctx.colors;
  const took = formatDuration(Date.parse(summary.finishedAt) - Date.parse(summary.startedAt));
  const lines = [
    bold(
      `Checked ${count(counts.checked)} of ${plural(summary.queued, "due session")} in ${took}: ` +
        `${count(counts.healthy)} healthy, ${count(counts.failed)} failed, ${count(counts.floodWaited)} flood wait, ` +
        `${count(counts.transient)} not reachable, ${count(counts.frozen)} frozen, ${count(counts.skipped)} skipped.`,
    ),
  ];
  const notQueued = summary.notQueued.floodWait + summary.notQueued.leased;
  if (notQueued > 0)
    lines.push(
      `Not checked: ${count(summary.notQueued.floodWait)} still in a flood wait, ${count(summary.notQueued.leased)} in use by another job.`,
    );
  if (summary.newlyFailed.length) {
    lines.push("", red(`Newly failed (now in error and paused; log them in again):`));
    for (const s of summary.newlyFailed) lines.push(`  ${s.phone}  ${s.reason}`);
  }
  if (summary.newlyFrozen?.length) {
    lines.push("", red(`Newly frozen by Telegram (the owner must appeal; the session itself still works):`));
    for (const s of summary.newlyFrozen) lines.push(`  ${s.phone}  ${s.reason}`);
  }
  if (summary.notChecked.length) {
    lines.push("", `Could not be checked (see DEBUG=1 for details):`);
    for (const s of summary.notChecked) lines.push(`  ${s.phone}  ${s.reason}`);
  }
  const f = summary.fleet;
  lines.push(
    "",
    `Fleet now: ${count(f.active)} active, ${count(f.paused)} paused, ${count(f.error)} error, ${count(f.deleted)} deleted.`,
  );
  return lines;
}

async function checkEverything(ctx: CliContext, concurrency: number, json: boolean): Promise<number> {
  const userbots = await loadUserbots(ctx);
  const store = await ctx.store();
  const summary = await checkAll(
    {
      sessions: store.sessions,
      userbots: userbots.userbots,
      logger: cliLogger(ctx.env),
      now: () => new Date(),
      runs: store.runs,
    },
    { concurrency, actor: ctx.actor, onProgress: progressReporter(ctx) },
  );
  if (json) ctx.out(JSON.stringify(summary, null, 2));
  else if (summary.queued === 0) {
    ctx.out("No active session is due for a check. Nothing to do.");
    return EXIT.ok;
  } else for (const line of summaryLines(summary, ctx)) ctx.out(line);
  return summary.counts.failed > 0 || summary.counts.gaveUp > 0 || (summary.newlyFrozen?.length ?? 0) > 0
    ? EXIT.failed
    : EXIT.ok;
}

export const command: Command = {
  name: "check",
  description: [
    "Checks a session with Telegram now (getMe through it), as the daily health check does: a dead session",
    "(AUTH_KEY_UNREGISTERED and the rest of the 401 family, a deactivated account) is moved to status error and",
    "paused. A flood wait or an unreachable Telegram is not a failure. With --all, every active session is checked,",
    "with progress on the way and a summary at the end. Needs API_ID and API_HASH (my.telegram.org).",
    "Exit code 0 only when every session checked is healthy.",
  ].join("\n"),
  positionals: [{ ...PHONE_ARG, optional: true }],
  options: {
    all: { type: "boolean", help: "check every active session" },
    concurrency: {
      type: "string",
      value: "N",
      help: `with --all: checks at once, 1 to ${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})`,
    },
    json: { type: "boolean", help: "print the result as JSON for scripts (shape below; progress on stderr)" },
  },
  notes: [
    "JSON shape (--json):",
    '  one session: { "phone": "+…", "outcome": "healthy" | "failed" | "flood-wait" | "transient" | "skipped" |',
    '    "frozen", "ok": true, and per outcome "account" | "failure" | "until" | "reason" | "freeze" }',
    '  --all: the run summary { "runId", "startedAt", "finishedAt", "queued", "counts": { "checked", "healthy",',
    '    "failed", "floodWaited", "transient", "frozen", "skipped", … }, "newlyFailed": [ { "phone", "reason" } ],',
    '    "notChecked": […], "fleet": { "active", "paused", "error", "deleted" }, … }',
  ].join("\n"),
  examples: ["sessions check +998901234567", "sessions check --all", "sessions check --all --concurrency 5"],
  async run(ctx, args) {
    const all = args.values.all === true;
    const phoneArg = args.positionals[0];
    if (all && phoneArg !== undefined)
      throw new UsageError("Give either a phone or --all, not both.", "Run `sessions check --help`.");
    if (!all && phoneArg === undefined)
      throw new UsageError(
        "Missing <phone>: the session to check, or --all for every active one.",
        "Run `sessions check --help`.",
      );
    if (!all && args.values.concurrency !== undefined)
      throw new UsageError("--concurrency goes with --all.", "Run `sessions check --help`.");
    const json = args.values.json === true;
    if (all) return checkEverything(ctx, parseConcurrency(args.values.concurrency), json);
    return checkOne(ctx, normalizePhone(phoneArg!), json);
  },
};
