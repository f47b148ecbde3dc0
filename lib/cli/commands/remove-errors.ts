/**
 * `sessions remove-errors`: the runbook's "remove every session in status error". Counts first, asks, then
 * deletes each one under its lease, its key logged out at Telegram first (an error session's key is usually dead
 * already: that is counted, not retried), on its own conditional write (still `error`, still last updated before the
 * cut-off), so a session logged in again meanwhile survives, and an interrupted run loses nothing: run it again.
 */
import { LeaseHeldError, StaleVersionError, type Phone, type SessionRepository } from "../../sessions";
import { DEFAULT_CHECK_DEADLINE_MS } from "../../jobs/scale";
import { loadUserbots } from "../userbots";
import { CliError, EXIT, UsageError, type Command } from "../command";
import { count, plural } from "../format";
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
    "asks, then logs each one's key out at Telegram and deletes it (a key Telegram cannot be asked about now is",
    "kept encrypted only to retry the logout: `sessions revoke-pending`). A session that is logged in again or",
    "changes while this runs is kept.",
    "Each delete stands alone: if the run is interrupted, what was deleted stays deleted; run it again to continue.",
  ].join("\n"),
  options: {
    "older-than-days": { type: "string", value: "N", help: "only sessions in error not updated for N days" },
    yes: { type: "boolean", short: "y", help: "delete without asking (for scripts)" },
    json: {
      type: "boolean",
      help: "print the result as JSON for scripts (shape below; the rest goes to stderr)",
    },
  },
  examples: [
    "sessions remove-errors",
    "sessions remove-errors --older-than-days 30 --yes",
    "sessions remove-errors --yes --json | jq .deleted",
  ],
  notes: [
    "JSON shape (--json):",
    '  { "found": 0, "deleted": 0, "loggedOut": 0, "alreadyDead": 0, "logoutPending": 0,',
    '    "logoutRetriedUntil": ISO | null, "kept": ["+phone"], "notTried": 0 }',
    "  deleted = loggedOut + alreadyDead + logoutPending; kept: changed meanwhile, left as they are.",
  ].join("\n"),
  async run(ctx, args) {
    const json = args.values.json === true;
    // With --json, stdout carries only the result; what is said on the way goes to stderr.
    const say = (line: string) => (json ? ctx.err(line) : ctx.out(line));
    const result = (r: {
      found: number;
      deleted: number;
      ended: Record<"logged-out" | "already-dead" | "not-confirmed", number>;
      retryUntil?: string | undefined;
      kept: readonly string[];
      notTried: number;
    }) =>
      ctx.out(
        JSON.stringify(
          {
            found: r.found,
            deleted: r.deleted,
            loggedOut: r.ended["logged-out"],
            alreadyDead: r.ended["already-dead"],
            logoutPending: r.ended["not-confirmed"],
            logoutRetriedUntil: r.retryUntil ?? null,
            kept: r.kept,
            notTried: r.notTried,
          },
          null,
          2,
        ),
      );
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
      const { sessions } = await ctx.store();

      const phones = await errorPhonesBefore(sessions, cutoff);
      if (phones.length === 0) {
        if (json)
          result({
            found: 0,
            deleted: 0,
            ended: { "logged-out": 0, "already-dead": 0, "not-confirmed": 0 },
            kept: [],
            notTried: 0,
          });
        else ctx.out(`No sessions ${which}. Nothing to delete.`);
        return EXIT.ok;
      }
      const preview =
        phones.slice(0, PREVIEW).join(", ") +
        (phones.length > PREVIEW ? `, and ${phones.length - PREVIEW} more` : "");
      say(`This will delete ${plural(phones.length, "session")} ${which}: ${preview}.`);
      const yes = await confirm(`Delete ${plural(phones.length, "session")}?`, {
        yes: args.values.yes === true,
        interactive: ctx.interactive,
        input: ctx.term.stdin,
        output: ctx.term.stderr,
        action: `delete ${plural(phones.length, "session")}`,
      });
      if (!yes) throw new CliError("Nothing deleted: you did not confirm.");
      // A missing API_ID/API_HASH stops here, before anything is touched.
      const { userbots } = await loadUserbots(ctx);

      phase = "deleting";
      const progress = createProgress({ total: phones.length, label: "Deleting", stream: ctx.term.stderr });
      const kept: Phone[] = [];
      const ended = { "logged-out": 0, "already-dead": 0, "not-confirmed": 0 };
      let retryUntil: string | undefined;
      let deleted = 0;
      let failure: unknown;
      let next = 0;
      const worker = async () => {
        while (!stopping && failure === undefined && next < phones.length) {
          const phone = phones[next++]!;
          try {
            const result = await userbots.deleteSession(phone, {
              deadlineMs: DEFAULT_CHECK_DEADLINE_MS,
              actor: ctx.actor,
              only: (s) => s.status === "error" && s.updatedAt < cutoff.toISOString(),
              audit: { action: "session.deleted", actor: ctx.actor, detail: "remove-errors" },
            });
            if (result.outcome === "deleted") {
              deleted++;
              ended[result.revocation.outcome]++;
              const r = result.session.revocation;
              if (r?.state === "pending" && (!retryUntil || r.giveUpAt > retryUntil)) retryUntil = r.giveUpAt;
            } else {
              kept.push(phone);
            }
          } catch (err) {
            // Changed meanwhile (logged in again, another job using it right now): kept, as the description says.
            if (err instanceof StaleVersionError || err instanceof LeaseHeldError) kept.push(phone);
            else failure ??= err;
          }
          progress.tick();
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(PARALLEL, phones.length) }, worker));
      } finally {
        progress.stop();
      }

      const left = phones.length - deleted - kept.length;
      if (json) result({ found: phones.length, deleted, ended, retryUntil, kept, notTried: left });
      else
        ctx.out(
          `Deleted ${plural(deleted, "session")} ${which}: ${count(ended["logged-out"])} logged out at Telegram and ` +
            `destroyed, ${count(ended["already-dead"])} already refused by Telegram and destroyed, ` +
            `${count(ended["not-confirmed"])} with the logout pending.`,
        );
      if (ended["not-confirmed"] > 0)
        ctx.err(
          `Telegram could not be reached for ${plural(ended["not-confirmed"], "key")}: they may still work there. ` +
            `Their logout is retried until ${retryUntil ?? "the give-up date"} (\`sessions revoke-pending\`, the ` +
            "weekly cleanup); only for that is their encrypted string kept.",
        );
      if (kept.length && !json)
        ctx.out(
          `Kept ${plural(kept.length, "session")} that changed meanwhile (logged in again or touched): ${kept.join(", ")}.`,
        );
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
