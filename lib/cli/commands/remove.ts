/**
 * `sessions remove <phone>`: the seed's removeSession.js, with the session shown and a confirmation first. The key
 * is logged out at Telegram before anything is destroyed here (lib/telegram's deleteSession), and the output says
 * which of that happened: logged out, already refused by Telegram, or not confirmed (then the ciphertext is kept in
 * a pending tombstone and the logout retried until its give-up date).
 */
import { describeKeyRevocation, normalizePhone, TOMBSTONE_DAYS } from "../../sessions";
import { DEFAULT_CHECK_DEADLINE_MS } from "../../jobs/scale";
import { CliError, type Command } from "../command";
import { sessionCard } from "../format";
import { confirm } from "../prompt";
import { loadUserbots } from "../userbots";
import { PHONE_ARG } from "./show";

export const command: Command = {
  name: "remove",
  description: [
    "Shows the session, asks, then logs its key out at Telegram (auth.logOut) and deletes it. Logged out (or",
    "already refused by Telegram): its session string is destroyed at once. Telegram not reachable: it is deleted",
    "here, and its encrypted string is kept only to retry the logout (`sessions revoke-pending`, the weekly",
    "cleanup) until the give-up date, then destroyed anyway. A `deleted` record (phone, account, times, how the",
    `key ended) stays visible for ${TOMBSTONE_DAYS} days. Without a terminal, pass --yes.`,
    "If the session changed while you were asked (a new login, a check), nothing is deleted: run it again.",
  ].join("\n"),
  positionals: [PHONE_ARG],
  options: { yes: { type: "boolean", short: "y", help: "delete without asking (for scripts)" } },
  examples: ["sessions remove +998901234567", "sessions remove +998901234567 --yes"],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const { sessions } = await ctx.store();
    const session = await sessions.require(phone);
    if (!args.values.yes) {
      ctx.err("This session will be deleted:");
      for (const line of sessionCard(session, ctx.colors)) ctx.err(line);
    }
    const yes = await confirm(`Delete ${phone}?`, {
      yes: args.values.yes === true,
      interactive: ctx.interactive,
      input: ctx.term.stdin,
      output: ctx.term.stderr,
      action: `delete ${phone}`,
    });
    if (!yes) throw new CliError("Not deleted: you did not confirm.");
    // After the question: a missing API_ID/API_HASH stops here, before anything at Telegram or here is touched.
    const { userbots } = await loadUserbots(ctx);
    ctx.err(`Logging ${phone} out at Telegram…`);
    // Conditional on the version shown: a session logged in again meanwhile is neither logged out nor deleted.
    const result = await userbots.deleteSession(phone, {
      deadlineMs: DEFAULT_CHECK_DEADLINE_MS,
      actor: ctx.actor,
      expectedVersion: session.version,
      audit: { action: "session.deleted", actor: ctx.actor, detail: `was ${session.status}` },
    });
    if (result.outcome !== "deleted" || !result.session.revocation) return 0;
    const code = result.revocation.outcome === "already-dead" ? result.revocation.code : undefined;
    ctx.out(
      `Deleted ${phone} (was ${session.status}): ${describeKeyRevocation(result.session.revocation, code)}.`,
    );
    if (result.revocation.outcome === "not-confirmed") {
      ctx.err(
        "Its key may still work at Telegram. Run `sessions revoke-pending` when Telegram is reachable; the phone " +
          "can be added again once its logout is settled.",
      );
      return 0;
    }
    ctx.out("To use this phone again, add it anew: AdminBot /start → ➕ Add Session.");
    return 0;
  },
};
