/**
 * The account's 2FA (cloud) password, through its stored session: whether it has one (`account.getPassword`), and
 * setting or changing it with GramJS's own helper (`client.updateTwoFaSettings`: it fetches the SRP parameters,
 * proves the current password and sends the new one's verifier, never the password itself).
 *
 * The passwords pass through memory for the length of the call only: never stored, never returned, and registered
 * with the log masker while the call runs, so an error message that quoted one would still be masked.
 */
import { RPCError } from "telegram/errors";
import { forgetSecret, registerSecret } from "../log";
import type { Phone } from "../sessions/phone";
import type { CheckOptions, SetTwoFaOutcome, SetTwoFaPassword, TwoFaPosture } from "./contract";
import type { ResolvedDeps } from "./deps";
import { readTwoFa } from "./account-state";
import { useSession } from "./userbot";

/** A password Telegram would refuse or that would defeat itself: refused before Telegram is asked. */
export class InvalidTwoFaPasswordError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "InvalidTwoFaPasswordError";
  }
}

export { readTwoFa } from "./account-state";

/** Reads the posture and records it on the row, as the daily check does. */
export function twoFaPosture(deps: ResolvedDeps, phone: Phone, options: CheckOptions): Promise<TwoFaPosture> {
  return useSession(deps, phone, readTwoFa, {
    ...options,
    onSuccess: (posture) => ({
      twoFa: { hasPassword: posture.hasPassword, checkedAt: deps.now().toISOString() },
    }),
  });
}

function validate(input: SetTwoFaPassword): void {
  if (typeof input.newPassword !== "string" || input.newPassword.length === 0) {
    throw new InvalidTwoFaPasswordError("The new password is empty; type the password to set.");
  }
  if (input.hint !== undefined && input.hint.includes(input.newPassword)) {
    throw new InvalidTwoFaPasswordError(
      "The hint contains the password itself; choose a hint that does not.",
    );
  }
}

export async function setTwoFaPassword(
  deps: ResolvedDeps,
  phone: Phone,
  input: SetTwoFaPassword,
  options: CheckOptions,
): Promise<SetTwoFaOutcome> {
  validate(input);
  const { newPassword, currentPassword } = input;
  registerSecret(newPassword);
  registerSecret(currentPassword);
  try {
    const outcome = await useSession(
      deps,
      phone,
      async (userbot): Promise<SetTwoFaOutcome> => {
        const before = await readTwoFa(userbot);
        const hint = before.hint !== undefined ? { hint: before.hint } : {};
        if (before.hasPassword && !currentPassword) return { outcome: "current-password-needed", ...hint };
        try {
          await userbot.client.updateTwoFaSettings({
            // GramJS ignores a current password when the account has none; say so explicitly anyway.
            ...(before.hasPassword ? { currentPassword } : {}),
            newPassword,
            hint: input.hint ?? "",
          });
        } catch (err) {
          if (err instanceof RPCError && err.errorMessage === "PASSWORD_HASH_INVALID") {
            return { outcome: "wrong-current-password", ...hint };
          }
          throw err;
        }
        return { outcome: "set", changed: before.hasPassword };
      },
      {
        ...options,
        // The card and the fleet summary stop counting it as an account without a password at once.
        onSuccess: (o) =>
          o.outcome === "set" ? { twoFa: { hasPassword: true, checkedAt: deps.now().toISOString() } } : {},
      },
    );
    deps.logger.info("Session 2FA password", {
      phone,
      outcome: outcome.outcome,
      ...(outcome.outcome === "set" ? { changed: outcome.changed } : {}),
    });
    return outcome;
  } finally {
    forgetSecret(newPassword);
    forgetSecret(currentPassword);
  }
}
