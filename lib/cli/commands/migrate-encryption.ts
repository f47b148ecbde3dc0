/**
 * `sessions migrate-encryption`: seals every stored session string and proxy credential of the old ciphertext
 * format (`skenc1`, the phone's unsalted hash in the KMS context) again in the current one (`skenc2`, a keyed hash),
 * row by row on writes conditioned on the old ciphertext (lib/sessions/encryption-migration.ts). Nothing is lost:
 * an interrupted or failed run leaves each row as it was or migrated, and running it again does only what is left.
 */
import {
  migrateEncryption,
  MigrationStoppedError,
  type MigrationReport,
} from "../../sessions/encryption-migration";
import { EXIT, type Command } from "../command";
import type { CliContext } from "../context";
import { count, plural } from "../format";
import { createProgress, type Progress } from "../progress";

const LISTED = 10;

function reportJson(report: MigrationReport) {
  return {
    dryRun: report.dryRun,
    examined: report.examined,
    replacedKeys: report.replacedKeys,
    migrated: report.migrated,
    alreadyNew: report.alreadyNew,
    withoutSecret: report.withoutSecret,
    changedMeanwhile: report.changedMeanwhile,
    skipped: report.skipped,
    failed: report.failed,
    complete: !report.stopped && report.skipped.length === 0 && report.failed.length === 0,
  };
}

function printReport(ctx: CliContext, report: MigrationReport): void {
  const listed = (phones: readonly string[]) =>
    phones.slice(0, LISTED).join(", ") +
    (phones.length > LISTED ? `, and ${phones.length - LISTED} more` : "");
  ctx.out(
    `${report.dryRun ? "Would migrate" : "Migrated"} ${plural(report.migrated, "session")} to the current format; ` +
      `${count(report.alreadyNew)} already in it, ${count(report.withoutSecret)} with nothing sealed (settled ` +
      `tombstones); ${count(report.examined)} looked at.`,
  );
  if (report.replacedKeys > 0)
    ctx.out(
      `${plural(report.replacedKeys, "of them was a replaced key", "of them were replaced keys")} (the old key of ` +
        "a session logged in again or imported over, kept until its logout at Telegram).",
    );
  if (report.changedMeanwhile > 0)
    ctx.out(
      `${plural(report.changedMeanwhile, "session")} changed while this ran (logged in again, deleted, a new ` +
        "proxy): read again and retried.",
    );
  if (report.skipped.length > 0)
    ctx.err(
      `Skipped ${plural(report.skipped.length, "session")} still changing after every retry, left as they were: ` +
        `${listed(report.skipped)}. Run the command again to finish them.`,
    );
  if (report.failed.length > 0) {
    ctx.err(`Failed: ${plural(report.failed.length, "session")}, left as they were:`);
    for (const f of report.failed.slice(0, LISTED)) ctx.err(`  ${f.phone}: ${f.reason}`);
    if (report.failed.length > LISTED)
      ctx.err(`  and ${report.failed.length - LISTED} more (--json lists all).`);
  }
  if (report.dryRun) ctx.out("Dry run: nothing was changed. Run without --dry-run to migrate.");
}

export const command: Command = {
  name: "migrate-encryption",
  description: [
    "Seals every stored session string and proxy credential written in the old ciphertext format (skenc1: the",
    "phone's unsalted hash in the KMS encryption context, readable in CloudTrail) again in the current one (skenc2:",
    "a keyed hash under the context key). Walks every status through the status index, the tombstones whose",
    "logout at Telegram is pending included, then the replaced keys whose logout is pending (the old key of a",
    "session logged in again or imported over, kept up to the give-up days). Each row is written only if its ciphertext is still the one read: a",
    "session logged in again or deleted meanwhile is read again and retried, never overwritten. The secret itself",
    "does not change, and neither does the row's version or last change.",
    "Resumable: an interrupted or failed run leaves every row as it was or migrated; run it again to do what is left",
    "(a finished fleet reports 0 migrated). Half-finished logins and keypad digits are not touched: they expire",
    "within minutes and every new one is sealed in the current format.",
    "Deployed: run as the operator role, with KMS_KEY_ID and CONTEXT_KEY_SECRET_ARN set (the stack outputs",
    "SessionKeyArn and ContextKeySecretArn).",
  ].join("\n"),
  options: {
    "dry-run": {
      type: "boolean",
      help: "open what would be migrated (finds rows that do not open), write nothing",
    },
    json: { type: "boolean", help: "print the counts as JSON for scripts (shape below)" },
  },
  examples: [
    "sessions migrate-encryption --dry-run",
    "sessions migrate-encryption",
    "sessions migrate-encryption --json | jq .complete",
  ],
  notes: [
    "JSON shape (--json):",
    '  { "dryRun": false, "examined": 0, "replacedKeys": 0, "migrated": 0, "alreadyNew": 0, "withoutSecret": 0,',
    '    "changedMeanwhile": 0, "skipped": ["+phone"], "failed": [{ "phone": "+…", "reason": "…" }],',
    '    "complete": true }',
    "  replacedKeys: of examined, replaced keys' items (counted in the others too).",
    "  migrated: rows sealed anew (with --dry-run: rows that would be); complete: nothing skipped, failed or",
    "  interrupted (exit 0 only then).",
  ].join("\n"),
  async run(ctx, args) {
    const dryRun = args.values["dry-run"] === true;
    const json = args.values.json === true;
    const { sessions } = await ctx.store();

    // Ctrl-C lets the rows in flight finish and starts no more (each row is either as it was or migrated); a second
    // one stops at once, which loses nothing either: a write in flight lands whole or not at all.
    let stopping = false;
    const onInterrupt = () => {
      if (stopping) {
        ctx.err("\nStopped at once. Run the command again to finish; it continues where this stopped.");
        process.exit(EXIT.interrupted);
      }
      stopping = true;
    };
    process.on("SIGINT", onInterrupt);
    let progress: Progress | undefined;
    let report: MigrationReport;
    let failure: unknown;
    try {
      report = await migrateEncryption(sessions, {
        dryRun,
        stopping: () => stopping,
        onTotal: (total) => {
          progress = createProgress({
            total,
            label: dryRun ? "Checking" : "Migrating",
            stream: ctx.term.stderr,
          });
        },
        onRow: () => progress?.tick(),
      });
    } catch (err) {
      if (!(err instanceof MigrationStoppedError)) throw err;
      report = err.report;
      failure = err.cause;
    } finally {
      progress?.stop();
      process.removeListener("SIGINT", onInterrupt);
    }

    if (json) ctx.out(JSON.stringify(reportJson(report), null, 2));
    else printReport(ctx, report);
    if (failure !== undefined) {
      ctx.err(
        `Stopped by an error after looking at ${plural(report.examined, "session")}. Every row is as it was or ` +
          "migrated; run the command again to continue.",
      );
      throw failure;
    }
    if (report.stopped) {
      ctx.err("Interrupted. Every row is as it was or migrated; run the command again to continue.");
      return EXIT.interrupted;
    }
    return report.skipped.length > 0 || report.failed.length > 0 ? EXIT.failed : EXIT.ok;
  },
};
