/**
 * `sessions remove-errors`: the runbook's "remove every session in status error". Counts first, asks, then
 * deletes each one on its own conditional write (still `error`, still last updated before the cut-off), so a
 * session logged in again meanwhile survives, and an interrupted run loses nothing: run it again to continue.
 */
import type { Phone, SessionRepository } from "../../sessions";
import { CliError, EXIT, UsageError, type Command } from "../command";
import { plural } from "../format";
import { createProgress } from "../progress";
import { confirm } from "../prompt";

/** Deletes in flight at once: quick against AWS's latency, gentle on DynamoDB Local. */
const PARALLEL = 8;
const PREVIEW = 10;

async function errorPhonesBefore(repo: SessionRepository, cutoff: Date): Promise<Phone[]> {
  const phones: Phone[] = [];
  let cursor: string | undefined;
  do {
    const page = await repo.listErrorsUpdatedBefore(cutoff, { limit: 100, ...(cursor ? { cursor } : {}) });
    phones.push(...page.items.map((s) => s.phone));
    cursor = page.cursor;
  } while (cursor);
  return phones;
}

function parseDays(raw: string | boolean | undefined): number | undefined {
  if (raw === undefined || typeof raw === "boolean") return undefined;
  if (!/^\d{1,5}$/.test(raw.trim()))
    throw new UsageError(`--older-than-days must be a whole number of days, such as 30 (got "${raw}").`);
  return Number(raw.trim());
}

export const command: Command = {
  name: "remove-errors",
  description: [
    "Counts the sessions in status error (only those unchanged for N days with --older-than-days), shows them,",
    "asks, then deletes each. A session that is logged in again or changes while this runs is kept.",
    "Each delete stands alone: if the run is interrupted, what was deleted stays deleted; run it again to continue.",
  ].join("\n"),
  options: {
    "older-than-days": { type: "string", value: "N", help: "only sessions in error not updated for N days" },
    yes: { type: "boolean", short: "y", help: "delete without asking (for scripts)" },
  },
  examples: ["sessions remove-errors", "sessions remove-errors --older-than-days 30 --yes"],
  async run(ctx, args) {
    const days = parseDays(args.values["older-than-days"]);
    const cutoff = new Date(Date.now() - (days ?? 0) * 86_400_000);
    const which = `in error${days !== undefined ? ` (older than ${plural(days, "day")})` : ""}`;
    // Ctrl-C before the deletes start stops at once (nothing was changed); during them it lets the deletes in
    // flight finish and starts no more; a second Ctrl-C stops at once.
    let phase: "preparing" | "deleting" = "preparing";
    let stopping = false;
    const onInterrupt = () => {
      if (phase === "preparing") {
        ctx.err("\nInterrupted: nothing was deleted.");
        process.exit(EXIT.interrupted);
      }
      if (stopping) {
        ctx.err("\nStopped at once. Run the command again to finish; it continues where this stopped.");
        process.exit(EXIT.interrupted);
      }
      stopping = true;
    };
    process.on("SIGINT", onInterrupt);
    try {
      return await removeErrors();
    } finally {
      process.removeListener("SIGINT", onInterrupt);
    }

    async function removeErrors(): Promise<number> {
      const { sessions, audit } = await ctx.store();

      const phones = await errorPhonesBefore(sessions, cutoff);
      if (phones.length === 0) {
        ctx.out(`No sessions ${which}. Nothing to delete.`);
        return EXIT.ok;
      }
      const preview =
        phones.slice(0, PREVIEW).join(", ") +
        (phones.length > PREVIEW ? `, and ${phones.length - PREVIEW} more` : "");
      ctx.out(`This will delete ${plural(phones.length, "session")} ${which}: ${preview}.`);
      const yes = await confirm(`Delete ${plural(phones.length, "session")}?`, {
        yes: args.values.yes === true,
        interactive: ctx.interactive,
        input: ctx.term.stdin,
        output: ctx.term.stderr,
        action: `delete ${plural(phones.length, "session")}`,
      });
      if (!yes) throw new CliError("Nothing deleted: you did not confirm.");

      phase = "deleting";
      const progress = createProgress({ total: phones.length, label: "Deleting", stream: ctx.term.stderr });
      const kept: Phone[] = [];
      let deleted = 0;
      let failure: unknown;
      let next = 0;
      const worker = async () => {
        while (!stopping && failure === undefined && next < phones.length) {
          const phone = phones[next++]!;
          try {
            if (await sessions.deleteIfOldError(phone, cutoff)) {
              deleted++;
              await audit.record({
                action: "session.deleted",
                actor: ctx.actor,
                phone,
                detail: "remove-errors",
              });
            } else {
              kept.push(phone);
            }
          } catch (err) {
            failure ??= err;
          }
          progress.tick();
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(PARALLEL, phones.length) }, worker));
      } finally {
        progress.stop();
      }

      ctx.out(`Deleted ${plural(deleted, "session")} ${which}.`);
      if (kept.length)
        ctx.out(
          `Kept ${plural(kept.length, "session")} that changed meanwhile (logged in again or touched): ${kept.join(", ")}.`,
        );
      const left = phones.length - deleted - kept.length;
      if (failure !== undefined) {
        ctx.err(
          `Stopped by an error after ${deleted} of ${phones.length}; ${left} not tried. Run the command again to continue.`,
        );
        throw failure;
      }
      if (stopping) {
        ctx.err(
          `Interrupted: ${left} not tried. What was deleted stays deleted; run the command again to continue.`,
        );
        return EXIT.interrupted;
      }
      return EXIT.ok;
    }
  },
};
