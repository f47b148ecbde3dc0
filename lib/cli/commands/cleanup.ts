/**
 * `sessions cleanup`: the weekly cleanup now (SEED.md "Auto-cleanup"), the same `runCleanup` the scheduled Lambda
 * runs: pending logouts at Telegram retried, then sessions in `error` whose last change is older than N days (30 by
 * default) logged out at Telegram and deleted, each on its own conditional write, so one logged in again meanwhile
 * is kept. `--dry-run` lists them and changes nothing; a real run says how many first and asks (unless `--yes`).
 */
import {
  DEFAULT_CLEANUP_AFTER_DAYS,
  runCleanup,
  type CleanupDeps,
  type CleanupResult,
} from "../../jobs/cleanup";
import { noMetrics } from "../../jobs/metrics";
import type { UserbotServices } from "../../telegram";
import { CliError, EXIT, UsageError, type Command } from "../command";
import type { CliContext } from "../context";
import { count, plural, relativeTime, truncate } from "../format";
import { confirm } from "../prompt";
import { cliLogger, loadUserbots } from "../userbots";

/**
 * What `runCleanup` needs, with the userbot layer loaded only when a key is really to be logged out: a dry run
 * (and the count before the question) needs no API credentials and never loads GramJS.
 */
export async function cleanupDeps(ctx: CliContext): Promise<CleanupDeps> {
  const store = await ctx.store();
  const { sessions, audit } = store;
  let loaded: Promise<UserbotServices> | undefined;
  const userbots = () => (loaded ??= loadUserbots(ctx)).then((u) => u.userbots);
  return {
    sessions,
    audit,
    userbots: {
      deleteSession: async (phone, options) => (await userbots()).deleteSession(phone, options),
      retryRevocation: async (phone, options) => (await userbots()).retryRevocation(phone, options),
      retryReplacedKey: async (key, options) => (await userbots()).retryReplacedKey(key, options),
    },
    logger: cliLogger(ctx.env),
    metrics: noMetrics,
    now: () => new Date(),
    cleanups: store.cleanups,
  };
}

/** How the pending logouts ended, in one line (or none when there were none). */
export function logoutsLine(result: CleanupResult): string | undefined {
  if (result.logouts.length === 0) return undefined;
  const by = (state: string) => result.logouts.filter((l) => l.state === state).length;
  const settled = by("logged-out") + by("already-dead");
  const previous = result.logouts.filter((l) => l.previousKey).length;
  const pending = result.logouts.filter((l) => l.state === "pending");
  const until = pending
    .map((l) => l.giveUpAt ?? "")
    .sort()
    .at(-1);
  return (
    `Pending logouts retried: ${count(result.logouts.length)}; ${count(settled)} confirmed and destroyed, ` +
    `${count(by("unconfirmed"))} given up (never confirmed; destroyed anyway, audited), ` +
    `${count(pending.length)} still pending${until ? ` (retried until ${until})` : ""}` +
    (previous
      ? `; ${count(previous)} of them the previous keys of sessions logged in again or imported over`
      : "") +
    "."
  );
}

function parseDays(raw: string | boolean | undefined): number {
  if (raw === undefined || typeof raw === "boolean") return DEFAULT_CLEANUP_AFTER_DAYS;
  const n = /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= 1))
    throw new UsageError(
      `--older-than-days must be a whole number of days, at least 1, such as 30 (got "${raw}").`,
      "Run `sessions cleanup --help`.",
    );
  return n;
}

function listLines(result: CleanupResult): string[] {
  return result.deleted
    .slice()
    .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    .map(
      (s) =>
        `  ${s.phone}  in error since ${s.updatedAt.slice(0, 10)} (${relativeTime(s.updatedAt)})` +
        (s.lastError ? `  ${truncate(s.lastError, 70)}` : ""),
    );
}

