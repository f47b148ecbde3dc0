/** `sessions remove <phone>`: the seed's removeSession.js, with the session shown and a confirmation first. */
import { normalizePhone, TOMBSTONE_DAYS } from "../../sessions";
import { CliError, type Command } from "../command";
import { sessionCard } from "../format";
import { confirm } from "../prompt";
import { PHONE_ARG } from "./show";

export const command: Command = {
  name: "remove",
  description: [
    "Shows the session, asks, then deletes it: its session string is destroyed at once; a `deleted` record",
    `(phone, account, times) stays visible for ${TOMBSTONE_DAYS} days. Without a terminal, pass --yes.`,
    "If the session changed while you were asked (a new login, a check), nothing is deleted: run it again.",
  ].join("\n"),
  positionals: [PHONE_ARG],
  options: { yes: { type: "boolean", short: "y", help: "delete without asking (for scripts)" } },
  examples: ["sessions remove +998901234567", "sessions remove +998901234567 --yes"],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const { sessions, audit } = await ctx.store();
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
    // Conditional on the version shown: a session logged in again meanwhile is not deleted by a stale decision.
    await sessions.delete(phone, session.version);
    await audit.record({
      action: "session.deleted",
      actor: ctx.actor,
      phone,
      detail: `was ${session.status}`,
    });
    ctx.out(`Deleted ${phone} (was ${session.status}). Its session string is destroyed.`);
    ctx.out("To use this phone again, add it anew: AdminBot /start → ➕ Add Session.");
    return 0;
  },
};
