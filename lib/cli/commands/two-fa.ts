/**
 * `sessions 2fa set <phone>`: gives the session's account a 2FA (cloud) password, or changes it, through GramJS's own
 * helper (SRP: Telegram never receives the password itself). The new password is typed twice at a hidden prompt (or
 * piped, one line each); when the account already has one, the current password is asked first. Never stored,
 * never printed, masked in every log line; the audit trail records that it was set, never what.
 */
import { normalizePhone, type Phone } from "../../sessions";
import { CliError, EXIT, UsageError, type Command } from "../command";
import type { CliContext } from "../context";
import { readSecret } from "../login";
import { createPrompter, type Prompter } from "../prompt";
import { loadUserbots, userbotFailure } from "../userbots";
import { PHONE_ARG } from "./show";

const HINT = "Run `sessions 2fa --help`.";

/** One connection to read the posture, one to set: each well inside this. */
export const TWO_FA_DEADLINE_MS = 20_000;

async function set(ctx: CliContext, phone: Phone, prompter: Prompter): Promise<number> {
  const { userbots } = await loadUserbots(ctx);
  const options = { deadlineMs: TWO_FA_DEADLINE_MS, actor: ctx.actor };
  ctx.err(`Asking Telegram whether ${phone} has a 2FA password…`);
  let posture;
  try {
    posture = await userbots.twoFaPosture(phone, options);
  } catch (err) {
    throw userbotFailure(err);
  }
  let currentPassword: string | undefined;
  if (posture.hasPassword) {
    ctx.err(
      `${phone} has a 2FA password${posture.hint ? ` (hint: ${posture.hint})` : ""}; changing it needs the current one.`,
    );
    currentPassword = await readSecret(prompter.hidden("Current 2FA password (not shown): "));
    if (!currentPassword) throw new UsageError("No current password given; nothing was changed.", HINT);
  }
  const newPassword = await readSecret(prompter.hidden("New 2FA password (not shown): "));
  if (!newPassword) throw new UsageError("The new password is empty; nothing was changed.", HINT);
  const again = await readSecret(prompter.hidden("The new password again (not shown): "));
  if (again !== newPassword)
    throw new UsageError("The two new passwords differ; nothing was changed. Run it again.", HINT);
  const hint = (await prompter.line("Hint, shown at login to anyone (optional; Enter for none): ")).trim();
  ctx.err(`Setting the 2FA password of ${phone}…`);
  let outcome;
  try {
    outcome = await userbots.setTwoFaPassword(
      phone,
      { newPassword, ...(currentPassword ? { currentPassword } : {}), ...(hint ? { hint } : {}) },
      options,
    );
  } catch (err) {
    throw userbotFailure(err);
  }
  switch (outcome.outcome) {
    case "set": {
      const { audit } = await ctx.store();
      await audit.record({
        action: "session.2fa-set",
        actor: ctx.actor,
        phone,
        detail: outcome.changed ? "changed" : "set (the account had none)",
      });
      ctx.out(
        `${outcome.changed ? "Changed" : "Set"}: ${phone} has a 2FA password now; a new login of the account asks ` +
          `for it. Keep it somewhere safe: Session Keeper does not store it.`,
      );
      return EXIT.ok;
    }
    case "wrong-current-password":
      throw new CliError(
        `The current password is wrong${outcome.hint ? ` (hint: ${outcome.hint})` : ""}; nothing was changed.`,
      );
    case "current-password-needed":
      // Set between our read and the change (someone else just now): say so rather than guess.
      throw new CliError(
        `${phone} has a 2FA password now${outcome.hint ? ` (hint: ${outcome.hint})` : ""}; run it again to give the current one. Nothing was changed.`,
      );
  }
}

export const command: Command = {
  name: "2fa",
  description: [
    "`set` gives the session's account a 2FA (cloud) password, or changes the one it has, through the stored",
    "session (GramJS's own 2FA helper: SRP, the password itself never leaves this machine). Asks for the new",
    "password twice at a hidden prompt, then an optional hint; when the account has a password, the current one",
    "first. From a pipe, one line each in that order. A wrong current password changes nothing. The password is",
    "never stored, printed or logged; the audit trail records that it was set. The session must be active.",
    "Needs API_ID and API_HASH (my.telegram.org).",
  ].join("\n"),
  positionals: [{ name: "action", help: "set" }, PHONE_ARG],
  examples: [
    "sessions 2fa set +998901234567",
    "printf '%s\\n' \"$NEW\" \"$NEW\" 'my hint' | sessions 2fa set +998901234567",
  ],
  async run(ctx, args) {
    const [action, phoneArg] = args.positionals;
    if (action !== "set") throw new UsageError(`Unknown action "${action}": the only one is set.`, HINT);
    const phone = normalizePhone(phoneArg!);
    const prompter = createPrompter(ctx.term.stdin, ctx.term.stderr);
    try {
      return await set(ctx, phone, prompter);
    } finally {
      prompter.close();
    }
  },
};
