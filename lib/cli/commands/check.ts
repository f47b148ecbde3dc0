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
import { runIdFor } from "../../jobs/messages";
import type { HealthCheckRuns, RunRecord } from "../../jobs/runs";
import { CliError, EXIT, UsageError, type Command } from "../command";
import { dispatcherName, lambdaDispatcher, type DispatcherPort } from "../deployed";
import { RUN_JSON_SHAPE, runJson } from "./history";
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

/**
 * The bar on stderr (checked/total), moved to each `done` it is told. In a pipe or a log there is no bar: a line at
 * every tenth of the run instead, and at the end.
 */
function progressReporter(ctx: CliContext): (p: Pick<CheckProgress, "done" | "total">) => void {
  let bar: ReturnType<typeof createProgress> | undefined;
  let step = 1;
  let lastLine = 0;
  return (p) => {
    if (ctx.term.stderr.isTTY) {
      bar ??= createProgress({ total: p.total, label: "Checking", stream: ctx.term.stderr });
      if (p.done > bar.done) bar.tick(p.done - bar.done);
      if (p.done >= p.total) bar.stop();
      return;
    }
    step = Math.max(1, Math.ceil(p.total / 10));
    if (p.done > lastLine && (p.done >= p.total || p.done - lastLine >= step)) {
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

/** How often the run record is read while the deployed run goes on. */
const POLL_MS = 1_000;
/** The dispatcher opens its run within seconds of the start; longer than this, something is wrong. */
const OPEN_WITHIN_MS = 90_000;
/** No session counted for this long: stop following (the run may go on, or be stuck). */
const STALL_MS = 15 * 60_000;

export interface FollowOptions {
  readonly pollMs?: number;
  readonly openWithinMs?: number;
  readonly stallMs?: number;
}

/**
 * `check --all --deployed`: starts the deployed dispatcher for a run of our own id and follows that run's record
 * (lib/jobs/runs.ts) in the bot-state table until it has finished, with the bar on stderr. GramJS is never loaded:
 * the checks run in AWS. Ctrl-C stops following only; the run goes on.
 */
export async function checkDeployed(
  ctx: CliContext,
  dispatcher: DispatcherPort,
  runs: HealthCheckRuns,
  json: boolean,
  options: FollowOptions = {},
): Promise<number> {
  const pollMs = options.pollMs ?? POLL_MS;
  const runId = runIdFor(undefined, new Date());
  await dispatcher.invokeDispatcher(runId);
  ctx.err(`Started the deployed health check (${dispatcher.functionName}, run ${runId}).`);
  let stopping = false;
  const onInterrupt = () => {
    if (stopping) process.exit(EXIT.interrupted);
    stopping = true;
  };
  process.on("SIGINT", onInterrupt);
  const report = progressReporter(ctx);
  const started = Date.now();
  let lastChange = Date.now();
  let lastProcessed = -1;
  let dispatched = false;
  try {
    for (;;) {
      const record = await runs.get(runId);
      if (stopping) {
        ctx.err(
          `\nStopped following run ${runId}; it goes on in AWS. \`sessions history\` shows it when it has finished.`,
        );
        return EXIT.interrupted;
      }
      if (!record) {
        if (Date.now() - started > (options.openWithinMs ?? OPEN_WITHIN_MS))
          throw new CliError(
            `The dispatcher did not open run ${runId} within ${formatDuration(options.openWithinMs ?? OPEN_WITHIN_MS)}. ` +
              `Read its logs (CloudWatch log group /aws/lambda/${dispatcher.functionName}); its dead-letter queue ` +
              "(`sessions status`) holds a start that failed.",
          );
      } else {
        if (record.dispatchComplete && !dispatched) {
          dispatched = true;
          ctx.err(`Queued ${plural(record.queued, "session")} for a check; the workers check them in AWS.`);
        }
        if (dispatched && record.queued > 0)
          report({ done: Math.min(record.processed, record.queued), total: record.queued });
        if (record.finishedAt) return deployedResult(ctx, runs, record, json);
        if (record.processed !== lastProcessed) {
          lastProcessed = record.processed;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > (options.stallMs ?? STALL_MS))
          throw new CliError(
            `Run ${runId} has counted no session for ${formatDuration(options.stallMs ?? STALL_MS)} ` +
              `(${count(record.processed)} of ${count(record.queued)} done). It may still end (the next dispatch ` +
              "closes it as unfinished); read the worker's logs and the health-check dead-letter queue " +
              "(`sessions status`).",
          );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}

export const DEPLOYED_JSON_SHAPE = [
  "  --all --deployed: the run, as in `sessions history --json`, with the sessions it noted:",
  ...RUN_JSON_SHAPE.map((l) => `    ${l}`),
  '    + "sessions": { "newlyFailed": [ { "phone", "code", "reason" } ], "gaveUp": […], "newlyFrozen": […] }',
];

async function deployedResult(
  ctx: CliContext,
  runs: HealthCheckRuns,
  record: RunRecord,
  json: boolean,
): Promise<number> {
  const notes = await runs.notes(record.runId);
  const run = runJson(record);
  const failed = run.newlyFailed > 0 || run.gaveUp > 0 || notes.frozen.length > 0;
  if (json) {
    ctx.out(
      JSON.stringify(
        {
          ...run,
          sessions: { newlyFailed: notes.failed, gaveUp: notes.gaveUp, newlyFrozen: notes.frozen },
        },
        null,
        2,
      ),
    );
    return failed ? EXIT.failed : EXIT.ok;
  }
  if (record.queued === 0) {
    ctx.out("No active session was due for a check. Nothing to do.");
    return EXIT.ok;
  }
  const { red, bold } = ctx.colors;
  ctx.out(
    bold(
      `Checked ${count(run.checked)} of ${plural(run.queued, "due session")} in AWS in ` +
        `${formatDuration(run.durationMs ?? 0)}: ${count(run.healthy)} healthy, ${count(run.newlyFailed)} failed, ` +
        `${count(run.floodWaited)} flood wait, ${count(run.transient)} not reachable, ${count(run.frozen)} frozen, ` +
        `${count(run.skipped)} skipped${run.gaveUp ? `, ${count(run.gaveUp)} could not be checked` : ""}.`,
    ),
  );
  if (record.notQueuedFloodWait + record.notQueuedLeased > 0)
    ctx.out(
      `Not checked: ${count(record.notQueuedFloodWait)} still in a flood wait, ${count(record.notQueuedLeased)} in use by another job.`,
    );
  const list = (title: string, notes: readonly { phone: string; reason: string }[]) => {
    if (!notes.length) return;
    ctx.out();
    ctx.out(red(title));
    for (const n of notes) ctx.out(`  ${n.phone}  ${n.reason}`);
  };
  list("Newly failed (now in error and paused; log them in again):", notes.failed);
  list("Newly frozen by Telegram (the owner must appeal; the session itself still works):", notes.frozen);
  list("Could not be checked (read the worker's logs):", notes.gaveUp);
  if (run.fleet) {
    const f = run.fleet;
    ctx.out();
    ctx.out(
      `Fleet now: ${count(f.active)} active, ${count(f.paused)} paused, ${count(f.error)} error, ${count(f.deleted)} deleted.`,
    );
  }
  ctx.out(`The admins ${record.notified ? "were sent" : "were not sent"} the run's summary.`);
  return failed ? EXIT.failed : EXIT.ok;
}

export const command: Command = {
  name: "check",
  description: [
    "Checks a session with Telegram now (getMe through it), as the daily health check does: a dead session",
    "(AUTH_KEY_UNREGISTERED and the rest of the 401 family, a deactivated account) is moved to status error and",
    "paused. A flood wait or an unreachable Telegram is not a failure. With --all, every active session is checked,",
    "with progress on the way and a summary at the end. Needs API_ID and API_HASH (my.telegram.org).",
    "With --all --deployed, nothing is checked on this machine: the deployed health check is started in AWS (its",
    "dispatcher function, named in the stack outputs) and its run is followed here to the end, with the same bar",
    "and a summary; the admins get the run's summary in the AdminBot as after a scheduled run. Needs the operator",
    "role (lambda:InvokeFunction on that function). Ctrl-C stops following; the run goes on.",
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
    deployed: {
      type: "boolean",
      help: "with --all: start the deployed health check in AWS and follow it here (nothing is checked on this machine)",
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
    ...DEPLOYED_JSON_SHAPE,
  ].join("\n"),
  examples: [
    "sessions check +998901234567",
    "sessions check --all",
    "sessions check --all --concurrency 5",
    "sessions check --all --deployed",
  ],
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
    if (args.values.deployed === true) {
      if (!all)
        throw new UsageError(
          "--deployed goes with --all: it starts the deployed run of every due session.",
          "Run `sessions check --all --deployed`, or `sessions check <phone>` to check one here.",
        );
      if (args.values.concurrency !== undefined)
        throw new UsageError(
          "--concurrency is for a run on this machine; the deployed run's is a setting of the stack (workerConcurrency).",
          "Run `sessions check --all --deployed` without it.",
        );
      const store = await ctx.store();
      if (store.config.target !== "aws")
        throw new UsageError(
          "--deployed needs a deployed stack: set SESSIONS_TABLE, BOT_STATE_TABLE and AWS_REGION from its outputs.",
          "Run `sessions check --all` to check the local stack here.",
        );
      const dispatcher = lambdaDispatcher(dispatcherName(ctx.env), store.config.region);
      return checkDeployed(ctx, dispatcher, store.runs, json);
    }
    if (all) return checkEverything(ctx, parseConcurrency(args.values.concurrency), json);
    return checkOne(ctx, normalizePhone(phoneArg!), json);
  },
};
