/** `sessions show <phone>`: one session as a card (never its session string). */
import { normalizePhone, SessionNotFoundError } from "../../sessions";
import type { Command } from "../command";
import { sessionCard, sessionJson } from "../format";

export const PHONE_ARG = {
  name: "phone",
  help: "the session's phone number with country code, e.g. +998901234567 (spaces and dashes are fine)",
} as const;

export const command: Command = {
  name: "show",
  description: "Shows everything stored about the session except its session string, which is never printed.",
  positionals: [PHONE_ARG],
  options: {
    json: { type: "boolean", help: "print JSON (the shape of one entry of `sessions list --json`)" },
  },
  examples: ["sessions show +998901234567", "sessions show '+998 90 123-45-67' --json"],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const { sessions } = await ctx.store();
    const session = await sessions.get(phone);
    if (!session) throw new SessionNotFoundError(phone);
    if (args.values.json) ctx.out(JSON.stringify(sessionJson(session), null, 2));
    else for (const line of sessionCard(session, ctx.colors)) ctx.out(line);
    return 0;
  },
};
