/**
 * `sessions admins`, `sessions add-admin <id> [--owner]` (the seed's addFirstAdmin.js) and
 * `sessions remove-admin <id>`: who may use the AdminBot.
 */
import { AdminError, parseUserId } from "../../bot-state/admins";
import { CliError, UsageError, type Command } from "../command";
import { plural, relativeTime, renderTable } from "../format";
import { confirm } from "../prompt";

const USER_ID_ARG = {
  name: "telegram-user-id",
  help: "the person's numeric Telegram user id, e.g. 123456789 (the AdminBot tells strangers their id)",
} as const;

/** A malformed id is a wrong command line (exit 2), not a failure of the store. */
function userIdArg(raw: string): string {
  try {
    return parseUserId(raw);
  } catch (err) {
    if (err instanceof AdminError) throw new UsageError(err.message);
    throw err;
  }
}

export const list: Command = {
  name: "admins",
  description: "Owners can also add and remove admins in the AdminBot; admins manage sessions.",
  options: { json: { type: "boolean", help: "print JSON: [{ userId, role, name, addedAt, addedBy }]" } },
  examples: ["sessions admins"],
  async run(ctx, args) {
    const { admins } = await ctx.store();
    const all = (await admins.list()).sort((a, b) =>
      a.role === b.role ? a.addedAt.localeCompare(b.addedAt) : a.role === "owner" ? -1 : 1,
    );
    if (args.values.json) {
      ctx.out(
        JSON.stringify(
          all.map((a) => ({
            userId: a.userId,
            role: a.role,
            name: a.name ?? null,
            addedAt: a.addedAt,
            addedBy: a.addedBy,
          })),
          null,
          2,
        ),
      );
      return 0;
    }
    if (all.length === 0) {
      ctx.out("No admins yet: nobody can use the AdminBot.");
      ctx.out("Add yourself: sessions add-admin <your telegram user id> --owner");
      return 0;
    }
    const now = new Date();
    const rows = all.map((a) => [a.userId, a.role, a.name ?? "—", relativeTime(a.addedAt, now), a.addedBy]);
    for (const line of renderTable(["USER ID", "ROLE", "NAME", "ADDED", "ADDED BY"], rows, ctx.colors))
      ctx.out(line);
    ctx.out();
    ctx.out(
      `${plural(all.length, "admin")}, ${plural(all.filter((a) => a.role === "owner").length, "owner")}.`,
    );
    return 0;
  },
};

export const add: Command = {
  name: "add-admin",
  description: [
    "Lets the person use the AdminBot (/start). An owner may also manage admins. The first admin of a fleet",
    "always becomes an owner, so someone can let others in. Adding an existing admin changes nothing, except",
    "that --owner promotes them.",
  ].join("\n"),
  positionals: [USER_ID_ARG],
  options: { owner: { type: "boolean", help: "make them an owner (may add and remove admins)" } },
  examples: ["sessions add-admin 123456789 --owner", "sessions add-admin 987654321"],
  async run(ctx, args) {
    const userId = userIdArg(args.positionals[0]!);
    const { admins, audit } = await ctx.store();
    const first = (await admins.list()).length === 0;
    const before = await admins.get(userId);
    if (before && (before.role === "owner" || !args.values.owner)) {
      ctx.out(`${userId} is already an admin (${before.role}); nothing changed.`);
      return 0;
    }
    const { admin, created } = await admins.add({
      userId,
      role: args.values.owner || first ? "owner" : "admin",
      addedBy: ctx.actor,
    });
    await audit.record({ action: "admin.added", actor: ctx.actor, detail: `${userId} as ${admin.role}` });
    ctx.out(
      created
        ? `Added ${userId} as ${admin.role}${first && !args.values.owner ? " (the first admin is always an owner)" : ""}. ` +
            "They can now open the AdminBot and send /start."
        : `${userId} is now an owner.`,
    );
    return 0;
  },
};

export const remove: Command = {
  name: "remove-admin",
  description: "Takes the person's AdminBot access away. The last owner can never be removed.",
  positionals: [USER_ID_ARG],
  options: { yes: { type: "boolean", short: "y", help: "remove without asking (for scripts)" } },
  examples: ["sessions remove-admin 987654321"],
  async run(ctx, args) {
    const userId = userIdArg(args.positionals[0]!);
    const { admins, audit } = await ctx.store();
    const admin = await admins.get(userId);
    if (!admin) throw new CliError(`${userId} is not an admin. \`sessions admins\` lists them.`);
    // Said before asking: confirming a removal that will be refused anyway wastes the operator's attention.
    if (admin.role === "owner" && (await admins.list()).filter((a) => a.role === "owner").length <= 1)
      throw new CliError("This is the last owner and cannot be removed. Make another admin an owner first.");
    const yes = await confirm(`Remove ${userId} (${admin.role})?`, {
      yes: args.values.yes === true,
      interactive: ctx.interactive,
      input: ctx.term.stdin,
      output: ctx.term.stderr,
      action: `remove admin ${userId}`,
    });
    if (!yes) throw new CliError("Not removed: you did not confirm.");
    await admins.remove(userId);
    await audit.record({ action: "admin.removed", actor: ctx.actor, detail: `${userId} (${admin.role})` });
    ctx.out(`Removed ${userId} (${admin.role}): the AdminBot no longer answers them.`);
    return 0;
  },
};
