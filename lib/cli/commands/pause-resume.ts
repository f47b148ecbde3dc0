/** `sessions pause <phone>` and `sessions resume <phone>`: the admin's stop and start, with the audit trail. */
import { normalizePhone, type Session } from "../../sessions";
import type { Command, ParsedArgs } from "../command";
import type { CliContext } from "../context";
import { statusLabel } from "../format";
import { PHONE_ARG } from "./show";

async function apply(ctx: CliContext, args: ParsedArgs, event: "pause" | "resume"): Promise<number> {
  const phone = normalizePhone(args.positionals[0]!);
  const { sessions, audit } = await ctx.store();
  // The repository refuses an illegal move (pause a session in error, resume an active one) with the reason.
  const updated: Session = event === "pause" ? await sessions.pause(phone) : await sessions.resume(phone);
  await audit.record({
    action: event === "pause" ? "session.paused" : "session.resumed",
    actor: ctx.actor,
    phone,
  });
  ctx.out(
    event === "pause"
      ? `Paused ${phone}: now ${statusLabel(updated.status, ctx.colors)}; it is not checked or used until resumed.`
      : `Resumed ${phone}: now ${statusLabel(updated.status, ctx.colors)}; the next health check includes it.`,
  );
  return 0;
}

export const pause: Command = {
  name: "pause",
  description: "Only an active session can be paused. A paused session is not checked or used until resumed.",
  positionals: [PHONE_ARG],
  examples: ["sessions pause +998901234567"],
  run: (ctx, args) => apply(ctx, args, "pause"),
};

export const resume: Command = {
  name: "resume",
  description:
    "Only a paused session can be resumed. A session in error needs a new login instead (AdminBot: ➕ Add Session).",
  positionals: [PHONE_ARG],
  examples: ["sessions resume +998901234567"],
  run: (ctx, args) => apply(ctx, args, "resume"),
};
