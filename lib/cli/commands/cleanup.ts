/**
 * `sessions cleanup`: the weekly cleanup now (SEED.md "Auto-cleanup"), the same `runCleanup` the scheduled Lambda
 * runs: sessions in `error` whose last change is older than N days (30 by default) are deleted, each on its own
 * conditional write, so one logged in again meanwhile is kept. `--dry-run` lists them and deletes nothing; a real
 * run says how many first and asks (unless `--yes`).
 */
import { DEFAULT_CLEANUP_AFTER_DAYS, runCleanup, type CleanupResult } from "../../jobs/cleanup";
import { noMetrics } from "../../jobs/metrics";
import { CliError, EXIT, UsageError, type Command } from "../command";
import { count, plural, relativeTime, truncate } from "../format";
import { confirm } from "../prompt";
import { cleanupRecords } from "../records";
import { cliLogger } from "../userbots";

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
    "Deletes the sessions in status error that have not changed for N days (30 by default), as the weekly",
    "scheduled cleanup does. --dry-run only lists them. Otherwise it says how many, asks, and deletes each on its",
    "own: a session logged in again meanwhile is kept. Deleted sessions leave a tombstone (status deleted).",
  ].join("\n"),
  options: {
    "dry-run": { type: "boolean", help: "list what would be deleted, delete nothing" },
    "older-than-days": {
      type: "string",
      value: "N",
      help: `error sessions not changed for N days (default ${DEFAULT_CLEANUP_AFTER_DAYS})`,
    },
    yes: { type: "boolean", short: "y", help: "delete without asking (for scripts)" },
  },
  examples: ["sessions cleanup --dry-run", "sessions cleanup", "sessions cleanup --older-than-days 7 --yes"],
  async run(ctx, args) {
    const days = parseDays(args.values["older-than-days"]);
    const dryRun = args.values["dry-run"] === true;
    const store = await ctx.store();
    const deps = {
      sessions: store.sessions,
      audit: store.audit,
      logger: cliLogger(ctx.env),
      metrics: noMetrics,
      now: () => new Date(),
      cleanups: cleanupRecords(store),
    };
    const which = `in error and unchanged for more than ${plural(days, "day")}`;

    // Always a dry run first: the count (and the list) the operator confirms is what is about to be deleted.
    const preview = await runCleanup(deps, { olderThanDays: days, dryRun: true, actor: ctx.actor });
    if (preview.deleted.length === 0) {
      ctx.out(`No sessions ${which}. Nothing to delete.`);
      return EXIT.ok;
    }
    if (dryRun) {
      ctx.out(`Would delete ${plural(preview.deleted.length, "session")} ${which}:`);
      for (const line of listLines(preview)) ctx.out(line);
      ctx.out("Dry run: nothing was deleted. Run without --dry-run to delete them.");
      return EXIT.ok;
    }
    ctx.out(`This will delete ${plural(preview.deleted.length, "session")} ${which}:`);
    for (const line of listLines(preview)) ctx.out(line);
    const yes = await confirm(`Delete ${plural(preview.deleted.length, "session")}?`, {
      yes: args.values.yes === true,
      interactive: ctx.interactive,
      input: ctx.term.stdin,
      output: ctx.term.stderr,
      action: `delete ${plural(preview.deleted.length, "session")}`,
    });
    if (!yes) throw new CliError("Nothing deleted: you did not confirm.");

    ctx.err(`Deleting ${plural(preview.deleted.length, "session")}…`);
    const result = await runCleanup(deps, { olderThanDays: days, actor: ctx.actor });
    ctx.out(`Deleted ${plural(result.deleted.length, "session")} ${which}.`);
    if (result.kept.length)
      ctx.out(
        `Kept ${plural(result.kept.length, "session")} that changed meanwhile (logged in again): ${result.kept.join(", ")}.`,
      );
    const f = result.fleet;
    ctx.out(
      `Fleet now: ${count(f.active)} active, ${count(f.paused)} paused, ${count(f.error)} error, ${count(f.deleted)} deleted.`,
    );
    return EXIT.ok;
  },
};
