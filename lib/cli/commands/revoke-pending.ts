/**
 * `sessions revoke-pending`: the first part of the cleanup alone. Deleted sessions whose key's logout at Telegram
 * was not confirmed (Telegram unreachable at the delete) are tried again now, each under its lease: confirmed, the
 * ciphertext is destroyed; at or after its give-up date, it is destroyed anyway and audited as never confirmed;
 * otherwise it stays pending for the next try. Nothing else is touched, so it asks nothing.
 */
import { runCleanup } from "../../jobs/cleanup";
import { EXIT, type Command } from "../command";
import { plural } from "../format";
import { cleanupDeps, logoutsLine } from "./cleanup";

export const command: Command = {
  name: "revoke-pending",
  description: [
    "Retries the logout at Telegram of every deleted session whose logout was not confirmed (Telegram could not",
    "be reached when it was deleted), and of every previous key of a session logged in again or imported over whose",
    "logout was not confirmed. Confirmed: its encrypted session string is destroyed. Still not confirmed",
    "at or after its give-up date (a setting, 7 days by default): destroyed anyway, and the audit trail says the",
    "logout was never confirmed. The weekly cleanup does the same first.",
  ].join("\n"),
  examples: ["sessions revoke-pending"],
  async run(ctx) {
    const deps = await cleanupDeps(ctx);
    const preview = await runCleanup(deps, { dryRun: true, onlyPendingLogouts: true, actor: ctx.actor });
    if (preview.logouts.length === 0) {
      ctx.out("No pending logouts: every deleted session's key is logged out or given up. Nothing to do.");
      return EXIT.ok;
    }
    ctx.err(`Retrying ${plural(preview.logouts.length, "pending logout")} at Telegram…`);
    const result = await runCleanup(deps, { onlyPendingLogouts: true, actor: ctx.actor });
    ctx.out(logoutsLine(result) ?? "No pending logouts were left to retry.");
    const still = result.logouts.filter((l) => l.state === "pending").length;
    return still > 0 ? EXIT.failed : EXIT.ok;
  },
};