export const command: Command = {
  name: "cleanup",
  description: [
    "Runs the weekly cleanup now: retries the pending logouts at Telegram of deleted sessions (past their give-up",
    "date the key is destroyed anyway and audited as never confirmed), then logs out and deletes the sessions in",
    "status error that have not changed for N days (30 by default). --dry-run only lists them. Otherwise it says",
    "how many, asks, and does each on its own: a session logged in again meanwhile is kept. Deleted sessions leave",
    "a tombstone (status deleted).",
  ].join("\n"),
  options: {
    "dry-run": { type: "boolean", help: "list what would be deleted, delete nothing" },
    "older-than-days": {
      type: "string",
      value: "N",
      help: `error sessions not changed for N days (default ${DEFAULT_CLEANUP_AFTER_DAYS})`,
    },
    yes: { type: "boolean", short: "y", help: "delete without asking (for scripts)" },
    json: {
      type: "boolean",
      help: "print the result as JSON for scripts (shape below; the rest goes to stderr)",
    },
  },
  examples: [
    "sessions cleanup --dry-run",
    "sessions cleanup",
    "sessions cleanup --older-than-days 7 --yes",
    "sessions cleanup --dry-run --json | jq '.deleted[].phone'",
  ],
  notes: [
    "JSON shape (--json):",
    '  { "dryRun": false, "olderThanDays": 30, "cutoff": ISO,',
    '    "deleted": [ { "phone": "+…", "updatedAt": ISO, "lastError": "…", "revocation": "logged-out" |',
    '      "already-dead" | "not-confirmed", "retryUntil": ISO } ],',
    '    "kept": ["+phone"], "logouts": [ { "phone": "+…", "state": "logged-out" | "already-dead" | "unconfirmed" |',
    '      "pending", "giveUpAt": ISO } ], "fleet": { "active": 0, "paused": 0, "error": 0, "deleted": 0 } }',
    "  With --dry-run, deleted and logouts are what would be done (no revocation or state).",
  ].join("\n"),
  async run(ctx, args) {
    const json = args.values.json === true;
    // With --json, stdout carries only the result; what is said on the way goes to stderr.
    const say = (line: string) => (json ? ctx.err(line) : ctx.out(line));
    const result = (r: CleanupResult) =>
      ctx.out(
        JSON.stringify(
          {
            dryRun: r.dryRun,
            olderThanDays: days,
            cutoff: r.cutoff,
            deleted: r.deleted,
            kept: r.kept,
            logouts: r.logouts,
            fleet: r.fleet,
          },
          null,
          2,
        ),
      );
    const days = parseDays(args.values["older-than-days"]);
    const dryRun = args.values["dry-run"] === true;
    const deps = await cleanupDeps(ctx);
    const which = `in error and unchanged for more than ${plural(days, "day")}`;

    // Always a dry run first: the count (and the list) the operator confirms is what is about to be deleted.
    const preview = await runCleanup(deps, { olderThanDays: days, dryRun: true, actor: ctx.actor });
    const previousKeys = preview.logouts.filter((l) => l.previousKey).length;
    const deletedPending = preview.logouts.length - previousKeys;
    const pendingLine =
      preview.logouts.length > 0
        ? [
            ...(deletedPending > 0 ? [plural(deletedPending, "deleted session")] : []),
            ...(previousKeys > 0 ? [plural(previousKeys, "replaced key")] : []),
          ].join(" and ") + " with a pending logout at Telegram to retry."
        : undefined;
    if (preview.deleted.length === 0 && preview.logouts.length === 0) {
      if (json) result(preview);
      else ctx.out(`No sessions ${which}, and no pending logouts. Nothing to do.`);
      return EXIT.ok;
    }
    if (dryRun) {
      if (json) {
        result(preview);
        return EXIT.ok;
      }
      ctx.out(`Would delete ${plural(preview.deleted.length, "session")} ${which}:`);
      for (const line of listLines(preview)) ctx.out(line);
      if (pendingLine) ctx.out(`Would retry: ${pendingLine}`);
      ctx.out("Dry run: nothing was changed. Run without --dry-run to do it.");
      return EXIT.ok;
    }
    say(`This will log out at Telegram and delete ${plural(preview.deleted.length, "session")} ${which}:`);
    for (const line of listLines(preview)) say(line);
    if (pendingLine) say(`It also retries: ${pendingLine}`);
    const yes = await confirm(`Delete ${plural(preview.deleted.length, "session")}?`, {
      yes: args.values.yes === true,
      interactive: ctx.interactive,
      input: ctx.term.stdin,
      output: ctx.term.stderr,
      action: `delete ${plural(preview.deleted.length, "session")}`,
    });
    if (!yes) throw new CliError("Nothing deleted: you did not confirm.");

    ctx.err(`Logging out and deleting ${plural(preview.deleted.length, "session")}…`);
    const done = await runCleanup(deps, { olderThanDays: days, actor: ctx.actor });
    if (json) {
      result(done);
      return EXIT.ok;
    }
    const logouts = logoutsLine(done);
    if (logouts) ctx.out(logouts);
    const by = (o: string) => done.deleted.filter((d) => d.revocation === o).length;
    ctx.out(
      `Deleted ${plural(done.deleted.length, "session")} ${which}: ${count(by("logged-out"))} logged out at ` +
        `Telegram and destroyed, ${count(by("already-dead"))} already refused by Telegram and destroyed, ` +
        `${count(by("not-confirmed"))} with the logout pending.`,
    );
    if (by("not-confirmed") > 0)
      ctx.err(
        "Telegram could not be reached for some keys: they may still work there. Their logout is retried by " +
          "`sessions revoke-pending` and the weekly cleanup; only for that is their encrypted string kept.",
      );
    if (done.kept.length)
      ctx.out(
        `Kept ${plural(done.kept.length, "session")} that changed meanwhile (logged in again): ${done.kept.join(", ")}.`,
      );
    const f = done.fleet;
    ctx.out(
      `Fleet now: ${count(f.active)} active, ${count(f.paused)} paused, ${count(f.error)} error, ${count(f.deleted)} deleted.`,
    );
    return EXIT.ok;
  },
};
